"""The charging switch: start and stop charging, and what the car says when it cannot."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.smartcar.const import DOMAIN
from tests.conftest import (
    entity_snapshot,
    requests_to,
    setup_entry,
    setup_platform,
    v2_entry,
    v3_entry,
)
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from syrupy.assertion import SnapshotAssertion

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
SWITCH = "switch.volkswagen_id_4_charging"


async def _call(hass: HomeAssistant, service: str, entity_id: str = SWITCH) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_stop_and_start_charging(
    hass: HomeAssistant, sim: Simulator, entity_registry: er.EntityRegistry
) -> None:
    """On while charging; turning off and on sends STOP and START."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    assert hass.states.get(SWITCH).state == "on"
    # No entity category: voice assistants may be given the charging switch.
    assert entity_registry.async_get(SWITCH).entity_category is None

    await _call(hass, SERVICE_TURN_OFF)
    assert hass.states.get(SWITCH).state == "off"
    assert hass.states.get("sensor.volkswagen_id_4_charging_state").state == "not_charging"
    await _call(hass, SERVICE_TURN_ON)
    assert hass.states.get(SWITCH).state == "on"
    actions = [r.json["action"] for r in requests_to(sim, f"/vehicles/{BEV}/charge", "POST")]
    assert actions == ["STOP", "START"]


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_stop_charging(hass: HomeAssistant, sim: Simulator) -> None:
    """v3 sends the charge commands to /commands/charge/..."""
    await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _call(hass, SERVICE_TURN_OFF)
    assert hass.states.get(SWITCH).state == "off"
    assert requests_to(sim, "/commands/charge/stop", "POST")


@pytest.mark.usefixtures("v2_credentials")
async def test_unplugged_start_is_refused_before_sending(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The last read says unplugged: the user can fix that, and nothing is sent."""
    phev = sim_const.PHEV_VEHICLE_ID
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[phev]))
    entity = "switch.toyota_rav4_prime_charging"
    assert hass.states.get(entity).state == "off"
    with pytest.raises(ServiceValidationError) as raised:
        await _call(hass, SERVICE_TURN_ON, entity)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "not_plugged_in"
    assert "Toyota RAV4 Prime is not plugged in" in str(raised.value)
    assert not requests_to(sim, "/charge", "POST")


@pytest.mark.usefixtures("v2_credentials")
async def test_old_unplugged_reading_lets_smartcar_decide(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """An hour-old "unplugged" may be wrong: the command goes out, Smartcar's answer counts."""
    phev = sim_const.PHEV_VEHICLE_ID
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[phev], options={"polling_mode": "manual"}))
    freezer.tick(timedelta(hours=1))
    with pytest.raises(ServiceValidationError) as raised:
        await _call(hass, SERVICE_TURN_ON, "switch.toyota_rav4_prime_charging")
    assert raised.value.translation_key == "not_plugged_in"
    assert len(requests_to(sim, "/charge", "POST")) == 1

    sim.set_vehicle_state(phev, plugged_in=True)
    await _call(hass, SERVICE_TURN_ON, "switch.toyota_rav4_prime_charging")
    assert hass.states.get("switch.toyota_rav4_prime_charging").state == "on"


@pytest.mark.usefixtures("v2_credentials")
async def test_car_says_unplugged(hass: HomeAssistant, sim: Simulator) -> None:
    """The car was unplugged since the last read: Smartcar's refusal is a validation error."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    await _call(hass, SERVICE_TURN_OFF)
    sim.set_vehicle_state(BEV, plugged_in=False)
    with pytest.raises(ServiceValidationError) as raised:
        await _call(hass, SERVICE_TURN_ON)
    assert raised.value.translation_key == "not_plugged_in"


@pytest.mark.usefixtures("v2_credentials")
async def test_stopping_a_car_that_is_not_charging_is_fine(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """NOT_CHARGING on STOP means the car is already where it should be."""
    tesla = sim_const.TESLA_VEHICLE_ID
    sim.pair_virtual_key(tesla)
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[tesla]))
    entity = "switch.tesla_model_3_charging"
    sim.inject_fault(
        vehicle_id=tesla,
        path="/charge",
        method="POST",
        error_type="VEHICLE_STATE",
        error_code="NOT_CHARGING",
    )
    await _call(hass, SERVICE_TURN_OFF, entity)
    assert hass.states.get(entity).state == "off"


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"error_code": "FULLY_CHARGED"}, "fully_charged"),
        ({"error_code": "CHARGE_FAULT"}, "charge_fault"),
        ({"error_code": "LOW_BATTERY"}, "low_battery"),
        ({"error_code": "CHARGING_PLUG_CONNECTED"}, "charging_plug_connected"),
        ({"error_code": "CHARGING_IN_PROGRESS"}, "charging_in_progress"),
    ],
)
@pytest.mark.usefixtures("v2_credentials")
async def test_charging_refusals(
    hass: HomeAssistant, sim: Simulator, fault: dict[str, Any], key: str
) -> None:
    """Each charging refusal has its own message."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(
        vehicle_id=BEV, path="/charge", method="POST", error_type="VEHICLE_STATE", **fault
    )
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, SERVICE_TURN_OFF)
    assert raised.value.translation_key == key
    assert hass.states.get(SWITCH).state == "on"


@pytest.mark.usefixtures("v2_credentials")
async def test_already_charging_start_counts_as_success(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """CHARGING_IN_PROGRESS on START: the car is already charging."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(
        vehicle_id=BEV,
        path="/charge",
        method="POST",
        error_type="VEHICLE_STATE",
        error_code="CHARGING_IN_PROGRESS",
    )
    await _call(hass, SERVICE_TURN_ON)
    assert hass.states.get(SWITCH).state == "on"


@pytest.mark.usefixtures("v2_credentials")
async def test_charging_without_control_permission(hass: HomeAssistant, sim: Simulator) -> None:
    """No control_charge: no switch, no charge limit number."""
    await setup_entry(
        hass,
        v2_entry(
            sim,
            vehicle_ids=[BEV],
            permissions=["read_vehicle_info", "read_vin", "read_charge", "read_battery"],
        ),
    )
    assert hass.states.get(SWITCH) is None
    assert hass.states.get("number.volkswagen_id_4_charge_limit") is None
    assert hass.states.get("sensor.volkswagen_id_4_charging_state").state == "charging"


@pytest.mark.freeze_time("2026-11-16T12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "v2_credentials", "v3_credentials")
@pytest.mark.parametrize("generation", ["v2", "v3"])
async def test_switch_snapshots(
    hass: HomeAssistant,
    sim: Simulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    generation: str,
) -> None:
    """BEV, PHEV, combustion car and Tesla: which cars get this entity, and its state."""
    entry = v2_entry(sim) if generation == "v2" else v3_entry(sim)
    await setup_platform(hass, entry, "switch")
    assert entity_snapshot(hass, entity_registry, entry.entry_id) == snapshot
