"""The client over Smartcar API v3: signals with paging, connections, commands, units."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.smartcar.api import (
    ApiVersion,
    ApplicationTokenAuth,
    ChargingState,
    CommandResult,
    Connection,
    Field,
    Location,
    Opening,
    Reading,
    SmartcarAuthenticationError,
    SmartcarClient,
    SmartcarCommandError,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarError,
    SmartcarPermissionError,
    SmartcarResourceNotFoundError,
    SmartcarResponseError,
    SmartcarTimeoutError,
    SmartcarVehicleStateError,
    StaticTokenAuth,
    TirePressure,
    Vehicle,
    VehicleState,
    _v3,
)

from .conftest import APP_TOKEN, USER_ID, VEHICLE_ID, FakeSmartcar, Reply, load

if TYPE_CHECKING:
    from aiohttp import ClientSession, web

VEHICLE = f"/v3/vehicles/{VEHICLE_ID}"
SIGNALS = f"{VEHICLE}/signals"
OEM_TIME = datetime(2025, 7, 9, 23, 35, 18, 549000, tzinfo=UTC)
RETRIEVED = datetime(2025, 7, 9, 23, 36, 58, 549000, tzinfo=UTC)


def _page(data: list[Any], **extra: Any) -> dict[str, Any]:
    return {"data": data, **extra}


def _signal(code: str, body: Any, status: str = "SUCCESS") -> dict[str, Any]:
    return {
        "id": code,
        "type": "signal",
        "attributes": {"code": code, "status": {"value": status}, "body": body},
        "meta": {"retrievedAt": 1752104218549, "oemUpdatedAt": 1752104118549},
    }


async def test_user_and_properties(v3_client: SmartcarClient, session: ClientSession) -> None:
    assert v3_client.api_version is ApiVersion.V3
    assert v3_client.user_id == USER_ID
    assert await v3_client.async_get_user_id() == USER_ID
    assert v3_client.supported_fields == frozenset(Field)
    anonymous = SmartcarClient(session, StaticTokenAuth("t"), api_version=ApiVersion.V3)
    with pytest.raises(ValueError, match="user_id"):
        await anonymous.async_get_user_id()
    with pytest.raises(ValueError, match="user_id"):
        await anonymous.async_get_state(VEHICLE_ID, [Field.ODOMETER])


@pytest.mark.parametrize(
    ("fixture", "make"), [("v3_vehicle.json", "TESLA"), ("v3_vehicle_document.json", "Tesla")]
)
async def test_vehicle(
    fake: FakeSmartcar, v3_client: SmartcarClient, fixture: str, make: str
) -> None:
    fake.add("GET", VEHICLE, Reply(load(fixture)))
    assert await v3_client.async_get_vehicle(VEHICLE_ID) == Vehicle(
        VEHICLE_ID, make, "Model 3", 2020
    )
    (call,) = fake.calls()
    assert call.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert call.headers["sc-user-id"] == USER_ID
    assert "sc-unit-system" not in call.headers


async def test_vin(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    fake.add(
        "GET",
        f"{SIGNALS}/vehicleidentification-vin",
        Reply(load("v3_signal_vin.json")),
        Reply({"data": load("v3_signal_vin.json")}),
        Reply(load("v3_signal_vin_error.json")),
        Reply({"unexpected": True}),
    )
    assert await v3_client.async_get_vin(VEHICLE_ID) == "5YJ3E1EA7KF000001"
    assert await v3_client.async_get_vin(VEHICLE_ID) == "5YJ3E1EA7KF000001"
    with pytest.raises(SmartcarPermissionError) as caught:
        await v3_client.async_get_vin(VEHICLE_ID)
    assert caught.value.description == "Missing read_vin."
    with pytest.raises(SmartcarResponseError):
        await v3_client.async_get_vin(VEHICLE_ID)
    assert fake.calls()[0].headers["sc-user-id"] == USER_ID


async def test_state_follows_signal_pages(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    pages = {
        "1": load("v3_signals_page1.json"),
        "2": load("v3_signals_page2.json"),
        "3": load("v3_signals_page3.json"),
    }

    async def signals(request: web.Request) -> Reply:
        return Reply(pages[request.query.get("page")])

    fake.add("GET", SIGNALS, signals)
    state = await v3_client.async_get_state(VEHICLE_ID, list(Field))
    calls = fake.calls()
    assert [dict(call.query) for call in calls] == [
        {"page": "1", "pageSize": "100"},  # large pages: each page is a billed call
        {"page": "2", "pageSize": "10"},
        {"page": "3", "pageSize": "10"},
    ]
    assert all(call.headers["sc-user-id"] == USER_ID for call in calls)

    def reading(value: object) -> Reading[object]:
        return Reading(value, OEM_TIME, RETRIEVED)

    assert state.battery_level == reading(75.0)
    assert state.battery_range == reading(350.0)
    assert state.battery_capacity == reading(73.5)
    assert state.charging_state == reading(ChargingState.CHARGING)
    assert state.plugged_in == reading(True)
    assert state.charge_limit == reading(80.0)
    assert state.charge_voltage == reading(230.0)
    assert state.charge_current == reading(16.0)
    assert state.charge_power == reading(11.0)
    assert state.time_to_complete == reading(45.0)
    assert state.odometer == reading(50000.0)
    assert state.location == reading(Location(37.4292, -122.1381, 45.5))
    assert state.locked == reading(True)
    assert state.doors == reading(
        (
            Opening("row0_col0", False),
            Opening("row0_col1", True),
            Opening("row1_col0", False),
            Opening("row1_col1", False),
        )
    )
    assert state.windows == reading((Opening("row0_col0", False), Opening("row0_col1", False)))
    assert state.sunroof_open == reading(False)
    assert state.front_trunk_open == reading(False)
    assert state.rear_trunk_open == reading(True)
    assert state.charge_port_open == reading(True)
    assert state.fuel_level == reading(75.0)
    assert state.fuel_range == reading(420.0)
    assert state.fuel_amount == reading(30.5)
    assert state.oil_life == reading(85.0)
    assert state.tire_pressure == reading(TirePressure(240.0, 250.0, 260.0, 270.0))
    assert state.online == reading(True)
    assert state.asleep == reading(False)
    assert state.errors == {}


async def test_state_keeps_only_requested_fields(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    fake.add("GET", SIGNALS, Reply(load("v3_signals_variants.json")))
    state = await v3_client.async_get_state(VEHICLE_ID, {Field.ODOMETER})
    assert [field for field, _ in state.readings()] == [Field.ODOMETER]
    assert await v3_client.async_get_state(VEHICLE_ID, ()) == VehicleState()
    assert len(fake.calls()) == 1


async def test_state_unit_variants(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    fake.add("GET", SIGNALS, Reply(load("v3_signals_variants.json")))
    state = await v3_client.async_get_state(VEHICLE_ID, list(Field))
    assert state.battery_level is not None
    assert state.battery_level.value == pytest.approx(62.0)
    assert state.battery_level.data_age == datetime(2023, 10, 1, 10, 38, 20, tzinfo=UTC)
    assert state.battery_level.fetched_at == datetime(2023, 10, 1, 10, 40, tzinfo=UTC)
    assert state.battery_range is not None
    assert state.battery_range.value == pytest.approx(160.9344)
    assert state.battery_range.data_age == datetime(2025, 9, 18, 23, 30, tzinfo=UTC)
    assert state.odometer is not None
    assert state.odometer.value == 12345.6
    assert state.odometer.data_age is None
    assert state.fuel_level is not None
    assert state.fuel_level.value == pytest.approx(77.0)
    assert state.oil_life is not None
    assert state.oil_life.value == 75
    assert state.fuel_amount is not None
    assert state.fuel_amount.value == pytest.approx(37.85411784)
    assert state.fuel_range is not None
    assert state.fuel_range.value == 250
    assert state.charge_power is not None
    assert state.charge_power.value == 7.4
    assert state.time_to_complete is not None
    assert state.time_to_complete.value == 90
    assert state.charge_limit is not None
    assert state.charge_limit.value == pytest.approx(85.0)
    assert state.charging_state is not None
    assert state.charging_state.value is ChargingState.FULLY_CHARGED
    assert state.tire_pressure is not None
    assert state.tire_pressure.value.front_left == pytest.approx(241.316505)
    assert state.tire_pressure.value.front_right is None
    assert state.tire_pressure.value.back_right == 240
    assert state.battery_capacity is not None
    assert state.battery_capacity.value == 75


async def test_state_signal_statuses(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    fake.add("GET", SIGNALS, Reply(load("v3_signals_statuses.json")))
    state = await v3_client.async_get_state(
        VEHICLE_ID, [Field.LOCKED, Field.BATTERY_LEVEL, Field.CHARGING_STATE, Field.ODOMETER]
    )
    locked = state.errors[Field.LOCKED]
    assert isinstance(locked, SmartcarConnectedServicesAccountError)
    assert locked.requires_reauth
    assert locked.status is None
    # UNAVAILABLE is neither a value nor an error.
    assert state.battery_level is None
    assert Field.BATTERY_LEVEL not in state.errors
    # The detailed status failed but IsCharging answered: the value wins, no error.
    assert state.charging_state is not None
    assert state.charging_state.value is ChargingState.NOT_CHARGING
    assert Field.CHARGING_STATE not in state.errors
    odometer = state.errors[Field.ODOMETER]
    assert type(odometer) is SmartcarError
    assert "odometer-traveleddistance" in str(odometer)
    assert set(state.errors) == {Field.LOCKED, Field.ODOMETER}


async def test_state_paging_from_meta_only(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    async def signals(request: web.Request) -> Reply:
        page = int(request.query.get("page", "1"))
        codes = {1: "closure-islocked", 2: "odometer-traveleddistance"}
        body = {"value": True} if page == 1 else {"unit": "km", "value": 9}
        return Reply(
            _page(
                [_signal(codes[page], body)],
                meta={"page": page, "pageSize": 1, "totalCount": 2},
            )
        )

    fake.add("GET", SIGNALS, signals)
    state = await v3_client.async_get_state(VEHICLE_ID, [Field.LOCKED, Field.ODOMETER])
    assert state.locked is not None
    assert state.odometer is not None
    assert [dict(call.query) for call in fake.calls()] == [
        {"page": "1", "pageSize": "100"},
        {"page": "2", "pageSize": "1"},
    ]


async def test_state_paging_total_pages_and_absolute_links(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    second = f"{fake.origin}{SIGNALS}?page=2"
    fake.add(
        "GET",
        SIGNALS,
        Reply(
            _page(
                [_signal("closure-islocked", {"value": False})],
                links={"next": second},
                meta={"page": 1, "totalPages": 2},
            )
        ),
        Reply(
            _page(
                [_signal("connectivitystatus-isonline", {"value": True})],
                meta={"page": 2, "totalPages": 2},
                links={},
            )
        ),
    )
    state = await v3_client.async_get_state(VEHICLE_ID, [Field.LOCKED, Field.ONLINE])
    assert state.locked == Reading(False, OEM_TIME, RETRIEVED)
    assert state.online is not None
    assert len(fake.calls()) == 2


async def test_paging_never_sends_the_token_to_another_host(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    fake.add(
        "GET",
        SIGNALS,
        Reply(
            _page(
                [_signal("closure-islocked", {"value": True})],
                links={"next": "https://evil.example/steal?page=2"},
                meta={"page": 1, "pageSize": 1, "totalCount": 2},
            )
        ),
        Reply(_page([_signal("odometer-traveleddistance", {"value": 3})], links={"next": None})),
    )
    state = await v3_client.async_get_state(VEHICLE_ID, [Field.LOCKED, Field.ODOMETER])
    assert state.odometer == Reading(3.0, OEM_TIME, RETRIEVED)
    assert [call.path for call in fake.calls()] == [SIGNALS, SIGNALS]
    assert fake.calls()[1].query["page"] == "2"


async def test_paging_stops_on_repeated_or_empty_pages(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    fake.add(
        "GET",
        SIGNALS,
        Reply(
            _page(
                [_signal("closure-islocked", {"value": True})],
                links={"next": "?page=2"},
            )
        ),
        Reply(_page([], links={"next": "?page=2"}, meta={"page": 2, "totalCount": 50})),
    )
    state = await v3_client.async_get_state(VEHICLE_ID, [Field.LOCKED])
    assert state.locked is not None
    assert len(fake.calls()) == 2
    assert fake.calls()[1].query["page"] == "2"


async def test_paging_without_totals_stops(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    fake.add(
        "GET",
        SIGNALS,
        Reply(_page([_signal("closure-islocked", {"value": True})], meta={"page": 1})),
    )
    await v3_client.async_get_state(VEHICLE_ID, [Field.LOCKED])
    assert len(fake.calls()) == 1


async def test_paging_ignores_an_empty_page_after_a_link(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    fake.add(
        "GET",
        SIGNALS,
        Reply(_page([], links={"next": "https://elsewhere.example/x"})),
    )
    assert await v3_client.async_get_state(VEHICLE_ID, [Field.LOCKED]) == VehicleState()
    assert len(fake.calls()) == 1


async def test_connections_follow_pages_and_filter(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    first = load("v3_connections_page1.json")
    second = load("v3_connections_page2.json")
    stranger = {
        "id": "other",
        "type": "connection",
        "attributes": {"permissions": []},
        "relationships": {
            "vehicle": {"data": {"id": "v-other"}},
            "user": {"data": {"id": "someone-else"}},
        },
    }
    second["data"].extend([stranger, {"id": "broken"}, "garbage"])

    async def connections(request: web.Request) -> Reply:
        return Reply(first if request.query["page[number]"] == "1" else second)

    fake.add("GET", "/v3/connections", connections)
    found = await v3_client.async_get_connections(USER_ID)
    assert [connection.vehicle_id for connection in found] == [
        VEHICLE_ID,
        "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
        "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
    ]
    assert found[0] == Connection(
        vehicle_id=VEHICLE_ID,
        user_id=USER_ID,
        connected_at=datetime(2024, 1, 1, tzinfo=UTC),
        mode="live",
        permissions=("read_vehicle_info", "read_odometer", "read_battery", "control_security"),
        make="Tesla",
        model="Model S",
        year=2020,
        connection_id="32c4139a-7d7e-4d2a-9a36-1d3f5c6b7a80",
        powertrain="BEV",
    )
    calls = fake.calls()
    assert dict(calls[0].query) == {
        "page[number]": "1",
        "page[size]": "50",
        "filter[userId]": USER_ID,
    }
    assert calls[1].query["page[number]"] == "2"
    assert "sc-user-id" not in calls[0].headers
    assert calls[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"


async def test_connections_of_the_whole_app(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    flat = {"vehicleId": "v-flat", "userId": "u-flat", "connectedAt": "2023-08-10T15:00:00.000Z"}
    flat_attributes = {
        "id": "c-2",
        "attributes": {"vehicleId": "v-attr", "userId": "u-attr", "mode": "simulated"},
    }
    fake.add(
        "GET",
        "/v3/connections",
        Reply(
            _page(
                [flat, flat_attributes],
                meta={"page": {"number": 1, "size": 50, "totalPages": 1}},
            )
        ),
    )
    found = await v3_client.async_get_connections()
    assert found == [
        Connection("v-flat", "u-flat", datetime(2023, 8, 10, 15, tzinfo=UTC), None),
        Connection("v-attr", "u-attr", None, "simulated", connection_id="c-2"),
    ]
    assert "filter[userId]" not in fake.calls()[0].query


async def test_vehicle_ids_and_permissions_from_connections(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    page = load("v3_connections_page1.json")
    page["links"] = {"next": None}

    async def connections(request: web.Request) -> Reply:
        wanted = request.query.get("filter[vehicleId]")
        data = [
            item
            for item in page["data"]
            if wanted is None or item["relationships"]["vehicle"]["data"]["id"] == wanted
        ]
        return Reply({**page, "data": data})

    fake.add("GET", "/v3/connections", connections)
    assert await v3_client.async_get_vehicle_ids() == [
        VEHICLE_ID,
        "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    ]
    permissions = await v3_client.async_get_permissions(VEHICLE_ID)
    assert permissions == ("read_vehicle_info", "read_odometer", "read_battery", "control_security")
    assert fake.calls()[-1].query["filter[vehicleId]"] == VEHICLE_ID
    with pytest.raises(SmartcarResourceNotFoundError):
        await v3_client.async_get_permissions("unknown-vehicle")


@pytest.mark.parametrize(
    ("method", "path", "fixture"),
    [
        ("async_lock", "/commands/security/lock", "v3_command_unlock.json"),
        ("async_unlock", "/commands/security/unlock", "v3_command_unlock.json"),
        ("async_start_charge", "/commands/charge/start", "v3_command_long_running.json"),
        ("async_stop_charge", "/commands/charge/stop", "v3_command_unlock.json"),
    ],
)
async def test_commands(
    fake: FakeSmartcar, v3_client: SmartcarClient, method: str, path: str, fixture: str
) -> None:
    fake.add("POST", f"{VEHICLE}{path}", Reply(load(fixture)))
    result = await getattr(v3_client, method)(VEHICLE_ID)
    assert result.status == "SUCCESS"
    (call,) = fake.calls()
    assert call.body == b""
    assert call.headers["sc-user-id"] == USER_ID


async def test_set_charge_limit_sends_percent(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    fake.add("POST", f"{VEHICLE}/commands/charge/set-limit", Reply(load("v3_command_sync.json")))
    result = await v3_client.async_set_charge_limit(VEHICLE_ID, 80.0)
    assert result == CommandResult("SUCCESS", None, "exec_9876543210")
    await v3_client.async_set_charge_limit(VEHICLE_ID, 57.5)
    assert [call.json() for call in fake.calls()] == [
        {"data": {"attributes": {"percent": 80}}},
        {"data": {"attributes": {"percent": 57.5}}},
    ]


async def test_long_running_command_reads_the_202_body(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/start",
        Reply(load("v3_command_long_running.json"), status=202, delay=0.1),
        Reply(load("v3_command_failed.json"), status=202),
    )
    result = await v3_client.async_start_charge(VEHICLE_ID)
    assert result.command_id == "exec_5555555555"
    with pytest.raises(SmartcarVehicleStateError) as caught:
        await v3_client.async_start_charge(VEHICLE_ID)
    assert caught.value.code == "DOOR_OPEN"
    assert caught.value.status == 202


async def test_failed_commands(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/stop",
        Reply(load("v3_command_failed_plain.json"), headers={"SC-Request-Id": "r-9"}),
        Reply({"data": {"type": "command-execution", "attributes": {"status": "PENDING"}}}),
        Reply({"data": {"attributes": {}}}),
        Reply(),
        Reply(load("error_v2_compatibility.json"), status=501),
        Reply(load("error_v3_unauthorized.json"), status=401),
    )
    with pytest.raises(SmartcarCommandError) as caught:
        await v3_client.async_stop_charge(VEHICLE_ID)
    assert (caught.value.code, caught.value.description) == ("FAILED", "Vehicle did not respond")
    assert caught.value.request_id == "r-9"
    with pytest.raises(SmartcarCommandError) as caught:
        await v3_client.async_stop_charge(VEHICLE_ID)
    assert caught.value.code == "PENDING"
    assert "no way to follow it" in caught.value.description
    for _ in range(2):
        with pytest.raises(SmartcarResponseError):
            await v3_client.async_stop_charge(VEHICLE_ID)
    with pytest.raises(SmartcarCompatibilityError):
        await v3_client.async_stop_charge(VEHICLE_ID)
    with pytest.raises(SmartcarAuthenticationError):
        await v3_client.async_stop_charge(VEHICLE_ID)


async def test_application_token_renewed_after_rejection(
    fake: FakeSmartcar, session: ClientSession
) -> None:
    fake.add(
        "POST",
        "/oauth2/token",
        Reply({"access_token": "revoked", "expires_in": 3600}),
        Reply({"access_token": "fresh", "expires_in": 3600}),
    )
    fake.add(
        "GET",
        VEHICLE,
        Reply(load("error_v3_unauthorized.json"), status=401),
        Reply(load("v3_vehicle.json")),
    )
    auth = ApplicationTokenAuth(session, "client_x", "secret", origins=fake.origins)
    client = SmartcarClient(
        session, auth, api_version=ApiVersion.V3, user_id=USER_ID, origins=fake.origins
    )
    vehicle = await client.async_get_vehicle(VEHICLE_ID)
    assert vehicle.model == "Model 3"
    assert [call.headers["Authorization"] for call in fake.calls("GET", VEHICLE)] == [
        "Bearer revoked",
        "Bearer fresh",
    ]


def test_single_signal_resource() -> None:
    state = _v3.state_from_signals([load("v3_signal_odometer.json")])
    assert state.odometer == Reading(115071.50046584333, OEM_TIME, RETRIEVED)


def test_signal_parsing_variants() -> None:
    assert _v3.parse_signal("nope") is None
    assert _v3.parse_signal({"body": {"value": 1}}) is None
    by_id = _v3.parse_signal({"id": "Closure-IsLocked", "attributes": {"body": {"value": True}}})
    assert by_id is not None
    assert by_id.code == "closure-islocked"
    assert by_id.status == "SUCCESS"
    swapped = _v3.parse_signal({"name": "Closure", "group": "IsLocked", "body": {"value": True}})
    assert swapped is not None
    assert swapped.code == "closure-islocked"
    plain_status = _v3.parse_signal({"code": "x-y", "status": "error"})
    assert plain_status is not None
    assert plain_status.status == "ERROR"
    assert _v3.code_from_reference("Odometer.TraveledDistance") == "odometer-traveleddistance"
    assert _v3.code_from_reference("Closure-IsLocked") == "closure-islocked"
    assert _v3.code_from_reference("") is None
    assert _v3.code_from_reference(5) is None
    assert _v3.signal_code("Only", None) is None


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        ("charge-detailedchargingstatus", "CHARGING", ChargingState.CHARGING),
        (
            "charge-detailedchargingstatus",
            {"value": "charging_complete"},
            ChargingState.FULLY_CHARGED,
        ),
        ("charge-detailedchargingstatus", {"value": "SOMETHING_NEW"}, None),
        ("charge-detailedchargingstatus", {"value": 3}, None),
        ("charge-ischarging", {"value": "maybe"}, None),
        ("charge-chargelimits", "nope", None),
        ("charge-chargelimits", {"values": [{"type": "global", "limit": None}]}, None),
        ("charge-chargelimits", {"values": [{"type": "global", "limit": 90}]}, 90.0),
        ("tractionbattery-nominalcapacity", {"capacity": {"nominal": 77.4}}, 77.4),
        ("tractionbattery-nominalcapacity", {"value": 60}, 60.0),
        ("tractionbattery-nominalcapacity", "nope", None),
        ("location-preciselocation", {"value": {"latitude": 1, "longitude": 2}}, Location(1, 2)),
        ("location-preciselocation", {"latitude": 1}, None),
        ("location-preciselocation", 5, None),
        ("closure-sunroof", {"values": [{"isOpen": False}, {"isOpen": True}]}, True),
        ("closure-sunroof", {"values": [{"isOpen": False}, {"isOpen": None}]}, False),
        ("closure-sunroof", {"value": "true"}, True),
        ("closure-sunroof", {}, None),
        ("closure-doors", "nope", None),
        ("closure-doors", [{"type": "frontLeft", "isOpen": True}], (Opening("front_left", True),)),
        ("closure-doors", {"values": "nope"}, ()),
        (
            "wheel-tires",
            {"values": [{"type": "frontRight", "pressure": 2.5}], "unit": "bar"},
            TirePressure(None, 250.0, None, None),
        ),
        (
            "wheel-tires",
            {"values": [{"row": 5, "column": 0, "value": 200}, {"tirePressure": 1}]},
            None,
        ),
        ("wheel-tires", {"values": [{"type": "spare", "value": 200}]}, None),
        ("connectivitystatus-isonline", True, True),
        ("vehicleuseraccount-role", {"value": "Driver"}, None),
    ],
)
def test_signal_values(code: str, body: Any, expected: Any) -> None:
    signal = _v3.parse_signal({"code": code, "body": body})
    assert signal is not None
    assert _v3.signal_value(signal) == expected


def test_state_from_signals_skips_unreadable_items() -> None:
    state = _v3.state_from_signals(
        [
            "nope",
            {"code": "closure-islocked", "body": {"value": None}},
            {"code": "charge-chargelimits", "body": {"activeLimit": 90, "unit": "percent"}},
            {"code": "charge-activelimit", "body": {"value": 70}},
            {"code": "charge-chargelimits", "body": {"activeLimit": 95, "unit": "percent"}},
        ]
    )
    assert state.locked is None
    assert state.charge_limit == Reading(70.0)


def _running(link: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": "exec_1",
        "type": "command-execution",
        "attributes": {"status": {"value": "PENDING"}, "executionMode": "async"},
    }
    if link is not None:
        resource["links"] = {"self": link}
    return {"data": resource}


@pytest.fixture
def patient_client(fake: FakeSmartcar, session: ClientSession) -> SmartcarClient:
    """A v3 client that re-reads a running command quickly and gives up after a second."""
    return SmartcarClient(
        session,
        StaticTokenAuth(APP_TOKEN),
        api_version=ApiVersion.V3,
        user_id=USER_ID,
        origins=fake.origins,
        timeout=1.0,
        command_poll_interval=0.01,
    )


async def test_long_running_command_is_followed(
    fake: FakeSmartcar, patient_client: SmartcarClient
) -> None:
    """A 202 with a PENDING execution is re-read through its link until it succeeds."""
    execution = f"/vehicles/{VEHICLE_ID}/commands/executions/exec_1"
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/start",
        Reply(_running(execution), status=202),
    )
    fake.add(
        "GET",
        f"/v3{execution}",
        Reply(_running(execution)),
        Reply(load("v3_command_long_running.json")),
    )
    result = await patient_client.async_start_charge(VEHICLE_ID)
    assert result.status == "SUCCESS"
    polls = fake.calls("GET", f"/v3{execution}")
    assert len(polls) == 2
    assert all(call.headers.get("sc-user-id") == USER_ID for call in polls)


async def test_long_running_command_failure_and_timeout(
    fake: FakeSmartcar, patient_client: SmartcarClient
) -> None:
    """A running command that fails raises its error; one that never ends times out."""
    execution = f"/v3/vehicles/{VEHICLE_ID}/commands/executions/exec_1"
    fake.add("POST", f"{VEHICLE}/commands/security/lock", Reply(_running(execution), status=202))
    fake.add("GET", execution, Reply(load("v3_command_failed.json")))
    with pytest.raises(SmartcarError) as failed:
        await patient_client.async_lock(VEHICLE_ID)
    assert failed.value.code not in (None, "PENDING")

    fake.add("GET", execution, Reply(_running(execution)))
    with pytest.raises(SmartcarTimeoutError) as slow:
        await patient_client.async_lock(VEHICLE_ID)
    assert slow.value.code == "PENDING"


async def test_long_running_command_link_elsewhere_is_not_followed(
    fake: FakeSmartcar, patient_client: SmartcarClient
) -> None:
    """The token never goes to a host other than Smartcar's v3 origin."""
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/stop",
        Reply(_running("https://elsewhere.example/executions/1"), status=202),
    )
    with pytest.raises(SmartcarCommandError) as caught:
        await patient_client.async_stop_charge(VEHICLE_ID)
    assert caught.value.code == "PENDING"
