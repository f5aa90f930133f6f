"""Smartcar's limits: the monthly billing cap, the app bucket and the per-vehicle throttle."""

from __future__ import annotations

import aiohttp

from tests.simulator import RunningSimulator, const
from tests.simulator.testing import call


async def test_billing_cap_counts_batch_items_and_commands(
    simulator: RunningSimulator,
) -> None:
    """Each batch path and each command count; past the cap: 430 per item, then per request."""
    sim = simulator.simulator
    token = sim.connect_account().access_token
    origin = simulator.origin
    bev = f"{origin}/v2.0/vehicles/{const.BEV_VEHICLE_ID}"
    batch = {"requests": [{"path": "/battery"}, {"path": "/charge"}, {"path": "/odometer"}]}
    async with aiohttp.ClientSession() as session:
        async with session.patch(
            f"{origin}/_simulator/config", json={"billing_limit": 5}
        ) as response:
            assert (await response.json())["billing_limit"] == 5
        first = await call(session, "POST", bev + "/batch", token=token, json=batch)
        assert [item["code"] for item in first.body["responses"]] == [200, 200, 200]
        assert sim.billing.count(const.BEV_VEHICLE_ID, sim.clock.now()) == 3
        unlock = await call(
            session, "POST", bev + "/security", token=token, json={"action": "UNLOCK"}
        )
        assert unlock.status == 200
        permissions = await call(session, "GET", bev + "/permissions", token=token)
        assert permissions.status == 200, "permissions are not billed"
        second = await call(session, "POST", bev + "/batch", token=token, json=batch)
        assert [item["code"] for item in second.body["responses"]] == [200, 430, 430]
        limited = second.body["responses"][1]["body"]
        assert (limited["type"], limited["code"]) == ("BILLING", "VEHICLE_REQUEST_LIMIT")
        assert limited["resolution"] == {"type": "CONTACT_SUPPORT"}
        whole = await call(session, "GET", bev + "/battery", token=token)
        assert (whole.status, whole.body["code"]) == (430, "VEHICLE_REQUEST_LIMIT")
        other = await call(
            session, "GET", f"{origin}/v2.0/vehicles/{const.ICE_VEHICLE_ID}/odometer", token=token
        )
        assert other.status == 200, "the cap is per vehicle"
        async with session.get(f"{origin}/_simulator/billing") as response:
            counts = await response.json()
        assert counts["counts"][const.BEV_VEHICLE_ID] == 5
        assert counts["limit"] == 5

        sim.advance(32 * 24 * 3600)
        token = sim.connect_account().access_token
        fresh = await call(session, "GET", bev + "/battery", token=token)
        assert fresh.status == 200, "a new billing month starts from zero"
        sim.configure(billing_limit=None)
        sim.billing.set(const.BEV_VEHICLE_ID, sim.clock.now(), 10_000)
        uncapped = await call(session, "GET", bev + "/battery", token=token)
        assert uncapped.status == 200


async def test_app_bucket(simulator: RunningSimulator) -> None:
    """120 requests, then 429 SMARTCAR_API; 2 per minute come back; switchable."""
    sim = simulator.simulator
    token = sim.connect_account().access_token
    user = f"{simulator.origin}/v2.0/user"
    async with aiohttp.ClientSession() as session:
        for _ in range(120):
            assert (await call(session, "GET", user, token=token)).status == 200
        limited = await call(session, "GET", user, token=token)
        assert limited.status == 429
        assert (limited.body["type"], limited.body["code"]) == ("RATE_LIMIT", "SMARTCAR_API")
        assert limited.body["resolution"] == {"type": "RETRY_LATER"}
        assert limited.headers["Retry-After"] == "30"
        sim.advance(30)
        assert (await call(session, "GET", user, token=token)).status == 200
        assert (await call(session, "GET", user, token=token)).status == 429
        sim.configure(rate_bucket_capacity=None)
        for _ in range(5):
            assert (await call(session, "GET", user, token=token)).status == 200
        sim.configure(rate_bucket_capacity=2, rate_bucket_refill_per_minute=60)
        assert (await call(session, "GET", user, token=token)).status == 200
        assert (await call(session, "GET", user, token=token)).status == 200
        tight = await call(session, "GET", user, token=token)
        assert tight.headers["Retry-After"] == "1"


async def test_vehicle_throttle(simulator: RunningSimulator) -> None:
    """A per-vehicle window answers 429 VEHICLE with Retry-After in seconds."""
    sim = simulator.simulator
    sim.configure(vehicle_throttle_limit=2, vehicle_throttle_window=10)
    token = sim.connect_account().access_token
    origin = simulator.origin
    bev = f"{origin}/v2.0/vehicles/{const.BEV_VEHICLE_ID}"
    async with aiohttp.ClientSession() as session:
        assert (await call(session, "GET", bev + "/battery", token=token)).status == 200
        sim.advance(4)
        batch = await call(
            session,
            "POST",
            bev + "/batch",
            token=token,
            json={"requests": [{"path": "/battery"}, {"path": "/charge"}]},
        )
        assert batch.status == 200, "a batch is one request for the throttle"
        throttled = await call(session, "GET", bev + "/charge", token=token)
        assert throttled.status == 429
        assert (throttled.body["type"], throttled.body["code"]) == ("RATE_LIMIT", "VEHICLE")
        assert throttled.headers["Retry-After"] == "6"
        other = await call(
            session, "GET", f"{origin}/v2.0/vehicles/{const.ICE_VEHICLE_ID}/odometer", token=token
        )
        assert other.status == 200
        sim.advance(6)
        assert (await call(session, "GET", bev + "/charge", token=token)).status == 200
        sim.configure(vehicle_throttle_limit=None)
        for _ in range(5):
            assert (await call(session, "GET", bev + "/charge", token=token)).status == 200
