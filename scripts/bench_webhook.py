"""Webhook benchmark against a real `hass` process over loopback (run through scripts/bench).

It starts the simulator and Home Assistant with the end-to-end harness, adds the demo account,
turns webhooks on in the options over the REST API (the verification window opens) and lets the
simulator verify the webhook and send its first delivery, which becomes the template: a
VEHICLE_STATE with the 29 signals the simulator knows plus one the integration does not,
30 signals in all. Then:

* latency: deliveries one after the other, each with new values; the time from sending the
  request to receiving the HTTP answer. Home Assistant merges the delivery into the coordinator
  and writes the entity states before it answers, so this covers the coordinator update. The
  time until the battery sensor's ``state_changed`` reaches a websocket client is measured too.
* burst: 1,000 deliveries, 10 concurrently: 900 events, 100 of them redelivered (duplicates) and
  100 arriving after a newer one (reordered). At the end the coordinator's readings (from the
  entry's diagnostics) must equal exactly what the newest event holds, and so must the battery
  sensor.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import asdict, is_dataclass
from datetime import datetime
import hashlib
import hmac
import json
from pathlib import Path
import random
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from custom_components.smartcar.api import parse_webhook  # noqa: E402
from tests.e2e import harness  # noqa: E402
from tests.e2e.flows import add_entry_headless  # noqa: E402
from tests.simulator import const as sim  # noqa: E402
from tests.simulator.signals import SIGNALS  # noqa: E402

USERNAME = "bench-owner"
PASSWORD = "bench-owner-password"  # noqa: S105 - a throwaway owner of a loopback-only Home Assistant
LATENCY_SAMPLES = 500
WARM_UP = 20
BURST_EVENTS = 900
BURST_DUPLICATES = 100
BURST_REORDERED = 100
BURST_CONCURRENCY = 10
BATTERY = "sensor.volkswagen_id_4_battery"


def _sign(body: bytes) -> str:
    return hmac.new(sim.MANAGEMENT_TOKEN.encode(), body, hashlib.sha256).hexdigest()


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Stack:
    """The simulator and Home Assistant processes, and the owner's token."""

    def __init__(self, work: Path) -> None:
        """Describe both processes on free loopback ports."""
        self.work = work
        config = work / "config"
        simulator_port, hass_port = harness.free_port(), harness.free_port()
        self.simulator_origin = f"http://127.0.0.1:{simulator_port}"
        self.base_url = f"http://127.0.0.1:{hass_port}"
        harness.write_hass_config(config, hass_port, debug=False)
        harness.seed_onboarding(config)
        harness.seed_application_credentials(config, harness.simulator_credentials()[:1])
        self.simulator = harness.simulator_process(simulator_port, work, "--billing-limit", "0")
        self.hass = harness.hass_process(
            config, work, harness.smartcar_environment(self.simulator_origin)
        )
        self.token = ""

    async def start(self) -> None:
        """Start both, onboard the owner and add the demo account's entry."""
        self.simulator.start()
        await harness.wait_for_http(
            f"{self.simulator_origin}/_simulator/config", self.simulator, within=60
        )
        self.hass.start()
        await harness.wait_for_http(f"{self.base_url}/manifest.json", self.hass, within=300)
        self.token = await harness.onboard(self.base_url, username=USERNAME, password=PASSWORD)
        await add_entry_headless(self.base_url, self.token, self.simulator_origin)

    def stop(self) -> None:
        """Stop both processes."""
        self.hass.stop()
        self.simulator.stop()

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        """Home Assistant's REST API as the owner."""
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"}) as session,
            session.request(method, f"{self.base_url}/api/{path}", json=body) as response,
        ):
            if response.status >= 400:
                raise harness.HarnessError(f"{method} {path}: {response.status}")
            return await response.json(content_type=None)

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        """The simulator's admin API."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, f"{self.simulator_origin}/_simulator/{path}", json=body
            ) as response,
        ):
            if response.status >= 400:
                raise harness.HarnessError(f"{method} {path}: {response.status}")
            return await response.json(content_type=None)


async def _enable_webhooks(stack: Stack) -> tuple[str, str]:
    """Turn webhooks on in the options, as the UI does; return the entry id and webhook URL."""
    await harness.websocket_command(
        stack.base_url, stack.token, {"type": "config/core/update", "external_url": stack.base_url}
    )
    entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
    entry_id = entries[0]["entry_id"]
    flow = await stack.api("POST", "config/config_entries/options/flow", {"handler": entry_id})
    step = await stack.api(
        "POST",
        f"config/config_entries/options/flow/{flow['flow_id']}",
        {
            "polling_mode": "balanced",
            "interval_minutes": 720,
            "monthly_budget": 500,
            "push": "on",
            "management_token": sim.MANAGEMENT_TOKEN,
        },
    )
    if step.get("step_id") != "webhook":
        raise harness.HarnessError(f"no webhook step: {step}")
    url = step["description_placeholders"]["url"]
    await stack.api(
        "POST",
        f"config/config_entries/options/flow/{flow['flow_id']}",
        {"smartcar_webhook_id": sim.WEBHOOK_ID},
    )
    for _ in range(300):
        entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
        if entries[0]["state"] == "loaded":
            return entry_id, url
        await asyncio.sleep(0.1)
    raise harness.HarnessError(f"the entry did not load again: {entries}")


async def _template(stack: Stack, url: str) -> dict[str, Any]:
    """Let the simulator verify the webhook and send its first delivery; return that payload."""
    signals = [signal.code for signal in SIGNALS]
    answer = await stack.admin(
        "PUT", f"webhooks/{sim.WEBHOOK_ID}", {"url": url, "signals": signals, "verify": True}
    )
    if not (answer.get("verify") or {}).get("verified"):
        raise harness.HarnessError(f"the simulator could not verify the webhook: {answer}")
    await stack.admin(
        "POST", f"webhooks/{sim.WEBHOOK_ID}/subscriptions", {"vehicle_id": sim.BEV_VEHICLE_ID}
    )
    for _ in range(100):
        deliveries = await stack.admin("GET", "webhooks/deliveries")
        states = [item for item in deliveries if item["event_type"] == "VEHICLE_STATE"]
        if states and states[-1]["ok"]:
            payload: dict[str, Any] = states[-1]["payload"]
            payload["data"]["signals"].append(
                {
                    "code": "vehicleuseraccount-role",
                    "name": "Role",
                    "group": "VehicleUserAccount",
                    "body": {"value": "OWNER"},
                    "status": {"value": "SUCCESS"},
                }
            )
            return payload
        await asyncio.sleep(0.1)
    raise harness.HarnessError("the simulator's first delivery did not arrive")


def _event(template: dict[str, Any], index: int, base_ms: int) -> bytes:
    """Delivery ``index``: new values, recorded ``index`` seconds after ``base_ms``."""
    payload = copy.deepcopy(template)
    payload["eventId"] = f"bench-{index}"
    payload["meta"]["deliveryId"] = f"bench-delivery-{index}"
    when = base_ms + index * 1000
    values: dict[str, Any] = {
        "tractionbattery-stateofcharge": 20 + index % 80 + 0.5,
        "tractionbattery-range": 100.0 + index % 300,
        "odometer-traveleddistance": 20000.0 + index * 0.25,
        "charge-voltage": 200.0 + index % 40,
        "charge-amperage": 10.0 + index % 30,
        "charge-wattage": 2000 + index % 9000,
        "charge-timetocomplete": index % 600,
        "closure-islocked": index % 2 == 0,
    }
    for signal in payload["data"]["signals"]:
        if signal.get("status", {}).get("value") != "SUCCESS":
            continue
        if signal["code"] in values:
            signal["body"]["value"] = values[signal["code"]]
        if signal["code"] == "charge-chargelimits":
            limit = 50 + index % 51
            signal["body"]["activeLimit"] = limit
            for item in signal["body"]["values"]:
                item["limit"] = limit
        if signal["code"] == "location-preciselocation":
            signal["body"]["latitude"] = 52.0 + index / 10_000
        signal["meta"] = {"oemUpdatedAt": when, "retrievedAt": when}
    return json.dumps(payload, separators=(",", ":")).encode()


async def _watch_battery(stack: Stack, changes: asyncio.Queue[tuple[str, float]]) -> None:
    """Put every new state of the battery sensor, with its arrival time, on ``changes``."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{stack.base_url.replace('http', 'ws', 1)}/api/websocket") as ws,
    ):
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": stack.token})
        await ws.receive_json()
        await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
        async for message in ws:
            data = json.loads(message.data)
            event = data.get("event", {}).get("data", {})
            if event.get("entity_id") == BATTERY and event.get("new_state"):
                changes.put_nowait((event["new_state"]["state"], time.perf_counter()))


async def _latency(
    stack: Stack, url: str, template: dict[str, Any], base_ms: int
) -> tuple[list[float], list[float], int]:
    """Sequential deliveries: answer times and state_changed times (ms), and failures."""
    changes: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
    watcher = asyncio.create_task(_watch_battery(stack, changes))
    await asyncio.sleep(0.5)
    answers: list[float] = []
    seen: list[float] = []
    errors = 0
    async with aiohttp.ClientSession() as session:
        for index in range(WARM_UP + LATENCY_SAMPLES):
            body = _event(template, index, base_ms)
            expected = str(20 + index % 80 + 0.5)
            headers = {"SC-Signature": _sign(body), "Content-Type": "application/json"}
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                answered = time.perf_counter()
                errors += response.status != 200
            state, arrived = await asyncio.wait_for(changes.get(), 10)
            while state != expected:
                state, arrived = await asyncio.wait_for(changes.get(), 10)
            if index >= WARM_UP:
                answers.append((answered - start) * 1000)
                seen.append((arrived - start) * 1000)
    watcher.cancel()
    return answers, seen, errors


def _burst_order(first: int) -> list[int]:
    """Event indexes in delivery order: 100 redeliveries and 100 arrivals after newer ones."""
    events = list(range(first, first + BURST_EVENTS))
    rng = random.Random(20261202)  # noqa: S311 - a repeatable order, not a secret
    # Swap 100 disjoint neighbours: the older of each pair arrives after the newer one. The
    # newest event is among them, so the very last delivery is an older one.
    pairs = {BURST_EVENTS - 2, *rng.sample(range(0, BURST_EVENTS - 3, 2), BURST_REORDERED - 1)}
    for position in pairs:
        events[position], events[position + 1] = events[position + 1], events[position]
    for _ in range(BURST_DUPLICATES):
        position = rng.randrange(1, len(events))
        events.insert(position, events[rng.randrange(max(0, position - 20), position)])
    return events


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {key: _plain(item) for key, item in asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def _burst(
    stack: Stack, url: str, template: dict[str, Any], base_ms: int, entry_id: str
) -> tuple[bool, int]:
    """Send the burst; return whether the final state is exactly the newest event's, and errors."""
    first = WARM_UP + LATENCY_SAMPLES
    order = _burst_order(first)
    bodies = {index: _event(template, index, base_ms) for index in set(order)}
    gate = asyncio.Semaphore(BURST_CONCURRENCY)
    errors = 0

    async def deliver(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal errors
        body = bodies[index]
        async with gate:
            try:
                async with session.post(
                    url, data=body, headers={"SC-Signature": _sign(body)}
                ) as response:
                    await response.read()
                    errors += response.status != 200
            except aiohttp.ClientError:
                errors += 1

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(deliver(session, index) for index in order))

    newest = parse_webhook(bodies[max(order)])
    diagnostics = await stack.api("GET", f"diagnostics/config_entry/{entry_id}")
    vehicle = next(
        item for item in diagnostics["data"]["vehicles"] if item["vehicle_id"] == sim.BEV_VEHICLE_ID
    )
    readings = vehicle["state"]["readings"]
    exact = True
    for field, reading in newest.state.readings():  # type: ignore[union-attr]
        held = readings.get(str(field))
        if held == "**REDACTED**":
            continue  # the location is redacted in diagnostics
        expected = {
            "value": _plain(reading.value),
            "data_age": _plain(reading.data_age),
            "fetched_at": _plain(reading.fetched_at),
        }
        exact = exact and json.loads(json.dumps(expected)) == held
    state = await stack.api("GET", f"states/{BATTERY}")
    newest_soc = newest.state.battery_level  # type: ignore[union-attr]
    exact = exact and newest_soc is not None and state["state"] == str(newest_soc.value)
    return exact, errors


async def run() -> dict[str, Any]:
    """Run the webhook benchmark once; return its figures."""
    work = Path(tempfile.mkdtemp(prefix="smartcar-bench-"))
    stack = Stack(work)
    try:
        await stack.start()
        entry_id, url = await _enable_webhooks(stack)
        template = await _template(stack, url)
        base_ms = int(time.time() * 1000) + 60_000
        answers, seen, latency_errors = await _latency(stack, url, template, base_ms)
        exact, burst_errors = await _burst(stack, url, template, base_ms, entry_id)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "p50_ms": statistics.median(answers),
        "p99_ms": _percentile(answers, 0.99),
        "burst_final_state": "exact" if exact else "mismatch",
        "errors": latency_errors + burst_errors,
        "signals": len(template["data"]["signals"]),
        "state_changed_p50_ms": statistics.median(seen),
        "state_changed_p99_ms": _percentile(seen, 0.99),
    }


def report(figures: dict[str, Any]) -> str:
    """The result line, and a line saying what was measured."""
    return (
        f"webhook: p50_ms={figures['p50_ms']:.2f} p99_ms={figures['p99_ms']:.2f} "
        f"burst_final_state={figures['burst_final_state']} errors={figures['errors']}\n"
        f"  measured: {LATENCY_SAMPLES} sequential {figures['signals']}-signal deliveries to a "
        "real hass over loopback, from sending the request to receiving the HTTP answer (Home "
        "Assistant updates the coordinator and writes the entity states before it answers); "
        "until state_changed reaches a websocket client: "
        f"p50_ms={figures['state_changed_p50_ms']:.2f} "
        f"p99_ms={figures['state_changed_p99_ms']:.2f}. Burst: "
        f"{BURST_EVENTS + BURST_DUPLICATES} deliveries ({BURST_DUPLICATES} duplicates, "
        f"{BURST_REORDERED} after a newer one), {BURST_CONCURRENCY} at a time; final state "
        "compared with the newest event in the coordinator (diagnostics) and the battery sensor."
    )


if __name__ == "__main__":
    print(report(asyncio.run(run())))
