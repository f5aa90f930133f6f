"""Drive Home Assistant's Smartcar config flow over its REST API, with the simulator's consent.

This is what the frontend does, without a browser: start the flow, answer its forms, follow
Smartcar Connect's page (submitting the simulator's consent form), hand the redirect to Home
Assistant's OAuth callback and finish. `scripts/develop --demo` and the Assist tests use it.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.simulator import const as sim

ALL_OPTIONAL_PERMISSIONS = (
    "read_battery",
    "read_charge",
    "read_security",
    "read_location",
    "read_odometer",
    "read_fuel",
    "read_tires",
    "read_engine_oil",
    "control_charge",
    "control_security",
)


class FlowError(RuntimeError):
    """The config flow did not go where it should; the message holds its last answer."""


async def add_entry_headless(
    base_url: str,
    token: str,
    simulator_origin: str,
    *,
    client_id: str = sim.API_CLIENT_ID,
    email: str = sim.DEMO_USER_EMAIL,
) -> dict[str, Any]:
    """Add a Smartcar entry for `email`'s cars; return the flow's final answer."""
    headers = {"Authorization": f"Bearer {token}", "HA-Frontend-Base": base_url}
    flows = f"{base_url}/api/config/config_entries/flow"
    async with aiohttp.ClientSession(headers=headers) as session:
        step = await _post(session, flows, {"handler": "smartcar", "show_advanced_options": False})
        flow_id = step["flow_id"]
        while step["type"] == "form":
            step = await _post(session, f"{flows}/{flow_id}", _answer(step, client_id))
        if step["type"] != "external":
            raise FlowError(f"expected Smartcar Connect, got {step}")
        callback = await _consent(step["url"], email, simulator_origin)
        async with aiohttp.ClientSession() as browser, browser.get(callback) as response:
            if response.status != 200:
                raise FlowError(f"OAuth callback answered {response.status}")
        step = await _post(session, f"{flows}/{flow_id}", None)
        if step["type"] != "create_entry":
            raise FlowError(f"the flow did not create an entry: {step}")
        return step


def _answer(step: dict[str, Any], client_id: str) -> dict[str, Any]:
    """Fill in a form of the flow as a user setting up the demo would."""
    if step["step_id"] == "pick_implementation":
        options = next(f for f in step["data_schema"] if f["name"] == "implementation")
        choices = [value for value, _label in options.get("options", [])] or list(
            options.get("selector", {}).get("select", {}).get("options", [])
        )
        wanted = [choice for choice in choices if client_id.lower() in str(choice).lower()]
        if not wanted:
            raise FlowError(f"no credentials for {client_id} among {choices}")
        return {"implementation": wanted[0]}
    if step["step_id"] == "connect":
        answer: dict[str, Any] = {"permissions": list(ALL_OPTIONAL_PERMISSIONS), "mode": "live"}
        if any(field["name"] == "application_id" for field in step["data_schema"]):
            answer["application_id"] = sim.APPLICATION_ID
        return answer
    raise FlowError(f"unexpected form {step['step_id']}: {step}")


async def _post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any] | None
) -> dict[str, Any]:
    async with session.post(url, json=body or {}) as response:
        answer: dict[str, Any] = await response.json()
        if response.status != 200:
            raise FlowError(f"{url}: HTTP {response.status} {answer}")
        return answer


async def _consent(authorize_url: str, email: str, simulator_origin: str) -> str:
    """Approve every car of `email` on the simulator's Connect page; return the redirect."""
    if not authorize_url.startswith(simulator_origin):
        raise FlowError(f"Connect is not the simulator: {authorize_url}")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            authorize_url, data={"email": email, "action": "approve"}, allow_redirects=False
        ) as response,
    ):
        if response.status != 302:
            raise FlowError(f"consent answered {response.status}: {await response.text()}")
        return response.headers["Location"]
