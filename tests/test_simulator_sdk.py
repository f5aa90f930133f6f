"""Conformance: the official `smartcar` SDK (6.19.1) used as a client of the simulator.

If the simulator's wire format were wrong, Smartcar's own SDK would fail to parse it or would
raise the wrong exception; these tests drive every SDK call the integration relies on through
real loopback HTTP. The SDK reads its origins from the environment at import time
(`smartcar/config.py`), so the tests patch the module attributes as well as the variables.
"""

from __future__ import annotations

import aiohttp
import pytest
import smartcar
from smartcar import SmartcarException
import smartcar.config
from smartcar.smartcar import get_vehicle

from tests.simulator import RunningSimulator, challenge_answer, const, sign
from tests.simulator.testing import approve, in_thread

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

REDIRECT_URI = "http://localhost:8123/auth/external/callback"


@pytest.fixture
def sdk(simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> RunningSimulator:
    """Point the SDK at the simulator (variables and the module attributes read at import)."""
    origin = simulator.origin
    values = {
        "SMARTCAR_API_ORIGIN": ("API_ORIGIN", origin),
        "SMARTCAR_AUTH_ORIGIN": ("AUTH_ORIGIN", f"{origin}/oauth/token"),
        "SMARTCAR_CONNECT_ORIGIN": ("CONNECT_ORIGIN", origin),
        "SMARTCAR_MANAGEMENT_API_ORIGIN": ("MANAGEMENT_API_ORIGIN", origin),
        "SMARTCAR_VEHICLE_API_V3_ORIGIN": ("VEHICLE_API_ORIGIN", origin),
    }
    for variable, (attribute, value) in values.items():
        monkeypatch.setenv(variable, value)
        monkeypatch.setattr(smartcar.config, attribute, value)
    return simulator


def _client() -> smartcar.AuthClient:
    return smartcar.AuthClient(
        client_id=const.APPLICATION_ID,
        client_secret=const.CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        mode="simulated",
    )


async def test_connect_code_exchange_and_refresh(sdk: RunningSimulator) -> None:
    """get_auth_url → consent form → exchange_code → exchange_refresh_token."""
    client = _client()
    url = client.get_auth_url(
        ["required:read_vehicle_info", "read_vin", "read_battery", "control_charge"],
        {"state": "csrf-123", "force_prompt": True, "single_select": {"enabled": False}},
    )
    async with aiohttp.ClientSession() as session:
        target = await approve(
            session, url, vehicle_ids=[const.BEV_VEHICLE_ID, const.TESLA_VEHICLE_ID]
        )
    assert str(target).startswith(REDIRECT_URI)
    assert target.query["state"] == "csrf-123"
    assert target.query["user_id"] == const.DEMO_USER_ID
    code = target.query["code"]

    access = await in_thread(client.exchange_code, code)
    assert access.token_type == "Bearer"
    assert access.expires_in == 7200
    assert access.access_token
    assert access.refresh_token

    user = await in_thread(smartcar.get_user, access.access_token)
    assert user.id == const.DEMO_USER_ID
    assert user.meta.request_id
    vehicles = await in_thread(smartcar.get_vehicles, access.access_token)
    assert vehicles.vehicles == [const.BEV_VEHICLE_ID, const.TESLA_VEHICLE_ID]
    assert vehicles.paging.count == 2
    assert vehicles.paging.offset == 0

    refreshed = await in_thread(client.exchange_refresh_token, access.refresh_token)
    assert refreshed.refresh_token != access.refresh_token
    assert refreshed.access_token != access.access_token

    with pytest.raises(SmartcarException) as reused:
        await in_thread(client.exchange_code, code)
    assert reused.value.status_code == 400
    assert reused.value.type == "invalid_grant"
    assert reused.value.message == f"Invalid code: {code}."

    with pytest.raises(SmartcarException) as bad_refresh:
        await in_thread(client.exchange_refresh_token, "THIS_SHOULD_NOT_WORK")
    assert bad_refresh.value.status_code == 400
    assert bad_refresh.value.type == "invalid_grant"
    assert bad_refresh.value.message == "Invalid refresh_token: THIS_SHOULD_NOT_WORK."

    wrong_secret = smartcar.AuthClient(
        client_id=const.APPLICATION_ID, client_secret="nope", redirect_uri=REDIRECT_URI
    )
    with pytest.raises(SmartcarException) as bad_client:
        await in_thread(wrong_secret.exchange_refresh_token, refreshed.refresh_token)
    assert bad_client.value.status_code == 401
    assert bad_client.value.type == "invalid_client"


async def test_vehicle_reads(sdk: RunningSimulator) -> None:
    """Every v2 read the SDK offers parses, with the meta headers it maps."""
    sim = sdk.simulator
    token = sim.connect_account(
        permissions=[
            *const.DEFAULT_SCOPES,
            "read_service_history",
            "read_diagnostics",
        ]
    ).access_token
    bev = smartcar.Vehicle(const.BEV_VEHICLE_ID, token)
    attributes = await in_thread(bev.attributes)
    assert (attributes.id, attributes.make, attributes.model, attributes.year) == (
        const.BEV_VEHICLE_ID,
        "VOLKSWAGEN",
        "ID.4",
        2022,
    )
    assert attributes.meta.data_age.endswith("Z")
    assert (await in_thread(bev.vin)).vin == const.BEV_VIN
    battery = await in_thread(bev.battery)
    assert 0 < battery.percent_remaining <= 1
    assert battery.meta.unit_system == "metric"
    assert battery.meta.fetched_at.endswith("Z")
    charge = await in_thread(bev.charge)
    assert (charge.is_plugged_in, charge.state) == (True, "CHARGING")
    assert (await in_thread(bev.get_charge_limit)).limit == 0.8
    assert (await in_thread(bev.battery_capacity)).capacity == 77.0
    nominal = await in_thread(bev.nominal_capacity)
    assert nominal.capacity == {"nominal": 77.0, "source": "SMARTCAR"}
    assert [item.capacity for item in nominal.availableCapacities] == [62.0, 77.0]
    odometer = await in_thread(bev.odometer)
    assert odometer.distance == 18234.5
    location = await in_thread(bev.location)
    assert (location.latitude, location.longitude) == (52.520008, 13.404954)
    lock = await in_thread(bev.lock_status)
    assert lock.is_locked is True
    assert [door["type"] for door in lock.doors] == [
        "frontLeft",
        "frontRight",
        "backLeft",
        "backRight",
    ]
    assert lock.charging_port == [{"type": "chargingPort", "status": "OPEN"}]
    tires = await in_thread(bev.tire_pressure)
    assert tires.front_left == 250.0
    permissions = await in_thread(bev.permissions, {"limit": 3, "offset": 1})
    assert permissions.permissions == ["read_vin", "read_battery", "read_charge"]
    assert (permissions.paging.count, permissions.paging.offset) == (3, 1)

    phev = smartcar.Vehicle(const.PHEV_VEHICLE_ID, token, {"unit_system": "imperial"})
    fuel = await in_thread(phev.fuel)
    assert fuel.percent_remaining == 0.62
    assert fuel.amount_remaining == round(55 * 0.62 / 3.785411784, 2)
    assert fuel.meta.unit_system == "imperial"
    assert (await in_thread(phev.engine_oil)).life_remaining == 0.71

    ice = smartcar.Vehicle(const.ICE_VEHICLE_ID, token)
    history = await in_thread(ice.service_history)
    assert history.items[0]["serviceTasks"][0]["taskDescription"] == "oil change"
    systems = await in_thread(ice.diagnostic_system_status)
    assert systems.systems[0].system_id == "SYSTEM_TPMS"
    codes = await in_thread(ice.diagnostic_trouble_codes)
    assert codes.active_codes[0].code == "P0123"


async def test_commands(sdk: RunningSimulator) -> None:
    """lock/unlock, start/stop charge and the charge limit change the simulated car."""
    sim = sdk.simulator
    token = sim.connect_account().access_token
    bev = smartcar.Vehicle(const.BEV_VEHICLE_ID, token)
    result = await in_thread(bev.unlock)
    assert result.status == "success"
    assert result.message
    assert sim.vehicles[const.BEV_VEHICLE_ID].locked is False
    assert (await in_thread(bev.lock)).status == "success"
    assert sim.vehicles[const.BEV_VEHICLE_ID].locked is True
    assert (await in_thread(bev.stop_charge)).status == "success"
    assert (await in_thread(bev.charge)).state == "NOT_CHARGING"
    assert (await in_thread(bev.start_charge)).status == "success"
    assert (await in_thread(bev.charge)).state == "CHARGING"
    assert (await in_thread(bev.set_charge_limit, 0.9)).status == "success"
    assert (await in_thread(bev.get_charge_limit)).limit == 0.9
    assert sim.vehicles[const.BEV_VEHICLE_ID].charge_limit == 90


async def test_batch(sdk: RunningSimulator) -> None:
    """batch() maps each item; failing items raise their own SmartcarException."""
    token = sdk.simulator.connect_account().access_token
    bev = smartcar.Vehicle(const.BEV_VEHICLE_ID, token)
    result = await in_thread(bev.batch, ["/battery", "/charge", "/fuel", "/", "/tires/pressure"])
    assert 0 < result.battery().percent_remaining <= 1
    assert result.battery().meta.unit_system == "metric"
    assert result.charge().state == "CHARGING"
    assert result.attributes().make == "VOLKSWAGEN"
    assert result.tire_pressure().back_left == 262.0
    with pytest.raises(SmartcarException) as incapable:
        result.fuel()
    assert incapable.value.type == "COMPATIBILITY"
    assert incapable.value.code == "VEHICLE_NOT_CAPABLE"
    assert incapable.value.status_code == 501
    assert result.meta.request_id == incapable.value.request_id
    assert sdk.simulator.billing.count(const.BEV_VEHICLE_ID, sdk.simulator.clock.now()) == 4


async def test_v3_reads_and_management(sdk: RunningSimulator) -> None:
    """get_vehicle/get_signals/get_signal (v3) and get/delete_connections (management)."""
    sim = sdk.simulator
    issued = sim.connect_account()
    vehicle = await in_thread(get_vehicle, issued.access_token, const.BEV_VEHICLE_ID)
    assert vehicle["body"]["attributes"] == {"make": "VOLKSWAGEN", "model": "ID.4", "year": 2022}
    bev = smartcar.Vehicle(const.BEV_VEHICLE_ID, issued.access_token)
    signals = await in_thread(bev.get_signals)
    assert signals["body"]["meta"]["pageNumber"] == 1
    assert signals["body"]["included"]["vehicle"]["id"] == const.BEV_VEHICLE_ID
    assert signals["headers"]["SC-Request-Id"]
    soc = await in_thread(bev.get_signal, "tractionbattery-stateofcharge")
    assert soc["body"]["data"]["attributes"]["body"]["unit"] == "percent"
    assert soc["body"]["data"]["attributes"]["status"] == {"value": "SUCCESS"}

    connections = await in_thread(smartcar.get_connections, const.MANAGEMENT_TOKEN)
    assert {c.vehicle_id for c in connections.connections} == set(issued.vehicle_ids)
    assert all(c.user_id == const.DEMO_USER_ID for c in connections.connections)
    paged = await in_thread(
        smartcar.get_connections,
        const.MANAGEMENT_TOKEN,
        {"user_id": const.DEMO_USER_ID},
        {"limit": 3},
    )
    assert len(paged.connections) == 3
    assert paged.paging.cursor is not None
    rest = await in_thread(
        smartcar.get_connections,
        const.MANAGEMENT_TOKEN,
        None,
        {"limit": 3, "cursor": paged.paging.cursor},
    )
    assert len(rest.connections) == 1
    assert rest.paging.cursor is None
    deleted = await in_thread(
        smartcar.delete_connections, const.MANAGEMENT_TOKEN, {"vehicle_id": const.ICE_VEHICLE_ID}
    )
    assert [c.vehicle_id for c in deleted.connections] == [const.ICE_VEHICLE_ID]
    with pytest.raises(SmartcarException) as gone:
        await in_thread(smartcar.Vehicle(const.ICE_VEHICLE_ID, issued.access_token).odometer)
    assert gone.value.status_code == 401


async def test_error_answers(sdk: RunningSimulator) -> None:
    """SmartcarException carries type, code, status_code and retry_after as Smartcar sends them."""
    sim = sdk.simulator
    token = sim.connect_account(permissions=["read_vehicle_info", "read_battery"]).access_token
    bev = smartcar.Vehicle(const.BEV_VEHICLE_ID, token)

    with pytest.raises(SmartcarException) as unauthenticated:
        await in_thread(smartcar.get_user, "THIS_SHOULD_NOT_WORK")
    assert unauthenticated.value.type == "AUTHENTICATION"
    assert unauthenticated.value.code is None
    assert unauthenticated.value.status_code == 401
    assert unauthenticated.value.resolution == {"type": None, "url": None}

    with pytest.raises(SmartcarException) as permission:
        await in_thread(bev.odometer)
    assert permission.value.type == "PERMISSION"
    assert permission.value.code is None
    assert permission.value.status_code == 403
    assert permission.value.message.startswith("PERMISSION - ")
    assert permission.value.resolution["type"] == "REAUTHENTICATE"

    sim.inject_fault(
        vehicle_id=const.BEV_VEHICLE_ID,
        path="/battery",
        error_type="RATE_LIMIT",
        error_code="VEHICLE",
        retry_after=42,
    )
    with pytest.raises(SmartcarException) as throttled:
        await in_thread(bev.battery)
    assert (throttled.value.type, throttled.value.code) == ("RATE_LIMIT", "VEHICLE")
    assert throttled.value.status_code == 429
    assert throttled.value.retry_after == "42"

    sim.inject_fault(
        vehicle_id=const.BEV_VEHICLE_ID,
        path="/battery",
        error_type="VEHICLE_STATE",
        error_code="ASLEEP",
    )
    with pytest.raises(SmartcarException) as asleep:
        await in_thread(bev.battery)
    assert (asleep.value.type, asleep.value.code, asleep.value.status_code) == (
        "VEHICLE_STATE",
        "ASLEEP",
        409,
    )
    assert getattr(asleep.value, "retry_after", None) is None

    sim.billing.set(const.BEV_VEHICLE_ID, sim.clock.now(), 500)
    with pytest.raises(SmartcarException) as billing:
        await in_thread(bev.battery)
    assert (billing.value.type, billing.value.code, billing.value.status_code) == (
        "BILLING",
        "VEHICLE_REQUEST_LIMIT",
        430,
    )
    sim.billing.set(const.BEV_VEHICLE_ID, sim.clock.now(), 0)

    bad_version = smartcar.Vehicle(const.BEV_VEHICLE_ID, token, {"version": "Johnny Appleseed"})
    with pytest.raises(SmartcarException) as version:
        await in_thread(bad_version.battery)
    assert (version.value.status_code, version.value.code) == (404, "VERSION")
    any_version = smartcar.Vehicle(const.BEV_VEHICLE_ID, token, {"version": "99999999.99"})
    assert (await in_thread(any_version.battery)).percent_remaining > 0

    with pytest.raises(SmartcarException) as bad_id:
        await in_thread(smartcar.Vehicle("bad_id", token).attributes)
    assert bad_id.value.status_code == 400
    assert bad_id.value.resolution == {"type": None, "url": None}

    full = sim.connect_account().access_token
    with pytest.raises(SmartcarException) as out_of_range:
        await in_thread(smartcar.Vehicle(const.BEV_VEHICLE_ID, full).set_charge_limit, 0.3)
    assert out_of_range.value.type == "VALIDATION"
    assert out_of_range.value.status_code == 400

    tesla = smartcar.Vehicle(const.TESLA_VEHICLE_ID, full)
    with pytest.raises(SmartcarException) as virtual_key:
        await in_thread(tesla.lock)
    assert virtual_key.value.type == "CONNECTED_SERVICES_ACCOUNT"
    assert virtual_key.value.code == "VIRTUAL_KEY_REQUIRED"
    assert virtual_key.value.status_code == 400
    assert virtual_key.value.resolution == {
        "type": "ACTION_REQUIRED",
        "url": const.TESLA_VIRTUAL_KEY_URL,
    }
    sim.pair_virtual_key(const.TESLA_VEHICLE_ID)
    assert (await in_thread(tesla.lock)).status == "success"

    ice = smartcar.Vehicle(const.ICE_VEHICLE_ID, full)
    with pytest.raises(SmartcarException) as incapable:
        await in_thread(ice.battery)
    assert (incapable.value.type, incapable.value.code, incapable.value.status_code) == (
        "COMPATIBILITY",
        "VEHICLE_NOT_CAPABLE",
        501,
    )

    sim.configure(vehicle_throttle_limit=1, vehicle_throttle_window=30)
    await in_thread(ice.odometer)
    with pytest.raises(SmartcarException) as throttle:
        await in_thread(ice.odometer)
    assert throttle.value.code == "VEHICLE"
    assert throttle.value.retry_after == "30"

    with pytest.raises(SmartcarException) as v3_error:
        await in_thread(smartcar.Vehicle(const.BEV_VEHICLE_ID, full).get_signal, "nope-nope")
    assert v3_error.value.type == "SDK_ERROR"
    assert v3_error.value.status_code == 404
    assert '"errors"' in v3_error.value.message


async def test_batch_item_rate_limit(sdk: RunningSimulator) -> None:
    """A 429 item carries `retry-after` in its own headers (lower-case, like other item headers)."""
    sim = sdk.simulator
    token = sim.connect_account().access_token
    sim.inject_fault(
        vehicle_id=const.BEV_VEHICLE_ID,
        path="/charge",
        error_type="RATE_LIMIT",
        error_code="VEHICLE",
        retry_after=17,
    )
    result = await in_thread(smartcar.Vehicle(const.BEV_VEHICLE_ID, token).batch, ["/charge"])
    with pytest.raises(SmartcarException) as limited:
        result.charge()
    assert (limited.value.type, limited.value.code, limited.value.status_code) == (
        "RATE_LIMIT",
        "VEHICLE",
        429,
    )
    last = sim.request_log[-1]
    assert last.path.endswith("/batch")


async def test_webhook_helpers_navigation_and_disconnect(sdk: RunningSimulator) -> None:
    """subscribe/unsubscribe, hash_challenge/verify_payload, send_destination, disconnect."""
    sim = sdk.simulator
    token = sim.connect_account(permissions=[*const.DEFAULT_SCOPES, "control_navigation"])
    bev = smartcar.Vehicle(const.BEV_VEHICLE_ID, token.access_token)
    subscribed = await in_thread(bev.subscribe, const.WEBHOOK_ID)
    assert (subscribed.webhook_id, subscribed.vehicle_id) == (
        const.WEBHOOK_ID,
        const.BEV_VEHICLE_ID,
    )
    unsubscribed = await in_thread(bev.unsubscribe, const.MANAGEMENT_TOKEN, const.WEBHOOK_ID)
    assert unsubscribed.status == "success"

    assert smartcar.hash_challenge(const.MANAGEMENT_TOKEN, "abc") == challenge_answer("abc")
    body = '{"eventId":"e","eventType":"VEHICLE_STATE"}'
    assert smartcar.verify_payload(const.MANAGEMENT_TOKEN, sign(body.encode()), body)

    destination = await in_thread(bev.send_destination, 37.4292, -122.1381)
    assert destination.status == "success"
    disconnected = await in_thread(bev.disconnect)
    assert disconnected.status == "success"
    with pytest.raises(SmartcarException) as gone:
        await in_thread(bev.battery)
    assert (gone.value.type, gone.value.status_code) == ("AUTHENTICATION", 401)
