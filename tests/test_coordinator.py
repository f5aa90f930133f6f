"""Reading vehicles: schedule, partial results, and how each Smartcar failure is handled."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smartcar.api import Field, Reading, VehicleState
from custom_components.smartcar.const import DOMAIN
from tests.conftest import (
    requests_to,
    setup_entry,
    v2_entry,
    v3_entry,
    vehicle_device,
)
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from custom_components.smartcar.coordinator import SmartcarVehicleCoordinator
    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
ODOMETER = "sensor.volkswagen_id_4_odometer"
BATTERY = "sensor.volkswagen_id_4_battery"
TRACKER = "device_tracker.volkswagen_id_4_location"

pytestmark = pytest.mark.usefixtures("v2_credentials")


def _coordinator(entry: Any) -> SmartcarVehicleCoordinator:
    return next(iter(entry.runtime_data.coordinators.values()))


def _batch_paths(sim: Simulator) -> list[list[str]]:
    return [
        [item["path"] for item in request.json["requests"]]
        for request in requests_to(sim, "/batch", "POST")
    ]


async def _next_read(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, coordinator: SmartcarVehicleCoordinator
) -> None:
    """Move time to the scheduled read and let it finish."""
    interval = coordinator.update_interval
    assert interval is not None
    freezer.tick(interval + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_first_read_then_only_enabled_entities(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """The first read learns what the car has; later reads skip disabled entities' paths."""
    entry = v2_entry(sim, vehicle_ids=[BEV])
    entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{BEV}-odometer",
        config_entry=entry,
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    (first,) = _batch_paths(sim)
    assert "/odometer" in first
    assert "/fuel" in first  # asked once; the BEV answers COMPATIBILITY
    assert hass.states.get("sensor.volkswagen_id_4_fuel_level") is None

    await _next_read(hass, freezer, coordinator)
    second = _batch_paths(sim)[-1]
    assert "/odometer" not in second
    assert "/fuel" not in second
    assert set(second) == {
        "/battery",
        "/battery/nominal_capacity",
        "/charge",
        "/charge/limit",
        "/security",
        "/location",
        "/tires/pressure",
    }
    assert coordinator.calls_per_read() == 7
    # Every path of every read is counted against the month.
    assert hass.states.get("sensor.volkswagen_id_4_requests_this_month").state == str(
        3 + len(first) + len(second)
    )


async def test_default_interval_follows_the_budget(hass: HomeAssistant, sim: Simulator) -> None:
    """Automatic polling stays inside 500 calls; fixed and manual follow the options."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    interval = _coordinator(entry).update_interval
    assert interval is not None
    assert timedelta(minutes=30) <= interval <= timedelta(hours=24)

    fixed = await setup_entry(
        hass,
        v2_entry(
            sim,
            vehicle_ids=[sim_const.ICE_VEHICLE_ID],
            email=sim_const.SECOND_USER_EMAIL,
            options={"polling_mode": "fixed", "interval_minutes": 60, "monthly_budget": 500},
        ),
    )
    assert _coordinator(fixed).update_interval == timedelta(hours=1)


async def test_one_failing_path_keeps_the_rest(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A batch item that fails keeps its last value; the others update."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    odometer = hass.states.get(ODOMETER).state
    battery = hass.states.get(BATTERY).state
    sim.drive(BEV, 10)
    sim.inject_fault(
        vehicle_id=BEV, path="/odometer", error_type="UPSTREAM", error_code="NO_RESPONSE"
    )
    await _next_read(hass, freezer, _coordinator(entry))
    assert hass.states.get(ODOMETER).state == odometer
    assert hass.states.get(BATTERY).state != battery
    assert entry.state is ConfigEntryState.LOADED


async def test_incompatible_field_is_dropped_for_good(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """COMPATIBILITY removes the capability: its entities leave, and it is never asked again."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    sim.inject_fault(
        vehicle_id=BEV,
        path="/tires/pressure",
        error_type="COMPATIBILITY",
        error_code="VEHICLE_NOT_CAPABLE",
        times=None,
    )
    await _next_read(hass, freezer, coordinator)
    assert hass.states.get("sensor.volkswagen_id_4_front_left_tire_pressure") is None
    await _next_read(hass, freezer, coordinator)
    assert "/tires/pressure" not in _batch_paths(sim)[-1]
    assert "tire_pressure" in coordinator.diagnostics()["unsupported"]


async def test_permission_error_on_one_field_never_reauths(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A PERMISSION answer for one path removes only that path's entities."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    sim.inject_fault(vehicle_id=BEV, path="/location", error_type="PERMISSION", times=None)
    await _next_read(hass, freezer, coordinator)
    assert hass.states.get(TRACKER) is None
    assert hass.states.get(BATTERY).state != STATE_UNAVAILABLE
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await _next_read(hass, freezer, coordinator)
    assert "/location" not in _batch_paths(sim)[-1]


async def test_connected_services_authentication_failure_reauths(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """The manufacturer account's login failed: only a new consent helps."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(
        vehicle_id=BEV,
        path="/batch",
        error_type="CONNECTED_SERVICES_ACCOUNT",
        error_code="AUTHENTICATION_FAILED",
    )
    await _next_read(hass, freezer, _coordinator(entry))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE


async def test_rate_limit_waits_for_retry_after_and_logs_once(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """429 with Retry-After: unavailable, next read after the wait, one log line each way."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    sim.inject_fault(
        vehicle_id=BEV,
        path="/batch",
        error_type="RATE_LIMIT",
        error_code="VEHICLE",
        retry_after=600,
        times=2,
    )
    caplog.set_level(logging.INFO)
    await _next_read(hass, freezer, coordinator)
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    reads = len(_batch_paths(sim)) + len(requests_to(sim, "/batch", "POST")) * 0

    # Still throttled 10 minutes later: no second error line.
    freezer.tick(timedelta(seconds=601))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(requests_to(sim, "/batch", "POST")) == reads + 1

    freezer.tick(timedelta(seconds=601))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(BATTERY).state != STATE_UNAVAILABLE
    errors = [r for r in caplog.records if "Error fetching" in r.getMessage()]
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(errors) == 1
    assert "600 seconds" in errors[0].getMessage()
    assert len(recovered) == 1


async def test_billing_limit_raises_a_repair_issue(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """430: a repair issue, a daily retry, and the issue goes when reads work again."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    sim.inject_fault(
        vehicle_id=BEV, path="/batch", error_type="BILLING", error_code="VEHICLE_REQUEST_LIMIT"
    )
    await _next_read(hass, freezer, coordinator)
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(DOMAIN, f"billing_limit_{BEV}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "vehicle": "Volkswagen ID.4",
        "code": "VEHICLE_REQUEST_LIMIT",
    }
    before = len(requests_to(sim, "/batch", "POST"))
    freezer.tick(timedelta(hours=23))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(requests_to(sim, "/batch", "POST")) == before
    freezer.tick(timedelta(hours=1, seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(requests_to(sim, "/batch", "POST")) == before + 1
    assert issues.async_get_issue(DOMAIN, f"billing_limit_{BEV}") is None


async def test_every_path_failing_makes_the_vehicle_unavailable(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Each item asleep (or one billed out): unavailable, with the reason kept."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    for path in ("/battery", "/battery/nominal_capacity", "/charge", "/charge/limit"):
        sim.inject_fault(vehicle_id=BEV, path=path, error_type="VEHICLE_STATE", error_code="ASLEEP")
    for path in ("/security", "/odometer", "/location"):
        sim.inject_fault(vehicle_id=BEV, path=path, error_type="VEHICLE_STATE", error_code="ASLEEP")
    sim.inject_fault(
        vehicle_id=BEV,
        path="/tires/pressure",
        error_type="BILLING",
        error_code="VEHICLE_REQUEST_LIMIT",
    )
    await _next_read(hass, freezer, coordinator)
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"billing_limit_{BEV}") is not None
    assert coordinator.update_interval is not None


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"error_type": "SERVER", "error_code": "INTERNAL"}, "update_failed"),
        ({"error_type": "VEHICLE_STATE", "error_code": "UNREACHABLE"}, "update_vehicle_state"),
        ({"drop": True}, "update_cannot_connect"),
    ],
)
async def test_whole_read_failures_are_translated(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    fault: dict[str, Any],
    key: str,
) -> None:
    """A failed batch makes the vehicle unavailable with a translated reason."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    sim.inject_fault(vehicle_id=BEV, path="/batch", **fault)
    await _next_read(hass, freezer, coordinator)
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    assert coordinator.last_exception is not None
    assert getattr(coordinator.last_exception, "translation_key", None) == key


async def test_read_timeout_is_translated(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Smartcar taking too long is reported as a timeout."""
    from custom_components.smartcar.api import SmartcarTimeoutError

    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    with patch.object(
        coordinator.client, "async_get_state", side_effect=SmartcarTimeoutError("slow")
    ):
        await _next_read(hass, freezer, coordinator)
    assert getattr(coordinator.last_exception, "translation_key", None) == "update_timeout"


async def test_a_failing_first_read_does_not_block_setup(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Retrying setup every few seconds would burn the allowance: load, read on schedule."""
    sim.inject_fault(vehicle_id=BEV, path="/batch", error_type="SERVER", error_code="INTERNAL")
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    assert entry.state is ConfigEntryState.LOADED
    assert "The first read of Volkswagen ID.4 failed (SERVER:INTERNAL" in caplog.text
    # Readings appear once their data first arrives; the lock works from the start.
    assert hass.states.get(BATTERY) is None
    assert hass.states.get("lock.volkswagen_id_4").state == STATE_UNKNOWN
    await _next_read(hass, freezer, _coordinator(entry))
    assert hass.states.get(BATTERY).state != STATE_UNAVAILABLE


async def test_a_first_read_that_times_out_does_not_block_setup(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The first read is bounded in time."""

    async def never_answers(*_args: object) -> VehicleState:
        await asyncio.Event().wait()
        raise AssertionError  # pragma: no cover

    with (
        patch("custom_components.smartcar.coordinator.FIRST_REFRESH_TIMEOUT", 0.01),
        patch(
            "custom_components.smartcar.SmartcarClient.async_get_state", side_effect=never_answers
        ),
    ):
        entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(BATTERY) is None


async def test_first_read_billing_and_all_items_failing(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A billed-out first read raises the issue; all items failing still sets up entities."""
    sim.inject_fault(
        vehicle_id=BEV, path="/batch", error_type="BILLING", error_code="VEHICLE_REQUEST_LIMIT"
    )
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"billing_limit_{BEV}") is not None

    ice = sim_const.ICE_VEHICLE_ID
    for path in ("/security", "/odometer", "/location", "/fuel", "/tires/pressure", "/engine/oil"):
        sim.inject_fault(vehicle_id=ice, path=path, error_type="VEHICLE_STATE", error_code="ASLEEP")
    other = await setup_entry(
        hass, v2_entry(sim, vehicle_ids=[ice], email=sim_const.SECOND_USER_EMAIL)
    )
    assert other.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.ford_escape_odometer").state == STATE_UNAVAILABLE


async def test_first_read_authentication_failure_reauths(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A rejected credential in the first read fails setup with reauthentication."""
    entry = v2_entry(sim, vehicle_ids=[BEV])
    sim.inject_fault(
        vehicle_id=BEV,
        path="/batch",
        error_type="CONNECTED_SERVICES_ACCOUNT",
        error_code="AUTHENTICATION_FAILED",
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_metadata_falls_back_without_failing_setup(
    hass: HomeAssistant, sim: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """Make and permissions unreadable, VIN 404: the vehicle is still set up."""
    sim.inject_fault(vehicle_id=BEV, path="/", error_type="SERVER", error_code="INTERNAL")
    sim.inject_fault(
        vehicle_id=BEV, path="/vin", error_type="RESOURCE_NOT_FOUND", error_code="PATH"
    )
    sim.inject_fault(
        vehicle_id=BEV, path="/permissions", error_type="SERVER", error_code="INTERNAL"
    )
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    assert entry.state is ConfigEntryState.LOADED
    device = vehicle_device(device_registry, entry.entry_id, BEV)
    assert device is not None
    assert device.name == "Smartcar vehicle"
    assert device.serial_number is None
    assert hass.states.get("sensor.smartcar_vehicle_battery") is not None


@pytest.mark.parametrize("path", ["/vin", ""])
async def test_metadata_authentication_failure_reauths(
    hass: HomeAssistant, sim: Simulator, path: str
) -> None:
    """A rejected credential while reading the VIN or the attributes starts reauthentication."""
    entry = v2_entry(sim, vehicle_ids=[BEV])
    sim.inject_fault(
        vehicle_id=BEV,
        path=path,
        method="GET",
        error_type="CONNECTED_SERVICES_ACCOUNT",
        error_code="AUTHENTICATION_FAILED",
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_virtual_key_answer_on_a_read_raises_the_issue(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A read refused for a missing Tesla virtual key points the user to Tesla's page."""
    tesla = sim_const.TESLA_VEHICLE_ID
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[tesla]))
    sim.inject_fault(
        vehicle_id=tesla,
        path="/security",
        error_type="CONNECTED_SERVICES_ACCOUNT",
        error_code="VIRTUAL_KEY_REQUIRED",
        resolution_url=sim_const.TESLA_VIRTUAL_KEY_URL,
    )
    await _next_read(hass, freezer, _coordinator(entry))
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"virtual_key_{tesla}")
    assert issue is not None
    assert issue.learn_more_url == sim_const.TESLA_VIRTUAL_KEY_URL
    assert hass.states.get("sensor.tesla_model_3_battery").state != STATE_UNAVAILABLE


async def test_nothing_to_read_costs_nothing(hass: HomeAssistant, sim: Simulator) -> None:
    """Without any read permission nothing is polled."""
    entry = await setup_entry(
        hass,
        v2_entry(sim, vehicle_ids=[BEV], permissions=["read_vehicle_info", "control_security"]),
    )
    assert entry.state is ConfigEntryState.LOADED
    assert not requests_to(sim, "/batch")
    assert hass.states.get("lock.volkswagen_id_4").state == STATE_UNKNOWN
    assert _coordinator(entry).calls_per_read() == 0


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_signal_errors_are_per_field(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """v3: one signal in error keeps the others; a VIN-less car uses its vehicle id."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    assert coordinator.calls_per_read() == 1
    sim.inject_fault(
        vehicle_id=BEV,
        signal="odometer-traveleddistance",
        error_type="COMPATIBILITY",
        error_code="VEHICLE_NOT_CAPABLE",
        times=None,
    )
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.last_update_success
    assert hass.states.get(ODOMETER) is None
    assert hass.states.get(BATTERY).state != STATE_UNAVAILABLE


async def test_push_merges_readings_and_backs_off_polling(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Pushed state updates entities at once and polling falls back to a daily safety read."""
    from custom_components.smartcar.api import SmartcarCompatibilityError, SmartcarServerError

    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    coordinator.async_push(
        VehicleState.from_readings(
            {Field.BATTERY_LEVEL: Reading(99.0), Field.FUEL_LEVEL: Reading(1.0)},
            {
                Field.TIRE_PRESSURE: SmartcarCompatibilityError("no", code="VEHICLE_NOT_CAPABLE"),
                Field.ODOMETER: SmartcarServerError("later", code="INTERNAL"),
            },
        )
    )
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == "99.0"
    assert coordinator.update_interval == timedelta(hours=24)
    assert not coordinator.capabilities.is_readable(Field.TIRE_PRESSURE)
    assert coordinator.data.fuel_level is None


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        ("TESLA", "Tesla"),
        ("MERCEDES-BENZ", "Mercedes-Benz"),
        ("bmw", "BMW"),
        ("ALFA-ROMEO", "Alfa-Romeo"),
        ("Polestar", "Polestar"),
        (" ", "Smartcar"),
    ],
)
def test_makes_are_shown_as_people_write_them(make: str, shown: str) -> None:
    """Smartcar spells makes in capitals; device names should not shout."""
    from custom_components.smartcar.helpers import display_make

    assert display_make(make) == shown


def test_errors_are_described_by_identifiers_only() -> None:
    """Log lines carry type, code, status and request id, never Smartcar's text."""
    from custom_components.smartcar.api import SmartcarOAuthError, SmartcarServerError
    from custom_components.smartcar.helpers import describe_error

    assert (
        describe_error(
            SmartcarServerError("secret text", code="INTERNAL", status=500, request_id="r1")
        )
        == "SERVER:INTERNAL, HTTP 500, request r1"
    )
    assert describe_error(
        SmartcarOAuthError("Invalid refresh_token: abc", error_type="invalid_grant")
    ) == ("invalid_grant")
    assert describe_error(ValueError("x")) == "ValueError"


async def test_account_issue_on_one_field_keeps_the_vehicle(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A connected-services problem on one path is neither reauth nor a virtual-key issue."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(
        vehicle_id=BEV,
        path="/odometer",
        error_type="CONNECTED_SERVICES_ACCOUNT",
        error_code="SUBSCRIPTION",
    )
    await _next_read(hass, freezer, _coordinator(entry))
    assert hass.states.get(BATTERY).state != STATE_UNAVAILABLE
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"virtual_key_{BEV}") is None
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
