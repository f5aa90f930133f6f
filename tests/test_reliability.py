"""What a user must never live through: lost commands, rolled-back values, unstable entities.

Each test here stands for a defect a review proved against the simulator: a failed read that
silenced commands for hours, a read in flight that wiped out a command or a push, older data
that overwrote newer, the same vehicle under two Smartcar users, device removal while the entry
was not loaded, entities that came and went with the first read after a restart, and smaller
ones (unbounded first-refresh calls, a made-up lock state, an optimistic update that moved the
"Data updated" sensor).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import attr
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

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
    from datetime import datetime

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

    from custom_components.smartcar.coordinator import SmartcarVehicleCoordinator
    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
LOCK = "lock.volkswagen_id_4"
BATTERY = "sensor.volkswagen_id_4_battery"
ODOMETER = "sensor.volkswagen_id_4_odometer"
UPDATED = "sensor.volkswagen_id_4_data_updated"


def _coordinator(entry: Any) -> SmartcarVehicleCoordinator:
    return next(iter(entry.runtime_data.coordinators.values()))


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: Simulator, delta: timedelta
) -> None:
    """Move Home Assistant's clock and the simulator's together, and let timers run."""
    freezer.tick(delta)
    sim.clock.advance(delta.total_seconds())
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _held_read(coordinator: SmartcarVehicleCoordinator) -> tuple[asyncio.Event, asyncio.Event]:
    """Make the next state read fetch its answer, then wait before returning it.

    Returns (answered, release): ``answered`` is set once Smartcar answered, and the read
    returns only after ``release`` is set, so a command or push can land in between.
    """
    answered = asyncio.Event()
    release = asyncio.Event()
    real = coordinator.client.async_get_state

    async def held(vehicle_id: str, fields: Any) -> VehicleState:
        state = await real(vehicle_id, fields)
        answered.set()
        await release.wait()
        return state

    coordinator.client.async_get_state = held  # type: ignore[method-assign]
    return answered, release


def _pushed(moment: datetime, **values: Any) -> VehicleState:
    """A pushed state whose values the car recorded at ``moment``."""
    return VehicleState.from_readings(
        {Field(name): Reading(value, moment, moment) for name, value in values.items()}
    )


# -- 1. a failed read never silences a command ----------------------------------------------


@pytest.mark.usefixtures("v2_credentials")
async def test_failed_read_keeps_commands_and_retries_within_minutes(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """After one HTTP 500 the lock still works and the read is retried within minutes."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    sim.inject_fault(vehicle_id=BEV, path="/batch", error_type="SERVER", error_code="INTERNAL")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert not coordinator.last_update_success

    assert hass.states.get(LOCK).state != STATE_UNAVAILABLE
    before = len(requests_to(sim, "/security", "POST"))
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    assert len(requests_to(sim, "/security", "POST")) == before + 1
    assert sim.vehicle(BEV).locked is False

    assert coordinator.update_interval is not None
    assert coordinator.update_interval <= timedelta(minutes=5)
    reads = len(requests_to(sim, "/batch", "POST"))
    await _tick(hass, freezer, sim, coordinator.update_interval + timedelta(seconds=1))
    assert len(requests_to(sim, "/batch", "POST")) == reads + 1
    assert coordinator.last_update_success


# -- 2. a read in flight never wipes out a command or a push -------------------------------


@pytest.mark.usefixtures("v2_credentials")
async def test_command_during_a_read_in_flight_is_kept(hass: HomeAssistant, sim: Simulator) -> None:
    """The read answered "locked" before the unlock; the unlock must still show."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    assert hass.states.get(LOCK).state == "locked"
    answered, release = _held_read(coordinator)
    read = hass.async_create_task(coordinator.async_refresh())
    await answered.wait()
    sim.clock.advance(1)
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    assert hass.states.get(LOCK).state == "unlocked"
    release.set()
    await read
    await hass.async_block_till_done()
    assert hass.states.get(LOCK).state == "unlocked"


@pytest.mark.usefixtures("v2_credentials")
async def test_push_during_a_read_in_flight_is_kept(hass: HomeAssistant, sim: Simulator) -> None:
    """A webhook that lands while a read is in flight is not undone by the read."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    answered, release = _held_read(coordinator)
    read = hass.async_create_task(coordinator.async_refresh())
    await answered.wait()
    later = sim.clock.now() + timedelta(minutes=1)
    coordinator.async_push(_pushed(later, battery_level=12.0))
    # Not block_till_done: that would wait for the held read.
    assert hass.states.get(BATTERY).state == "12.0"
    release.set()
    await read
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == "12.0"


# -- 3. the newest value wins, and an event is applied once --------------------------------


@pytest.mark.usefixtures("v2_credentials")
async def test_stale_read_after_a_push_does_not_roll_back(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A read of data older than what a push delivered keeps the pushed value."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    recorded = sim.vehicle(BEV).soc
    coordinator.async_push(_pushed(sim.clock.now() + timedelta(minutes=5), battery_level=33.0))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == "33.0"
    assert recorded != 33.0


@pytest.mark.usefixtures("v2_credentials")
async def test_out_of_order_and_redelivered_pushes(hass: HomeAssistant, sim: Simulator) -> None:
    """An older delivery arriving late, or the same event again, changes nothing."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    start = sim.clock.now()
    assert coordinator.async_push(
        _pushed(start + timedelta(minutes=2), battery_level=60.0), event_id="event-2"
    )
    assert coordinator.async_push(
        _pushed(start + timedelta(minutes=1), battery_level=50.0), event_id="event-1"
    )
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == "60.0"
    changed: list[Any] = []
    hass.bus.async_listen("state_changed", changed.append)
    assert not coordinator.async_push(
        _pushed(start + timedelta(minutes=2), battery_level=60.0), event_id="event-2"
    )
    await hass.async_block_till_done()
    assert changed == []


# -- 4. the same car under two Smartcar users -------------------------------------------------


@pytest.mark.usefixtures("v2_credentials")
async def test_same_vehicle_in_two_accounts_keeps_both_working(
    hass: HomeAssistant, sim: Simulator, entity_registry: er.EntityRegistry
) -> None:
    """The second account of a car already set up names the owner entry instead of failing."""
    first = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    second = v2_entry(
        sim,
        vehicle_ids=[BEV, sim_const.ICE_VEHICLE_ID],
        email=sim_const.SECOND_USER_EMAIL,
    )
    await setup_entry(hass, second)
    assert second.state is ConfigEntryState.LOADED
    assert set(second.runtime_data.coordinators) == {sim_const.ICE_VEHICLE_ID}
    assert er.async_entries_for_config_entry(entity_registry, second.entry_id)
    assert hass.states.get(LOCK) is not None
    assert set(first.runtime_data.coordinators) == {BEV}


# -- 5. device removal -----------------------------------------------------------------------


#: Home Assistant 2026.4 gave every device a single config entry; before, devices were shared.
SHARED_DEVICES = "config_entry_id" not in attr.fields_dict(dr.DeviceEntry)


@pytest.mark.usefixtures("v2_credentials")
async def test_device_removal_while_the_entry_is_not_loaded(
    hass: HomeAssistant,
    sim: Simulator,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Removing a vehicle's device while its entry is unloaded works instead of crashing."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    current = vehicle_device(device_registry, entry.entry_id, BEV)
    assert current is not None
    await hass.config_entries.async_unload(entry.entry_id)
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": current.id,
        }
    )
    response = await client.receive_json()
    assert response["success"], response


@pytest.mark.skipif(not SHARED_DEVICES, reason="devices belong to one entry since 2026.4")
@pytest.mark.usefixtures("v2_credentials")
async def test_stale_shared_device_is_detached_not_removed(
    hass: HomeAssistant, sim: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """A stale device another entry shares keeps existing for that entry."""
    other = MockConfigEntry(domain="other_cars")
    other.add_to_hass(hass)
    entry = v2_entry(sim, vehicle_ids=[BEV])
    entry.add_to_hass(hass)
    shared = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "gone-vehicle")}, name="Old car"
    )
    device_registry.async_update_device(shared.id, add_config_entry_id=other.entry_id)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    kept = device_registry.async_get(shared.id)
    assert kept is not None
    assert entry.entry_id not in kept.config_entries
    assert other.entry_id in kept.config_entries


# -- 6. stable entities ------------------------------------------------------------------------


@pytest.mark.usefixtures("v3_credentials")
async def test_restart_keeps_entities_of_fields_missing_at_that_moment(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A signal the store lacks at the first read after a restart keeps its entity."""
    phev = sim_const.PHEV_VEHICLE_ID
    sunroof = "binary_sensor.toyota_rav4_prime_sunroof"
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[phev]))
    assert hass.states.get(sunroof) is not None
    await hass.config_entries.async_unload(entry.entry_id)
    sim.set_vehicle_state(phev, sunroof=None)
    sim.retrieve(sim.vehicle(phev))
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(sunroof)
    assert state is not None
    assert not state.attributes.get("restored")
    assert state.state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("v2_credentials")
async def test_field_learned_unsupported_leaves_the_registry(
    hass: HomeAssistant,
    sim: Simulator,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When Smartcar says the car cannot provide a field any more, its entity is removed."""
    caplog.set_level(logging.INFO)
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    assert entity_registry.async_get(ODOMETER) is not None
    sim.inject_fault(
        vehicle_id=BEV,
        path="/odometer",
        error_type="COMPATIBILITY",
        error_code="VEHICLE_NOT_CAPABLE",
    )
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert entity_registry.async_get(ODOMETER) is None
    assert hass.states.get(ODOMETER) is None
    assert "cannot provide odometer" in caplog.text


# -- 7. smaller ones ---------------------------------------------------------------------------


@pytest.mark.usefixtures("v2_credentials")
async def test_first_refresh_metadata_calls_are_time_boxed(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A vehicle that hangs on its attributes does not hold start-up past the time limit."""
    sim.inject_fault(vehicle_id=BEV, path="", method="GET", latency=1.5, times=None)
    with patch("custom_components.smartcar.coordinator.FIRST_REFRESH_TIMEOUT", 0.5):
        entry = v2_entry(sim, vehicle_ids=[BEV])
        entry.add_to_hass(hass)
        async with asyncio.timeout(1.2):
            await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    sim.clear_faults()
    await asyncio.sleep(1.5)  # let the simulator finish the requests it was holding


@pytest.mark.usefixtures("v2_credentials")
async def test_lock_without_read_permission_assumes_its_state(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Locking without read_security shows an assumed state, not a made-up one."""
    await setup_entry(
        hass,
        v2_entry(
            sim,
            vehicle_ids=[BEV],
            permissions=["read_vehicle_info", "read_vin", "read_battery", "control_security"],
        ),
    )
    state = hass.states.get(LOCK)
    assert state is not None
    assert state.attributes.get("assumed_state") is True
    await hass.services.async_call(LOCK_DOMAIN, SERVICE_LOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True)
    assert hass.states.get(LOCK).state == "locked"


@pytest.mark.usefixtures("v2_credentials")
async def test_optimistic_update_does_not_move_data_updated(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A command's expected state is not a reading: "Data updated" stays where it was."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    before = hass.states.get(UPDATED).state
    sim.clock.advance(600)
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    assert hass.states.get(LOCK).state == "unlocked"
    assert hass.states.get(UPDATED).state == before


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_optimistic_value_yields_to_the_first_newer_reading(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """After the command, the first reading newer than it replaces the expected state."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = _coordinator(entry)
    lock = LOCK
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: lock}, blocking=True
    )
    reading = coordinator.data.locked
    assert reading is not None
    assert reading.optimistic
    # Somebody locks the car with its key later; the next read shows it.
    await _tick(hass, freezer, sim, timedelta(minutes=1))
    sim.set_vehicle_state(BEV, locked=True)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(lock).state == "locked"
    reading = coordinator.data.locked
    assert reading is not None
    assert not reading.optimistic


@pytest.mark.usefixtures("v3_credentials")
async def test_command_sent_but_not_confirmed_shows_the_expected_state(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A 202 that stays PENDING is "sent, not confirmed": no error, the expected state shows."""
    caplog.set_level(logging.INFO)
    await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    sim.set_slow_command(600, vehicle_id=BEV, command="security/unlock")
    with patch("custom_components.smartcar.api.client.DEFAULT_TIMEOUT", 1):
        await hass.services.async_call(
            LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True
        )
    assert hass.states.get(LOCK).state == "unlocked"
    assert "Smartcar has not confirmed it yet" in caplog.text
