"""Signed pushes from Smartcar: fresh vehicle data without spending polled calls.

When the user gives the Application Management Token in the options, the entry registers a
Home Assistant webhook. Smartcar's VERIFY challenge is answered with the HMAC of the challenge;
every other delivery must carry a valid ``SC-Signature`` over the raw body, checked before the
body is parsed. Pushed readings go into the vehicle's coordinator, so entities update at once
and polling falls back to a daily safety read. One Smartcar application has one callback URL,
so a delivery about a vehicle of another entry of the same application is routed there.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError

from .api import (
    UnsupportedWebhookEventError,
    VehicleErrorEvent,
    VehicleStateEvent,
    VerifyEvent,
    WebhookPayloadError,
    challenge_response,
    parse_webhook_events,
    verify_signature,
)
from .const import CONF_MANAGEMENT_TOKEN, CONF_USER_ID, CONF_WEBHOOK_ID, DOMAIN, LOGGER

if TYPE_CHECKING:
    from .coordinator import SmartcarVehicleCoordinator
    from .models import SmartcarConfigEntry

SIGNATURE_HEADER = "SC-Signature"


@callback
def async_setup_webhook(hass: HomeAssistant, entry: SmartcarConfigEntry) -> None:
    """Register the entry's webhook when the user configured push updates."""
    webhook_id = entry.options.get(CONF_WEBHOOK_ID)
    if not webhook_id or not entry.options.get(CONF_MANAGEMENT_TOKEN):
        return
    webhook.async_register(
        hass,
        domain=DOMAIN,
        name=f"Smartcar {entry.title}",
        webhook_id=webhook_id,
        handler=async_handle_webhook,
        allowed_methods=("POST",),
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))


@callback
def webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """The URL to enter in the Smartcar dashboard (a path when no URL is configured)."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)


def _entry_for(hass: HomeAssistant, webhook_id: str) -> SmartcarConfigEntry | None:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.options.get(CONF_WEBHOOK_ID) == webhook_id:
            return entry
    return None


def _coordinator_for(
    hass: HomeAssistant, vehicle_id: str, user_id: str | None
) -> SmartcarVehicleCoordinator | None:
    """The coordinator of a vehicle in any loaded entry (of the user the event names)."""
    entries: list[SmartcarConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        if entry.state is not ConfigEntryState.LOADED:
            continue
        if user_id is not None and entry.data.get(CONF_USER_ID) != user_id:
            continue
        if (coordinator := entry.runtime_data.coordinators.get(vehicle_id)) is not None:
            return coordinator
    return None


async def async_handle_webhook(
    hass: HomeAssistant, webhook_id: str, request: web.Request
) -> web.Response:
    """Answer VERIFY, check the signature, and push the delivered data to the vehicles."""
    entry = _entry_for(hass, webhook_id)
    if entry is None:
        return web.Response(status=HTTPStatus.NOT_FOUND)
    token: str = entry.options[CONF_MANAGEMENT_TOKEN]
    body = await request.read()
    signed = verify_signature(token, body, request.headers.get(SIGNATURE_HEADER))
    try:
        events = parse_webhook_events(body)
    except UnsupportedWebhookEventError as err:
        LOGGER.debug("Ignoring a webhook event of type %s", err.event_type)
        return web.Response(status=HTTPStatus.OK if signed else HTTPStatus.UNAUTHORIZED)
    except WebhookPayloadError:
        LOGGER.debug("Ignoring a webhook delivery that is not a Smartcar event")
        return web.Response(status=HTTPStatus.BAD_REQUEST)

    verify = next((event for event in events if isinstance(event, VerifyEvent)), None)
    if verify is not None:
        # Smartcar does not sign the VERIFY challenge; the answer proves we hold the token.
        return web.json_response({"challenge": challenge_response(token, verify.challenge)})
    if not signed:
        LOGGER.warning(
            "Rejected a webhook delivery with a missing or wrong signature; check that the "
            "Application Management Token in the options matches the Smartcar dashboard"
        )
        return web.Response(status=HTTPStatus.UNAUTHORIZED)

    deliveries = [
        event for event in events if isinstance(event, VehicleStateEvent | VehicleErrorEvent)
    ]
    if any((event.mode or "").upper() == "TEST" for event in deliveries):
        # The dashboard's "send test event" carries made-up data: acknowledge, do not apply.
        return web.Response(status=HTTPStatus.ACCEPTED)
    for event in deliveries:
        coordinator = _coordinator_for(hass, event.vehicle_id, event.user_id)
        if coordinator is None:
            LOGGER.debug("A webhook delivery named a vehicle no entry has")
            continue
        if isinstance(event, VehicleStateEvent):
            coordinator.async_push(event.state)
        else:
            coordinator.async_push_errors(event.errors)
    return web.Response(status=HTTPStatus.OK)
