"""The client reading Smartcar API v3: the signal store as it behaves live (§4.0), units, VIN.

Commands are in ``test_client_v3_commands.py``, connections and subscriptions in
``test_client_v3_connections.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.smartcar.api import (
    SIGNAL_NOT_INGESTED,
    ApiVersion,
    ApplicationTokenAuth,
    ChargingState,
    Field,
    Location,
    Opening,
    Reading,
    SmartcarClient,
    SmartcarConnectedServicesAccountError,
    SmartcarError,
    SmartcarPermissionError,
    SmartcarResourceNotFoundError,
    SmartcarResponseError,
    SmartcarSignalNotIngestedError,
    StaticTokenAuth,
    TirePressure,
    Vehicle,
    VehicleState,
    VehicleStateEvent,
    _v3,
    parse_webhook,
)

from .conftest import APP_TOKEN, USER_ID, VEHICLE_ID, FakeSmartcar, Reply, load, load_bytes

if TYPE_CHECKING:
    from aiohttp import ClientSession, web

VEHICLE = f"/v3/vehicles/{VEHICLE_ID}"
SIGNALS = f"{VEHICLE}/signals"
OEM_TIME = datetime(2025, 7, 9, 23, 35, 18, 549000, tzinfo=UTC)
RETRIEVED = datetime(2025, 7, 9, 23, 36, 58, 549000, tzinfo=UTC)
# The ISO-8601 meta of the live REST captures (v3_signals_live.json).
LIVE_OEM = datetime(2026, 11, 30, 8, 14, 40, tzinfo=UTC)
LIVE_RETRIEVED = datetime(2026, 11, 30, 8, 15, 2, 118000, tzinfo=UTC)
LIVE_INGESTED = datetime(2026, 11, 30, 8, 15, 2, 512000, tzinfo=UTC)


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
    assert v3_client.calls_per_read([Field.ODOMETER, Field.LOCKED]) == 1
    assert v3_client.calls_per_read([]) == 0
    assert not v3_client.permissions_read_billed
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


async def test_vin_before_ingestion(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    """§4.0 items 1 and 5: a single signal answers 404 until ingested, then comes wrapped."""
    fake.add(
        "GET",
        f"{SIGNALS}/vehicleidentification-vin",
        Reply(load("error_v3_not_found.json"), status=404, headers={"SC-Request-Id": "r-404"}),
        Reply({"data": load("v3_signal_vin.json")}),
    )
    with pytest.raises(SmartcarSignalNotIngestedError) as caught:
        await v3_client.async_get_vin(VEHICLE_ID)
    assert isinstance(caught.value, SmartcarResourceNotFoundError)
    assert (caught.value.type, caught.value.code) == ("RESOURCE_NOT_FOUND", SIGNAL_NOT_INGESTED)
    assert (caught.value.status, caught.value.request_id) == (404, "r-404")
    assert await v3_client.async_get_vin(VEHICLE_ID) == "5YJ3E1EA7KF000001"


async def test_live_store_on_one_page(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    """The live shape of §4.0: one page of signals read without query parameters.

    ISO meta with ingestedAt, upper-case limit types with activeLimit null, the charge-port
    flap and unit-less bar tyres.
    """
    fake.add("GET", SIGNALS, Reply(load("v3_signals_live.json")))
    state = await v3_client.async_get_state(VEHICLE_ID, list(Field))
    (call,) = fake.calls()
    assert call.raw_path == SIGNALS
    assert call.headers["sc-user-id"] == USER_ID

    def reading(value: object) -> Reading[object]:
        return Reading(value, LIVE_OEM, LIVE_RETRIEVED, LIVE_INGESTED)

    assert state.store_empty is False
    assert state.battery_level == reading(64.0)
    # GLOBAL is the car's limit; the LOCATION limit (90) applies only at its place.
    assert state.charge_limit == reading(80.0)
    assert state.charge_port_open == reading(False)
    assert state.plugged_in == reading(False)
    assert state.charging_state == reading(ChargingState.NOT_CHARGING)
    assert state.tire_pressure == reading(TirePressure(240.0, 250.0, 260.0, 270.0))
    assert state.rear_trunk_open == reading(True)
    assert state.location == reading(Location(52.0907, 5.1214, 270.0))
    assert state.asleep == reading(True)
    assert state.errors == {}
    engine = {Field.FUEL_LEVEL, Field.FUEL_RANGE, Field.FUEL_AMOUNT, Field.OIL_LIFE}
    assert {field for field, _ in state.readings()} == set(Field) - engine


async def test_empty_store_is_a_state(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    """§4.0 item 1: ``data: []`` is a vehicle not yet subscribed, not a vehicle without data."""
    fake.add(
        "GET",
        SIGNALS,
        Reply(load("v3_signals_empty.json")),
        Reply({"data": []}),
    )
    for _ in range(2):
        state = await v3_client.async_get_state(VEHICLE_ID, list(Field))
        assert state == VehicleState(store_empty=True)
        assert list(state.readings()) == []
        assert state.errors == {}
    assert len(fake.calls()) == 2


def test_timestamps_iso_and_epoch_ms_alike() -> None:
    """§4.0 item 6: REST meta is ISO-8601, webhook meta epoch milliseconds."""
    iso = {"retrievedAt": "2026-11-30T08:15:02.118Z", "oemUpdatedAt": "2026-11-30T09:14:40+01:00"}
    epoch = {"retrievedAt": 1796026502118, "oemUpdatedAt": "1796026480000"}
    state = _v3.state_from_signals(
        [
            {"code": "closure-islocked", "body": {"value": True}, "meta": iso},
            {"code": "odometer-traveleddistance", "body": {"value": 3}, "meta": epoch},
        ]
    )
    assert state.locked == Reading(True, LIVE_OEM, LIVE_RETRIEVED)
    assert state.odometer == Reading(3.0, LIVE_OEM, LIVE_RETRIEVED)


async def test_state_follows_signal_pages(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    pages = {
        "1": load("v3_signals_page1.json"),
        "2": load("v3_signals_page2.json"),
        "3": load("v3_signals_page3.json"),
    }

    async def signals(request: web.Request) -> Reply:
        return Reply(pages[request.query.get("page", "1")])

    fake.add("GET", SIGNALS, signals)
    state = await v3_client.async_get_state(VEHICLE_ID, list(Field))
    calls = fake.calls()
    assert [dict(call.query) for call in calls] == [
        {},  # no query parameters, as the SDKs send (§4.0 item 4)
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


async def test_signals_follow_links_not_meta(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    """§4.0 item 4: only ``links.next`` leads to another page of signals (each is billed)."""

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
    assert state.odometer is None
    assert [dict(call.query) for call in fake.calls()] == [{}]


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
    assert state.locked is not None
    assert state.odometer is None
    assert [call.path for call in fake.calls()] == [SIGNALS]


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
    state = await v3_client.async_get_state(VEHICLE_ID, [Field.LOCKED])
    assert state == VehicleState(store_empty=True)
    assert len(fake.calls()) == 1


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
    wrapped = _v3.parse_signal(load("v3_signal_odometer_wrapped.json")["data"])
    assert wrapped is not None
    assert (wrapped.data_age, wrapped.fetched_at, wrapped.ingested_at) == (
        LIVE_OEM,
        LIVE_RETRIEVED,
        LIVE_INGESTED,
    )


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
        # §4.0 item 7: GLOBAL in any case is the car's limit, LOCATION never is.
        (
            "charge-chargelimits",
            {
                "values": [
                    {"type": "LOCATION", "limit": 60, "condition": {"name": "Work"}},
                    {"type": " Global ", "limit": 85, "condition": None},
                ],
                "activeLimit": 60,
            },
            85.0,
        ),
        (
            "charge-chargelimits",
            {"values": [{"type": "LOCATION", "limit": 60}], "activeLimit": None},
            None,
        ),
        ("charge-chargelimits", {"values": [{"type": "CONNECTOR", "limit": 70}]}, None),
        ("charge-chargelimits", {"values": [{"type": 3, "limit": 70}], "activeLimit": 75}, 75.0),
        # §4.0 item 8: the charge port is the Charge group's flap.
        ("charge-ischargingportflapopen", {"value": True}, True),
        ("charge-ischargingportflapopen", {"isOpen": False}, False),
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
        # §4.0 item 9: a unit when sent; without one, below 10 is bar, otherwise kPa.
        (
            "wheel-tires",
            {"values": [{"row": 0, "column": 0, "tirePressure": 2.3}]},
            TirePressure(230.0, None, None, None),
        ),
        (
            "wheel-tires",
            {"values": [{"row": 1, "column": 1, "tirePressure": 235}]},
            TirePressure(None, None, None, 235.0),
        ),
        (
            "wheel-tires",
            {"values": [{"row": 0, "column": 1, "tirePressure": 35, "unit": "psi"}]},
            TirePressure(None, pytest.approx(241.3165), None, None),
        ),
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
    assert state.charge_limit == Reading(90.0)
    assert _v3.state_from_signals("nope") == VehicleState()


def test_active_limit_signal_only_as_a_fallback() -> None:
    """§4.0 item 7: ``charge-activelimit`` may not exist; it counts only without the limits."""
    active = {"code": "charge-activelimit", "body": {"value": 70}}
    limits = {"code": "charge-chargelimits", "body": {"values": [{"type": "GLOBAL", "limit": 80}]}}
    assert _v3.state_from_signals([active]).charge_limit == Reading(70.0)
    assert _v3.state_from_signals([active, limits]).charge_limit == Reading(80.0)
    assert _v3.state_from_signals([limits, active]).charge_limit == Reading(80.0)


def test_webhook_signals_keyed_by_group_and_name() -> None:
    """§4.0 item 11: ``data.signals`` may be an object keyed by ``"Group.Name"``."""
    event = parse_webhook(load_bytes("webhook_state_keyed.json"))
    assert isinstance(event, VehicleStateEvent)
    state = event.state
    assert state.battery_level == Reading(71.0)
    assert state.odometer == Reading(
        31262.0,
        datetime(2026, 11, 30, 8, 14, 40, tzinfo=UTC),
        datetime(2026, 11, 30, 8, 15, 2, 118000, tzinfo=UTC),
    )
    assert state.charge_port_open == Reading(True)
    listed = parse_webhook(load_bytes("webhook_state_b.json"))
    assert isinstance(listed, VehicleStateEvent)
    assert listed.state.battery_level is not None
    assert _v3.signal_items({"odometer-traveleddistance": 5}) == [
        {"body": 5, "code": "odometer-traveleddistance"}
    ]
    assert _v3.signal_items({"": {"status": {"value": "ERROR"}}}) == [
        {"status": {"value": "ERROR"}}
    ]
