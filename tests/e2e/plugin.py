"""Pytest fixtures of the end-to-end suite: one simulator and one real `hass` for the session.

The suite runs in its own pytest process (`scripts/test` does it) with Home Assistant's
in-process test plugin switched off, because here Home Assistant is a separate process:

    python -m pytest -p no:homeassistant -p tests.e2e.plugin --noconftest tests/e2e

Screenshots and both processes' logs are kept under artifacts/e2e/.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import os
from pathlib import Path
import re
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

import aiohttp
from playwright.async_api import Browser, Page, async_playwright
import pytest

from tests.e2e import harness
from tests.e2e.flows import add_entry_headless
from tests.simulator import const as sim

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

ARTIFACTS = harness.ROOT / "artifacts" / "e2e"
USERNAME = "e2e-owner"
PASSWORD = "e2e-owner-password"
CHROMIUM = os.environ.get("SMARTCAR_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Stack:
    """The running simulator and Home Assistant, and how to reach them."""

    base_url: str
    simulator_origin: str
    token: str
    simulator: harness.ManagedProcess
    hass: harness.ManagedProcess

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's admin API (/_simulator/...)."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, f"{self.simulator_origin}/_simulator/{path}", json=body
            ) as response,
        ):
            if response.status >= 400:
                raise AssertionError(f"{method} {path}: {response.status} {await response.text()}")
            return await response.json(content_type=None)

    async def vehicle(self, vehicle_id: str) -> dict[str, Any]:
        """The simulated car's state as the simulator sees it."""
        answer: dict[str, Any] = await self.admin("GET", f"vehicles/{vehicle_id}")
        return answer

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call Home Assistant's REST API as the owner."""
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"}) as session,
            session.request(method, f"{self.base_url}/api/{path}", json=body) as response,
        ):
            if response.status >= 400:
                raise AssertionError(f"{method} {path}: {response.status} {await response.text()}")
            return await response.json(content_type=None)

    async def ws(self, command: dict[str, Any]) -> Any:
        """Send one websocket command as the owner."""
        return await harness.websocket_command(self.base_url, self.token, command)


def pytest_configure(config: pytest.Config) -> None:
    """Start each run with an empty artifacts folder."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    config.addinivalue_line("markers", "e2e: runs a real Home Assistant process and a browser")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Start the simulator and Home Assistant (onboarded, credentials stored) once."""
    work = Path(tempfile.mkdtemp(prefix="smartcar-e2e-"))
    config = work / "config"
    simulator_port, hass_port = harness.free_port(), harness.free_port()
    simulator_origin = f"http://127.0.0.1:{simulator_port}"
    base_url = f"http://127.0.0.1:{hass_port}"
    harness.write_hass_config(config, hass_port)
    harness.seed_onboarding(config)
    harness.seed_application_credentials(config, harness.simulator_credentials()[:1])
    harness.install_custom_sentences(config)
    simulator = harness.simulator_process(simulator_port, ARTIFACTS, "--billing-limit", "0")
    hass = harness.hass_process(config, ARTIFACTS, harness.smartcar_environment(simulator_origin))
    try:
        simulator.start()
        asyncio.run(
            harness.wait_for_http(f"{simulator_origin}/_simulator/config", simulator, within=60)
        )
        hass.start()
        asyncio.run(harness.wait_for_http(f"{base_url}/manifest.json", hass, within=300))
        token = asyncio.run(harness.onboard(base_url, username=USERNAME, password=PASSWORD))
        yield Stack(base_url, simulator_origin, token, simulator, hass)
    finally:
        hass.stop()
        simulator.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
async def entry(stack: Stack) -> None:
    """A loaded Smartcar entry for the demo account (added headlessly if no test added one)."""
    entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
    if not entries:
        await add_entry_headless(stack.base_url, stack.token, stack.simulator_origin)
        entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
    assert [item["state"] for item in entries] == ["loaded"]


@pytest.fixture
async def voice_ready(stack: Stack, entry: None) -> None:
    """The Tesla's virtual key paired, its cable plugged in, its controls exposed to Assist."""
    await stack.admin("POST", f"vehicles/{sim.TESLA_VEHICLE_ID}/pair-key", {})
    await stack.admin("PATCH", f"vehicles/{sim.TESLA_VEHICLE_ID}", {"plugged_in": True})
    entities = await stack.ws({"type": "config/entity_registry/list"})
    wanted = [
        item["entity_id"]
        for item in entities
        if item["platform"] == "smartcar"
        and item["entity_id"]
        in {
            "lock.tesla_model_3",
            "switch.tesla_model_3_charging",
            "number.tesla_model_3_charge_limit",
        }
    ]
    assert len(wanted) == 3, wanted
    # Read the car again so that Home Assistant sees the cable (it refuses to start charging
    # a car it knows to be unplugged).
    await stack.api("POST", "services/homeassistant/update_entity", {"entity_id": wanted})
    for _ in range(100):
        state = await stack.api("GET", "states/binary_sensor.tesla_model_3_charging_cable")
        if state["state"] == "on":
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"the cable never showed as connected: {state}")
    await stack.ws(
        {
            "type": "homeassistant/expose_entity",
            "assistants": ["conversation"],
            "entity_ids": wanted,
            "should_expose": True,
        }
    )


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, headless, driven by Playwright."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser, stack: Stack) -> AsyncIterator[Page]:
    """A page logged in to Home Assistant as the owner."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(30_000)
    page = await context.new_page()
    await page.goto(f"{stack.base_url}/")
    await page.get_by_label("Username").fill(USERNAME)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/(home|lovelace)(/|$)"))
    try:
        yield page
    finally:
        await context.close()


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Any:
    """Take numbered screenshots into artifacts/e2e/<test name>/."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    async def take(name: str, target: Page | None = None) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        await (target or page).screenshot(path=path)
        return path

    return take


DEMO_VEHICLES = {
    "bev": sim.BEV_VEHICLE_ID,
    "phev": sim.PHEV_VEHICLE_ID,
    "ice": sim.ICE_VEHICLE_ID,
    "tesla": sim.TESLA_VEHICLE_ID,
}
