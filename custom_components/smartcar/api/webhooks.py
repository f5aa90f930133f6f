"""Smartcar webhooks: signature check, VERIFY challenge and parsing of deliveries.

Smartcar pushes vehicle data and errors to the integration's webhook. The signature must be
checked over the raw body before anything is parsed; the payloads come in several shapes (three
documented or captured layouts of ``VEHICLE_STATE``, ``VEHICLE_ERROR``, and the legacy v2
envelope), which all become events in the same domain model as a polled read.

Deliveries and VERIFY answers are both HMAC-SHA256 keyed by the Application Management Token,
so answering a VERIFY signs the challenge with the delivery key. A challenge is therefore only
answered when it matches :data:`VERIFY_CHALLENGE` (1 to 128 characters from letters, digits and
``- _ . ~ + / =``): such a text can never be a JSON object, so its answer can never pass as the
signature of a delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import hashlib
import hmac
import json
import re
from typing import TYPE_CHECKING, Any, Final

from . import _convert, _v2, _v3
from .const import V3_SIGNAL_FIELDS
from .errors import SmartcarError, error_from_payload
from .models import ChargingState, Field, Reading, VehicleState

if TYPE_CHECKING:
    from datetime import datetime

#: The key under which ``VehicleErrorEvent`` files errors that name no signal.
VEHICLE_WIDE: Final = "*"

#: The only challenges a VERIFY is answered for: short tokens that cannot be a JSON body
#: (no braces, quotes or spaces), like the random strings Smartcar sends.
VERIFY_CHALLENGE: Final = re.compile(r"[A-Za-z0-9._~+/=-]{1,128}")

_LEGACY_CHARGING: Mapping[str, ChargingState] = {
    "CHARGING_STARTED": ChargingState.CHARGING,
    "CHARGING_STOPPED": ChargingState.NOT_CHARGING,
    "CHARGING_COMPLETED": ChargingState.FULLY_CHARGED,
}


class WebhookPayloadError(ValueError):
    """The webhook body is not a Smartcar event this module can read."""


class UnsupportedWebhookEventError(WebhookPayloadError):
    """A well-formed event of a type the integration does not handle (acknowledge and ignore)."""

    def __init__(self, event_type: str) -> None:
        """Remember the event type."""
        super().__init__(f"Unsupported webhook event type: {event_type}")
        self.event_type = event_type


def _hmac_hex(management_token: str, message: bytes) -> str:
    return hmac.new(management_token.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(management_token: str, body: bytes, signature: str | None) -> bool:
    """Check ``SC-Signature`` (hex HMAC-SHA256 of the raw body, keyed by the AMT) in constant time."""
    if not signature:
        return False
    expected = _hmac_hex(management_token, body).encode()
    return hmac.compare_digest(expected, signature.strip().lower().encode())


def is_valid_challenge(challenge: str) -> bool:
    """Whether a VERIFY challenge may be answered (see :data:`VERIFY_CHALLENGE`)."""
    return VERIFY_CHALLENGE.fullmatch(challenge) is not None


def challenge_response(management_token: str, challenge: str) -> str:
    """The answer to a VERIFY challenge: hex HMAC-SHA256 of the challenge, keyed by the AMT.

    Raises :class:`WebhookPayloadError` for a challenge outside :data:`VERIFY_CHALLENGE`, so
    the token never signs text that could be a delivery.
    """
    if not is_valid_challenge(challenge):
        raise WebhookPayloadError("The VERIFY challenge is not a short token")
    return _hmac_hex(management_token, challenge.encode())


def parse_verify_challenge(body: bytes) -> str | None:
    """The challenge of a VERIFY event (v4 or legacy v2); ``None`` for any other body.

    This is all that is read of a body without a valid signature: an unsigned body is only
    ever a VERIFY, never a delivery.
    """
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, Mapping):
        return None
    if payload.get("eventType") == "VERIFY":
        return _str(_mapping(payload.get("data")).get("challenge"))
    if str(payload.get("eventName", "")).lower() == "verify":
        return _str(_mapping(payload.get("payload")).get("challenge"))
    return None


@dataclass(frozen=True)
class VerifyEvent:
    """Smartcar checks the webhook URL; answer ``{"challenge": challenge_response(...)}``."""

    challenge: str
    event_id: str | None = None
    webhook_id: str | None = None


@dataclass(frozen=True)
class VehicleStateEvent:
    """Pushed vehicle data; ``state`` holds what the delivery carried, per-signal errors too."""

    event_id: str | None
    vehicle_id: str
    user_id: str | None
    state: VehicleState
    mode: str | None
    delivered_at: datetime | None
    triggers: tuple[str, ...] = ()
    webhook_id: str | None = None
    #: Codes of delivered signals the integration does not know (ignored, counted).
    unknown_signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class VehicleErrorEvent:
    """Pushed errors: ``errors`` are current, ``resolved`` names what has recovered.

    Keys are fields where the signal maps to one, else the signal code; errors that name no
    signal are filed under :data:`VEHICLE_WIDE`.
    """

    event_id: str | None
    vehicle_id: str
    user_id: str | None
    errors: Mapping[Field | str, SmartcarError] = field(default_factory=dict)
    resolved: tuple[Field | str, ...] = ()
    mode: str | None = None
    delivered_at: datetime | None = None
    webhook_id: str | None = None


type WebhookEvent = VerifyEvent | VehicleStateEvent | VehicleErrorEvent


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_webhook(body: bytes) -> WebhookEvent:
    """Parse a delivery into its event.

    A legacy v2 delivery about several vehicles yields the first one;
    :func:`parse_webhook_events` returns them all.
    """
    return parse_webhook_events(body)[0]


def parse_webhook_events(body: bytes) -> tuple[WebhookEvent, ...]:
    """Parse a delivery into its events (one, except legacy v2 deliveries about many vehicles)."""
    try:
        payload = json.loads(body)
    except ValueError as err:
        raise WebhookPayloadError("The webhook body is not JSON") from err
    if not isinstance(payload, Mapping):
        raise WebhookPayloadError("The webhook body is not a JSON object")
    events = _legacy(payload) if "eventName" in payload else (_v4(payload),)
    if not events:
        raise WebhookPayloadError("The webhook body names no vehicle")
    return events


def _v4(payload: Mapping[str, Any]) -> WebhookEvent:
    event_type = _str(payload.get("eventType"))
    data = _mapping(payload.get("data"))
    meta = _mapping(payload.get("meta"))
    event_id = _str(payload.get("eventId"))
    webhook_id = _str(meta.get("webhookId"))
    if event_type is None:
        raise WebhookPayloadError("The webhook body has no eventType")
    if event_type == "VERIFY":
        challenge = _str(data.get("challenge"))
        if challenge is None:
            raise WebhookPayloadError("The VERIFY event has no challenge")
        return VerifyEvent(challenge, event_id, webhook_id)
    if event_type not in {"VEHICLE_STATE", "VEHICLE_ERROR"}:
        raise UnsupportedWebhookEventError(event_type)
    vehicle_id = (
        _str(payload.get("vehicleId"))
        or _str(_mapping(data.get("vehicle")).get("id"))
        or _str(data.get("vehicleId"))
    )
    if vehicle_id is None:
        raise WebhookPayloadError("The webhook event names no vehicle")
    user_id = _str(_mapping(data.get("user")).get("id")) or _str(data.get("userId"))
    mode = _str(meta.get("mode"))
    delivered_at = _convert.timestamp(meta.get("deliveredAt"))
    if event_type == "VEHICLE_ERROR":
        errors, resolved = _vehicle_errors(_list(data.get("errors")))
        return VehicleErrorEvent(
            event_id, vehicle_id, user_id, errors, resolved, mode, delivered_at, webhook_id
        )
    triggers = _list(payload.get("triggers")) or _list(data.get("triggers"))
    signals = _signals(data.get("signals"))
    return VehicleStateEvent(
        event_id=event_id,
        vehicle_id=vehicle_id,
        user_id=user_id,
        state=_v3.state_from_signals(signals),
        mode=mode,
        delivered_at=delivered_at,
        triggers=tuple(code for item in triggers if (code := _trigger(item)) is not None),
        webhook_id=webhook_id,
        unknown_signals=_unknown_signals(signals),
    )


def _signals(value: Any) -> list[Any]:
    """Signals as a list; one illustration keys them by ``"Group.Name"`` instead."""
    return _v3.signal_items(value)


def _unknown_signals(signals: list[Any]) -> tuple[str, ...]:
    parsed = (_v3.parse_signal(item) for item in signals)
    return tuple(
        signal.code
        for signal in parsed
        if signal is not None and signal.code not in V3_SIGNAL_FIELDS
    )


def _trigger(item: Any) -> str | None:
    """A trigger as a signal code, or its kind (``FIRST_DELIVERY``) when it names no signal."""
    if isinstance(item, str):
        return _v3.code_from_reference(item)
    item = _mapping(item)
    if "signal" in item:
        return _v3.code_from_reference(item["signal"])
    if (code := _v3.signal_code(item.get("group"), item.get("name"))) is not None:
        return code
    return _str(item.get("code")) or _str(item.get("type"))


def _error_keys(signals: list[Any]) -> list[Field | str]:
    keys: list[Field | str] = []
    for reference in signals:
        code = _v3.code_from_reference(reference)
        if code is None:
            continue
        keys.extend(V3_SIGNAL_FIELDS.get(code, (code,)))
    return list(dict.fromkeys(keys)) or [VEHICLE_WIDE]


def _vehicle_errors(
    items: list[Any],
) -> tuple[dict[Field | str, SmartcarError], tuple[Field | str, ...]]:
    errors: dict[Field | str, SmartcarError] = {}
    resolved: list[Field | str] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        keys = _error_keys(_list(item.get("signals")))
        if str(item.get("state", "ERROR")).upper() == "RESOLVED":
            resolved.extend(keys)
            continue
        error = error_from_payload(None, None, item)
        errors.update(dict.fromkeys(keys, error))
    return errors, tuple(dict.fromkeys(key for key in resolved if key not in errors))


def _legacy(payload: Mapping[str, Any]) -> tuple[WebhookEvent, ...]:
    """Read the v2 envelope: ``verify``, ``eventBased``, ``scheduled`` and ``dynamic``."""
    event_name = str(payload.get("eventName"))
    body = _mapping(payload.get("payload"))
    webhook_id = _str(payload.get("webhookId"))
    mode = _str(payload.get("mode"))
    if event_name.lower() == "verify":
        challenge = _str(body.get("challenge"))
        if challenge is None:
            raise WebhookPayloadError("The verify event has no challenge")
        return (VerifyEvent(challenge, _str(body.get("eventId")), webhook_id),)
    if event_name == "eventBased":
        vehicle_id = _str(body.get("vehicleId"))
        if vehicle_id is None:
            raise WebhookPayloadError("The event names no vehicle")
        event_type = _str(body.get("eventType")) or ""
        when = _convert.timestamp(body.get("eventTime"))
        charging = _LEGACY_CHARGING.get(event_type)
        state = (
            VehicleState(charging_state=Reading(charging, when))
            if charging is not None
            else VehicleState()
        )
        return (
            VehicleStateEvent(
                _str(body.get("eventId")),
                vehicle_id,
                None,
                state,
                mode,
                when,
                (event_type,) if event_type else (),
                webhook_id,
            ),
        )
    if event_name not in {"scheduled", "dynamic"}:
        raise UnsupportedWebhookEventError(event_name)
    vehicles = _list(body.get("vehicles")) if "vehicles" in body else [body]
    events: list[WebhookEvent] = []
    for item in vehicles:
        vehicle = _mapping(item)
        vehicle_id = _str(vehicle.get("vehicleId"))
        if vehicle_id is None:
            continue
        request_id = _str(vehicle.get("requestId"))
        events.append(
            VehicleStateEvent(
                _str(vehicle.get("eventId")) or _str(body.get("eventId")) or request_id,
                vehicle_id,
                None,
                _v2.state_from_items(_list(vehicle.get("data")), None, request_id=request_id),
                mode,
                None,
                (event_name,),
                webhook_id,
            )
        )
    return tuple(events)
