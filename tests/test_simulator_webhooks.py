"""Outgoing webhooks: VERIFY, signed VEHICLE_STATE / VEHICLE_ERROR, retries, stable eventId."""

from __future__ import annotations

from dataclasses import dataclass, field
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
import pytest

from tests.simulator import RunningSimulator, const
from tests.simulator.testing import call

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@dataclass
class Receiver:
    """A tiny webhook endpoint on loopback that records what it gets."""

    url: str = ""
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail: int = 0
    correct_answer: bool = True

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Parsed bodies (optionally of one type)."""
        parsed = [json.loads(body) for body in self.bodies]
        return [p for p in parsed if event_type is None or p["eventType"] == event_type]


def _hmac(message: bytes) -> str:
    return hmac.new(const.MANAGEMENT_TOKEN.encode(), message, hashlib.sha256).hexdigest()


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    """Serve a recording webhook endpoint on 127.0.0.1:<free port>."""
    state = Receiver()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        state.bodies.append(body)
        state.headers.append(dict(request.headers))
        payload = json.loads(body)
        if payload["eventType"] == "VERIFY":
            challenge = payload["data"]["challenge"]
            answer = _hmac(challenge.encode()) if state.correct_answer else "wrong"
            return web.json_response({"challenge": answer})
        if state.fail > 0:
            state.fail -= 1
            return web.Response(status=500)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    app.router.add_post("/errors", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture(autouse=True)
def _subscriptions_by_hand(simulator: RunningSimulator) -> None:
    """These tests subscribe cars themselves: no auto-enrollment on connect."""
    simulator.simulator.configure(auto_enroll=False)


async def _configure(running: RunningSimulator, receiver: Receiver, **extra: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        reply = await call(
            session,
            "PUT",
            f"{running.origin}/_simulator/webhooks/{const.WEBHOOK_ID}",
            json={"url": receiver.url, **extra},
        )
    assert reply.status == 200, reply
    return reply.body


async def test_verify_challenge(simulator: RunningSimulator, receiver: Receiver) -> None:
    """Setting the callback URL sends VERIFY; only the HMAC answer verifies the webhook."""
    result = await _configure(simulator, receiver)
    assert result["verify"] == {"verified": True, "status": 200, "error": None}
    (verify,) = receiver.events("VERIFY")
    assert set(verify) == {"eventId", "eventType", "data", "meta"}
    assert verify["meta"]["version"] == "4.0"
    assert verify["meta"]["webhookId"] == const.WEBHOOK_ID
    assert verify["meta"]["deliveredAt"].endswith("Z")
    assert receiver.headers[0]["SC-Signature"] == _hmac(receiver.bodies[0])
    assert receiver.headers[0]["Content-Type"] == "application/json"
    assert receiver.headers[0]["User-Agent"].startswith("Smartcar/")

    receiver.correct_answer = False
    async with aiohttp.ClientSession() as session:
        reply = await call(
            session,
            "POST",
            f"{simulator.origin}/_simulator/webhooks/{const.WEBHOOK_ID}/verify",
        )
    assert reply.body["verified"] is False
    assert simulator.simulator.webhooks.webhooks[const.WEBHOOK_ID].verified is False


async def test_subscription_and_state_events(
    simulator: RunningSimulator,
    receiver: Receiver,
) -> None:
    """Subscribing sends FIRST_DELIVERY; changes of trigger signals send SIGNAL_UPDATED."""
    sim = simulator.simulator
    await _configure(simulator, receiver)
    tokens = sim.connect_account()
    async with aiohttp.ClientSession() as session:
        subscribed = await call(
            session,
            "POST",
            f"{simulator.origin}/v2.0/vehicles/{const.BEV_VEHICLE_ID}/webhooks/{const.WEBHOOK_ID}",
            token=tokens.access_token,
        )
        assert subscribed.status == 200
        await sim.webhooks.drain()
        (first,) = receiver.events("VEHICLE_STATE")
        assert first["triggers"] == [{"type": "FIRST_DELIVERY"}]
        assert first["data"]["user"] == {"id": const.DEMO_USER_ID}
        assert first["data"]["vehicle"] == {
            "id": const.BEV_VEHICLE_ID,
            "make": "VOLKSWAGEN",
            "model": "ID.4",
            "year": 2022,
        }
        meta = first["meta"]
        assert meta["version"] == "4.0"
        assert meta["mode"] == "LIVE"
        assert meta["webhookName"] == const.WEBHOOK_NAME
        assert isinstance(meta["deliveredAt"], int)
        assert meta["signalCount"] == len(first["data"]["signals"])
        soc = next(
            s for s in first["data"]["signals"] if s["code"] == "tractionbattery-stateofcharge"
        )
        assert soc["body"] == {"unit": "percent", "value": 55.0}
        assert soc["status"] == {"value": "SUCCESS"}
        assert set(soc["meta"]) == {"retrievedAt", "oemUpdatedAt"}
        assert all(isinstance(value, int) for value in soc["meta"].values())  # epoch ms
        assert (soc["name"], soc["group"]) == ("StateOfCharge", "TractionBattery")
        for headers, body in zip(receiver.headers, receiver.bodies, strict=True):
            assert headers["SC-Signature"] == _hmac(body)

        unlocked = await call(
            session,
            "POST",
            f"{simulator.origin}/v2.0/vehicles/{const.BEV_VEHICLE_ID}/security",
            token=tokens.access_token,
            json={"action": "UNLOCK"},
        )
        assert unlocked.status == 200
    await sim.webhooks.drain()
    update = receiver.events("VEHICLE_STATE")[-1]
    assert update["triggers"] == [
        {
            "type": "SIGNAL_UPDATED",
            "signal": {"code": "closure-islocked", "name": "IsLocked", "group": "Closure"},
        },
        {
            "type": "SIGNAL_UPDATED",
            "signal": {"code": "closure-doors", "name": "Doors", "group": "Closure"},
        },
    ]
    locked = next(s for s in update["data"]["signals"] if s["code"] == "closure-islocked")
    assert locked["body"] == {"value": False}

    sim.advance(3600)
    await sim.webhooks.drain()
    charged = receiver.events("VEHICLE_STATE")[-1]
    codes = {trigger["signal"]["code"] for trigger in charged["triggers"]}
    assert "tractionbattery-stateofcharge" in codes
    sim.advance(3600)
    await sim.webhooks.drain()
    full = receiver.events("VEHICLE_STATE")[-1]
    status = next(
        s for s in full["data"]["signals"] if s["code"] == "charge-detailedchargingstatus"
    )
    assert status["body"] == {"value": "FULLY_CHARGED"}
    count = len(receiver.events("VEHICLE_STATE"))
    sim.set_vehicle_state(const.ICE_VEHICLE_ID, locked=False)
    await sim.webhooks.drain()
    assert len(receiver.events("VEHICLE_STATE")) == count, "the ICE car is not subscribed"


async def test_retries_keep_the_event_id(
    simulator: RunningSimulator,
    receiver: Receiver,
) -> None:
    """Failed deliveries are retried after 25/50/100 s (scaled) with the same eventId."""
    sim = simulator.simulator
    sim.configure(webhook_retry_scale=0.001)
    await _configure(simulator, receiver)
    receiver.bodies.clear()
    receiver.headers.clear()
    receiver.fail = 2
    sim.webhooks.subscribe(const.WEBHOOK_ID, const.PHEV_VEHICLE_ID)
    await sim.webhooks.drain()
    attempts = receiver.events("VEHICLE_STATE")
    assert len(attempts) == 3
    assert len({event["eventId"] for event in attempts}) == 1
    assert len({event["meta"]["deliveryId"] for event in attempts}) == 3
    deliveries = [d for d in sim.webhooks.deliveries if d.event_type == "VEHICLE_STATE"]
    assert [(d.attempt, d.status, d.ok) for d in deliveries] == [
        (1, 500, False),
        (2, 500, False),
        (3, 204, True),
    ]

    receiver.fail = 10
    sim.set_vehicle_state(const.PHEV_VEHICLE_ID, locked=False)
    await sim.webhooks.drain()
    last = [d for d in sim.webhooks.deliveries if d.event_type == "VEHICLE_STATE"][3:]
    assert [d.attempt for d in last] == [1, 2, 3, 4], "four attempts, then the event is dropped"
    assert len({d.event_id for d in last}) == 1


async def test_vehicle_error_events(
    simulator: RunningSimulator,
    receiver: Receiver,
) -> None:
    """A fault with `webhook: true` sends VEHICLE_ERROR ERROR, and RESOLVED when cleared."""
    sim = simulator.simulator
    error_url = receiver.url.replace("/hook", "/errors")
    await _configure(simulator, receiver, error_url=error_url)
    sim.webhooks.subscribe(const.WEBHOOK_ID, const.BEV_VEHICLE_ID)
    async with aiohttp.ClientSession() as session:
        added = await call(
            session,
            "POST",
            f"{simulator.origin}/_simulator/faults",
            json={
                "vehicle_id": const.BEV_VEHICLE_ID,
                "signal": "closure-islocked",
                "type": "PERMISSION",
                "times": None,
                "webhook": True,
            },
        )
        await sim.webhooks.drain()
        (error,) = receiver.events("VEHICLE_ERROR")
        (item,) = error["data"]["errors"]
        assert item["state"] == "ERROR"
        assert (item["type"], item["code"]) == ("PERMISSION", None)
        assert item["resolution"] == {"type": "REAUTHENTICATE"}
        assert item["signals"] == [
            {"code": "closure-islocked", "name": "IsLocked", "group": "Closure"}
        ]
        assert item["docURL"].endswith("permission-errors#null")
        assert error["data"]["user"] == {"id": const.DEMO_USER_ID}
        delivery = next(d for d in sim.webhooks.deliveries if d.event_type == "VEHICLE_ERROR")
        assert delivery.url == error_url

        sim.webhooks.send_state(const.WEBHOOK_ID, const.BEV_VEHICLE_ID, ["closure-islocked"])
        await sim.webhooks.drain()
        state = receiver.events("VEHICLE_STATE")[-1]
        failed = next(s for s in state["data"]["signals"] if s["code"] == "closure-islocked")
        assert failed["status"] == {
            "value": "ERROR",
            "error": {"code": None, "type": "PERMISSION"},
        }

        await call(session, "DELETE", f"{simulator.origin}/_simulator/faults/{added.body['id']}")
        await sim.webhooks.drain()
        resolved = receiver.events("VEHICLE_ERROR")[-1]
        assert resolved["data"]["errors"][0]["state"] == "RESOLVED"

        manual = await call(
            session,
            "POST",
            f"{simulator.origin}/_simulator/webhooks/{const.WEBHOOK_ID}/events",
            json={
                "event_type": "VEHICLE_ERROR",
                "vehicle_id": const.BEV_VEHICLE_ID,
                "errors": [
                    {
                        "type": "COMPATIBILITY",
                        "code": "VEHICLE_NOT_CAPABLE",
                        "signals": ["internalcombustionengine-fuellevel"],
                    }
                ],
            },
        )
        assert manual.status == 202
        await sim.webhooks.drain()
        assert receiver.events("VEHICLE_ERROR")[-1]["eventId"] == manual.body["eventId"]


async def test_configured_signals_the_car_lacks(
    simulator: RunningSimulator,
    receiver: Receiver,
) -> None:
    """Configured signals a car cannot produce arrive as ERROR VEHICLE_NOT_CAPABLE."""
    sim = simulator.simulator
    await _configure(
        simulator,
        receiver,
        signals=["tractionbattery-stateofcharge", "odometer-traveleddistance"],
        triggers=["odometer-traveleddistance"],
    )
    sim.connect_account()
    sim.webhooks.subscribe(const.WEBHOOK_ID, const.ICE_VEHICLE_ID)
    sim.drive(const.ICE_VEHICLE_ID, 5)
    await sim.webhooks.drain()
    first, driven = receiver.events("VEHICLE_STATE")
    soc, odometer = driven["data"]["signals"]
    assert soc["status"] == {
        "value": "ERROR",
        "error": {"code": "VEHICLE_NOT_CAPABLE", "type": "COMPATIBILITY"},
    }
    assert odometer["body"] == {"unit": "kilometers", "value": 109.32}
    assert driven["triggers"][0]["signal"]["code"] == "odometer-traveleddistance"
    assert first["meta"]["signalCount"] == 2
