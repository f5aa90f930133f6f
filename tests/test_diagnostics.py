"""Diagnostics and logs never hold tokens, secrets, VINs, positions or user ids."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from tests.conftest import setup_entry, v2_entry, v3_entry
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator.simulator import Simulator

VINS = (sim_const.BEV_VIN, sim_const.PHEV_VIN, sim_const.ICE_VIN, sim_const.TESLA_VIN)


def _secrets(sim: Simulator, entry_data: dict[str, object]) -> set[str]:
    """Everything that must never appear: tokens, secrets, VINs, user ids, coordinates."""
    token = entry_data["token"]
    assert isinstance(token, dict)
    values = {
        token["access_token"],
        sim_const.CLIENT_SECRET,
        sim_const.API_CLIENT_SECRET,
        sim_const.MANAGEMENT_TOKEN,
        sim_const.DEMO_USER_ID,
        *VINS,
    }
    if "refresh_token" in token:
        values.add(token["refresh_token"])
    for vehicle_id in (
        sim_const.BEV_VEHICLE_ID,
        sim_const.PHEV_VEHICLE_ID,
        sim_const.ICE_VEHICLE_ID,
        sim_const.TESLA_VEHICLE_ID,
    ):
        vehicle = sim.vehicle(vehicle_id)
        values.add(f"{vehicle.latitude:.4f}".rstrip("0"))
        values.add(f"{vehicle.longitude:.4f}".rstrip("0"))
    return {str(value) for value in values}


@pytest.mark.usefixtures("v2_credentials")
async def test_diagnostics_are_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sim: Simulator
) -> None:
    """Diagnostics explain the state of each vehicle without anything private."""
    entry = await setup_entry(hass, v2_entry(sim))
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    for secret in _secrets(sim, dict(entry.data)):
        assert secret not in text, secret

    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["user_id"] == "**REDACTED**"
    assert diagnostics["entry"]["unique_id"] == "**REDACTED**"
    assert diagnostics["api_version"] == "2.0"
    vehicles = {vehicle["model"]: vehicle for vehicle in diagnostics["vehicles"]}
    assert set(vehicles) == {"ID.4", "RAV4 Prime", "Escape", "Model 3"}
    bev = vehicles["ID.4"]
    assert bev["vin"] == "**REDACTED**"
    assert bev["state"]["readings"]["location"] == "**REDACTED**"
    assert bev["state"]["readings"]["battery_level"]["value"] > 0
    assert bev["state"]["readings"]["doors"]["value"][0]["is_open"] is False
    assert bev["state"]["readings"]["tire_pressure"]["value"]["front_left"] == 250.0
    assert "fuel_level" in bev["diagnostics"]["unsupported"]
    assert bev["calls_this_month"] > 0
    ice = vehicles["Escape"]
    assert ice["state"]["readings"]["fuel_level"]["value"] == 30.0


@pytest.mark.usefixtures("v2_credentials")
async def test_diagnostics_show_field_errors(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sim: Simulator
) -> None:
    """A field's error is listed by Smartcar's type and code."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[sim_const.BEV_VEHICLE_ID]))
    coordinator = next(iter(entry.runtime_data.coordinators.values()))
    sim.inject_fault(
        vehicle_id=sim_const.BEV_VEHICLE_ID,
        path="/odometer",
        error_type="UPSTREAM",
        error_code="NO_RESPONSE",
    )
    await coordinator.async_refresh()
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    errors = diagnostics["vehicles"][0]["state"]["errors"]
    assert errors == {"odometer": {"type": "UPSTREAM", "code": "NO_RESPONSE", "status": 502}}


@pytest.mark.parametrize("generation", ["v2", "v3"])
async def test_debug_log_holds_nothing_private(
    hass: HomeAssistant,
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    generation: str,
) -> None:
    """A full setup, reads, token renewal and commands, logged at DEBUG, leak nothing."""
    caplog.set_level(logging.DEBUG)
    if generation == "v2":
        await _credential(hass, sim_const.APPLICATION_ID, sim_const.CLIENT_SECRET)
        entry = v2_entry(sim)
    else:
        await _credential(hass, sim_const.API_CLIENT_ID, sim_const.API_CLIENT_SECRET)
        entry = v3_entry(sim)
    first_token = dict(entry.data["token"])
    sim.revoke_tokens(kind="access" if generation == "v2" else "app")
    await setup_entry(hass, entry)
    sim.pair_virtual_key(sim_const.TESLA_VEHICLE_ID)

    for service, domain, data in (
        (SERVICE_UNLOCK, LOCK_DOMAIN, {ATTR_ENTITY_ID: "lock.volkswagen_id_4"}),
        (SERVICE_LOCK, LOCK_DOMAIN, {ATTR_ENTITY_ID: "lock.volkswagen_id_4"}),
        (SERVICE_TURN_OFF, SWITCH_DOMAIN, {ATTR_ENTITY_ID: "switch.volkswagen_id_4_charging"}),
        (SERVICE_TURN_ON, SWITCH_DOMAIN, {ATTR_ENTITY_ID: "switch.volkswagen_id_4_charging"}),
        (
            SERVICE_SET_VALUE,
            NUMBER_DOMAIN,
            {ATTR_ENTITY_ID: "number.volkswagen_id_4_charge_limit", ATTR_VALUE: 90},
        ),
    ):
        await hass.services.async_call(domain, service, data, blocking=True)
    sim.inject_fault(
        vehicle_id=sim_const.ICE_VEHICLE_ID,
        path="/security" if generation == "v2" else "/commands/security/lock",
        method="POST",
        error_type="VEHICLE_STATE",
        error_code="DOOR_OPEN",
    )
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            LOCK_DOMAIN, SERVICE_LOCK, {ATTR_ENTITY_ID: "lock.ford_escape"}, blocking=True
        )
    coordinator = next(iter(entry.runtime_data.coordinators.values()))
    assert coordinator.update_interval is not None
    freezer.tick(coordinator.update_interval)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    secrets = _secrets(sim, {"token": first_token}) | _secrets(sim, dict(entry.data))
    text = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        # The simulator and the test harness's in-memory storage are not the integration.
        if not record.name.startswith(("tests.", "pytest_homeassistant_custom_component"))
    )
    assert "custom_components.smartcar" in text
    for secret in secrets:
        assert secret not in text, secret


async def _credential(hass: HomeAssistant, client_id: str, secret: str) -> None:
    from tests.conftest import _import_credential

    await _import_credential(hass, client_id, secret)
