"""Push updates: the simulator's signed webhook deliveries reach the entities."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import NoURLAvailableError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartcar.const import DOMAIN
from tests.conftest import setup_entry, v3_entry
from tests.simulator import const as sim_const
from tests.simulator.errors import SimError

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
BATTERY = "sensor.volkswagen_id_4_battery"

pytestmark = pytest.mark.usefixtures("v3_credentials")


async def _with_webhook(hass: HomeAssistant, sim: Simulator) -> tuple[MockConfigEntry, str]:
    """Set up an entry and turn on push updates through the options flow."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV, sim_const.ICE_VEHICLE_ID]))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "polling_mode": "automatic",
            "interval_minutes": 720,
            "monthly_budget": 500,
            "management_token": f" {sim_const.MANAGEMENT_TOKEN} ",
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook"
    assert "/api/webhook/" in result["description_placeholders"]["url"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    webhook_id = entry.options["webhook_id"]
    assert entry.options["management_token"] == sim_const.MANAGEMENT_TOKEN
    return entry, webhook_id


def _sign(body: bytes) -> str:
    return hmac.new(sim_const.MANAGEMENT_TOKEN.encode(), body, hashlib.sha256).hexdigest()


async def test_simulated_smartcar_verifies_and_pushes(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """VERIFY, FIRST_DELIVERY and a signal change, delivered by the simulator over HTTP."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    webhook = sim.webhooks.get(sim_const.WEBHOOK_ID)
    assert webhook is not None
    webhook.url = str(client.make_url(f"/api/webhook/{webhook_id}"))
    assert (await sim.webhooks.verify(webhook))["verified"]

    sim.webhooks.subscribe(sim_const.WEBHOOK_ID, BEV)
    await sim.webhooks.drain()
    sim.set_vehicle_state(BEV, soc=91.0, charging=False)
    await sim.webhooks.drain()
    await hass.async_block_till_done()
    assert all(delivery.status == 200 for delivery in sim.webhooks.deliveries)
    assert hass.states.get(BATTERY).state == "91.0"
    coordinator = entry.runtime_data.coordinators[BEV]
    assert coordinator.diagnostics()["push_active"]

    # A vehicle error about a signal it reads: the field is gone.
    sim.webhooks.send_error(
        sim_const.WEBHOOK_ID,
        BEV,
        [(SimError("COMPATIBILITY", "VEHICLE_NOT_CAPABLE"), ["odometer-traveleddistance"])],
    )
    await sim.webhooks.drain()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.volkswagen_id_4_odometer").state == STATE_UNAVAILABLE


async def test_webhook_rejects_what_it_cannot_trust(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unsigned or wrongly signed deliveries are refused; odd bodies are handled."""
    # Another entry of the domain that is not loaded (and has no webhook) comes first.
    MockConfigEntry(domain=DOMAIN, version=3, title="Not loaded", data={}).add_to_hass(hass)
    _entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    state = json.dumps(
        {
            "eventId": "e1",
            "eventType": "VEHICLE_STATE",
            "data": {
                "user": {"id": sim_const.DEMO_USER_ID},
                "vehicle": {"id": BEV},
                "signals": [
                    {
                        "code": "tractionbattery-stateofcharge",
                        "body": {"unit": "percent", "value": 12},
                        "status": {"value": "SUCCESS"},
                    }
                ],
            },
            "meta": {"version": "4.0"},
        }
    ).encode()

    response = await client.post(url, data=state, headers={"SC-Signature": "0" * 64})
    assert response.status == 401
    assert "wrong signature" in caplog.text
    response = await client.post(url, data=state)
    assert response.status == 401
    assert hass.states.get(BATTERY).state != "12.0"

    response = await client.post(url, data=state, headers={"SC-Signature": _sign(state)})
    assert response.status == 200
    assert hass.states.get(BATTERY).state == "12.0"

    test_mode = state.replace(b'"version": "4.0"', b'"version": "4.0", "mode": "TEST"').replace(
        b'"value": 12', b'"value": 1'
    )
    response = await client.post(url, data=test_mode, headers={"SC-Signature": _sign(test_mode)})
    assert response.status == 202
    assert hass.states.get(BATTERY).state == "12.0"

    other = json.dumps({"eventType": "SOMETHING_NEW", "data": {}}).encode()
    response = await client.post(url, data=other, headers={"SC-Signature": _sign(other)})
    assert response.status == 200
    response = await client.post(url, data=other)
    assert response.status == 401
    response = await client.post(url, data=b"not json", headers={"SC-Signature": _sign(b"x")})
    assert response.status == 400

    stranger = state.replace(BEV.encode(), b"not-a-vehicle-of-this-entry")
    response = await client.post(url, data=stranger, headers={"SC-Signature": _sign(stranger)})
    assert response.status == 200
    other_user = state.replace(sim_const.DEMO_USER_ID.encode(), b"another-user").replace(
        b'"value": 12', b'"value": 13'
    )
    response = await client.post(url, data=other_user, headers={"SC-Signature": _sign(other_user)})
    assert response.status == 200
    assert hass.states.get(BATTERY).state == "12.0"


async def test_vehicle_errors_reauth_only_for_what_is_used(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Errors about unused signals never start reauthentication; vehicle-wide ones do."""
    _entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"

    def error_event(signals: list[Any]) -> bytes:
        return json.dumps(
            {
                "eventId": "e2",
                "eventType": "VEHICLE_ERROR",
                "data": {
                    "user": {"id": sim_const.DEMO_USER_ID},
                    "vehicle": {"id": BEV},
                    "errors": [
                        {
                            "type": "CONNECTED_SERVICES_ACCOUNT",
                            "code": "AUTHENTICATION_FAILED",
                            "state": "ERROR",
                            "signals": signals,
                        }
                    ],
                },
            }
        ).encode()

    asleep = json.dumps(
        {
            "eventType": "VEHICLE_ERROR",
            "data": {
                "vehicle": {"id": BEV},
                "errors": [
                    {
                        "type": "VEHICLE_STATE",
                        "code": "ASLEEP",
                        "signals": ["Odometer.TraveledDistance"],
                    }
                ],
            },
        }
    ).encode()
    response = await client.post(url, data=asleep, headers={"SC-Signature": _sign(asleep)})
    assert response.status == 200
    assert hass.states.get("sensor.volkswagen_id_4_odometer").state != STATE_UNAVAILABLE

    unused = error_event(["VehicleUserAccount.Role"])
    response = await client.post(url, data=unused, headers={"SC-Signature": _sign(unused)})
    assert response.status == 200
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    wide = error_event([])
    response = await client.post(url, data=wide, headers={"SC-Signature": _sign(wide)})
    assert response.status == 200
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_turning_webhooks_off_again(hass: HomeAssistant, sim: Simulator) -> None:
    """An empty token removes push updates; the webhook id is forgotten."""
    with patch(
        "homeassistant.components.webhook.async_generate_url",
        side_effect=NoURLAvailableError,
    ):
        entry, webhook_id = await _with_webhook(hass, sim)
    assert webhook_id
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"polling_mode": "automatic", "interval_minutes": 720, "monthly_budget": 500},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "management_token" not in entry.options
    assert "webhook_id" not in entry.options


async def test_a_delivery_for_a_forgotten_webhook(hass: HomeAssistant, sim: Simulator) -> None:
    """A delivery racing the entry's unload finds no entry and is refused."""
    from custom_components.smartcar.webhook import async_handle_webhook

    response = await async_handle_webhook(hass, "unknown", None)  # type: ignore[arg-type]
    assert response.status == 404
