"""The charge limit: 50-100 %, checked before anything is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

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
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from syrupy.assertion import SnapshotAssertion

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
NUMBER = "number.volkswagen_id_4_charge_limit"


async def _set(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: NUMBER, ATTR_VALUE: value},
        blocking=True,
    )


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_set_charge_limit(
    hass: HomeAssistant, sim: Simulator, entity_registry: er.EntityRegistry
) -> None:
    """v2 sends the limit as a fraction; the number shows percent."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    state = hass.states.get(NUMBER)
    assert state.state == "80.0"
    assert state.attributes["min"] == 50
    assert state.attributes["max"] == 100
    assert state.attributes["step"] == 1
    assert entity_registry.async_get(NUMBER).entity_category is None

    await _set(hass, 85)
    assert hass.states.get(NUMBER).state == "85.0"
    (command,) = requests_to(sim, "/charge/limit", "POST")
    assert command.json == {"limit": 0.85}
    assert sim.vehicle(BEV).charge_limit == 85


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_set_charge_limit(hass: HomeAssistant, sim: Simulator) -> None:
    """v3 sends percent."""
    await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _set(hass, 70)
    assert hass.states.get(NUMBER).state == "70.0"
    (command,) = requests_to(sim, "/commands/charge/set-limit", "POST")
    assert command.json == {"data": {"attributes": {"percent": 70}}}


@pytest.mark.parametrize("value", [30, 101])
@pytest.mark.usefixtures("v2_credentials")
async def test_out_of_range_is_rejected_before_sending(
    hass: HomeAssistant, sim: Simulator, value: float
) -> None:
    """30 % and 101 %: a validation error, and Smartcar never hears of it."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    before = len(sim.request_log)
    with pytest.raises(ServiceValidationError):
        await _set(hass, value)
    assert not requests_to(sim, "/charge/limit", "POST")
    assert len(sim.request_log) == before
    assert hass.states.get(NUMBER).state == "80.0"


@pytest.mark.usefixtures("v3_credentials")
async def test_refused_limit_is_reported(hass: HomeAssistant, sim: Simulator) -> None:
    """A car that cannot take a new limit right now says so."""
    await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(
        vehicle_id=BEV,
        path="/commands/charge/set-limit",
        method="POST",
        error_type="COMPATIBILITY",
        error_code="SMARTCAR_NOT_CAPABLE",
    )
    with pytest.raises(HomeAssistantError) as raised:
        await _set(hass, 90)
    assert raised.value.translation_key == "not_capable"
    assert hass.states.get(NUMBER).state == "80.0"


@pytest.mark.freeze_time("2026-11-16T12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "v2_credentials", "v3_credentials")
@pytest.mark.parametrize("generation", ["v2", "v3"])
async def test_number_snapshots(
    hass: HomeAssistant,
    sim: Simulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    generation: str,
) -> None:
    """BEV, PHEV, combustion car and Tesla: which cars get this entity, and its state."""
    entry = v2_entry(sim) if generation == "v2" else v3_entry(sim)
    await setup_platform(hass, entry, "number")
    assert entity_snapshot(hass, entity_registry, entry.entry_id) == snapshot
