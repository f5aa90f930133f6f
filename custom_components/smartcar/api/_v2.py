"""Smartcar API v2 bodies (single endpoints and ``/batch`` items) turned into the domain model.

v2 reports percentages as fractions 0-1, units by the ``sc-unit-system`` header, and the data age
in ``sc-data-age``/``sc-fetched-at`` headers. A batch answers every path on its own, so a failed
path becomes an error for exactly the fields requested from it and never fails the whole read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
import re
from typing import Any

from . import _convert
from .const import V2_FIELD_PATHS
from .errors import SmartcarError, error_from_payload
from .models import (
    ChargingState,
    Field,
    Location,
    Opening,
    Reading,
    TirePressure,
    VehicleState,
)

type Values = dict[Field, Any]

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def normalize_path(path: Any) -> str:
    """Canonical form of a batch path: leading slash, no trailing slash (``/`` stays ``/``)."""
    return "/" + str(path or "").strip().strip("/")


def position(kind: Any) -> str:
    """Turn Smartcar's ``frontLeft`` into ``front_left``."""
    return _CAMEL.sub(r"_\1", str(kind)).lower()


def _open_status(status: Any) -> bool | None:
    """Read an ``OPEN``/``CLOSED`` status; lock states and ``UNKNOWN`` say nothing about it."""
    text = str(status).upper() if isinstance(status, str) else ""
    if text == "OPEN":
        return True
    if text == "CLOSED":
        return False
    return None


def _openings(items: Any) -> tuple[Opening, ...] | None:
    """Read a list of ``{"type", "status"}`` items; ``None`` when the list is missing."""
    if not isinstance(items, list):
        return None
    return tuple(
        Opening(position(item.get("type")), _open_status(item.get("status")))
        for item in items
        if isinstance(item, Mapping)
    )


def _any_open(openings: tuple[Opening, ...]) -> bool | None:
    """Collapse openings into one flag: open if any is open, closed if any is known closed."""
    states = [opening.is_open for opening in openings]
    if True in states:
        return True
    if False in states:
        return False
    return None


def _battery(body: Mapping[str, Any], units: str) -> Values:
    return {
        Field.BATTERY_LEVEL: _convert.fraction_to_percent(body.get("percentRemaining")),
        Field.BATTERY_RANGE: _convert.distance_km(body.get("range"), units),
    }


def _capacity(body: Mapping[str, Any], _units: str) -> Values:
    capacity = body.get("capacity")
    if isinstance(capacity, Mapping):
        capacity = capacity.get("nominal")
    return {Field.BATTERY_CAPACITY: _convert.number(capacity)}


def _charge(body: Mapping[str, Any], _units: str) -> Values:
    state = body.get("state")
    state = state.upper() if isinstance(state, str) else ""
    return {
        Field.CHARGING_STATE: ChargingState(state) if state in ChargingState else None,
        Field.PLUGGED_IN: _convert.boolean(body.get("isPluggedIn")),
    }


def _charge_limit(body: Mapping[str, Any], _units: str) -> Values:
    return {Field.CHARGE_LIMIT: _convert.fraction_to_percent(body.get("limit"))}


def _security(body: Mapping[str, Any], _units: str) -> Values:
    storage = _openings(body.get("storage")) or ()
    sunroof = _openings(body.get("sunroof"))
    charge_port = _openings(body.get("chargingPort"))
    front = tuple(item for item in storage if "front" in item.position)
    rear = tuple(item for item in storage if "front" not in item.position)
    return {
        Field.LOCKED: _convert.boolean(body.get("isLocked")),
        Field.DOORS: _openings(body.get("doors")),
        Field.WINDOWS: _openings(body.get("windows")),
        Field.SUNROOF_OPEN: _any_open(sunroof or ()),
        Field.FRONT_TRUNK_OPEN: _any_open(front),
        Field.REAR_TRUNK_OPEN: _any_open(rear),
        Field.CHARGE_PORT_OPEN: _any_open(charge_port or ()),
    }


def _odometer(body: Mapping[str, Any], units: str) -> Values:
    return {Field.ODOMETER: _convert.distance_km(body.get("distance"), units)}


def _location(body: Mapping[str, Any], _units: str) -> Values:
    latitude = _convert.number(body.get("latitude"))
    longitude = _convert.number(body.get("longitude"))
    if latitude is None or longitude is None:
        return {}
    return {Field.LOCATION: Location(latitude, longitude, _convert.number(body.get("heading")))}


def _fuel(body: Mapping[str, Any], units: str) -> Values:
    return {
        Field.FUEL_LEVEL: _convert.fraction_to_percent(body.get("percentRemaining")),
        Field.FUEL_RANGE: _convert.distance_km(body.get("range"), units),
        Field.FUEL_AMOUNT: _convert.volume_liters(body.get("amountRemaining"), units),
    }


def _tires(body: Mapping[str, Any], units: str) -> Values:
    pressures = {
        name: _convert.pressure_kpa(body.get(key), units)
        for name, key in (
            ("front_left", "frontLeft"),
            ("front_right", "frontRight"),
            ("back_left", "backLeft"),
            ("back_right", "backRight"),
        )
    }
    if all(value is None for value in pressures.values()):
        return {}
    return {Field.TIRE_PRESSURE: TirePressure(**pressures)}


def _engine_oil(body: Mapping[str, Any], _units: str) -> Values:
    return {Field.OIL_LIFE: _convert.fraction_to_percent(body.get("lifeRemaining"))}


_PARSERS: Mapping[str, Callable[[Mapping[str, Any], str], Values]] = {
    "/battery": _battery,
    "/battery/nominal_capacity": _capacity,
    "/battery/capacity": _capacity,
    "/charge": _charge,
    "/charge/limit": _charge_limit,
    "/security": _security,
    "/odometer": _odometer,
    "/location": _location,
    "/fuel": _fuel,
    "/tires/pressure": _tires,
    "/engine/oil": _engine_oil,
}


def path_fields(path: str) -> tuple[Field, ...]:
    """The fields a v2 path serves."""
    return tuple(item for item, item_path in V2_FIELD_PATHS.items() if item_path == path)


def readings_from_body(
    path: str, body: Any, headers: Mapping[str, str] | None
) -> dict[Field, Reading[Any]]:
    """Turn one successful v2 body into readings stamped with its data-age headers."""
    parser = _PARSERS.get(normalize_path(path))
    if parser is None or not isinstance(body, Mapping):
        return {}
    lowered = {str(key).lower(): value for key, value in (headers or {}).items()}
    units = _convert.unit_key(lowered.get("sc-unit-system")) or "metric"
    data_age = _convert.timestamp(lowered.get("sc-data-age"))
    fetched_at = _convert.timestamp(lowered.get("sc-fetched-at"))
    return {
        item: Reading(value, data_age, fetched_at)
        for item, value in parser(body, units).items()
        if value is not None
    }


def state_from_items(
    items: Any,
    fields: Collection[Field] | None = None,
    *,
    request_id: str | None = None,
) -> VehicleState:
    """Build a state from batch items; ``fields=None`` keeps every field the items carry."""
    readings: dict[Field, Reading[Any]] = {}
    errors: dict[Field, SmartcarError] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        path = normalize_path(item.get("path"))
        wanted = [field for field in path_fields(path) if fields is None or field in fields]
        headers = item.get("headers")
        headers = headers if isinstance(headers, Mapping) else {}
        code = _convert.number(item.get("code"))
        status = 200 if code is None else int(code)
        if 200 <= status < 300:
            found = readings_from_body(path, item.get("body"), headers)
            readings.update({field: found[field] for field in wanted if field in found})
            continue
        error = error_from_payload(status, headers, item.get("body"))
        if error.request_id is None:
            error.request_id = request_id
        errors.update(dict.fromkeys(wanted, error))
    return VehicleState.from_readings(readings, errors)
