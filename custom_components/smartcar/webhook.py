"""Signed pushes from Smartcar: fresh vehicle data without spending polled calls.

When the user turns webhooks on in the options (with the Application Management Token), the
entry registers a Home Assistant webhook. Its callback URL is a Home Assistant Cloud cloudhook
when Cloud is active, otherwise the external URL; it is kept in the options, so it stays the
same across restarts and when webhooks are turned off and on, until the user asks for a new one.

Every body is read with a bound (Smartcar's 50 KB) and its ``SC-Signature`` checked over the
raw bytes first. A signed body is parsed and applied; an unsigned body is only ever looked at as
a VERIFY, which is answered only while the user's verification window is open and only for a
challenge that cannot be a JSON body (see ``api.webhooks.VERIFY_CHALLENGE``), so the answer can
never serve as the signature of a forged delivery. Everything after the signature check is
synchronous, so Smartcar gets its answer at once (well inside its 15 s); the only slow work a
delivery can start (reauthentication) runs as its own task after the reply. Deliveries and
refusals are recorded in the entry's :class:`~.push.PushHealth`, which raises repair issues.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import (
    UnsupportedWebhookEventError,
    VehicleErrorEvent,
    VehicleStateEvent,
    VerifyEvent,
    WebhookPayloadError,
    challenge_response,
    is_valid_challenge,
    parse_verify_challenge,
    parse_webhook_events,
    verify_signature,
)
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_MANAGEMENT_TOKEN,
    CONF_USER_ID,
    CONF_WEBHOOK_ID,
    DOMAIN,
    LOGGER,
)
from .issues import (
    WEBHOOK_SIGNATURE,
    WEBHOOK_SILENT,
    async_create_webhook_signature_issue,
    async_create_webhook_silent_issue,
    async_delete_entry_issue,
)
from .push import MAX_BODY_BYTES, PUSH_SILENCE, PushHealth, Rejection, values_changed

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.util.aiohttp import MockRequest

    from .api import VehicleState, WebhookEvent
    from .coordinator import SmartcarVehicleCoordinator
    from .models import SmartcarConfigEntry

SIGNATURE_HEADER = "SC-Signature"

DATA_PUSH: HassKey[dict[str, PushHealth]] = HassKey(f"{DOMAIN}_push")


def push_enabled(options: Mapping[str, Any]) -> bool:
    """Whether the options turn push updates on (a token and a webhook id)."""
    return bool(options.get(CONF_MANAGEMENT_TOKEN) and options.get(CONF_WEBHOOK_ID))


@callback
def push_health(hass: HomeAssistant, entry_id: str) -> PushHealth:
    """The push health of an entry (kept across reloads of the entry)."""
    registry = hass.data.setdefault(DATA_PUSH, {})
    if (health := registry.get(entry_id)) is None:
        health = registry[entry_id] = PushHealth(watching_since=dt_util.utcnow())
    return health


@callback
def async_delete_push_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Withdraw the push repair issues of an entry."""
    for kind in (WEBHOOK_SIGNATURE, WEBHOOK_SILENT):
        async_delete_entry_issue(hass, kind, entry_id)


@callback
def async_setup_webhook(hass: HomeAssistant, entry: SmartcarConfigEntry) -> None:
    """Register the entry's webhook when the user turned push updates on."""
    if not push_enabled(entry.options):
        async_delete_push_issues(hass, entry.entry_id)
        return
    push_health(hass, entry.entry_id)
    webhook_id: str = entry.options[CONF_WEBHOOK_ID]
    webhook.async_register(
        hass,
        domain=DOMAIN,
        name=f"Smartcar {entry.title}",
        webhook_id=webhook_id,
        handler=async_handle_webhook,
        allowed_methods=("POST",),
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))


# -- the callback URL ------------------------------------------------------------------------


async def async_callback_url(
    hass: HomeAssistant, webhook_id: str, cloudhook_url: str | None
) -> tuple[str | None, str | None]:
    """The URL to paste into Smartcar's dashboard, and the cloudhook URL to keep.

    A cloudhook made before is reused; otherwise one is made when Home Assistant Cloud is
    active, else the external URL is used. ``(None, None)``: Smartcar cannot reach this
    Home Assistant (no Cloud, no external URL).
    """
    if cloudhook_url:
        return cloudhook_url, cloudhook_url
    if "cloud" in hass.config.components:
        # Imported only once Cloud is loaded: it pulls in voice assistants and cameras.
        from homeassistant.components import cloud  # noqa: PLC0415

        if cloud.async_active_subscription(hass):
            try:
                url = await _async_create_cloudhook(hass, webhook_id)
            except cloud.CloudNotAvailable:
                LOGGER.info("Home Assistant Cloud is not connected; no cloudhook was made")
            else:
                return url, url
    try:
        url = webhook.async_generate_url(hass, webhook_id, allow_internal=False, allow_ip=True)
    except NoURLAvailableError:
        return None, None
    return url, None


async def _async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        return await cloud.async_create_cloudhook(hass, webhook_id)
    except ValueError:
        # Cloud still holds a hook for this webhook id (made before the options knew it).
        await cloud.async_delete_cloudhook(hass, webhook_id)
        return await cloud.async_create_cloudhook(hass, webhook_id)


async def async_delete_cloudhook(hass: HomeAssistant, options: Mapping[str, Any]) -> None:
    """Remove the cloudhook the options hold, if any (the entry is removed, or a new URL)."""
    webhook_id = options.get(CONF_WEBHOOK_ID)
    if not options.get(CONF_CLOUDHOOK_URL) or not webhook_id:
        return
    if "cloud" not in hass.config.components:
        LOGGER.info("Home Assistant Cloud is not loaded; its cloudhook for Smartcar stays")
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable, ValueError:
        LOGGER.debug("The cloudhook could not be removed (Cloud is gone or the hook was)")


# -- push health and repair issues ------------------------------------------------------------


@callback
def async_check_push_silence(
    hass: HomeAssistant, entry: ConfigEntry, before: VehicleState, after: VehicleState
) -> None:
    """After a read: raise the silence issue when reads see the car change but push does not."""
    if not push_enabled(entry.options):
        return
    health = push_health(hass, entry.entry_id)
    if health.silent(dt_util.utcnow()) and values_changed(before, after):
        async_create_webhook_silent_issue(hass, entry, round(PUSH_SILENCE.total_seconds() / 3600))


def _reject(hass: HomeAssistant, entry: ConfigEntry, health: PushHealth, reason: Rejection) -> None:
    health.record_rejected(reason)
    LOGGER.debug("Refused a webhook delivery: %s", reason)
    if reason is Rejection.BAD_SIGNATURE and health.signature_failing:
        LOGGER.warning(
            "Webhook deliveries keep failing the signature check; check that the Application "
            "Management Token in the options matches the Smartcar dashboard"
        )
        async_create_webhook_signature_issue(hass, entry, health.signature_streak)


# -- deliveries ---------------------------------------------------------------------------------


def _entry_for(hass: HomeAssistant, webhook_id: str) -> SmartcarConfigEntry | None:
    entries: list[SmartcarConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        if entry.options.get(CONF_WEBHOOK_ID) == webhook_id and push_enabled(entry.options):
            return entry
    return None


def _coordinator_for(
    hass: HomeAssistant, vehicle_id: str, user_id: str | None
) -> SmartcarVehicleCoordinator | None:
    """The coordinator of a vehicle in any loaded entry (of the user the event names).

    One Smartcar application has one callback URL, so a delivery about a vehicle of another
    entry of the same application arrives here and is routed there.
    """
    entries: list[SmartcarConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        if entry.state is not ConfigEntryState.LOADED:
            continue
        if user_id is not None and entry.data.get(CONF_USER_ID) != user_id:
            continue
        if (coordinator := entry.runtime_data.coordinators.get(vehicle_id)) is not None:
            return coordinator
    return None


async def _read_body(request: web.Request | MockRequest) -> bytes | None:
    """The body, or ``None`` once it proves larger than Smartcar's maximum (never read whole)."""
    declared = request.headers.get(hdrs.CONTENT_LENGTH, "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    stream = request.content
    body = bytearray()
    while chunk := await stream.read(MAX_BODY_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


async def async_handle_webhook(
    hass: HomeAssistant, webhook_id: str, request: web.Request | MockRequest
) -> web.Response:
    """Check size and signature, then answer VERIFY or apply the delivered data."""
    entry = _entry_for(hass, webhook_id)
    if entry is None:
        return web.Response(status=HTTPStatus.NOT_FOUND)
    health = push_health(hass, entry.entry_id)
    body = await _read_body(request)
    if body is None:
        _reject(hass, entry, health, Rejection.OVERSIZE)
        return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    token: str = entry.options[CONF_MANAGEMENT_TOKEN]
    if not verify_signature(token, body, request.headers.get(SIGNATURE_HEADER)):
        # Unsigned: at most a VERIFY (Smartcar may not sign those); never a delivery.
        challenge = parse_verify_challenge(body)
        if challenge is None:
            _reject(hass, entry, health, Rejection.BAD_SIGNATURE)
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        return _answer_verify(health, token, challenge)
    health.record_signed()
    async_delete_entry_issue(hass, WEBHOOK_SIGNATURE, entry.entry_id)
    try:
        events = parse_webhook_events(body)
    except UnsupportedWebhookEventError as err:
        LOGGER.debug("Ignoring a webhook event of type %s", err.event_type)
        health.unknown_events += 1
        return web.Response(status=HTTPStatus.OK)
    except WebhookPayloadError:
        _reject(hass, entry, health, Rejection.MALFORMED)
        return web.Response(status=HTTPStatus.BAD_REQUEST)
    return _deliver(hass, entry, health, token, events)


def _answer_verify(health: PushHealth, token: str, challenge: str) -> web.Response:
    """Answer a VERIFY only inside the user's window, and only for a short-token challenge."""
    if not health.verification_open(dt_util.utcnow()):
        health.verify_refused += 1
        # Anyone can send these; say it loudly once, then quietly.
        log = LOGGER.warning if health.verify_refused == 1 else LOGGER.debug
        log(
            "Refused a webhook VERIFY outside the verification window; to verify the webhook "
            "in the Smartcar dashboard, first choose 'Verify again' in the integration's options"
        )
        return web.Response(status=HTTPStatus.FORBIDDEN)
    if not is_valid_challenge(challenge):
        health.verify_refused += 1
        LOGGER.debug("Refused a VERIFY whose challenge is not a short token")
        return web.Response(status=HTTPStatus.BAD_REQUEST)
    health.verify_answered += 1
    return web.json_response({"challenge": challenge_response(token, challenge)})


def _deliver(
    hass: HomeAssistant,
    entry: ConfigEntry,
    health: PushHealth,
    token: str,
    events: tuple[WebhookEvent, ...],
) -> web.Response:
    """Apply signed events to their vehicles' coordinators (TEST mode: acknowledge only)."""
    deliveries: list[VehicleStateEvent | VehicleErrorEvent] = []
    for event in events:
        if isinstance(event, VerifyEvent):
            return _answer_verify(health, token, event.challenge)
        deliveries.append(event)
    live = [event for event in deliveries if (event.mode or "").upper() != "TEST"]
    if len(live) < len(deliveries):
        # The dashboard's "send test event" carries made-up data: acknowledge, do not apply.
        health.test_events += len(deliveries) - len(live)
    if live:
        # Recorded first, so what the entities show next already counts this delivery.
        health.record_valid(dt_util.utcnow(), [event.vehicle_id for event in live])
        async_delete_entry_issue(hass, WEBHOOK_SILENT, entry.entry_id)
    for event in live:
        coordinator = _coordinator_for(hass, event.vehicle_id, event.user_id)
        if isinstance(event, VehicleStateEvent):
            health.record_unknown_signals(event.unknown_signals)
            if coordinator is not None and not coordinator.async_push(
                event.state, event_id=event.event_id
            ):
                health.duplicates += 1
        elif coordinator is not None:
            if event.errors:
                coordinator.async_push_errors(event.errors, event_id=event.event_id)
            if event.resolved:
                coordinator.async_resolve_errors(event.resolved)
        if coordinator is None:
            LOGGER.debug("A webhook delivery named a vehicle no entry has")
    return web.Response(status=HTTPStatus.OK if live else HTTPStatus.ACCEPTED)
