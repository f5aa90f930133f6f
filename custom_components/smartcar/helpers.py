"""Smartcar's answers in Home Assistant's words: display names, and errors as tables.

A refused command becomes a translated ``HomeAssistantError`` (or ``ServiceValidationError``
where the user asked for something the car cannot do right now), a failed read becomes a
translated ``UpdateFailed``; which translation key applies is looked up by Smartcar's error
class and code in the tables below, never by description text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    COMMAND_PERMISSIONS,
    Command,
    SmartcarBillingError,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarServerError,
    SmartcarTimeoutError,
    SmartcarUpstreamError,
    SmartcarVehicleStateError,
)
from .const import BILLING_RETRY_AFTER, DOMAIN, RATE_LIMIT_RETRY_AFTER, VIRTUAL_KEY_URL

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime

    from .api import Vehicle, VehicleState

#: Makes Smartcar spells in capitals that are not simply title-cased for display.
_MAKE_NAMES: Final[Mapping[str, str]] = {
    "BMW": "BMW",
    "BYD": "BYD",
    "GMC": "GMC",
    "MINI": "MINI",
    "RAM": "RAM",
    "MERCEDES-BENZ": "Mercedes-Benz",
    "ROLLS-ROYCE": "Rolls-Royce",
    "LAND ROVER": "Land Rover",
    "ALFA ROMEO": "Alfa Romeo",
    "CUPRA": "CUPRA",
    "DS": "DS",
    "MG": "MG",
}

#: VEHICLE_STATE codes and the translation key of the error they become.
VEHICLE_STATE_KEYS: Final[Mapping[str, str]] = {
    "ASLEEP": "vehicle_asleep",
    "UNREACHABLE": "vehicle_unreachable",
    "VEHICLE_OFFLINE_FOR_SERVICE": "vehicle_unreachable",
    "REMOTE_ACCESS_DISABLED": "remote_access_disabled",
    "DOOR_OPEN": "vehicle_open",
    "TRUNK_OPEN": "vehicle_open",
    "HOOD_OPEN": "vehicle_open",
    "IN_MOTION": "vehicle_in_use",
    "IGNITION_ON": "vehicle_in_use",
    "CHARGING_PLUG_NOT_CONNECTED": "not_plugged_in",
    "CHARGING_PLUG_CONNECTED": "charging_plug_connected",
    "CHARGING_IN_PROGRESS": "charging_in_progress",
    "NOT_CHARGING": "not_charging",
    "FULLY_CHARGED": "fully_charged",
    "CHARGE_FAULT": "charge_fault",
    "LOW_BATTERY": "low_battery",
}

#: Refusals that mean the vehicle is already where the command would take it.
ALREADY_DONE: Final[Mapping[Command, frozenset[str]]] = {
    Command.START_CHARGE: frozenset({"CHARGING_IN_PROGRESS"}),
    Command.STOP_CHARGE: frozenset({"NOT_CHARGING"}),
}

#: Translation keys the user can act on by asking differently: service validation errors.
_VALIDATION_KEYS: Final = frozenset({"not_plugged_in"})

type _Extra = Callable[[SmartcarError, Command], Mapping[str, str]]


def _code(err: SmartcarError, _command: Command) -> Mapping[str, str]:
    return {"code": err.code or "-"}


def _retry_after(err: SmartcarError, _command: Command) -> Mapping[str, str]:
    wait = err.retry_after if err.retry_after is not None else RATE_LIMIT_RETRY_AFTER
    return {"retry_after": str(round(wait))}


def _permission(_err: SmartcarError, command: Command) -> Mapping[str, str]:
    return {"permission": str(COMMAND_PERMISSIONS[command])}


def _key_url(err: SmartcarError, _command: Command) -> Mapping[str, str]:
    return {"url": err.resolution_url or VIRTUAL_KEY_URL}


def _type_and_code(err: SmartcarError, _command: Command) -> Mapping[str, str]:
    return {"type": err.type, "code": err.code or "-"}


def _none(_err: SmartcarError, _command: Command) -> Mapping[str, str]:
    return {}


def _vehicle_state_key(err: SmartcarError) -> str:
    return VEHICLE_STATE_KEYS.get(err.code or "", "vehicle_state_unknown")


def _csa_key(err: SmartcarError) -> str:
    return "virtual_key_required" if err.code == "VIRTUAL_KEY_REQUIRED" else "account_issue"


#: A refused command: the first row whose class matches decides the key and placeholders.
_COMMAND_ERRORS: Final[tuple[tuple[type[SmartcarError], str | Callable[..., str], _Extra], ...]] = (
    (SmartcarVehicleStateError, _vehicle_state_key, _none),
    (SmartcarRateLimitError, "rate_limited", _retry_after),
    (SmartcarBillingError, "billing_limit", _code),
    (
        SmartcarConnectedServicesAccountError,
        _csa_key,
        lambda err, c: {**_code(err, c), **_key_url(err, c)},
    ),
    (SmartcarPermissionError, "permission_missing", _permission),
    (SmartcarCompatibilityError, "not_capable", _none),
    (SmartcarTimeoutError, "command_timeout", _none),
    (SmartcarConnectionError, "cannot_connect", _none),
)

#: A failed read: the translation key of its ``UpdateFailed``.
_UPDATE_ERRORS: Final[tuple[tuple[type[SmartcarError], str], ...]] = (
    (SmartcarBillingError, "update_billing"),
    (SmartcarRateLimitError, "update_rate_limited"),
    (SmartcarTimeoutError, "update_timeout"),
    (SmartcarConnectionError, "update_cannot_connect"),
    (SmartcarVehicleStateError, "update_vehicle_state"),
)

#: Failures worth retrying within minutes: Smartcar or the network hiccuped.
TRANSIENT_ERRORS: Final = (
    SmartcarServerError,
    SmartcarUpstreamError,
    SmartcarTimeoutError,
    SmartcarConnectionError,
)


def display_make(make: str) -> str:
    """Return a make as people write it (``TESLA`` → ``Tesla``, ``BMW`` stays)."""
    cleaned = make.strip()
    if not cleaned:
        return "Smartcar"
    if cleaned.upper() in _MAKE_NAMES:
        return _MAKE_NAMES[cleaned.upper()]
    if cleaned.isupper():
        return "-".join(part.capitalize() for part in cleaned.title().split("-"))
    return cleaned


def describe_error(err: BaseException) -> str:
    """Describe an error for logs by Smartcar's identifiers only, never by its text."""
    if isinstance(err, SmartcarError):
        parts = [err.type if err.code is None else f"{err.type}:{err.code}"]
        if err.status is not None:
            parts.append(f"HTTP {err.status}")
        if err.request_id:
            parts.append(f"request {err.request_id}")
        return ", ".join(parts)
    return type(err).__name__


def command_error(err: SmartcarError, command: Command, vehicle: str) -> HomeAssistantError:
    """Translate a refused command into an error that names Smartcar's reason."""
    placeholders = {"vehicle": vehicle, "command": str(command), "error": describe_error(err)}
    if err.requires_reauth:
        key = "reauth_required"
    else:
        key = "command_failed"
        extra: _Extra = _type_and_code
        for kind, rule, more in _COMMAND_ERRORS:
            if isinstance(err, kind):
                key = rule if isinstance(rule, str) else rule(err)
                extra = more
                break
        placeholders.update(extra(err, command))
    kind_of = ServiceValidationError if key in _VALIDATION_KEYS else HomeAssistantError
    return kind_of(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def update_failed(err: SmartcarError, retry_after: float | None) -> UpdateFailed:
    """Translate a failed read into ``UpdateFailed``."""
    key = next((key for kind, key in _UPDATE_ERRORS if isinstance(err, kind)), "update_failed")
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            "error": describe_error(err),
            "retry_after": str(round(retry_after or 0)),
        },
        retry_after=retry_after,
    )


def vehicle_name(vehicle: Vehicle) -> str:
    """``<Make> <Model>``, the device name and the spoken name in Assist."""
    model = vehicle.model.strip()
    make = display_make(vehicle.make)
    return f"{make} {model}".strip() if model else f"{make} vehicle"


def vehicle_device_info(vehicle: Vehicle) -> DeviceInfo:
    """The device registry entry of a vehicle; the VIN is its serial number."""
    model = vehicle.model or None
    if model and vehicle.year:
        model = f"{model} ({vehicle.year})"
    return DeviceInfo(
        identifiers={(DOMAIN, vehicle.id)},
        manufacturer=display_make(vehicle.make),
        model=model,
        name=vehicle_name(vehicle),
        serial_number=vehicle.vin,
    )


def stamped(state: VehicleState, moment: datetime) -> VehicleState:
    """Date readings that carry no time at all with ``moment`` (when the read was sent)."""
    changes: dict[str, Any] = {
        field.value: replace(reading, fetched_at=moment)
        for field, reading in state.readings()
        if reading.moment is None
    }
    return replace(state, **changes) if changes else state


def worst_error(errors: Iterable[SmartcarError]) -> SmartcarError:
    """Pick the error that decides how long to wait: billing, then throttling, then any."""
    return min(
        errors,
        key=lambda err: (
            not isinstance(err, SmartcarBillingError),
            not isinstance(err, SmartcarRateLimitError),
        ),
    )


def auth_failed(err: SmartcarError) -> ConfigEntryAuthFailed:
    """The reauthentication a rejected credential calls for."""
    return ConfigEntryAuthFailed(
        translation_domain=DOMAIN,
        translation_key="auth_failed",
        translation_placeholders={"error": describe_error(err)},
    )


def raise_if_reauth(err: SmartcarError) -> None:
    """Start reauthentication when Smartcar rejects the credential itself."""
    if err.requires_reauth:
        raise auth_failed(err) from err


def retry_after_for(err: SmartcarError) -> float | None:
    """How long to wait after a failed read, when Smartcar's answer says so."""
    if isinstance(err, SmartcarBillingError):
        return BILLING_RETRY_AFTER
    if isinstance(err, SmartcarRateLimitError):
        return err.retry_after if err.retry_after is not None else RATE_LIMIT_RETRY_AFTER
    return err.retry_after
