"""Smartcar v3 signals (REST resources and webhook items) turned into the domain model.

A signal arrives either as a JSON:API resource (``attributes.code``/``attributes.body``, ``meta``
beside them) or flattened inside a webhook (``code``, ``body``, ``status``, ``meta``), and a
webhook may list them or key them by ``"Group.Name"``. Units, scales and timestamps (ISO-8601 on
REST, epoch milliseconds in webhooks) vary between sources, so every body is read leniently and
converted to percent and metric.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _convert
from ._v2 import position
from .const import V3_SIGNAL_FIELDS
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

if TYPE_CHECKING:
    from datetime import datetime

type Values = dict[Field, Any]

_WATT_HOUR_UNITS = frozenset({"wh", "watt-hours", "watthours", "watt-hour"})

# When two signals feed one field, the lower rank wins. ``charge-activelimit`` is not in
# Smartcar's signal list; it counts only when no ``charge-chargelimits`` came.
_RANK: Mapping[str, int] = {"charge-ischarging": 1, "charge-activelimit": 1}

_GLOBAL_LIMIT = "GLOBAL"

_CHARGING_STATES: Mapping[str, ChargingState] = {
    "CHARGING": ChargingState.CHARGING,
    "FULLY_CHARGED": ChargingState.FULLY_CHARGED,
    "CHARGED": ChargingState.FULLY_CHARGED,
    "CHARGING_COMPLETE": ChargingState.FULLY_CHARGED,
    "COMPLETE": ChargingState.FULLY_CHARGED,
    "NOT_CHARGING": ChargingState.NOT_CHARGING,
}

# v3 wheels are a grid: row 0 is the front axle, column 0 the left side.
_TIRE_POSITIONS: Mapping[tuple[int, int], str] = {
    (0, 0): "front_left",
    (0, 1): "front_right",
    (1, 0): "back_left",
    (1, 1): "back_right",
}


@dataclass(frozen=True)
class Signal:
    """One signal, whatever shape it arrived in."""

    code: str
    body: Any
    status: str
    error: Any
    data_age: datetime | None
    fetched_at: datetime | None
    ingested_at: datetime | None = None


def signal_code(group: Any, name: Any) -> str | None:
    """Derive ``group-name`` (lower case); also accepts the two swapped, as seen in captures."""
    if not isinstance(group, str) or not isinstance(name, str):
        return None
    code = f"{group}-{name}".lower()
    swapped = f"{name}-{group}".lower()
    if code not in V3_SIGNAL_FIELDS and swapped in V3_SIGNAL_FIELDS:
        return swapped
    return code


def code_from_reference(reference: Any) -> str | None:
    """Read a signal reference: a code, ``"Group.Name"``, or ``{code|group,name}``."""
    if isinstance(reference, str):
        if "." in reference:
            group, _, name = reference.partition(".")
            return signal_code(group, name)
        return reference.lower() or None
    if isinstance(reference, Mapping):
        code = reference.get("code")
        if isinstance(code, str) and code:
            return code.lower()
        return signal_code(reference.get("group"), reference.get("name"))
    return None


def parse_signal(raw: Any) -> Signal | None:
    """Normalise a REST signal resource or a webhook signal item; ``None`` if unreadable."""
    if not isinstance(raw, Mapping):
        return None
    attributes = raw.get("attributes")
    attributes = attributes if isinstance(attributes, Mapping) else {}
    code = code_from_reference(attributes) or code_from_reference(raw)
    if code is None:
        ident = raw.get("id")
        code = ident.lower() if isinstance(ident, str) and ident else None
    if code is None:
        return None
    body = raw["body"] if "body" in raw else attributes.get("body")
    status = raw.get("status", attributes.get("status"))
    error: Any = None
    if isinstance(status, Mapping):
        error = status.get("error")
        status = status.get("value")
    meta: dict[str, Any] = {}
    for source in (attributes.get("meta"), raw.get("meta")):
        if isinstance(source, Mapping):
            meta.update(source)
    return Signal(
        code=code,
        body=body,
        status=status.upper() if isinstance(status, str) else "SUCCESS",
        error=error,
        data_age=_convert.timestamp(meta.get("oemUpdatedAt")),
        fetched_at=_convert.timestamp(meta.get("retrievedAt", meta.get("fetchedAt"))),
        ingested_at=_convert.timestamp(meta.get("ingestedAt")),
    )


def signal_items(raw: Any) -> list[Any]:
    """The signals of a payload as a list: a list as it is, an object keyed by signal.

    The keys of an object are ``"Group.Name"`` references (or codes); a value is either the
    signal item itself or only its body.
    """
    if isinstance(raw, (list, tuple)):
        return list(raw)
    if not isinstance(raw, Mapping):
        return []
    items: list[Any] = []
    for key, value in raw.items():
        item: dict[str, Any]
        if isinstance(value, Mapping) and {"body", "status", "attributes"} & value.keys():
            item = dict(value)
        else:
            item = {"body": value}
        if (code := code_from_reference(key)) is not None:
            item.setdefault("code", code)
        items.append(item)
    return items


def body_value(body: Any) -> Any:
    """The scalar a body carries: ``value`` (or ``percentage``), or the body itself."""
    if isinstance(body, Mapping):
        for key in ("value", "percentage", "percent"):
            if key in body:
                return body[key]
        return None
    return body


def _unit(body: Any) -> Any:
    return body.get("unit") if isinstance(body, Mapping) else None


def _grid(body: Any) -> list[Mapping[str, Any]]:
    """The ``values`` items of a row/column signal body."""
    values = body.get("values") if isinstance(body, Mapping) else body
    return (
        [item for item in values if isinstance(item, Mapping)] if isinstance(values, list) else []
    )


def _grid_position(item: Mapping[str, Any]) -> str:
    if isinstance(item.get("type"), str):
        return position(item["type"])
    return f"row{item.get('row')}_col{item.get('column')}"


def _is_open(body: Any) -> bool | None:
    """Read ``isOpen`` of a closure, or of any of its ``values`` items."""
    if isinstance(body, Mapping) and "isOpen" in body:
        return _convert.boolean(body["isOpen"])
    states = [_convert.boolean(item.get("isOpen")) for item in _grid(body)]
    if True in states:
        return True
    if False in states:
        return False
    return _convert.boolean(body_value(body))


def _openings(body: Any) -> tuple[Opening, ...] | None:
    if not isinstance(body, (Mapping, list)):
        return None
    return tuple(
        Opening(_grid_position(item), _convert.boolean(item.get("isOpen"))) for item in _grid(body)
    )


def _charging_state(body: Any) -> ChargingState | None:
    value = body_value(body)
    return _CHARGING_STATES.get(value.upper()) if isinstance(value, str) else None


def _is_charging(body: Any) -> ChargingState | None:
    charging = _convert.boolean(body_value(body))
    if charging is None:
        return None
    return ChargingState.CHARGING if charging else ChargingState.NOT_CHARGING


def _charge_limits(body: Any) -> float | None:
    """The car's own limit: the ``GLOBAL`` entry, else the active one (``null`` unplugged).

    A ``LOCATION`` (or ``CONNECTOR``) limit applies only at its place, so it never stands for
    the car's limit.
    """
    if not isinstance(body, Mapping):
        return None
    unit = _unit(body)
    for item in _grid(body):
        kind = item.get("type")
        if (
            isinstance(kind, str)
            and kind.strip().upper() == _GLOBAL_LIMIT
            and (limit := _convert.percent(item.get("limit"), unit)) is not None
        ):
            return limit
    return _convert.percent(body.get("activeLimit"), unit)


def _capacity(body: Any) -> float | None:
    capacity = body.get("capacity") if isinstance(body, Mapping) else None
    if isinstance(capacity, Mapping):
        capacity = capacity.get("nominal")
    result = _convert.number(capacity if capacity is not None else body_value(body))
    if result is not None and _convert.unit_key(_unit(body)) in _WATT_HOUR_UNITS:
        return result / 1000
    return result


def _location(body: Any) -> Location | None:
    if isinstance(body, Mapping) and isinstance(body.get("value"), Mapping):
        body = body["value"]
    if not isinstance(body, Mapping):
        return None
    latitude = _convert.number(body.get("latitude"))
    longitude = _convert.number(body.get("longitude"))
    if latitude is None or longitude is None:
        return None
    return Location(latitude, longitude, _convert.number(body.get("heading")))


def _tires(body: Any) -> TirePressure | None:
    unit = _unit(body)
    pressures: dict[str, float | None] = dict.fromkeys(_TIRE_POSITIONS.values())
    for item in _grid(body):
        if isinstance(item.get("type"), str):
            name: str | None = position(item["type"])
        else:
            row, column = _convert.number(item.get("row")), _convert.number(item.get("column"))
            cell = None if row is None or column is None else (int(row), int(column))
            name = _TIRE_POSITIONS.get(cell) if cell is not None else None
        if name not in pressures:
            continue
        raw = item.get("tirePressure", item.get("pressure", item.get("value")))
        pressures[name] = _convert.tire_pressure_kpa(raw, item.get("unit", unit))
    if all(value is None for value in pressures.values()):
        return None
    return TirePressure(**pressures)


def _scalar(convert: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    """Apply a unit conversion to the body's value and unit."""
    return lambda body: convert(body_value(body), _unit(body))


def _plain_number(value: Any, _unit: Any) -> float | None:
    return _convert.number(value)


def _flag(body: Any) -> bool | None:
    return _convert.boolean(body_value(body))


_PARSERS: Mapping[str, Callable[[Any], Any]] = {
    "tractionbattery-stateofcharge": _scalar(_convert.percent),
    "tractionbattery-range": _scalar(_convert.distance_km),
    "tractionbattery-nominalcapacity": _capacity,
    "charge-ischarging": _is_charging,
    "charge-detailedchargingstatus": _charging_state,
    "charge-ischargingcableconnected": _flag,
    "charge-ischargingportflapopen": _is_open,
    "charge-chargelimits": _charge_limits,
    "charge-activelimit": _scalar(_convert.percent),
    "charge-voltage": _scalar(_plain_number),
    "charge-amperage": _scalar(_plain_number),
    "charge-wattage": _scalar(_convert.power_kw),
    "charge-timetocomplete": _scalar(_convert.duration_minutes),
    "odometer-traveleddistance": _scalar(_convert.distance_km),
    "location-preciselocation": _location,
    "closure-islocked": _flag,
    "closure-doors": _openings,
    "closure-windows": _openings,
    "closure-sunroof": _is_open,
    "closure-fronttrunk": _is_open,
    "closure-reartrunk": _is_open,
    "internalcombustionengine-fuellevel": _scalar(_convert.percent),
    "internalcombustionengine-range": _scalar(_convert.distance_km),
    "internalcombustionengine-amountremaining": _scalar(_convert.volume_liters),
    "internalcombustionengine-oillife": _scalar(_convert.percent),
    "wheel-tires": _tires,
    "connectivitystatus-isonline": _flag,
    "connectivitystatus-isasleep": _flag,
}


def signal_error(signal: Signal) -> SmartcarError:
    """The error a signal with status ``ERROR`` carries."""
    if isinstance(signal.error, Mapping) and signal.error:
        return error_from_payload(None, None, signal.error)
    return SmartcarError(f"Signal {signal.code} reported an error")


def signal_value(signal: Signal) -> Any:
    """The domain value of a successful signal, ``None`` when it has none."""
    parser = _PARSERS.get(signal.code)
    return None if parser is None else parser(signal.body)


def state_from_signals(raw_signals: Any, fields: Collection[Field] | None = None) -> VehicleState:
    """Build a state from signals (see :func:`signal_items`); ``fields=None`` keeps them all."""
    readings: dict[Field, tuple[int, Reading[Any]]] = {}
    errors: dict[Field, SmartcarError] = {}
    for raw in signal_items(raw_signals):
        signal = parse_signal(raw)
        if signal is None:
            continue
        wanted = [
            field
            for field in V3_SIGNAL_FIELDS.get(signal.code, ())
            if fields is None or field in fields
        ]
        if not wanted:
            continue
        if signal.status == "ERROR":
            error = signal_error(signal)
            for field in wanted:
                errors.setdefault(field, error)
            continue
        if signal.status != "SUCCESS":
            continue
        value = signal_value(signal)
        if value is None:
            continue
        rank = _RANK.get(signal.code, 0)
        for field in wanted:
            current = readings.get(field)
            if current is None or rank < current[0]:
                readings[field] = (
                    rank,
                    Reading(value, signal.data_age, signal.fetched_at, signal.ingested_at),
                )
    for field in readings:
        errors.pop(field, None)
    return VehicleState.from_readings(
        {field: reading for field, (_rank, reading) in readings.items()}, errors
    )
