"""Lenient conversions of Smartcar's numbers, units and timestamps into the domain model.

Smartcar's sources disagree on unit spellings (``percent``/``percentage``, ``kilometers``/``km``)
and on scales (fractions 0-1 in v2, percent 0-100 in v3, yet fractions in some v3 webhooks), and
timestamps arrive as ISO strings, epoch milliseconds or epoch seconds. These helpers accept every
variant the reference lists and always return percent, metric units and aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
import math
from typing import Any

_MILE_KM = 1.609344
_GALLON_L = 3.785411784
_PSI_KPA = 6.894757293168361

# Epoch numbers above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
_EPOCH_MS_THRESHOLD = 1e11

# A unit-less tyre pressure below this is in bar (no tyre is inflated to less than 10 kPa).
_UNITLESS_BAR_BELOW = 10

_FRACTION_UNITS = frozenset({"fraction", "ratio", "decimal"})
_KM_UNITS = frozenset({"km", "kilometer", "kilometers", "kilometre", "kilometres", "metric"})
_MILE_UNITS = frozenset({"mi", "mile", "miles", "imperial"})
_METER_UNITS = frozenset({"m", "meter", "meters", "metre", "metres"})
_LITER_UNITS = frozenset({"l", "liter", "liters", "litre", "litres", "metric"})
_GALLON_UNITS = frozenset({"gal", "gallon", "gallons", "imperial"})
_KPA_UNITS = frozenset({"kpa", "kilopascal", "kilopascals", "metric"})
_BAR_UNITS = frozenset({"bar", "bars"})
_PSI_UNITS = frozenset({"psi", "imperial"})
_WATT_UNITS = frozenset({"w", "watt", "watts"})
_KILOWATT_UNITS = frozenset({"kw", "kilowatt", "kilowatts"})
_SECOND_UNITS = frozenset({"s", "sec", "second", "seconds"})
_HOUR_UNITS = frozenset({"h", "hr", "hour", "hours"})


def number(value: Any) -> float | None:
    """Return a finite float for a JSON number or numeric string, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def boolean(value: Any) -> bool | None:
    """Return a bool for JSON booleans and their common string spellings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "yes", "on", "1"}:
            return True
        if lowered in {"false", "no", "off", "0"}:
            return False
    return None


def unit_key(unit: Any) -> str:
    """Normalise a unit spelling for lookups (``"Kilowatt-Hours"`` → ``"kilowatt-hours"``)."""
    return unit.strip().lower() if isinstance(unit, str) else ""


def fraction_to_percent(value: Any) -> float | None:
    """Convert a v2 fraction 0-1 to percent; values above 1 are taken as percent already."""
    if (result := number(value)) is None:
        return None
    return result * 100 if result <= 1 else result


def percent(value: Any, unit: Any = None) -> float | None:
    """Convert a v3 percentage to 0-100, catching fractions sent by mistake.

    An explicit fraction unit scales by 100; otherwise a value strictly between 0 and 1 is read
    as a fraction (a battery at 0.77 % is implausible, 77 % sent as ``0.77`` is documented).
    """
    if (result := number(value)) is None:
        return None
    if unit_key(unit) in _FRACTION_UNITS or 0 < result < 1:
        return result * 100
    return result


def distance_km(value: Any, unit: Any = None) -> float | None:
    """Convert a distance to kilometres; kilometres when the unit is missing or unknown."""
    if (result := number(value)) is None:
        return None
    key = unit_key(unit)
    if key in _MILE_UNITS:
        return result * _MILE_KM
    if key in _METER_UNITS:
        return result / 1000
    return result


def volume_liters(value: Any, unit: Any = None) -> float | None:
    """Convert a fuel amount to litres (US gallons when the unit says so)."""
    if (result := number(value)) is None:
        return None
    return result * _GALLON_L if unit_key(unit) in _GALLON_UNITS else result


def pressure_kpa(value: Any, unit: Any = None) -> float | None:
    """Convert a tyre pressure to kPa from kPa, bar or psi."""
    if (result := number(value)) is None:
        return None
    key = unit_key(unit)
    if key in _BAR_UNITS:
        return round(result * 100, 4)
    if key in _PSI_UNITS:
        return result * _PSI_KPA
    return result


def tire_pressure_kpa(value: Any, unit: Any = None) -> float | None:
    """Convert a v3 tyre pressure to kPa: by its unit, else below 10 is bar, otherwise kPa.

    Smartcar's signal reference shows no unit for tyres and lists ``bar`` but not kPa, while
    captured bodies carry kPa; a car tyre holds 1.5-4 bar (150-400 kPa), so the size decides.
    """
    if (result := number(value)) is None:
        return None
    if not unit_key(unit) and result < _UNITLESS_BAR_BELOW:
        return round(result * 100, 4)
    return pressure_kpa(result, unit)


def power_kw(value: Any, unit: Any = None) -> float | None:
    """Convert a charging power to kW; watts when the unit is missing (the signal is wattage)."""
    if (result := number(value)) is None:
        return None
    return result if unit_key(unit) in _KILOWATT_UNITS else result / 1000


def duration_minutes(value: Any, unit: Any = None) -> float | None:
    """Convert a duration to minutes; minutes when the unit is missing."""
    if (result := number(value)) is None:
        return None
    key = unit_key(unit)
    if key in _SECOND_UNITS:
        return result / 60
    if key in _HOUR_UNITS:
        return result * 60
    return result


def timestamp(value: Any) -> datetime | None:
    """Read an ISO-8601 string or an epoch number (ms or s) as an aware UTC datetime."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if (epoch := number(text)) is not None:
            return _from_epoch(epoch)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if (epoch := number(value)) is not None:
        return _from_epoch(epoch)
    return None


def _from_epoch(epoch: float) -> datetime | None:
    """Convert epoch milliseconds or seconds to a datetime, ``None`` when out of range."""
    seconds = epoch / 1000 if abs(epoch) >= _EPOCH_MS_THRESHOLD else epoch
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except OverflowError, OSError, ValueError:
        return None
