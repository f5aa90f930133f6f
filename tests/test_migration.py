"""Moving a v2 entry to v3 credentials with Reconfigure keeps everything the user set.

The simulator gives a vehicle the same id on v2 and v3, as Smartcar does for the cars it lists
under both. The case where v3 names a car differently is played by a v2 entry whose registry
holds the car under an older id (with its VIN as the device's serial number): the flow must
find it by VIN and move its device and entities to the new id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from yarl import URL

from custom_components.smartcar.api import SmartcarAuthenticationError, SmartcarClient
from custom_components.smartcar.const import DOMAIN
from custom_components.smartcar.migration import async_plan_vehicle_ids
from tests.conftest import consent, requests_to, setup_entry, v2_entry, vehicle_device
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import (
        ClientSessionGenerator,
        WebSocketGenerator,
    )

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
ICE = sim_const.ICE_VEHICLE_ID
OLD_BEV = "0b5e1d2c-0000-4000-8000-00000000b2b2"
OPTIONAL = [
    "read_battery",
    "read_charge",
    "read_security",
    "read_location",
    "read_odometer",
    "read_fuel",
    "read_tires",
    "read_engine_oil",
    "control_charge",
    "control_security",
]

pytestmark = pytest.mark.usefixtures("current_request_with_host", "v2_credentials")


async def _add_v3_credentials(
    hass: HomeAssistant, key: str = "smartcar_v3", client_id: str = sim_const.API_CLIENT_ID
) -> None:
    await async_import_client_credential(
        hass,
        DOMAIN,
        ClientCredential(client_id, sim_const.API_CLIENT_SECRET, "Smartcar v3"),
        key,
    )


async def _reconfigure_to_v3(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    entry: MockConfigEntry,
    vehicle_ids: list[str],
) -> dict[str, Any]:
    """Reconfigure → the v3 credentials are picked → permissions → Connect → callback."""
    result: Any = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "connect"
    suggested = {
        str(key): key.description["suggested_value"] for key in result["data_schema"].schema
    }
    # The v2 client ID is the application's ID: suggested for the move.
    assert suggested["application_id"] == sim_const.APPLICATION_ID
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"permissions": OPTIONAL, "mode": "live", "application_id": sim_const.APPLICATION_ID},
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert URL(result["url"]).query["client_id"] == sim_const.APPLICATION_ID
    location = await consent(result["url"], vehicle_ids=vehicle_ids)
    client = await hass_client_no_auth()
    response = await client.get(f"/auth/external/callback?{location.query_string}")
    assert response.status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    await hass.async_block_till_done()
    return dict(result)


async def _personalise(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entity_id: str, device_id: str
) -> tuple[str, str]:
    """What a user does in the UI: area, names, an entity id, an alias, voice exposure."""
    # Everything served over HTTP is set up before the test server freezes its routes.
    for component in ("config", "homeassistant", "webhook"):
        assert await async_setup_component(hass, component, {})
    area = ar.async_get(hass).async_create("Garage")
    client = await hass_ws_client(hass)
    new_entity_id = "sensor.family_car_charge"
    for message in (
        {"type": "config/device_registry/update", "device_id": device_id, "area_id": area.id},
        {"type": "config/device_registry/update", "device_id": device_id, "name_by_user": "Id"},
        {
            "type": "config/entity_registry/update",
            "entity_id": entity_id,
            "new_entity_id": new_entity_id,
            "name": "Family car charge",
            "aliases": ["car battery"],
        },
        {
            "type": "homeassistant/expose_entity",
            "assistants": ["conversation"],
            "entity_ids": [new_entity_id],
            "should_expose": True,
        },
    ):
        await client.send_json_auto_id(message)
        response = await client.receive_json()
        assert response["success"], response
    return new_entity_id, area.id


def _assert_kept(
    hass: HomeAssistant, entry_id: str, vehicle_id: str, entity_id: str, area_id: str
) -> None:
    entities = er.async_get(hass)
    kept = entities.async_get(entity_id)
    assert kept is not None
    assert kept.unique_id == f"{vehicle_id}-battery_level"
    assert kept.name == "Family car charge"
    assert "car battery" in kept.aliases
    assert kept.options["conversation"]["should_expose"] is True
    assert not [
        item
        for item in er.async_entries_for_config_entry(entities, entry_id)
        if item.unique_id.endswith("-battery_level") and item.entity_id != entity_id
    ]
    device = vehicle_device(dr.async_get(hass), entry_id, vehicle_id)
    assert device is not None
    assert device.area_id == area_id
    assert device.name_by_user == "Id"
    state = hass.states.get(entity_id)
    assert state is not None
    assert float(state.state) > 0


async def test_v2_entry_moves_to_v3_and_keeps_everything(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Same vehicle ids on v3: entity ids, names, areas, aliases and exposure stay as they are."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"v2_shutdown_{entry.entry_id}")
    device = vehicle_device(dr.async_get(hass), entry.entry_id, BEV)
    assert device is not None
    entity_id, area_id = await _personalise(
        hass, hass_ws_client, "sensor.volkswagen_id_4_battery", device.id
    )
    await _add_v3_credentials(hass)

    result = await _reconfigure_to_v3(hass, hass_client_no_auth, entry, [BEV])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["api_version"] == "3"
    assert entry.data["auth_implementation"] == "smartcar_v3"
    assert entry.data["application_id"] == sim_const.APPLICATION_ID
    assert entry.unique_id == sim_const.DEMO_USER_ID
    assert entry.state is ConfigEntryState.LOADED
    assert "0 of 1 vehicles have new ids" in caplog.text
    # Now read through v3, and no longer warned about v2.
    assert requests_to(sim, "/v3/vehicles")
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"v2_shutdown_{entry.entry_id}") is None
    _assert_kept(hass, entry.entry_id, BEV, entity_id, area_id)


@pytest.mark.parametrize("loaded", [True, False], ids=["loaded", "v2-already-off"])
async def test_new_vehicle_ids_are_matched_by_vin(
    hass: HomeAssistant,
    *,
    hass_client_no_auth: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
    hass_storage: dict[str, Any],
    loaded: bool,
) -> None:
    """v3 lists the car under another id: its device and entities move to it by VIN."""
    entry = v2_entry(sim, vehicle_ids=[ICE])
    if loaded:
        # The Ford kept its id; the Volkswagen is known under an older one.
        await setup_entry(hass, entry)
        vin: str | None = sim_const.BEV_VIN
    else:
        # Not loaded (v2 is off): the VIN is the one stored with what the car provides.
        hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
            "version": 1,
            "key": f"{DOMAIN}.{entry.entry_id}",
            "data": {"vehicles": {OLD_BEV: {"vin": sim_const.BEV_VIN, "seen": ["battery_level"]}}},
        }
        entry.add_to_hass(hass)
        vin = None
    devices = dr.async_get(hass)
    old = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, OLD_BEV)},
        manufacturer="Volkswagen",
        name="Volkswagen ID.4",
        serial_number=vin,
    )
    er.async_get(hass).async_get_or_create(
        Platform.SENSOR,
        DOMAIN,
        f"{OLD_BEV}-battery_level",
        config_entry=entry,
        device_id=old.id,
        suggested_object_id="volkswagen_id_4_battery",
    )
    entity_id, area_id = await _personalise(
        hass, hass_ws_client, "sensor.volkswagen_id_4_battery", old.id
    )
    await _add_v3_credentials(hass)

    result = await _reconfigure_to_v3(hass, hass_client_no_auth, entry, [BEV, ICE])
    assert result["reason"] == "reconfigure_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert "1 of 2 vehicles have new ids (matched by VIN)" in caplog.text
    assert "has a new Smartcar vehicle id; matched by VIN" in caplog.text
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert not [message for message in ours if sim_const.BEV_VIN in message]
    assert devices.async_get(old.id) is not None
    assert devices.async_get(old.id).identifiers == {(DOMAIN, BEV)}  # type: ignore[union-attr]
    _assert_kept(hass, entry.entry_id, BEV, entity_id, area_id)
    if not loaded:
        vehicles = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["vehicles"]
        assert OLD_BEV not in vehicles
        assert "battery_level" in vehicles[BEV]["seen"]


async def test_unreadable_vin_changes_nothing(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
) -> None:
    """The new vehicle's store is empty (no VIN): abort with what to do; the entry stays v2."""
    sim.configure(auto_enroll=False)
    entry = v2_entry(sim, vehicle_ids=[BEV])
    entry.add_to_hass(hass)
    old = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, OLD_BEV)},
        name="Volkswagen ID.4",
        serial_number=sim_const.BEV_VIN,
    )
    await _add_v3_credentials(hass)
    result = await _reconfigure_to_v3(hass, hass_client_no_auth, entry, [BEV])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "vehicle_ids_unmatched"
    assert result["description_placeholders"] == {"vehicles": "Volkswagen ID.4"}
    assert entry.data["api_version"] == "2.0"
    assert dr.async_get(hass).async_get(old.id).identifiers == {  # type: ignore[union-attr]
        (DOMAIN, OLD_BEV)
    }


async def test_rejected_vin_read_ends_the_flow(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Smartcar rejects the credential while matching: the flow ends, nothing moved."""
    entry = v2_entry(sim, vehicle_ids=[BEV])
    entry.add_to_hass(hass)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, OLD_BEV)},
        serial_number=sim_const.BEV_VIN,
    )
    await _add_v3_credentials(hass)
    with patch.object(
        SmartcarClient, "async_get_vin", side_effect=SmartcarAuthenticationError("no")
    ):
        result = await _reconfigure_to_v3(hass, hass_client_no_auth, entry, [BEV])
    assert result["reason"] == "invalid_auth"
    assert entry.data["api_version"] == "2.0"


async def test_devices_without_a_vin_are_left_alone(hass: HomeAssistant, sim: Simulator) -> None:
    """Nothing to match by (no VIN known): no VIN is read, no id changes."""
    entry = v2_entry(sim, vehicle_ids=[BEV])
    entry.add_to_hass(hass)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, OLD_BEV)}
    )
    with patch.object(SmartcarClient, "async_get_vin") as read_vin:
        plan = await async_plan_vehicle_ids(
            hass, entry, SmartcarClient.__new__(SmartcarClient), [BEV]
        )
    read_vin.assert_not_called()
    assert plan.mapping == {}
    assert plan.unreadable == ()


async def test_several_v3_credentials_let_the_user_pick(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Two v3 credentials: Reconfigure asks which one (the v2 ones stay possible)."""
    entry = v2_entry(sim, vehicle_ids=[BEV])
    entry.add_to_hass(hass)
    await _add_v3_credentials(hass, "smartcar_v3")
    await _add_v3_credentials(hass, "smartcar_v3_second", "client_second")
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "pick_implementation"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"implementation": "smartcar_v3_second"}
    )
    assert result["step_id"] == "connect"
    assert "application_id" in {str(key) for key in result["data_schema"].schema}
