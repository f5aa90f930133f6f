"""Read planning through Home Assistant: profiles, usage sensors, confirmations, the bucket."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.const import ATTR_ENTITY_ID, EntityCategory
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smartcar.api import Field, Reading, VehicleState
from custom_components.smartcar.planner import CONFIRM_WAIT
from custom_components.smartcar.polling import PlanReason, PollingMode
from custom_components.smartcar.scheduling import app_bucket
from tests.conftest import requests_to, setup_entry, v3_entry
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er

    from custom_components.smartcar.coordinator import SmartcarVehicleCoordinator
    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
ICE = sim_const.ICE_VEHICLE_ID
LOCK = "lock.volkswagen_id_4"
BATTERY = "sensor.volkswagen_id_4_battery"
CALLS = "sensor.volkswagen_id_4_requests_this_month"
CALLS_LEFT = "sensor.volkswagen_id_4_requests_left_this_month"
NEXT_READ = "sensor.volkswagen_id_4_next_planned_read"
REASON = "sensor.volkswagen_id_4_reason_for_the_next_read"
TOKEN = sim_const.MANAGEMENT_TOKEN

pytestmark = pytest.mark.usefixtures("v3_credentials")


def _coordinator(entry: Any, vehicle_id: str = BEV) -> SmartcarVehicleCoordinator:
    coordinator: SmartcarVehicleCoordinator = entry.runtime_data.coordinators[vehicle_id]
    return coordinator


def _reads(sim: Simulator, vehicle_id: str = BEV) -> int:
    return len(requests_to(sim, f"/v3/vehicles/{vehicle_id}/signals", "GET"))


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: Simulator, delta: timedelta
) -> None:
    """Move Home Assistant's clock and the simulator's together, and let timers run."""
    freezer.tick(delta)
    sim.clock.advance(delta.total_seconds())
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_profiles_are_offered_and_a_bad_interval_is_refused(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The five profiles; an interval between 0 and 15 minutes is refused, the input kept."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    assert _coordinator(entry).settings.mode is PollingMode.BALANCED
    result = await hass.config_entries.options.async_init(entry.entry_id)
    selector = result["data_schema"].schema["polling_mode"]
    assert selector.config["options"] == [
        "economy",
        "balanced",
        "responsive",
        "push_only",
        "custom",
    ]
    answer = {"polling_mode": "custom", "interval_minutes": 5, "monthly_budget": 800}
    result = await hass.config_entries.options.async_configure(result["flow_id"], answer)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"interval_minutes": "interval_too_short"}
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested["polling_mode"] == "custom"
    assert suggested["interval_minutes"] == 5
    assert suggested["monthly_budget"] == 800

    answer = {"polling_mode": "economy", "interval_minutes": 15, "monthly_budget": 800}
    result = await hass.config_entries.options.async_configure(result["flow_id"], answer)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    assert coordinator.settings.mode is PollingMode.ECONOMY
    assert coordinator.settings.monthly_budget == 800
    assert int(hass.states.get(CALLS_LEFT).state) == 800 - int(hass.states.get(CALLS).state)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {"polling_mode": "automatic", "interval_minutes": 720, "monthly_budget": 500},
            {"polling_mode": "balanced", "interval_minutes": 720, "monthly_budget": 500},
        ),
        (
            {"polling_mode": "fixed", "interval_minutes": 60, "monthly_budget": 500},
            {"polling_mode": "custom", "interval_minutes": 60, "monthly_budget": 500},
        ),
        (
            {"polling_mode": "manual", "interval_minutes": 60, "monthly_budget": 500},
            {"polling_mode": "custom", "interval_minutes": 0, "monthly_budget": 500},
        ),
        (
            {"polling_mode": "manual", "management_token": TOKEN, "webhook_id": "hook"},
            {"polling_mode": "push_only", "management_token": TOKEN, "webhook_id": "hook"},
        ),
        ({}, {}),
    ],
)
async def test_polling_modes_of_older_entries_become_profiles(
    hass: HomeAssistant, sim: Simulator, options: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Automatic is balanced, fixed is custom, manual is push only or custom without reads."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV], options=options))
    assert entry.minor_version == 2
    assert dict(entry.options) == expected
    coordinator = _coordinator(entry)
    if expected.get("interval_minutes") == 0:
        assert coordinator.update_interval is None
        assert hass.states.get(REASON).state == "manual"


async def test_usage_sensors_show_calls_and_the_next_read(
    hass: HomeAssistant, sim: Simulator, entity_registry: er.EntityRegistry
) -> None:
    """Calls used and left, when the next read is planned and why: diagnostic, translated."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    for entity_id, name in (
        (CALLS, "Requests this month"),
        (CALLS_LEFT, "Requests left this month"),
        (NEXT_READ, "Next planned read"),
        (REASON, "Reason for the next read"),
    ):
        registry_entry = entity_registry.async_get(entity_id)
        assert registry_entry is not None
        assert registry_entry.entity_category is EntityCategory.DIAGNOSTIC
        assert registry_entry.original_name == name
    used = int(hass.states.get(CALLS).state)
    assert used == coordinator.calls_this_month > 0
    assert int(hass.states.get(CALLS_LEFT).state) == 500 - used
    assert coordinator.plan is not None
    assert coordinator.plan.at is not None
    assert hass.states.get(NEXT_READ).state == coordinator.plan.at.isoformat(timespec="seconds")
    assert hass.states.get(REASON).state == str(coordinator.plan.reason)
    assert hass.states.get(REASON).attributes["options"] == [str(r) for r in PlanReason]
    # The first read is planned from now: read again within the profile's longest interval.
    assert coordinator.update_interval is not None
    assert coordinator.update_interval <= timedelta(hours=6, minutes=5)
    diagnostics = coordinator.diagnostics()["planner"]
    assert diagnostics["reason"] == str(coordinator.plan.reason)
    assert diagnostics["wasted_reads"] == 0


async def test_update_entity_reads_at_once_and_is_counted(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """homeassistant.update_entity reads the car now, whatever the plan, and counts it."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    # Even with the application's bucket empty (a planned read would wait).
    coordinator.bucket.take(dt_util.utcnow(), 500)
    reads, used = _reads(sim), int(hass.states.get(CALLS).state)
    await hass.services.async_call(
        "homeassistant", "update_entity", {ATTR_ENTITY_ID: BATTERY}, blocking=True
    )
    await hass.async_block_till_done()
    assert _reads(sim) == reads + 1
    assert int(hass.states.get(CALLS).state) == used + 1
    assert int(hass.states.get(CALLS_LEFT).state) == 500 - used - 1


async def test_a_command_no_push_confirms_is_read_once(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """After a command, one read checks the car unless a push confirms it first."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    used = int(hass.states.get(CALLS).state)
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    await hass.async_block_till_done()
    assert hass.states.get(REASON).state == "confirmation"
    assert int(hass.states.get(CALLS).state) == used + 1
    reads = _reads(sim)
    await _tick(hass, freezer, sim, CONFIRM_WAIT + timedelta(seconds=2))
    assert _reads(sim) == reads + 1
    assert hass.states.get(LOCK).state == "unlocked"
    assert coordinator.data.locked is not None
    assert not coordinator.data.locked.optimistic
    assert hass.states.get(REASON).state != "confirmation"

    # This time a push shows the car locked before the wait is over: no read.
    await hass.services.async_call(LOCK_DOMAIN, SERVICE_LOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(REASON).state == "confirmation"
    now = dt_util.utcnow()
    coordinator.async_push(VehicleState.from_readings({Field.LOCKED: Reading(True, now, now)}))
    await hass.async_block_till_done()
    assert hass.states.get(REASON).state != "confirmation"
    reads = _reads(sim)
    await _tick(hass, freezer, sim, CONFIRM_WAIT + timedelta(seconds=2))
    assert _reads(sim) == reads


async def test_a_planned_read_waits_for_the_application_bucket(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """With the shared bucket short, the planned read is postponed instead of risking a 429."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    assert coordinator.update_interval is not None
    # Another entry of the application was told to wait an hour (a 429).
    coordinator.bucket.block(dt_util.utcnow(), 3600)
    reads = _reads(sim)
    await _tick(hass, freezer, sim, coordinator.update_interval + timedelta(seconds=1))
    assert _reads(sim) == reads
    assert hass.states.get(REASON).state == "app_rate_limit"
    assert coordinator.update_interval is not None
    assert coordinator.update_interval <= timedelta(minutes=30)
    await _tick(hass, freezer, sim, coordinator.update_interval + timedelta(seconds=1))
    assert _reads(sim) == reads + 1


async def test_a_429_about_the_application_holds_back_every_vehicle(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Smartcar's Retry-After for the whole application applies to all of its vehicles."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV, ICE]))
    bev, ice = _coordinator(entry), _coordinator(entry, ICE)
    assert bev.bucket is ice.bucket is app_bucket(hass, sim_const.API_CLIENT_ID)
    assert bev.bucket.vehicles == 2
    sim.inject_fault(
        vehicle_id=BEV,
        path="/signals",
        error_type="RATE_LIMIT",
        error_code="SMARTCAR_API",
        retry_after=12 * 3600,
    )
    await bev.async_request_refresh()
    await hass.async_block_till_done()
    assert bev.plan is not None
    assert bev.plan.reason is PlanReason.APP_RATE_LIMIT
    assert bev.update_interval == timedelta(hours=12)
    # The usage sensors stay available while reads fail.
    assert hass.states.get(REASON).state == "app_rate_limit"
    # The other car's planned read waits for the application too.
    reads = _reads(sim, ICE)
    assert ice.update_interval is not None
    await _tick(hass, freezer, sim, ice.update_interval + timedelta(seconds=1))
    assert _reads(sim, ICE) == reads
    assert ice.plan is not None
    assert ice.plan.reason is PlanReason.APP_RATE_LIMIT
    await hass.config_entries.async_unload(entry.entry_id)
    assert bev.bucket.vehicles == 1  # nobody left: counted as one


async def test_many_vehicles_starting_at_once_wait_for_the_bucket(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """When the bucket is spent, set-up skips metadata and defers the first read, no 429."""
    app_bucket(hass, sim_const.API_CLIENT_ID).take(dt_util.utcnow(), 500)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    assert requests_to(sim, f"/v3/vehicles/{BEV}", "GET") == []
    assert _reads(sim) == 0
    assert coordinator.vehicle.make == "VOLKSWAGEN"  # from the connection
    assert coordinator.vehicle.vin is None
    assert hass.states.get(REASON).state == "app_rate_limit"
    assert coordinator.update_interval is not None
    await _tick(hass, freezer, sim, coordinator.update_interval + timedelta(seconds=1))
    assert _reads(sim) == 1
    assert hass.states.get(BATTERY) is not None
