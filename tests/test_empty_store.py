"""A v3 vehicle whose signal store is empty: a state the user can act on, not "can do nothing".

Smartcar's v3 REST API reads a store that stays empty until the vehicle is subscribed to a
webhook. The entry must load, the device must exist, a repair issue must say how to get data
flowing, and the entities must appear (without a reload) once data arrives by a read or a push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.smartcar.const import DOMAIN
from tests.conftest import setup_entry, v3_entry, vehicle_device
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
BATTERY = "sensor.volkswagen_id_4_battery"
LOCK = "lock.volkswagen_id_4"
REQUESTS = "sensor.volkswagen_id_4_requests_this_month"

pytestmark = pytest.mark.usefixtures("v3_credentials")


def _issue(hass: HomeAssistant, vehicle_id: str = BEV) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"empty_store_{vehicle_id}")


async def test_empty_store_loads_with_a_device_and_a_repair(
    hass: HomeAssistant,
    sim: Simulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Not subscribed: loaded, device, repair; the dashboard subscribes it, a read fills it."""
    sim.configure(auto_enroll=False)
    # Only what every entry asks for: no entity at all can be made without data.
    entry = await setup_entry(
        hass, v3_entry(sim, vehicle_ids=[BEV], permissions=["read_vehicle_info", "read_battery"])
    )
    assert entry.state is ConfigEntryState.LOADED
    device = vehicle_device(device_registry, entry.entry_id, BEV)
    assert device is not None
    assert device.name == "Volkswagen ID.4"
    issue = _issue(hass)
    assert issue is not None
    assert issue.translation_key == "empty_store"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["vehicle"] == "Volkswagen ID.4"
    assert issue.learn_more_url is not None
    assert hass.states.get(BATTERY) is None

    # The owner subscribes the car in the Smartcar dashboard; Smartcar retrieves it. The next
    # read (here asked for with Home Assistant's update action) brings the entities.
    sim.webhooks.subscribe(sim_const.WEBHOOK_ID, BEV)
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": REQUESTS}, blocking=True
    )
    await hass.async_block_till_done()

    state = hass.states.get(BATTERY)
    assert state is not None
    assert float(state.state) > 0
    assert _issue(hass) is None
    assert entry.state is ConfigEntryState.LOADED


async def test_empty_store_issue_goes_with_the_entry(hass: HomeAssistant, sim: Simulator) -> None:
    """Removing the entry withdraws what it said about its vehicles."""
    sim.configure(auto_enroll=False)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    assert _issue(hass) is not None
    assert hass.states.get(LOCK) is not None  # a control needs no data to exist
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _issue(hass) is None


@pytest.mark.usefixtures("v3_credentials")
async def test_vin_not_yet_in_the_store_is_read_at_the_next_start(
    hass: HomeAssistant, sim: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """The VIN Smartcar has not ingested yet is not cached as missing for a week."""
    sim.configure(auto_enroll=False)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    device = vehicle_device(device_registry, entry.entry_id, BEV)
    assert device is not None
    assert device.serial_number is None

    sim.webhooks.subscribe(sim_const.WEBHOOK_ID, BEV)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    device = vehicle_device(device_registry, entry.entry_id, BEV)
    assert device is not None
    assert device.serial_number == sim.vehicle(BEV).vin
