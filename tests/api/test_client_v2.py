"""The client over Smartcar API v2: paging, one batch per read, per-field errors, commands."""

from __future__ import annotations

from datetime import UTC, datetime
import logging
import socket
from typing import TYPE_CHECKING

import pytest

from custom_components.smartcar.api import (
    AbstractAuth,
    ApiVersion,
    ChargingState,
    CommandResult,
    Field,
    Location,
    Opening,
    Reading,
    SmartcarAuthenticationError,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarCommandError,
    SmartcarCompatibilityError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarResponseError,
    SmartcarServerError,
    SmartcarTimeoutError,
    SmartcarUpstreamError,
    SmartcarVehicleStateError,
    StaticTokenAuth,
    TirePressure,
    Vehicle,
    VehicleState,
    _v2,
    client as client_module,
)

from .conftest import V2_TOKEN, VEHICLE_ID, FakeSmartcar, Reply, load

if TYPE_CHECKING:
    from aiohttp import ClientSession

BASE = "/v2.0"
VEHICLE = f"{BASE}/vehicles/{VEHICLE_ID}"
DATA_AGE = datetime(2025, 5, 9, 15, 40, 57, tzinfo=UTC)
FETCHED_AT = datetime(2025, 5, 9, 17, 27, 26, 712000, tzinfo=UTC)


def _batch_paths(fake: FakeSmartcar) -> list[str]:
    (call,) = fake.calls("POST", f"{VEHICLE}/batch")
    return [item["path"] for item in call.json()["requests"]]


async def test_user_id(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("GET", f"{BASE}/user", Reply(load("v2_user.json")), Reply({}))
    assert await v2_client.async_get_user_id() == "e0514ef4-5226-11e8-8c13-8f6e8f02e27e"
    (call,) = fake.calls()
    assert call.headers["Authorization"] == f"Bearer {V2_TOKEN}"
    assert call.headers["sc-unit-system"] == "metric"
    assert call.headers["Accept"] == "application/json"
    with pytest.raises(SmartcarResponseError):
        await v2_client.async_get_user_id()


async def test_client_properties(v2_client: SmartcarClient) -> None:
    assert v2_client.api_version is ApiVersion.V2
    assert v2_client.user_id is None
    assert Field.CHARGE_POWER not in v2_client.supported_fields
    assert Field.BATTERY_LEVEL in v2_client.supported_fields
    # One batch item per path: battery level and range share /battery.
    fields = [Field.BATTERY_LEVEL, Field.BATTERY_RANGE, Field.LOCKED, Field.CHARGE_POWER]
    assert v2_client.calls_per_read(fields) == 2
    assert v2_client.calls_per_read([]) == 0
    assert v2_client.permissions_read_billed
    assert v2_client.vehicle_mode is None


async def test_list_vehicles_has_no_connections(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add("GET", f"{BASE}/vehicles", Reply(load("v2_vehicles.json")))
    assert await v2_client.async_list_vehicles() == {"36ab27d0-fd9d-4455-823a-ce30af709ffc": None}


async def test_vehicle_ids_follow_paging(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    shape = load("v2_vehicles.json")
    first = [f"vehicle-{index:02d}" for index in range(50)]
    fake.add(
        "GET",
        f"{BASE}/vehicles",
        Reply({**shape, "vehicles": first, "paging": {"count": 50, "offset": 0}}),
        Reply({**shape, "vehicles": [*shape["vehicles"], "vehicle-00", 7]}),
    )
    ids = await v2_client.async_get_vehicle_ids()
    assert ids == [*first, "36ab27d0-fd9d-4455-823a-ce30af709ffc"]
    calls = fake.calls("GET", f"{BASE}/vehicles")
    assert [dict(call.query) for call in calls] == [
        {"limit": "50", "offset": "0"},
        {"limit": "50", "offset": "50"},
    ]


async def test_paging_is_bounded(
    fake: FakeSmartcar, v2_client: SmartcarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_PAGES", 2)
    fake.add("GET", f"{BASE}/vehicles", Reply({"vehicles": [f"v{i}" for i in range(50)]}))
    fake.add("GET", f"{VEHICLE}/permissions", Reply({"permissions": ["read_x"] * 25}))
    assert len(await v2_client.async_get_vehicle_ids()) == 50
    assert await v2_client.async_get_permissions(VEHICLE_ID) == ("read_x",)
    assert len(fake.calls()) == 4


async def test_vehicle_ids_empty(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("GET", f"{BASE}/vehicles", Reply({"paging": {"count": 0, "offset": 0}}))
    assert await v2_client.async_get_vehicle_ids() == []


@pytest.mark.parametrize("fixture", ["v2_attributes.json", "v2_attributes_year_string.json"])
async def test_attributes(fake: FakeSmartcar, v2_client: SmartcarClient, fixture: str) -> None:
    fake.add("GET", VEHICLE, Reply(load(fixture)))
    assert await v2_client.async_get_vehicle(VEHICLE_ID) == Vehicle(
        id=VEHICLE_ID, make="TESLA", model="Model S", year=2014
    )


async def test_attributes_with_missing_keys(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("GET", VEHICLE, Reply({"year": "unknown"}))
    assert await v2_client.async_get_vehicle(VEHICLE_ID) == Vehicle(VEHICLE_ID, "", "", 0)


async def test_vehicle_id_is_quoted_into_the_path(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add("GET", f"{BASE}/vehicles/a/b", Reply(load("v2_attributes.json")))
    await v2_client.async_get_vehicle("a/b")
    assert fake.calls()[0].raw_path == f"{BASE}/vehicles/a%2Fb"


async def test_vin(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("GET", f"{VEHICLE}/vin", Reply(load("v2_vin.json")), Reply({"vin": None}))
    assert await v2_client.async_get_vin(VEHICLE_ID) == "5YJSA1CN5DFP00101"
    with pytest.raises(SmartcarResponseError):
        await v2_client.async_get_vin(VEHICLE_ID)


async def test_permissions_follow_paging(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    shape = load("v2_permissions.json")
    first = [f"read_{index}" for index in range(25)]
    fake.add(
        "GET",
        f"{VEHICLE}/permissions",
        Reply({**shape, "permissions": first}),
        Reply(shape),
    )
    permissions = await v2_client.async_get_permissions(VEHICLE_ID)
    assert permissions == (*first, "read_vehicle_info")
    assert [call.query["offset"] for call in fake.calls()] == ["0", "25"]
    assert {call.query["limit"] for call in fake.calls()} == {"25"}


async def test_state_of_every_field_in_one_batch(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add("POST", f"{VEHICLE}/batch", Reply(load("v2_batch_all.json")))
    state = await v2_client.async_get_state(VEHICLE_ID, list(Field))
    assert _batch_paths(fake) == [
        "/battery",
        "/battery/nominal_capacity",
        "/charge",
        "/charge/limit",
        "/security",
        "/odometer",
        "/location",
        "/fuel",
        "/tires/pressure",
        "/engine/oil",
    ]
    call = fake.calls()[0]
    assert call.headers["sc-unit-system"] == "metric"
    assert call.headers["Content-Type"].startswith("application/json")

    def reading(value: object) -> Reading[object]:
        return Reading(value, DATA_AGE, FETCHED_AT)

    assert state.battery_level == reading(pytest.approx(30.0))
    assert state.battery_range == reading(40.5)
    assert state.battery_capacity == reading(80.9)
    assert state.charging_state == reading(ChargingState.FULLY_CHARGED)
    assert state.plugged_in == reading(True)
    assert state.charge_limit == reading(80.0)
    assert state.locked == reading(False)
    assert state.doors == reading(
        (
            Opening("front_left", False),
            Opening("front_right", True),
            Opening("back_right", False),
            Opening("back_left", False),
        )
    )
    assert state.windows is not None
    assert state.windows.value[2] == Opening("back_right", None)
    assert state.sunroof_open == reading(False)
    assert state.front_trunk_open == reading(False)
    assert state.rear_trunk_open is None
    assert state.charge_port_open == reading(False)
    assert state.odometer == reading(104.32)
    assert state.location == reading(Location(37.4292, 122.1381))
    assert state.fuel_level == reading(pytest.approx(30.0))
    assert state.fuel_range == reading(40.5)
    assert state.fuel_amount == reading(53.2)
    assert state.tire_pressure == reading(TirePressure(219.1, 219.0, 219.3, 219.2))
    assert state.oil_life == reading(35.0)
    assert state.errors == {}
    # Fields v2 cannot serve are simply absent.
    assert state.charge_power is None
    assert state.online is None


async def test_state_asks_only_for_the_paths_of_the_fields(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add("POST", f"{VEHICLE}/batch", Reply(load("v2_batch_all.json")))
    state = await v2_client.async_get_state(VEHICLE_ID, {Field.LOCKED, Field.BATTERY_LEVEL})
    assert _batch_paths(fake) == ["/battery", "/security"]
    assert {field for field, _ in state.readings()} == {Field.LOCKED, Field.BATTERY_LEVEL}


async def test_state_without_v2_fields_sends_nothing(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    state = await v2_client.async_get_state(VEHICLE_ID, [Field.CHARGE_POWER, Field.ONLINE])
    assert state == VehicleState()
    assert await v2_client.async_get_state(VEHICLE_ID, []) == VehicleState()
    assert fake.calls() == []


async def test_state_real_capture_with_permission_item(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add("POST", f"{VEHICLE}/batch", Reply(load("v2_batch_vw_id4.json")))
    state = await v2_client.async_get_state(
        VEHICLE_ID, [Field.BATTERY_LEVEL, Field.BATTERY_RANGE, Field.PLUGGED_IN, Field.OIL_LIFE]
    )
    assert state.battery_level is not None
    assert state.battery_level.value == pytest.approx(68.0)
    assert state.battery_range is not None
    assert state.battery_range.value == 275
    assert state.plugged_in is not None
    assert state.plugged_in.value is False
    assert state.oil_life is None
    error = state.errors[Field.OIL_LIFE]
    assert isinstance(error, SmartcarPermissionError)
    assert error.status == 403
    assert error.request_id == "1ae8a91d-4898-4f4a-ba08-d20aff3759ca"
    assert error.resolution_type == "REAUTHENTICATE"
    assert not error.requires_reauth


async def test_state_mixed_item_errors_never_raise(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/batch",
        Reply(load("v2_batch_mixed_errors.json"), headers={"SC-Request-Id": "top-level-id"}),
    )
    fields = [
        Field.ODOMETER,
        Field.LOCKED,
        Field.DOORS,
        Field.BATTERY_LEVEL,
        Field.FUEL_LEVEL,
        Field.LOCATION,
    ]
    state = await v2_client.async_get_state(VEHICLE_ID, fields)
    assert state.odometer == Reading(1234.5)
    assert set(state.errors) == set(fields) - {Field.ODOMETER}
    legacy = state.errors[Field.LOCKED]
    assert isinstance(legacy, SmartcarVehicleStateError)
    assert (legacy.code, legacy.status) == ("VS_000", 409)
    assert legacy.request_id == "top-level-id"
    assert state.errors[Field.DOORS] is legacy
    throttled = state.errors[Field.BATTERY_LEVEL]
    assert isinstance(throttled, SmartcarRateLimitError)
    assert throttled.retry_after == 120.0
    assert throttled.request_id == "5dea93a1-3f79-4246-90c5-89610a20471b"
    incapable = state.errors[Field.FUEL_LEVEL]
    assert isinstance(incapable, SmartcarCompatibilityError)
    assert incapable.code == "VEHICLE_NOT_CAPABLE"
    door_open = state.errors[Field.LOCATION]
    assert isinstance(door_open, SmartcarVehicleStateError)
    assert door_open.resolution_type is None
    assert door_open.description == "Door is open."


async def test_state_nullable_keys(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("POST", f"{VEHICLE}/batch", Reply(load("v2_batch_nullable.json")))
    state = await v2_client.async_get_state(VEHICLE_ID, list(Field))
    assert state.fuel_level is not None
    assert state.fuel_level.value == pytest.approx(55.0)
    assert state.fuel_level.data_age == DATA_AGE
    assert state.fuel_range is None
    assert state.fuel_amount is None
    assert state.battery_capacity is None
    assert state.tire_pressure == Reading(TirePressure(None, 231.0, None, 230.0))
    assert state.locked == Reading(True)
    assert state.doors == Reading(())
    assert state.windows == Reading(())
    assert state.sunroof_open is None
    assert state.front_trunk_open is None
    assert state.charge_port_open is None
    assert state.battery_level is None
    assert state.location is None
    assert state.errors == {}


async def test_state_imperial_items_become_metric(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add("POST", f"{VEHICLE}/batch", Reply(load("v2_batch_imperial.json")))
    state = await v2_client.async_get_state(VEHICLE_ID, list(Field))
    assert state.odometer is not None
    assert state.odometer.value == pytest.approx(160.9344)
    assert state.battery_level is not None
    assert state.battery_level.value == 100
    assert state.battery_range is not None
    assert state.battery_range.value == pytest.approx(16.09344)
    assert state.fuel_amount is not None
    assert state.fuel_amount.value == pytest.approx(37.85411784)
    assert state.fuel_range is not None
    assert state.fuel_range.value == pytest.approx(321.8688)
    assert state.tire_pressure is not None
    assert state.tire_pressure.value.front_left == pytest.approx(241.316505)


@pytest.mark.parametrize(
    ("status", "fixture", "headers", "cls"),
    [
        (401, "error_v2_authentication.json", {}, SmartcarAuthenticationError),
        (429, "error_v2_rate_limit_app.json", {"Retry-After": "60"}, SmartcarRateLimitError),
        (430, "error_v2_billing_request_limit.json", {}, SmartcarBillingError),
        (400, "error_v2_validation_detail.json", {}, SmartcarError),
    ],
)
async def test_state_whole_request_failures_raise(
    *,
    fake: FakeSmartcar,
    v2_client: SmartcarClient,
    status: int,
    fixture: str,
    headers: dict[str, str],
    cls: type[SmartcarError],
) -> None:
    fake.add("POST", f"{VEHICLE}/batch", Reply(load(fixture), status=status, headers=headers))
    with pytest.raises(cls) as caught:
        await v2_client.async_get_state(VEHICLE_ID, [Field.ODOMETER])
    assert caught.value.status == status
    if headers:
        assert caught.value.retry_after == 60.0


async def test_state_non_json_gateway_error(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/batch",
        Reply(raw=b"<html>502 Bad Gateway</html>", status=502, content_type="text/html"),
    )
    with pytest.raises(SmartcarUpstreamError) as caught:
        await v2_client.async_get_state(VEHICLE_ID, [Field.ODOMETER])
    assert caught.value.description == "<html>502 Bad Gateway</html>"


async def test_state_unreadable_success_bodies(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/batch",
        Reply({"responses": "nope"}, headers={"SC-Request-Id": "r-1"}),
        Reply(raw=b"{not json", headers={"SC-Request-Id": "r-2"}),
        Reply(),
    )
    with pytest.raises(SmartcarResponseError) as caught:
        await v2_client.async_get_state(VEHICLE_ID, [Field.ODOMETER])
    assert caught.value.request_id == "r-1"
    with pytest.raises(SmartcarResponseError) as caught:
        await v2_client.async_get_state(VEHICLE_ID, [Field.ODOMETER])
    assert caught.value.request_id == "r-2"
    assert caught.value.status == 200
    with pytest.raises(SmartcarResponseError):
        await v2_client.async_get_state(VEHICLE_ID, [Field.ODOMETER])


@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        ("async_lock", "/security", "LOCK"),
        ("async_unlock", "/security", "UNLOCK"),
        ("async_start_charge", "/charge", "START"),
        ("async_stop_charge", "/charge", "STOP"),
    ],
)
async def test_commands(
    fake: FakeSmartcar, v2_client: SmartcarClient, method: str, path: str, action: str
) -> None:
    fake.add("POST", f"{VEHICLE}{path}", Reply(load("v2_action_success.json")))
    result = await getattr(v2_client, method)(VEHICLE_ID)
    assert result == CommandResult("success", "Successfully sent request to vehicle", None)
    (call,) = fake.calls()
    assert call.json() == {"action": action}
    assert "sc-unit-system" not in call.headers
    assert call.headers["Authorization"] == f"Bearer {V2_TOKEN}"


async def test_set_charge_limit_sends_a_fraction(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add("POST", f"{VEHICLE}/charge/limit", Reply(load("v2_charge_limit_set.json")))
    result = await v2_client.async_set_charge_limit(VEHICLE_ID, 80)
    assert result.status == "success"
    await v2_client.async_set_charge_limit(VEHICLE_ID, 57.5)
    assert [call.json() for call in fake.calls()] == [{"limit": 0.8}, {"limit": 0.575}]
    with pytest.raises(ValueError, match="finite"):
        await v2_client.async_set_charge_limit(VEHICLE_ID, float("nan"))


async def test_command_with_another_message(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("POST", f"{VEHICLE}/security", Reply(load("v2_action_success_java.json")))
    assert (
        await v2_client.async_lock(VEHICLE_ID)
    ).message == "Message sent successfully to vehicle"


async def test_command_not_confirmed(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/security",
        Reply({"status": "failure", "message": "nope"}, headers={"SC-Request-Id": "r"}),
        Reply({}),
    )
    with pytest.raises(SmartcarCommandError) as caught:
        await v2_client.async_lock(VEHICLE_ID)
    assert (caught.value.code, caught.value.description) == ("FAILURE", "nope")
    assert caught.value.request_id == "r"
    with pytest.raises(SmartcarCommandError) as caught:
        await v2_client.async_lock(VEHICLE_ID)
    assert caught.value.code is None


async def test_command_refused_by_the_vehicle(
    fake: FakeSmartcar, v2_client: SmartcarClient
) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/charge",
        Reply(
            {
                "type": "VEHICLE_STATE",
                "code": "CHARGING_PLUG_NOT_CONNECTED",
                "description": "The vehicle is not connected to an EV charger.",
                "docURL": "https://smartcar.com/docs/errors/api-errors/vehicle-state-errors",
                "statusCode": 409,
                "resolution": {"type": None},
                "requestId": "c-1",
            },
            status=409,
        ),
    )
    with pytest.raises(SmartcarVehicleStateError) as caught:
        await v2_client.async_start_charge(VEHICLE_ID)
    assert caught.value.code == "CHARGING_PLUG_NOT_CONNECTED"


async def test_timeout(fake: FakeSmartcar, session: ClientSession) -> None:
    client = SmartcarClient(
        session,
        StaticTokenAuth(V2_TOKEN),
        api_version=ApiVersion.V2,
        origins=fake.origins,
        timeout=0.05,
    )
    fake.add("GET", f"{VEHICLE}/vin", Reply(load("v2_vin.json"), delay=5))
    with pytest.raises(SmartcarTimeoutError) as caught:
        await client.async_get_vin(VEHICLE_ID)
    assert caught.value.type == "TIMEOUT"
    assert caught.value.status is None


async def test_connection_refused(session: ClientSession, socket_enabled: None) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    from custom_components.smartcar.api import Origins

    client = SmartcarClient(
        session,
        StaticTokenAuth(V2_TOKEN),
        api_version=ApiVersion.V2,
        origins=Origins(api=origin),
    )
    with pytest.raises(SmartcarConnectionError) as caught:
        await client.async_get_vehicle_ids()
    assert caught.value.type == "CONNECTION"
    assert not isinstance(caught.value, SmartcarTimeoutError)


async def test_dropped_connection(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("GET", f"{VEHICLE}/vin", Reply(drop=True))
    with pytest.raises(SmartcarConnectionError):
        await v2_client.async_get_vin(VEHICLE_ID)


class RotatingAuth(AbstractAuth):
    """Hands out numbered tokens and forgets one when told it was rejected."""

    def __init__(self, renewable: bool = True) -> None:
        """Start at token 1."""
        self.number = 1
        self.renewable = renewable
        self.invalidated: list[str] = []

    async def async_get_access_token(self) -> str:
        """The current token."""
        return f"token-{self.number}"

    async def async_invalidate(self, token: str) -> bool:
        """Move on to the next token."""
        self.invalidated.append(token)
        self.number += 1
        return self.renewable


async def test_rejected_token_is_renewed_once(fake: FakeSmartcar, session: ClientSession) -> None:
    auth = RotatingAuth()
    client = SmartcarClient(session, auth, api_version=ApiVersion.V2, origins=fake.origins)
    unauthorized = Reply(load("error_v2_authentication.json"), status=401)
    fake.add("GET", f"{VEHICLE}/vin", unauthorized, Reply(load("v2_vin.json")))
    assert await client.async_get_vin(VEHICLE_ID) == "5YJSA1CN5DFP00101"
    assert [call.headers["Authorization"] for call in fake.calls()] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert auth.invalidated == ["token-1"]
    # Rejected twice in a row: the failure is reported.
    fake.add("GET", f"{VEHICLE}/vin", unauthorized)
    with pytest.raises(SmartcarAuthenticationError):
        await client.async_get_vin(VEHICLE_ID)
    assert auth.invalidated == ["token-1", "token-2"]


async def test_rejected_token_without_renewal(fake: FakeSmartcar, session: ClientSession) -> None:
    auth = RotatingAuth(renewable=False)
    client = SmartcarClient(session, auth, api_version=ApiVersion.V2, origins=fake.origins)
    fake.add("GET", f"{VEHICLE}/vin", Reply(load("error_v2_authentication.json"), status=401))
    with pytest.raises(SmartcarAuthenticationError):
        await client.async_get_vin(VEHICLE_ID)
    assert len(fake.calls()) == 1


async def test_server_error_on_read(fake: FakeSmartcar, v2_client: SmartcarClient) -> None:
    fake.add("GET", VEHICLE, Reply(load("error_v2_multiple_records.json"), status=500))
    with pytest.raises(SmartcarServerError) as caught:
        await v2_client.async_get_vehicle(VEHICLE_ID)
    assert caught.value.detail == [{"capacities": [83.9, 83.9, 70.2]}]


async def test_logs_never_carry_secrets(
    fake: FakeSmartcar, v2_client: SmartcarClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add("GET", f"{VEHICLE}/vin", Reply(load("v2_vin.json")))
    fake.add("POST", f"{VEHICLE}/batch", Reply(load("v2_batch_all.json")))
    fake.add("POST", f"{VEHICLE}/security", Reply(load("v2_action_success.json")))
    await v2_client.async_get_vin(VEHICLE_ID)
    await v2_client.async_get_state(VEHICLE_ID, [Field.LOCATION, Field.ODOMETER])
    await v2_client.async_lock(VEHICLE_ID)
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.smartcar.api")
    ]
    assert any(VEHICLE_ID in message for message in ours)
    text = "\n".join(ours)
    for secret in (V2_TOKEN, "5YJSA1CN5DFP00101", "37.4292", "122.1381"):
        assert secret not in text


def test_parser_security_with_lock_statuses() -> None:
    readings = _v2.readings_from_body("/security", load("v2_security_sdk_locked.json"), None)
    assert readings[Field.LOCKED].value is True
    assert readings[Field.DOORS].value == (
        Opening("front_left", None),
        Opening("front_right", None),
    )
    assert readings[Field.SUNROOF_OPEN].value is True
    assert readings[Field.REAR_TRUNK_OPEN].value is True
    assert Field.FRONT_TRUNK_OPEN not in readings
    assert Field.CHARGE_PORT_OPEN not in readings


def test_parser_capacity_variants() -> None:
    legacy = _v2.readings_from_body(
        "battery/capacity/", load("v2_battery_capacity_legacy.json"), {}
    )
    assert legacy == {Field.BATTERY_CAPACITY: Reading(28.0)}
    real = _v2.readings_from_body(
        "/battery/nominal_capacity",
        load("v2_nominal_capacity_real.json"),
        {"SC-Data-Age": "2025-05-09T15:40:57.000Z"},
    )
    assert real == {Field.BATTERY_CAPACITY: Reading(82.0, DATA_AGE)}


def test_parser_odd_inputs() -> None:
    assert _v2.readings_from_body("/tires/pressure", {"frontLeft": None}, None) == {}
    assert _v2.readings_from_body("/unknown", {"x": 1}, None) == {}
    assert _v2.readings_from_body("/odometer", ["not", "a", "mapping"], None) == {}
    assert _v2.readings_from_body("/charge", {"state": "WEIRD", "isPluggedIn": "yes"}, None) == {
        Field.PLUGGED_IN: Reading(True)
    }
    assert _v2.readings_from_body("/charge", {"state": 5}, None) == {}
    assert _v2.readings_from_body("/security", {"doors": [1, {"type": "hood"}]}, None) == {
        Field.DOORS: Reading((Opening("hood", None),))
    }
    assert _v2.normalize_path(None) == "/"
    assert _v2.normalize_path("") == "/"
    assert _v2.normalize_path("/charge/limit/") == "/charge/limit"
    assert _v2.position("backLeft") == "back_left"


def test_items_odd_inputs() -> None:
    assert _v2.state_from_items("nope") == VehicleState()
    state = _v2.state_from_items(
        [
            "nope",
            {"path": "/odometer", "body": {"distance": 5}},
            {"path": "/charge/limit", "code": 200, "body": {"limit": 0.9}, "headers": None},
        ]
    )
    assert state.odometer == Reading(5.0)
    assert state.charge_limit == Reading(90.0)
