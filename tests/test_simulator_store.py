"""The v3 signal store: empty until subscribed, refreshed only when Smartcar retrieves (§4.0).

A car gets data by the Management API v3 (`POST /v3/subscriptions`), by auto-enrollment (an
admin switch) or by the dashboard (an admin call); then on each trigger and on a schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.simulator import RunningSimulator, const
from tests.simulator.clock import iso_ms
from tests.simulator.simulator import Simulator
from tests.simulator.testing import Reply, call

if TYPE_CHECKING:
    from pathlib import Path

BEV = const.BEV_VEHICLE_ID
SIGNALS = f"/v3/vehicles/{BEV}/signals"


@pytest.fixture
def sim(simulator: RunningSimulator) -> Simulator:
    """A simulator as a new Smartcar app has it: no auto-enrollment."""
    simulator.simulator.configure(auto_enroll=False)
    return simulator.simulator


async def _get(session: aiohttp.ClientSession, running: RunningSimulator, path: str) -> Reply:
    return await call(
        session,
        "GET",
        f"{running.origin}{path}",
        token=running.simulator.app_token(),
        headers={"sc-user-id": const.DEMO_USER_ID},
    )


async def _subscribe(
    session: aiohttp.ClientSession, running: RunningSimulator, token: str, **attributes: Any
) -> Reply:
    body = {"webhookId": const.WEBHOOK_ID, "vehicleId": BEV, **attributes}
    return await call(
        session,
        "POST",
        f"{running.origin}/v3/subscriptions",
        token=token,
        json={"data": {"attributes": body}},
    )


def _retrieved(reply: Reply) -> set[str]:
    return {item["meta"]["retrievedAt"] for item in reply.body["data"]}


async def test_store_stays_empty_until_subscribed(
    simulator: RunningSimulator, sim: Simulator
) -> None:
    """Not subscribed: `data: []`, single signals 404; the Management API fills it (202/409)."""
    tokens = sim.connect_account()
    app = sim.app_token()
    async with aiohttp.ClientSession() as session:
        empty = await _get(session, simulator, SIGNALS)
        assert empty.status == 200
        assert empty.body["data"] == []
        assert empty.body["meta"] == {"pageNumber": 1, "pageSize": 0, "totalCount": 0}
        single = await _get(session, simulator, f"{SIGNALS}/vehicleidentification-vin")
        assert (single.status, single.body["errors"][0]["code"]) == (404, "not_found")

        refused = await _subscribe(session, simulator, tokens.access_token)
        assert refused.status == 401
        for attributes in ({"vehicleId": None}, {"webhookId": ""}):
            invalid = await _subscribe(session, simulator, app, **attributes)
            assert (invalid.status, invalid.body["errors"][0]["code"]) == (400, "bad_request")
        unknown = await _subscribe(session, simulator, app, webhookId="nope")
        assert unknown.status == 404
        stranger = await _subscribe(session, simulator, app, userId=const.SECOND_USER_ID)
        assert (stranger.status, stranger.body["errors"][0]["code"]) == (403, "forbidden")
        nissan = await _subscribe(session, simulator, app, vehicleId=const.NISSAN_VEHICLE_ID)
        assert nissan.status == 403, "no connection to the car"

        created = await _subscribe(session, simulator, app, userId=const.DEMO_USER_ID)
        assert created.status == 202
        assert created.body == {"meta": {"message": "subscription creation in progress"}}
        again = await _subscribe(session, simulator, app)
        assert again.status == 409
        assert again.body["errors"][0]["code"] == "conflict"

        filled = await _get(session, simulator, SIGNALS)
        assert filled.body["meta"]["totalCount"] > 20
        assert _retrieved(filled) == {iso_ms(sim.clock.now())}
        vin = await _get(session, simulator, f"{SIGNALS}/vehicleidentification-vin")
        assert vin.body["data"]["attributes"]["body"] == {"value": const.BEV_VIN}
        other = await _get(session, simulator, f"/v3/vehicles/{const.ICE_VEHICLE_ID}/signals")
        assert other.body["data"] == [], "only the subscribed car has data"


async def test_reads_between_retrievals_are_identical(
    simulator: RunningSimulator, sim: Simulator
) -> None:
    """Same values and retrievedAt until a trigger or the schedule makes Smartcar retrieve."""
    sim.configure(auto_enroll=True, store_refresh_seconds=1800)
    sim.connect_account()
    sim.set_vehicle_state(BEV, charging=False)
    async with aiohttp.ClientSession() as session:
        first = await _get(session, simulator, SIGNALS)
        sim.advance(600)
        sim.set_vehicle_state(BEV, tire_kpa={"frontLeft": 180.0})  # not a trigger signal
        second = await _get(session, simulator, SIGNALS)
        assert second.body["data"] == first.body["data"]

        sim.drive(BEV, 12)  # odometer and location are triggers
        driven = await _get(session, simulator, SIGNALS)
        assert _retrieved(driven) == {iso_ms(sim.clock.now())}
        odometer = next(i for i in driven.body["data"] if i["id"] == "odometer-traveleddistance")
        assert odometer["meta"]["oemUpdatedAt"] == iso_ms(sim.clock.now())
        tires = next(i for i in driven.body["data"] if i["id"] == "wheel-tires")
        assert tires["attributes"]["body"]["values"][0]["tirePressure"] == 1.8

        sim.advance(1799)
        assert (await _get(session, simulator, SIGNALS)).body == driven.body
        sim.advance(1)  # the schedule
        scheduled = await _get(session, simulator, SIGNALS)
        assert _retrieved(scheduled) == {iso_ms(sim.clock.now())}

        sim.configure(store_refresh_seconds=None)
        sim.advance(7 * 24 * 3600)
        assert _retrieved(await _get(session, simulator, SIGNALS)) == _retrieved(scheduled)


async def test_charging_refreshes_the_store(simulator: RunningSimulator, sim: Simulator) -> None:
    """While charging the state of charge changes, a trigger: each retrieval is newer."""
    sim.configure(auto_enroll=True, store_refresh_seconds=None)
    sim.connect_account()
    async with aiohttp.ClientSession() as session:
        before = await _get(session, simulator, SIGNALS)
        sim.advance(900)
        after = await _get(session, simulator, SIGNALS)
    soc = {
        reply: next(i for i in reply.body["data"] if i["id"] == "tractionbattery-stateofcharge")
        for reply in (before, after)
    }
    assert soc[after]["attributes"]["body"]["value"] > soc[before]["attributes"]["body"]["value"]
    assert soc[after]["meta"]["retrievedAt"] == iso_ms(sim.clock.now())


async def test_unsubscribe_stops_the_refresh(simulator: RunningSimulator, sim: Simulator) -> None:
    """DELETE /v3/webhooks/{id}/subscriptions/{vehicle}: 204, then 404.

    The store keeps its last values and is no longer refreshed.
    """
    sim.connect_account()
    app = sim.app_token()
    url = f"{simulator.origin}/v3/webhooks/{const.WEBHOOK_ID}/subscriptions/{BEV}"
    async with aiohttp.ClientSession() as session:
        assert (await _subscribe(session, simulator, app)).status == 202
        kept = await _get(session, simulator, SIGNALS)
        removed = await call(session, "DELETE", url, token=app)
        assert removed.status == 204
        gone = await call(session, "DELETE", url, token=app)
        assert gone.status == 404
        unknown = await call(session, "DELETE", url.replace(const.WEBHOOK_ID, "nope"), token=app)
        assert unknown.status == 404
        refused = await call(session, "DELETE", url, token="not-a-token")
        assert refused.status == 401
        sim.drive(BEV, 5)
        sim.advance(2 * 3600)
        assert (await _get(session, simulator, SIGNALS)).body == kept.body


async def test_auto_enrollment_and_dashboard(simulator: RunningSimulator, sim: Simulator) -> None:
    """The admin switch enrolls connected cars and new ones; the dashboard subscribes one."""
    origin = simulator.origin
    sim.connect_account(vehicle_ids=[BEV])
    async with aiohttp.ClientSession() as session:
        view = await call(session, "GET", f"{origin}/_simulator/vehicles/{BEV}/store")
        assert view.body == {
            "vehicle_id": BEV,
            "subscribed": False,
            "empty": True,
            "retrieved_at": None,
            "retrievals": 0,
            "signals": {},
        }
        switched = await call(
            session, "PATCH", f"{origin}/_simulator/config", json={"auto_enroll": True}
        )
        assert switched.body["auto_enroll"] is True
        view = await call(session, "GET", f"{origin}/_simulator/vehicles/{BEV}/store")
        assert (view.body["subscribed"], view.body["empty"], view.body["retrievals"]) == (
            True,
            False,
            1,
        )
        assert view.body["signals"]["vehicleidentification-vin"] == {"value": const.BEV_VIN}
        sim.connect_account(const.SECOND_USER_EMAIL)  # a new connection is enrolled at once
        assert sim.store.get(const.NISSAN_VEHICLE_ID) is not None
        sim.connect_account(vehicle_ids=[BEV])  # already enrolled: nothing new
        assert sim.store.vehicles[BEV].retrievals == 1

        sim.configure(auto_enroll=False)
        sim.connect_account(vehicle_ids=[const.ICE_VEHICLE_ID])
        assert sim.store.get(const.ICE_VEHICLE_ID) is None
        dashboard = await call(
            session,
            "POST",
            f"{origin}/_simulator/webhooks/{const.WEBHOOK_ID}/subscriptions",
            json={"vehicle_id": const.ICE_VEHICLE_ID},
        )
        assert const.ICE_VEHICLE_ID in dashboard.body["subscriptions"]
        assert sim.store.get(const.ICE_VEHICLE_ID) is not None

        fetched = await call(session, "POST", f"{origin}/_simulator/vehicles/{BEV}/retrieve")
        assert fetched.body["retrievals"] == 2
        missing = await call(session, "POST", f"{origin}/_simulator/vehicles/nope/retrieve")
        assert missing.status == 404


async def test_store_survives_the_state_file(
    simulator: RunningSimulator, sim: Simulator, tmp_path: Path
) -> None:
    """Saved and loaded with the rest of the world; a deleted connection empties it."""
    sim.configure(auto_enroll=True)
    sim.connect_account()
    stored = sim.store.vehicles[BEV]
    path = sim.save(tmp_path / "state.json")
    other = Simulator()
    other.load(path)
    assert other.store.vehicles[BEV] == stored
    # A state saved before auto-enrollment: switched on at start, its connected cars enroll.
    sim.webhooks.unsubscribe(const.WEBHOOK_ID, const.ICE_VEHICLE_ID)
    sim.store.forget(const.ICE_VEHICLE_ID)
    sim.save(path)
    enrolled = Simulator(state_file=path, auto_enroll=True)
    assert enrolled.webhooks.is_subscribed(const.ICE_VEHICLE_ID)
    assert enrolled.store.get(const.ICE_VEHICLE_ID) is not None
    assert enrolled.store.vehicles[BEV] == stored
    connection = sim.connection_for(const.DEMO_USER_ID, BEV)
    assert connection is not None
    sim.delete_connection(connection)
    assert sim.store.get(BEV) is None


async def test_connections_default_to_live(simulator: RunningSimulator, sim: Simulator) -> None:
    """Without `filter[vehicle.mode]` only live vehicles are listed (§4.0 item 3)."""
    sim.connect_account()
    sim.connect_account(const.SECOND_USER_EMAIL, mode="simulated")
    async with aiohttp.ClientSession() as session:
        live = await call(
            session, "GET", f"{simulator.origin}/v3/connections", token=sim.app_token()
        )
        assert live.body["meta"]["totalCount"] == 4
        assert "filter%5Bvehicle.mode%5D=live" in live.body["links"]["self"]
        simulated = await call(
            session,
            "GET",
            f"{simulator.origin}/v3/connections",
            token=sim.app_token(),
            params={"filter[vehicle.mode]": "simulated"},
        )
        (nissan,) = simulated.body["data"]
        assert nissan["attributes"]["vehicle"]["mode"] == "simulated"
