"""Subscribing vehicles to the user's Smartcar webhook through the Management API v3."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from aiohttp import ClientError
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smartcar.api import SmartcarClient, SmartcarServerError
from custom_components.smartcar.const import DOMAIN
from custom_components.smartcar.subscriptions import FOLLOW_UP_READ
from tests.conftest import requests_to, setup_entry, v3_entry
from tests.simulator import const as sim_const
from tests.simulator.webhooks import Webhook

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
ICE = sim_const.ICE_VEHICLE_ID
WEBHOOK = sim_const.WEBHOOK_ID
BATTERY = "sensor.volkswagen_id_4_battery"
FUEL = "sensor.ford_escape_fuel_level"
POLLING = {"polling_mode": "balanced", "interval_minutes": 720, "monthly_budget": 500}
EXTERNAL_URL = "https://ha.example.com"

pytestmark = pytest.mark.usefixtures("v3_credentials")


def _issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


def _subscribe_requests(sim: Simulator) -> list[Any]:
    return requests_to(sim, "/v3/subscriptions", "POST")


async def _turn_webhooks_on(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    smartcar_id: str = WEBHOOK,
    *,
    push: str = "on",
    callback: Any = None,
) -> str:
    """Options: webhooks on with the token and Smartcar's webhook id; return the HA webhook id.

    ``callback`` (the test server) stands in for Smartcar's dashboard, where the user created
    the webhook with the callback URL before submitting the step.
    """
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**POLLING, "push": push, "management_token": sim_const.MANAGEMENT_TOKEN},
    )
    assert result["step_id"] == "webhook"
    webhook_id = str(result["description_placeholders"]["url"]).rsplit("/", 1)[-1]
    if callback is not None:
        callback(webhook_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"smartcar_webhook_id": smartcar_id}
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return webhook_id


async def test_webhooks_on_subscribe_every_vehicle_and_data_arrives(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Empty stores → webhooks on → subscribed → FIRST_DELIVERY → entities, repairs gone."""
    sim.configure(auto_enroll=False)
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV, ICE]))
    for vehicle_id in (BEV, ICE):
        issue = _issue(hass, f"empty_store_{vehicle_id}")
        assert issue is not None
        assert issue.translation_key == "empty_store"
    assert hass.states.get(BATTERY) is None
    assert not _subscribe_requests(sim)

    client = await hass_client_no_auth()
    dashboard = sim.webhooks.get(WEBHOOK)
    assert dashboard is not None

    def create_in_dashboard(webhook_id: str) -> None:
        dashboard.url = str(client.make_url(f"/api/webhook/{webhook_id}"))

    await _turn_webhooks_on(hass, entry, callback=create_in_dashboard)
    await sim.webhooks.drain()
    await hass.async_block_till_done()

    posted = _subscribe_requests(sim)
    vehicles = sorted(request.json["data"]["attributes"]["vehicleId"] for request in posted)
    assert vehicles == sorted([BEV, ICE])
    for request in posted:
        assert request.status == 202
        attributes = request.json["data"]["attributes"]
        assert attributes["webhookId"] == WEBHOOK
        assert attributes["userId"] == sim_const.DEMO_USER_ID
        assert request.headers["authorization"].startswith("Bearer ")
    assert sim.webhooks.is_subscribed(BEV, WEBHOOK)
    assert sim.webhooks.is_subscribed(ICE, WEBHOOK)
    first = [d for d in sim.webhooks.deliveries if d.event_type == "VEHICLE_STATE"]
    assert first
    assert all(delivery.status == 200 for delivery in first)

    battery = hass.states.get(BATTERY)
    assert battery is not None
    assert float(battery.state) > 0
    assert hass.states.get(FUEL) is not None
    assert _issue(hass, f"empty_store_{BEV}") is None
    assert _issue(hass, f"empty_store_{ICE}") is None
    assert _issue(hass, f"subscription_failed_{entry.entry_id}") is None

    # The data came by push: the read planned in case it would not is left out.
    reads = len(requests_to(sim, "/signals"))
    freezer.tick(FOLLOW_UP_READ + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(requests_to(sim, "/signals")) == reads

    # Recorded: a restart does not ask Smartcar again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(_subscribe_requests(sim)) == 2


async def test_already_subscribed_is_done(hass: HomeAssistant, sim: Simulator) -> None:
    """Auto-enrollment subscribed the car already: 409 is as good as done, no issue."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    assert _issue(hass, f"empty_store_{BEV}") is None
    await _turn_webhooks_on(hass, entry)
    (request,) = _subscribe_requests(sim)
    assert request.status == 409
    assert _issue(hass, f"subscription_failed_{entry.entry_id}") is None
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(_subscribe_requests(sim)) == 1


async def test_refused_subscription_raises_an_issue_and_is_retried(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """An unknown webhook id: Smartcar's reason in a repair; fixed in the options, it goes."""
    sim.configure(auto_enroll=False)
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _turn_webhooks_on(hass, entry, "no-such-webhook")
    issue = _issue(hass, f"subscription_failed_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "subscription_failed"
    assert issue.translation_placeholders == {
        "title": entry.title,
        "vehicles": "Volkswagen ID.4",
        "webhook_id": "no-such-webhook",
        "type": "RESOURCE_NOT_FOUND",
        "code": "not_found",
        "status": "404",
    }
    # Still no data: the empty-store issue now says the vehicle waits for the webhook.
    empty = _issue(hass, f"empty_store_{BEV}")
    assert empty is not None
    assert empty.translation_key == "empty_store_subscribed"
    assert empty.translation_placeholders is not None
    assert empty.translation_placeholders["webhook_id"] == "no-such-webhook"

    # Retried at the next setup, here with the right id from "Verify again".
    await _turn_webhooks_on(hass, entry, push="verify")
    assert _issue(hass, f"subscription_failed_{entry.entry_id}") is None
    assert sim.webhooks.is_subscribed(BEV, WEBHOOK)
    assert [request.status for request in _subscribe_requests(sim)] == [404, 202]


async def test_network_failure_is_logged_and_retried_later(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Smartcar cannot be reached: no repair about Smartcar's refusal, nothing recorded."""
    sim.configure(auto_enroll=False)
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    with patch.object(SmartcarClient, "async_subscribe_vehicle", side_effect=ClientError):
        await _turn_webhooks_on(hass, entry)
    assert "did not subscribe Volkswagen ID.4" in caplog.text
    assert _issue(hass, f"subscription_failed_{entry.entry_id}") is None
    assert not sim.webhooks.is_subscribed(BEV)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert sim.webhooks.is_subscribed(BEV, WEBHOOK)


async def test_follow_up_read_brings_data_without_a_delivery(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """The webhook is not verified yet (no delivery): one read soon after fills the entities."""
    sim.configure(auto_enroll=False)
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _turn_webhooks_on(hass, entry)
    assert sim.webhooks.is_subscribed(BEV, WEBHOOK)
    assert hass.states.get(BATTERY) is None
    reads = len(requests_to(sim, "/signals"))

    freezer.tick(FOLLOW_UP_READ + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(requests_to(sim, "/signals")) == reads + 1
    battery = hass.states.get(BATTERY)
    assert battery is not None
    assert float(battery.state) > 0
    assert _issue(hass, f"empty_store_{BEV}") is None

    # Data that arrived first makes the follow-up read unnecessary.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(FOLLOW_UP_READ + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    # Only the reload's first read, and the VIN, asked at each start until Smartcar has it
    # (setup, the options' reload, this reload).
    assert len(requests_to(sim, "/signals")) == reads + 3
    assert len(requests_to(sim, "/signals/vehicleidentification-vin")) == 3


async def test_another_webhook_replaces_the_subscription(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A new Smartcar webhook id: subscribed to the new one, unsubscribed from the old one."""
    sim.configure(auto_enroll=False)
    sim.webhooks.webhooks["second-webhook"] = Webhook(id="second-webhook", name="Second")
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _turn_webhooks_on(hass, entry)
    assert sim.webhooks.is_subscribed(BEV, WEBHOOK)
    await _turn_webhooks_on(hass, entry, "second-webhook", push="verify")
    assert sim.webhooks.is_subscribed(BEV, "second-webhook")
    assert not sim.webhooks.is_subscribed(BEV, WEBHOOK)
    (removal,) = requests_to(sim, "/subscriptions/", "DELETE")
    assert removal.path == f"/v3/webhooks/{WEBHOOK}/subscriptions/{BEV}"
    assert removal.status == 204


async def test_disconnected_vehicle_and_removed_entry_are_unsubscribed(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Removing a vehicle or the entry removes its subscription, best effort."""
    sim.configure(auto_enroll=False)
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV, ICE]))
    await _turn_webhooks_on(hass, entry)
    assert sim.webhooks.is_subscribed(ICE, WEBHOOK)

    # The owner disconnects the Ford in Smartcar; the next vehicle-list check drops it.
    sim.delete_connection(sim.connection_for(sim_const.DEMO_USER_ID, ICE))
    freezer.tick(timedelta(hours=12))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.runtime_data.coordinators) == {BEV}
    (removal,) = requests_to(sim, "/subscriptions/", "DELETE")
    assert removal.path == f"/v3/webhooks/{WEBHOOK}/subscriptions/{ICE}"
    assert _issue(hass, f"empty_store_{ICE}") is None

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not sim.webhooks.is_subscribed(BEV)
    assert requests_to(sim, f"/subscriptions/{BEV}", "DELETE")[0].status == 204


async def test_removal_never_fails_on_smartcar(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Unsubscribing a removed entry's vehicles fails: logged, the entry is gone anyway."""
    sim.configure(auto_enroll=False)
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _turn_webhooks_on(hass, entry)
    with patch(
        "custom_components.smartcar.oauth.async_request_application_token",
        side_effect=ClientError,
    ):
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not unsubscribe the vehicles of the removed entry" in caplog.text
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert sim.webhooks.is_subscribed(BEV, WEBHOOK)


async def test_refused_unsubscription_is_only_logged(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Smartcar refuses to remove a subscription: the removal goes on regardless."""
    sim.configure(auto_enroll=False)
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _turn_webhooks_on(hass, entry)
    with patch.object(
        SmartcarClient,
        "async_unsubscribe_vehicle",
        side_effect=SmartcarServerError("down", code="INTERNAL", status=500),
    ):
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not unsubscribe a vehicle: SERVER:INTERNAL, HTTP 500" in caplog.text
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
