"""Set-up time of a 50-vehicle account in a real Home Assistant (run through scripts/bench).

The end-to-end harness starts the simulator (its own process, real-time clock, auto-enrollment)
and a real ``hass`` process. The account ``50-vehicles@smartcar.com`` is added through the
config flow over the REST API; the flow's last step returns once the entry is set up, which
gives the first (cold) set-up: metadata of every car read and stored, then the first reads.
Home Assistant is then restarted five times; each time the integration's own start-up time
(``integration/setup_info``, what Settings → System → Repairs → Integration startup time shows)
is taken, and the median is printed. Before each restart the simulator's clock moves an hour
on, so that Smartcar's application bucket is full again, as it would be after a real restart.
The line also says how many cars had a battery reading once set up, and how many requests the
simulator answered with 429.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import re
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from tests.e2e import harness  # noqa: E402
from tests.e2e.flows import _answer, _consent, _post  # noqa: E402
from tests.simulator import const as sim  # noqa: E402

USERNAME = "bench-owner"
PASSWORD = "bench-owner-password"  # noqa: S105 - a throwaway owner of a loopback-only Home Assistant
EMAIL = "50-vehicles@smartcar.com"
RESTARTS = 5
#: Battery sensors (several cars of one model get ``_2``, ``_3`` … suffixes).
BATTERY = re.compile(r"sensor\.[a-z0-9_]+_battery(_\d+)?")


class Stack:
    """The simulator and Home Assistant processes on free loopback ports."""

    def __init__(self, work: Path) -> None:
        """Describe both processes."""
        self.work = work
        self.config = work / "config"
        simulator_port, hass_port = harness.free_port(), harness.free_port()
        self.simulator_origin = f"http://127.0.0.1:{simulator_port}"
        self.base_url = f"http://127.0.0.1:{hass_port}"
        harness.write_hass_config(self.config, hass_port, debug=False)
        harness.seed_onboarding(self.config)
        harness.seed_application_credentials(self.config, harness.simulator_credentials()[:1])
        self.simulator = harness.simulator_process(simulator_port, work)
        self.hass = harness.hass_process(
            self.config, work, harness.smartcar_environment(self.simulator_origin)
        )
        self.token = ""

    async def start_hass(self) -> None:
        """Start Home Assistant and wait until it answers."""
        self.hass.start()
        await harness.wait_for_http(f"{self.base_url}/manifest.json", self.hass, within=300)

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        """The simulator's admin API."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, f"{self.simulator_origin}/_simulator/{path}", json=body
            ) as response,
        ):
            return await response.json(content_type=None)

    async def api(self, path: str) -> Any:
        """Home Assistant's REST API as the owner (GET)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.get(f"{self.base_url}/api/{path}") as response,
        ):
            return await response.json(content_type=None)

    async def add_entry(self) -> float:
        """Add the 50-vehicle account; return how long its last flow step (the set-up) took."""
        headers = {"Authorization": f"Bearer {self.token}", "HA-Frontend-Base": self.base_url}
        flows = f"{self.base_url}/api/config/config_entries/flow"
        async with aiohttp.ClientSession(headers=headers) as session:
            step = await _post(session, flows, {"handler": "smartcar"})
            flow_id = step["flow_id"]
            while step["type"] == "form":
                step = await _post(session, f"{flows}/{flow_id}", _answer(step, sim.API_CLIENT_ID))
            callback = await _consent(step["url"], EMAIL, self.simulator_origin)
            async with aiohttp.ClientSession() as browser, browser.get(callback) as response:
                if response.status != 200:
                    raise harness.HarnessError(f"OAuth callback answered {response.status}")
            started = time.perf_counter()
            step = await _post(session, f"{flows}/{flow_id}", None)
            elapsed = time.perf_counter() - started
        if step["type"] != "create_entry":
            raise harness.HarnessError(f"the flow did not create an entry: {step}")
        return elapsed

    async def startup_seconds(self) -> float:
        """The integration's own set-up time during the last start of Home Assistant."""
        timings = await harness.websocket_command(
            self.base_url, self.token, {"type": "integration/setup_info"}
        )
        return float(next(item["seconds"] for item in timings if item["domain"] == "smartcar"))

    async def with_data(self) -> int:
        """Cars whose battery sensor has a value."""
        states = await self.api("states")
        return sum(
            1
            for state in states
            if BATTERY.fullmatch(state["entity_id"])
            and state["state"] not in ("unavailable", "unknown")
        )

    async def wait_loaded(self) -> None:
        """Wait until the entry is loaded after a start."""
        for _ in range(600):
            entries = await self.api("config/config_entries/entry?domain=smartcar")
            if entries and entries[0]["state"] == "loaded":
                return
            await asyncio.sleep(0.1)
        raise harness.HarnessError("the entry did not load")


async def run() -> dict[str, Any]:
    """Add the account once, restart Home Assistant five times; return the figures."""
    work = Path(tempfile.mkdtemp(prefix="smartcar-bench-setup-"))
    stack = Stack(work)
    try:
        stack.simulator.start()
        await harness.wait_for_http(
            f"{stack.simulator_origin}/_simulator/config", stack.simulator, within=60
        )
        await stack.start_hass()
        stack.token = await harness.onboard(stack.base_url, username=USERNAME, password=PASSWORD)
        await stack.admin("DELETE", "requests")
        cold = await stack.add_entry()
        cold_429 = sum(1 for r in await stack.admin("GET", "requests") if r["status"] == 429)
        samples: list[float] = []
        rate_limited = 0
        with_data = 0
        for _ in range(RESTARTS):
            stack.hass.stop()
            await stack.admin("POST", "clock/advance", {"seconds": 3600})
            await stack.admin("DELETE", "requests")
            await stack.start_hass()
            await stack.wait_loaded()
            samples.append(await stack.startup_seconds())
            rate_limited += sum(
                1 for r in await stack.admin("GET", "requests") if r["status"] == 429
            )
            with_data = await stack.with_data()
        return {
            "median_s": statistics.median(samples),
            "samples_s": samples,
            "cold_s": cold,
            "cold_429": cold_429,
            "restart_429": rate_limited,
            "with_data": with_data,
        }
    finally:
        stack.hass.stop()
        stack.simulator.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(figures: dict[str, Any]) -> str:
    """The one line ``scripts/bench`` prints."""
    return (
        f"setup50: median_s={figures['median_s']:.2f} (Home Assistant restarts, "
        f"{len(figures['samples_s'])} runs: "
        + " ".join(f"{sample:.2f}" for sample in figures["samples_s"])
        + f") battery_values={figures['with_data']} restart_429={figures['restart_429']} "
        f"first_setup_s={figures['cold_s']:.2f} first_setup_429={figures['cold_429']}"
    )


if __name__ == "__main__":
    print(report(asyncio.run(run())))
