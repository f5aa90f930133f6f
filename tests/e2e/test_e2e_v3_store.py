"""End to end: a v3 account whose vehicles are not subscribed yet gets its data once webhooks are on.

Smartcar's v3 store holds nothing for a vehicle until it is subscribed to a webhook. With
auto-enrollment switched off in the simulated dashboard, the second demo user connects the
Nissan: the entry loads, the device exists and a repair says how to get data flowing. Turning
webhooks on in the options (Home Assistant's REST flow API, as the frontend does) with the
dashboard's webhook ID makes Home Assistant subscribe the car through the Management API v3;
Smartcar's first delivery brings the entities with values and the repair goes away. Removing the
entry unsubscribes the car. Everything the test changes on the shared stack is put back.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tests.e2e.flows import add_entry_headless
from tests.simulator import const as sim

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.e2e.plugin import Stack

LEAF = sim.NISSAN_VEHICLE_ID
BATTERY = "sensor.nissan_leaf_battery"
EMPTY_STORE_ISSUE = f"empty_store_{LEAF}"


async def _eventually[T](
    read: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, within: float = 15
) -> T:
    """Poll ``read`` until ``done`` holds for its answer (bounded)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await read()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not there after {within} s: {value}")
        await asyncio.sleep(0.2)


async def _entry_of_leaf(stack: Stack) -> dict[str, Any] | None:
    entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
    return next((item for item in entries if item["title"] == "Nissan LEAF"), None)


async def _issues(stack: Stack) -> dict[str, dict[str, Any]]:
    answer = await stack.ws({"type": "repairs/list_issues"})
    return {issue["issue_id"]: issue for issue in answer["issues"] if issue["domain"] == "smartcar"}


async def _state(stack: Stack, entity_id: str) -> dict[str, Any] | None:
    states = await stack.api("GET", "states")
    return next((item for item in states if item["entity_id"] == entity_id), None)


async def test_unsubscribed_vehicle_gets_data_once_webhooks_are_on(stack: Stack) -> None:
    """Empty store → loaded, device, repair → webhooks on → subscribed → values, no repair."""
    await stack.admin("PATCH", "config", {"auto_enroll": False})
    await stack.ws({"type": "config/core/update", "external_url": stack.base_url})
    entry_id: str | None = None
    try:
        await add_entry_headless(
            stack.base_url, stack.token, stack.simulator_origin, email=sim.SECOND_USER_EMAIL
        )
        entry = await _entry_of_leaf(stack)
        assert entry is not None
        entry_id = entry["entry_id"]
        assert entry["state"] == "loaded"

        # Smartcar holds nothing for the car, and Home Assistant says so and how to fix it.
        store = await stack.admin("GET", f"vehicles/{LEAF}/store")
        assert store["empty"] is True
        assert store["subscribed"] is False
        issue = (await _issues(stack))[EMPTY_STORE_ISSUE]
        assert issue["translation_key"] == "empty_store"
        assert issue["translation_placeholders"]["vehicle"] == "Nissan LEAF"
        assert issue["learn_more_url"].endswith("/webhooks/subscribing-vehicles")
        devices = await stack.ws({"type": "config/device_registry/list"})
        assert [d for d in devices if ["smartcar", LEAF] in d["identifiers"]]
        assert await _state(stack, BATTERY) is None

        # Options → webhooks on with the token → the URL; the webhook is created with it in
        # Smartcar's dashboard, and its ID goes into the step.
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
        assert step["step_id"] == "webhook", step
        assert [field["name"] for field in step["data_schema"]] == ["smartcar_webhook_id"]
        url = step["description_placeholders"]["url"]
        await stack.admin("PUT", f"webhooks/{sim.WEBHOOK_ID}", {"url": url})
        done = await stack.api(
            "POST",
            f"config/config_entries/options/flow/{flow['flow_id']}",
            {"smartcar_webhook_id": sim.WEBHOOK_ID},
        )
        assert done["type"] == "create_entry", done
        # Home Assistant subscribed the car through the Management API v3.
        store = await _eventually(
            lambda: stack.admin("GET", f"vehicles/{LEAF}/store"),
            lambda answer: answer["subscribed"] and not answer["empty"],
        )
        # The entry reloaded with webhooks on: verified within the window the options opened.
        verified = await stack.admin("POST", f"webhooks/{sim.WEBHOOK_ID}/verify")
        assert verified["verified"] is True, verified
        subscribe = await stack.admin("GET", "requests?path=/v3/subscriptions")
        assert [
            item["status"]
            for item in subscribe
            if item["method"] == "POST" and item["json"]["data"]["attributes"]["vehicleId"] == LEAF
        ] == [202]
        # Smartcar's first delivery brings the entities, with values, and the repair goes.
        battery = await _eventually(
            lambda: _state(stack, BATTERY),
            lambda state: state is not None and state["state"] not in ("unknown", "unavailable"),
        )
        assert battery is not None
        assert float(battery["state"]) > 0
        await _eventually(lambda: _issues(stack), lambda issues: EMPTY_STORE_ISSUE not in issues)
        deliveries = await stack.admin("GET", "webhooks/deliveries")
        first = [
            item
            for item in deliveries
            if item["event_type"] == "VEHICLE_STATE" and item["vehicle_id"] == LEAF
        ]
        assert first
        assert first[0]["status"] == 200

        # Removing the entry unsubscribes the car.
        await stack.api("DELETE", f"config/config_entries/entry/{entry_id}")
        entry_id = None
        await _eventually(
            lambda: stack.admin("GET", f"vehicles/{LEAF}/store"),
            lambda answer: not answer["subscribed"],
        )
    finally:
        if entry_id is not None:
            await stack.api("DELETE", f"config/config_entries/entry/{entry_id}")
        await stack.admin("PUT", f"webhooks/{sim.WEBHOOK_ID}", {"url": None})
        await stack.admin("PATCH", "config", {"auto_enroll": True})
        await stack.ws({"type": "config/core/update", "external_url": None})
