"""Helpers of the end-to-end tests that change the simulated cars and wait for Home Assistant.

Home Assistant learns what a car did when it reads the car, as it would on its next poll; the
tests ask for that read with `homeassistant.update_entity` instead of waiting for the schedule.
The helpers also wait for a condition with a deadline, find out Home Assistant's own clock (for
time triggers a few seconds ahead), create automations from blueprints over the REST API, and
read persistent notifications and automation traces.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any
import uuid

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.e2e.plugin import Stack

#: Home Assistant's home in the end-to-end configuration (harness.write_hass_config).
HOME = (37.4292, -122.1381)


async def eventually[T](
    read: Callable[[], Awaitable[T]],
    check: Callable[[T], bool],
    *,
    within: float = 20,
    what: str = "the expected state",
) -> T:
    """Read until `check` accepts the value, for at most `within` seconds; return it."""
    deadline = time.monotonic() + within
    value = await read()
    while not check(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {within:.0f} s for {what}, last saw {value!r}")
        await asyncio.sleep(0.2)
        value = await read()
    return value


async def state(stack: Stack, entity_id: str) -> dict[str, Any]:
    """An entity's state in Home Assistant."""
    answer: dict[str, Any] = await stack.api("GET", f"states/{entity_id}")
    return answer


async def read_cars(stack: Stack, *entity_ids: str) -> None:
    """Have Home Assistant read the cars of these entities now, as a poll would."""
    await stack.api("POST", "services/homeassistant/update_entity", {"entity_id": list(entity_ids)})


async def change_car(stack: Stack, vehicle_id: str, entity_id: str, **changes: Any) -> None:
    """Change a simulated car, then have Home Assistant read it (through `entity_id`)."""
    await stack.admin("PATCH", f"vehicles/{vehicle_id}", changes)
    await read_cars(stack, entity_id)


async def render(stack: Stack, template: str) -> str:
    """Render a template in Home Assistant (its clock, time zone, units and states)."""
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {stack.token}"}) as session,
        session.post(f"{stack.base_url}/api/template", json={"template": template}) as response,
    ):
        assert response.status == 200, await response.text()
        return (await response.text()).strip()


async def in_seconds(stack: Stack, seconds: int) -> str:
    """Home Assistant's local time `seconds` from now, as HH:MM:SS for a time trigger."""
    return await render(
        stack, f"{{{{ (now() + timedelta(seconds={seconds})).strftime('%H:%M:%S') }}}}"
    )


async def notifications(stack: Stack) -> dict[str, dict[str, Any]]:
    """The persistent notifications, by ID."""
    items = await stack.ws({"type": "persistent_notification/get"})
    return {item["notification_id"]: item for item in items}


async def new_notification(
    stack: Stack, seen: set[str], *, containing: str, within: float = 20
) -> dict[str, Any]:
    """Wait for a notification not in `seen` whose message contains `containing`."""

    async def fresh() -> list[dict[str, Any]]:
        return [
            item
            for key, item in (await notifications(stack)).items()
            if key not in seen and containing in item["message"]
        ]

    found = await eventually(fresh, bool, within=within, what=f"a notification with {containing!r}")
    return found[0]


@dataclass
class Automation:
    """An automation made from a blueprint through the REST API, as the editor saves one."""

    stack: Stack
    id: str
    entity_id: str

    async def update(self, blueprint: str, inputs: dict[str, Any]) -> None:
        """Save new inputs (Home Assistant reloads the automation)."""
        await self.stack.api(
            "POST",
            f"config/automation/config/{self.id}",
            {
                "id": self.id,
                "alias": f"E2E {self.id}",
                "description": "",
                "use_blueprint": {"path": blueprint, "input": inputs},
            },
        )
        await eventually(
            lambda: self.stack.api("GET", "states"),
            lambda states: any(
                item["attributes"].get("id") == self.id and item["state"] == "on" for item in states
            ),
            what=f"automation {self.id} to be on",
        )

    async def traces(self) -> list[dict[str, Any]]:
        """The stored runs of the automation, oldest first."""
        runs: list[dict[str, Any]] = await self.stack.ws(
            {"type": "trace/list", "domain": "automation", "item_id": self.id}
        )
        return sorted(runs, key=lambda run: run["timestamp"]["start"])

    async def next_runs(
        self, before: list[dict[str, Any]], count: int = 1, *, within: float = 20
    ) -> list[dict[str, Any]]:
        """Wait for `count` finished runs that are not in `before`; return them, oldest first.

        Home Assistant keeps the last five runs, so new runs are told apart by their IDs.
        """
        known = {run["run_id"] for run in before}

        async def new() -> list[dict[str, Any]]:
            return [run for run in await self.traces() if run["run_id"] not in known]

        return await eventually(
            new,
            lambda runs: len(runs) >= count and all(run["state"] == "stopped" for run in runs),
            within=within,
            what=f"{count} run(s) of automation {self.id}",
        )

    async def delete(self) -> None:
        """Remove the automation."""
        await self.stack.api("DELETE", f"config/automation/config/{self.id}")


async def create_automation(stack: Stack, blueprint: str, inputs: dict[str, Any]) -> Automation:
    """Create an automation from an imported blueprint with these inputs."""
    automation_id = f"smartcar_e2e_{uuid.uuid4().hex[:8]}"
    automation = Automation(stack, automation_id, "")
    await automation.update(blueprint, inputs)
    states = await stack.api("GET", "states")
    automation.entity_id = next(
        item["entity_id"] for item in states if item["attributes"].get("id") == automation_id
    )
    return automation
