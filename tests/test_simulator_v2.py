"""The v2 Vehicles API: bodies and headers, physics on the clock, commands, units, validation."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from tests.simulator import RunningSimulator, const
from tests.simulator.clock import iso_ms
from tests.simulator.testing import call


def _v(origin: str, vehicle_id: str, path: str = "") -> str:
    return f"{origin}/v2.0/vehicles/{vehicle_id}{path}"


async def test_charging_physics_on_the_clock(simulator: RunningSimulator) -> None:
    """11 kW into 77 kWh at 90 % efficiency: +12.86 points an hour, stopping at the limit."""
    sim = simulator.simulator
    token = sim.connect_account().access_token
    start = sim.clock.now()
    url = _v(simulator.origin, const.BEV_VEHICLE_ID)
    async with aiohttp.ClientSession() as session:
        first = await call(session, "GET", url + "/battery", token=token)
        assert first.body["percentRemaining"] == 0.55
        assert first.body["range"] == 286.0
        sim.advance(3600)
        hour = await call(session, "GET", url + "/battery", token=token)
        assert hour.body["percentRemaining"] == 0.6786
        assert hour.headers["SC-Data-Age"] == iso_ms(start + timedelta(hours=1))
        charge = await call(session, "GET", url + "/charge", token=token)
        assert charge.body == {"isPluggedIn": True, "state": "CHARGING"}
        sim.advance(3600)
        token = sim.connect_account().access_token  # the first one expired after 2 h
        done = await call(session, "GET", url + "/battery", token=token)
        assert done.status == 200, done
        assert done.body["percentRemaining"] == 0.8
        assert done.headers["SC-Data-Age"] == iso_ms(start + timedelta(seconds=7000))
        assert done.headers["SC-Fetched-At"] == iso_ms(start + timedelta(hours=2))
        charge = await call(session, "GET", url + "/charge", token=token)
        assert charge.body == {"isPluggedIn": True, "state": "FULLY_CHARGED"}
        raised = await call(
            session, "POST", url + "/charge/limit", token=token, json={"limit": 0.9}
        )
        assert raised.body == {"status": "success", "message": "Charge limit set successfully"}
        charge = await call(session, "GET", url + "/charge", token=token)
        assert charge.body["state"] == "CHARGING"
        sim.advance(600)
    vehicle = sim.vehicle(const.BEV_VEHICLE_ID)
    assert vehicle.soc == pytest.approx(80 + 9.9 / 77 * 100 / 6)
    assert vehicle.minutes_to_complete > 0


async def test_command_state_rules(simulator: RunningSimulator) -> None:
    """Plug, doors, motion, reachability and make quirks decide what a command does."""
    sim = simulator.simulator
    token = sim.connect_account().access_token
    second = sim.connect_account(const.SECOND_USER_EMAIL).access_token
    origin = simulator.origin
    async with aiohttp.ClientSession() as session:

        async def command(vehicle_id: str, path: str, body: object, bearer: str = token) -> object:
            reply = await call(
                session, "POST", _v(origin, vehicle_id, path), token=bearer, json=body
            )
            return reply.status, reply.body.get("code")

        assert await command(const.PHEV_VEHICLE_ID, "/charge", {"action": "START"}) == (
            409,
            "CHARGING_PLUG_NOT_CONNECTED",
        )
        assert await command(const.BEV_VEHICLE_ID, "/charge", {"action": "START"}) == (
            409,
            "CHARGING_IN_PROGRESS",
        )
        assert await command(const.NISSAN_VEHICLE_ID, "/charge", {"action": "STOP"}, second) == (
            501,
            "VEHICLE_NOT_CAPABLE",
        )
        assert await command(const.NISSAN_VEHICLE_ID, "/charge", {"action": "START"}, second) == (
            200,
            None,
        )
        assert await command(const.ICE_VEHICLE_ID, "/charge", {"action": "START"}) == (
            501,
            "VEHICLE_NOT_CAPABLE",
        )
        sim.set_vehicle_state(const.PHEV_VEHICLE_ID, doors={"frontLeft": "OPEN"})
        assert await command(const.PHEV_VEHICLE_ID, "/security", {"action": "LOCK"}) == (
            409,
            "DOOR_OPEN",
        )
        assert await command(const.PHEV_VEHICLE_ID, "/security", {"action": "UNLOCK"}) == (
            200,
            None,
        )
        sim.set_vehicle_state(const.PHEV_VEHICLE_ID, doors={"frontLeft": "CLOSED"}, moving=True)
        assert await command(const.PHEV_VEHICLE_ID, "/security", {"action": "LOCK"}) == (
            409,
            "IN_MOTION",
        )
        sim.set_vehicle_state(const.PHEV_VEHICLE_ID, moving=False, online=False)
        assert await command(const.PHEV_VEHICLE_ID, "/security", {"action": "LOCK"}) == (
            409,
            "UNREACHABLE",
        )
        sim.set_vehicle_state(const.PHEV_VEHICLE_ID, online=True, plugged_in=True)
        phev = await call(session, "GET", _v(origin, const.PHEV_VEHICLE_ID, "/charge"), token=token)
        assert phev.body == {"isPluggedIn": True, "state": "CHARGING"}
        security = await call(
            session, "GET", _v(origin, const.PHEV_VEHICLE_ID, "/security"), token=token
        )
        assert security.body["chargingPort"] == [{"type": "chargingPort", "status": "OPEN"}]
        assert security.body["isLocked"] is False


async def test_bodies_keys_and_units(simulator: RunningSimulator) -> None:
    """Every documented key is present; imperial converts distance, volume and pressure."""
    sim = simulator.simulator
    token = sim.connect_account().access_token
    origin = simulator.origin
    imperial = {"sc-unit-system": "imperial"}
    async with aiohttp.ClientSession() as session:
        fuel = await call(session, "GET", _v(origin, const.ICE_VEHICLE_ID, "/fuel"), token=token)
        assert fuel.body == {"amountRemaining": 16.0, "percentRemaining": 0.3, "range": 210.0}
        assert fuel.headers["SC-Unit-System"] == "metric"
        fuel = await call(
            session,
            "GET",
            _v(origin, const.ICE_VEHICLE_ID, "/fuel"),
            token=token,
            headers=imperial,
        )
        assert fuel.body == {"amountRemaining": 4.23, "percentRemaining": 0.3, "range": 130.49}
        assert fuel.headers["SC-Unit-System"] == "imperial"
        odometer = await call(
            session,
            "GET",
            _v(origin, const.ICE_VEHICLE_ID, "/odometer"),
            token=token,
            headers=imperial,
        )
        assert odometer.body == {"distance": 64.82}
        tires = await call(
            session,
            "GET",
            _v(origin, const.ICE_VEHICLE_ID, "/tires/pressure"),
            token=token,
            headers=imperial,
        )
        assert tires.body == {
            "backLeft": 31.81,
            "backRight": 31.79,
            "frontLeft": 31.78,
            "frontRight": 31.76,
        }
        location = await call(
            session, "GET", _v(origin, const.ICE_VEHICLE_ID, "/location"), token=token
        )
        assert location.body == {"latitude": 37.4292, "longitude": -122.1381}
        assert "SC-Unit-System" not in location.headers
        assert "SC-Data-Age" in location.headers
        security = await call(
            session, "GET", _v(origin, const.ICE_VEHICLE_ID, "/security"), token=token
        )
        assert set(security.body) == {
            "isLocked",
            "doors",
            "windows",
            "sunroof",
            "storage",
            "chargingPort",
        }
        assert security.body["chargingPort"] == []
        oil = await call(
            session, "GET", _v(origin, const.ICE_VEHICLE_ID, "/engine/oil"), token=token
        )
        assert oil.body == {"lifeRemaining": 0.35}
        nominal = await call(
            session,
            "GET",
            _v(origin, const.TESLA_VEHICLE_ID, "/battery/nominal_capacity"),
            token=token,
        )
        assert set(nominal.body) == {"availableCapacities", "capacity", "url"}
        assert nominal.body["url"] is None
        bad_units = await call(
            session,
            "GET",
            _v(origin, const.ICE_VEHICLE_ID, "/odometer"),
            token=token,
            headers={"sc-unit-system": "furlongs"},
        )
        assert (bad_units.status, bad_units.body["type"]) == (400, "VALIDATION")


async def test_input_validation_and_auth(simulator: RunningSimulator) -> None:
    """Smartcar's own answers to malformed bodies, bad values, tokens, scopes and paths."""
    sim = simulator.simulator
    token = sim.connect_account(
        permissions=["read_vehicle_info", "read_battery", "control_charge", "control_security"]
    ).access_token
    origin = simulator.origin
    bev = _v(origin, const.BEV_VEHICLE_ID)
    async with aiohttp.ClientSession() as session:
        malformed = await call(
            session,
            "POST",
            bev + "/security",
            token=token,
            data=b'{"action": ',
            headers={"Content-Type": "application/json"},
        )
        assert malformed.status == 400
        assert malformed.headers["Content-Type"] == "application/json; charset=utf-8"
        assert malformed.body["type"] == "VALIDATION"
        assert malformed.body["code"] is None
        assert malformed.body["detail"][0]["field"] == ["body"]
        assert malformed.body["requestId"] == malformed.headers["SC-Request-Id"]

        batch = await call(session, "POST", bev + "/batch", token=token, json={"request": []})
        assert batch.status == 400
        assert batch.body["detail"] == [
            {"field": ["requests"], "message": '"requests" is required'},
            {"field": ["request"], "message": '"request" is not allowed'},
        ]
        not_array = await call(
            session, "POST", bev + "/batch", token=token, json={"requests": "/battery"}
        )
        assert not_array.body["detail"] == [
            {"field": ["requests"], "message": '"requests" must be an array'}
        ]

        for limit in (0.49, 1.01, "abc", True):
            reply = await call(
                session, "POST", bev + "/charge/limit", token=token, json={"limit": limit}
            )
            assert reply.status == 400, limit
            assert reply.body["type"] == "VALIDATION"
        for limit in ("0.75", 0.5, 1):
            reply = await call(
                session, "POST", bev + "/charge/limit", token=token, json={"limit": limit}
            )
            assert reply.status == 200, limit
        assert sim.vehicles[const.BEV_VEHICLE_ID].charge_limit == 100

        for body in ({"action": "OPEN"}, {}, {"action": "LOCK", "extra": 1}, ["LOCK"]):
            reply = await call(session, "POST", bev + "/security", token=token, json=body)
            assert reply.status == 400, body
            assert reply.body["type"] == "VALIDATION"

        missing = await call(session, "GET", bev + "/battery")
        assert missing.status == 401
        assert (missing.body["type"], missing.body["code"]) == ("AUTHENTICATION", None)
        assert missing.headers["Content-Type"].startswith("application/json")
        invalid = await call(session, "GET", bev + "/battery", token="not-a-token")
        assert invalid.status == 401
        basic = await call(
            session, "GET", bev + "/battery", headers={"Authorization": "Basic Zm9vOmJhcg=="}
        )
        assert basic.status == 401

        scope = await call(session, "GET", bev + "/odometer", token=token)
        assert (scope.status, scope.body["type"], scope.body["code"]) == (403, "PERMISSION", None)
        not_mine = await call(
            session, "GET", _v(origin, const.NISSAN_VEHICLE_ID, "/battery"), token=token
        )
        assert not_mine.status == 403

        for path in ("/nope", "/battery/nope", "/tesla/charge/ammeter"):
            unknown = await call(session, "GET", bev + path, token=token)
            expected = (403, "PERMISSION") if path.startswith("/tesla") else (404, "PATH")
            assert (unknown.status, unknown.body["code"] or unknown.body["type"]) == (
                expected[0],
                expected[1],
            ), path
        wrong_method = await call(session, "PUT", bev + "/battery", token=token)
        assert (wrong_method.status, wrong_method.body["code"]) == (404, "PATH")
        top = await call(session, "GET", f"{origin}/nothing/here")
        assert (top.status, top.body["code"]) == (404, "PATH")

        for url in (bev, bev + "/", f"{origin}/v99999999.99/vehicles/{const.BEV_VEHICLE_ID}"):
            attributes = await call(session, "GET", url, token=token)
            assert attributes.status == 200, url
            assert set(attributes.body) == {"id", "make", "model", "year"}
        version = await call(session, "GET", f"{origin}/vnext/vehicles", token=token)
        assert (version.status, version.body["code"]) == (404, "VERSION")


async def test_batch_item_shapes_and_billing(simulator: RunningSimulator) -> None:
    """Items keep order and paths; errors have no headers; each item is billed."""
    sim = simulator.simulator
    token = sim.connect_account(
        permissions=["read_vehicle_info", "read_fuel", "read_charge", "read_odometer"]
    ).access_token
    async with aiohttp.ClientSession() as session:
        reply = await call(
            session,
            "POST",
            _v(simulator.origin, const.BEV_VEHICLE_ID, "/batch"),
            token=token,
            headers={"sc-unit-system": "imperial"},
            json={
                "requests": [
                    {"path": "/odometer"},
                    {"path": "/charge"},
                    {"path": "/security"},
                    {"path": "/fuel"},
                    {"path": "/"},
                    {"path": "/nope"},
                ]
            },
        )
    assert reply.status == 200
    items = reply.body["responses"]
    assert [item["path"] for item in items] == [
        "/odometer",
        "/charge",
        "/security",
        "/fuel",
        "/",
        "/nope",
    ]
    assert [item["code"] for item in items] == [200, 200, 403, 501, 200, 404]
    odometer, charge, security, fuel, attributes, unknown = items
    assert odometer["headers"]["sc-unit-system"] == "imperial"
    assert set(odometer["headers"]) == {"sc-unit-system", "sc-data-age", "sc-fetched-at"}
    assert set(charge["headers"]) == {"sc-data-age", "sc-fetched-at"}
    assert attributes["body"]["make"] == "VOLKSWAGEN"
    for item in (security, fuel, unknown):
        assert "headers" not in item
        assert item["body"]["requestId"] == reply.headers["SC-Request-Id"]
        assert set(item["body"]) >= {"type", "code", "description", "docURL", "resolution"}
    assert sim.billing.count(const.BEV_VEHICLE_ID, sim.clock.now()) == 3


async def test_vehicles_paging_and_user(simulator: RunningSimulator) -> None:
    """`/vehicles` pages with limit/offset (max 50); `/user` returns the user id."""
    sim = simulator.simulator
    tokens = sim.connect_account("5-vehicles@smartcar.com")
    origin = simulator.origin
    async with aiohttp.ClientSession() as session:
        page = await call(
            session, "GET", f"{origin}/v2.0/vehicles?limit=2&offset=3", token=tokens.access_token
        )
        assert page.body == {
            "paging": {"count": 2, "offset": 3},
            "vehicles": list(tokens.vehicle_ids[3:5]),
        }
        default = await call(session, "GET", f"{origin}/v2.0/vehicles", token=tokens.access_token)
        assert default.body["paging"] == {"count": 5, "offset": 0}
        too_many = await call(
            session, "GET", f"{origin}/v2.0/vehicles?limit=51", token=tokens.access_token
        )
        assert (too_many.status, too_many.body["type"]) == (400, "VALIDATION")
        user = await call(session, "GET", f"{origin}/v2.0/user", token=tokens.access_token)
        assert user.body == {"id": tokens.user_id}


async def test_disconnect_and_webhook_endpoints(simulator: RunningSimulator) -> None:
    """DELETE /application cuts one car; webhook subscribe uses the token, unsubscribe the AMT."""
    sim = simulator.simulator
    tokens = sim.connect_account()
    origin = simulator.origin
    async with aiohttp.ClientSession() as session:
        subscribe = await call(
            session,
            "POST",
            _v(origin, const.ICE_VEHICLE_ID, f"/webhooks/{const.WEBHOOK_ID}"),
            token=tokens.access_token,
        )
        assert subscribe.body == {"webhookId": const.WEBHOOK_ID, "vehicleId": const.ICE_VEHICLE_ID}
        assert const.ICE_VEHICLE_ID in sim.webhooks.webhooks[const.WEBHOOK_ID].subscriptions
        unknown = await call(
            session,
            "POST",
            _v(origin, const.ICE_VEHICLE_ID, "/webhooks/nope"),
            token=tokens.access_token,
        )
        assert unknown.status == 404
        user_token = await call(
            session,
            "DELETE",
            _v(origin, const.ICE_VEHICLE_ID, f"/webhooks/{const.WEBHOOK_ID}"),
            token=tokens.access_token,
        )
        assert user_token.status == 401
        unsubscribe = await call(
            session,
            "DELETE",
            _v(origin, const.ICE_VEHICLE_ID, f"/webhooks/{const.WEBHOOK_ID}"),
            token=const.MANAGEMENT_TOKEN,
        )
        assert unsubscribe.body == {"status": "success"}

        gone = await call(
            session,
            "DELETE",
            _v(origin, const.BEV_VEHICLE_ID, "/application"),
            token=tokens.access_token,
        )
        assert gone.body == {"status": "success"}
        after = await call(
            session, "GET", _v(origin, const.BEV_VEHICLE_ID, "/battery"), token=tokens.access_token
        )
        assert (after.status, after.body["type"]) == (401, "AUTHENTICATION")
        still = await call(
            session, "GET", _v(origin, const.PHEV_VEHICLE_ID, "/battery"), token=tokens.access_token
        )
        assert still.status == 200
        vehicles = await call(session, "GET", f"{origin}/v2.0/vehicles", token=tokens.access_token)
        assert const.BEV_VEHICLE_ID not in vehicles.body["vehicles"]
        amt = await call(
            session,
            "DELETE",
            _v(origin, const.PHEV_VEHICLE_ID, "/application"),
            token=const.MANAGEMENT_TOKEN,
        )
        assert amt.body == {"status": "success"}
        assert sim.connection_for(const.DEMO_USER_ID, const.PHEV_VEHICLE_ID) is None


async def test_drive_and_compatibility(simulator: RunningSimulator) -> None:
    """Driving moves odometer, location, energy; the compatibility API knows the fleet."""
    sim = simulator.simulator
    before = sim.vehicle(const.PHEV_VEHICLE_ID)
    odometer, soc, fuel = before.odometer_km, before.soc, before.fuel_percent
    sim.drive(const.PHEV_VEHICLE_ID, 20.0, heading=0)
    after = sim.vehicle(const.PHEV_VEHICLE_ID)
    assert after.odometer_km == odometer + 20
    assert after.soc == 0
    assert after.fuel_percent < fuel
    assert soc > 0
    import base64

    auth = base64.b64encode(f"{const.APPLICATION_ID}:{const.CLIENT_SECRET}".encode()).decode()
    async with aiohttp.ClientSession() as session:
        reply = await call(
            session,
            "GET",
            f"{simulator.origin}/v2.0/compatibility",
            headers={"Authorization": f"Basic {auth}"},
            params={"vin": const.ICE_VIN, "scope": "read_battery read_fuel", "country": "US"},
        )
        assert reply.body["compatible"] is True
        capable = {item["endpoint"]: item["capable"] for item in reply.body["capabilities"]}
        assert capable["/battery"] is False
        assert capable["/fuel"] is True
        matrix = await call(
            session,
            "GET",
            f"{simulator.origin}/v2.0/compatibility/matrix",
            headers={"Authorization": f"Basic {auth}"},
            params={"region": "US", "make": "TESLA"},
        )
        assert matrix.body["TESLA"][0]["type"] == "BEV"
