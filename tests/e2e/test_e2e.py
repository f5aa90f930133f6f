"""End to end: a user adds Smartcar in Home Assistant's UI and drives the car from it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from tests.simulator import const as sim

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from playwright.async_api import Page

    from tests.e2e.plugin import Stack


async def test_add_integration_in_the_ui(stack: Stack, page: Page, shot: Any) -> None:
    """Settings → Devices & services → Add integration → Smartcar → consent → entry."""
    await page.goto(f"{stack.base_url}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("Smartcar")
    await shot("search")
    await page.get_by_text("Smartcar", exact=True).last.click()
    await page.get_by_role("textbox", name="Application ID").fill(sim.APPLICATION_ID)
    await shot("permissions")
    await page.get_by_role("button", name="Submit").click()
    async with page.expect_popup() as popup_info:
        await page.get_by_text("Open website").click()
    consent = await popup_info.value
    await consent.wait_for_load_state()
    assert consent.url.startswith(stack.simulator_origin)
    await shot("consent", consent)
    await consent.get_by_role("button", name="Approve").click()
    await page.get_by_role("button", name="Finish").wait_for()
    await shot("created")
    await page.get_by_role("button", name="Finish").click()
    entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
    assert [entry["state"] for entry in entries] == ["loaded"]
    await page.goto(f"{stack.base_url}/config/integrations/integration/smartcar")
    await page.get_by_text("Volkswagen ID.4").first.wait_for()
    await shot("integration-page")


async def device_page(stack: Stack, vehicle_id: str) -> str:
    """The URL of a car's device page."""
    devices = await stack.ws({"type": "config/device_registry/list"})
    matches = [d["id"] for d in devices if ["smartcar", vehicle_id] in d["identifiers"]]
    assert len(matches) == 1, devices
    return f"{stack.base_url}/config/devices/device/{matches[0]}"


async def test_device_page_controls(stack: Stack, page: Page, shot: Any, entry: None) -> None:
    """Lock, unlock, charging and the charge limit from the car's device page."""
    await page.goto(await device_page(stack, sim.BEV_VEHICLE_ID))
    await page.get_by_text("Charge limit").first.wait_for()
    await shot("device")
    controls = page.locator("ha-card").filter(has_text="Controls")

    await controls.get_by_role("button", name="Unlock").click()
    await controls.get_by_role("button", name="Lock", exact=True).wait_for()
    assert (await stack.vehicle(sim.BEV_VEHICLE_ID))["locked"] is False
    await shot("unlocked")
    await controls.get_by_role("button", name="Lock", exact=True).click()
    await controls.get_by_role("button", name="Unlock").wait_for()
    assert (await stack.vehicle(sim.BEV_VEHICLE_ID))["locked"] is True
    await shot("locked")

    charging = controls.get_by_role("switch")
    toggle = controls.locator("ha-switch")
    await toggle.click()
    await wait_until(charging.is_checked, False)
    assert (await stack.vehicle(sim.BEV_VEHICLE_ID))["charging"] is False
    await shot("charging-stopped")
    await toggle.click()
    await wait_until(charging.is_checked, True)
    assert (await stack.vehicle(sim.BEV_VEHICLE_ID))["charging"] is True
    await shot("charging-started")

    limit = controls.get_by_role("slider")
    before = float(await limit.get_attribute("aria-valuenow") or 0)
    await limit.focus()
    await page.keyboard.press("ArrowRight")
    await wait_until(lambda: limit.get_attribute("aria-valuenow"), str(int(before) + 1))
    await wait_until(lambda: stack.vehicle(sim.BEV_VEHICLE_ID), before + 1, key="charge_limit")
    await shot("charge-limit")


async def wait_until(
    read: Callable[[], Awaitable[Any]], expected: Any, *, key: str | None = None
) -> None:
    """Poll `read()` (or its `key`) until it equals `expected`, for at most 30 seconds."""
    value: Any = None
    for _ in range(150):
        value = await read()
        if key is not None:
            value = value[key]
        if value == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"expected {expected!r}, still {value!r}")


async def test_failing_command_shows_the_reason(
    stack: Stack, page: Page, shot: Any, entry: None
) -> None:
    """A refused unlock (a door is open) shows the translated reason to the user."""
    await stack.admin(
        "POST",
        "faults",
        {
            "vehicle_id": sim.BEV_VEHICLE_ID,
            "path": "/commands/security/unlock",
            "error_type": "VEHICLE_STATE",
            "error_code": "DOOR_OPEN",
            "times": 1,
        },
    )
    await page.goto(await device_page(stack, sim.BEV_VEHICLE_ID))
    controls = page.locator("ha-card").filter(has_text="Controls")
    await controls.get_by_role("button", name="Unlock").click()
    message = page.get_by_text(
        "Volkswagen ID.4 refused because a door, the trunk or the hood is open"
    )
    await message.first.wait_for()
    await page.wait_for_timeout(500)  # let the toast finish sliding in
    await shot("door-open")
    assert (await stack.vehicle(sim.BEV_VEHICLE_ID))["locked"] is True
    await controls.get_by_role("button", name="Unlock").wait_for()


async def converse(stack: Stack, text: str, language: str) -> dict[str, Any]:
    """Say `text` to Assist's default agent over the REST API."""
    answer: dict[str, Any] = await stack.api(
        "POST", "conversation/process", {"text": text, "language": language}
    )
    return answer


@pytest.mark.parametrize(
    ("language", "sentence", "expected"),
    [
        ("en", "unlock the Tesla Model 3", {"locked": False}),
        ("en", "lock the Tesla Model 3", {"locked": True}),
        ("es", "abre Tesla Model 3", {"locked": False}),
        ("fr", "verrouille Tesla Model 3", {"locked": True}),
        ("en", "turn off Tesla Model 3 charging", {"charging": False}),
        ("en", "turn on Tesla Model 3 charging", {"charging": True}),
        ("en", "set the Tesla Model 3 charge limit to 80 percent", {"charge_limit": 80}),
        ("es", "pon el límite de carga del Tesla Model 3 al 70 por ciento", {"charge_limit": 70}),
        (
            "fr",
            "règle la limite de charge de la Tesla Model 3 à 90 pour cent",
            {"charge_limit": 90},
        ),
    ],
)
async def test_voice(
    stack: Stack, voice_ready: None, language: str, sentence: str, expected: dict[str, Any]
) -> None:
    """Assist understands the sentence and the simulated car follows."""
    answer = await converse(stack, sentence, language)
    assert answer["response"]["response_type"] == "action_done", answer
    for field, value in expected.items():
        await wait_until(lambda: stack.vehicle(sim.TESLA_VEHICLE_ID), value, key=field)
