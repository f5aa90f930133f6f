"""The v3 signal catalogue: how each signal code reads a `SimVehicle`.

The v3 `/signals` endpoints (through the signal store) and the v4 webhooks both list signals;
they share these definitions so a car's signal looks the same whether it is fetched or pushed.
REST renders `meta` timestamps as ISO-8601 with `ingestedAt`, webhooks as epoch milliseconds
(§4.0 item 6 of the reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from .clock import epoch_ms, iso_ms
from .vehicles import OPEN, POSITIONS, SimVehicle

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from .errors import SimError
    from .store import StoredSignals

type Body = dict[str, Any]

_ROW_COLUMN: Final = {
    "frontLeft": (0, 0),
    "frontRight": (0, 1),
    "backLeft": (1, 0),
    "backRight": (1, 1),
}


@dataclass(frozen=True, slots=True)
class SignalDef:
    """One signal: its code/name/group, the permission it needs and how to read it."""

    group: str
    name: str
    permission: str
    domain: str
    read: Callable[[SimVehicle], Body]
    available: Callable[[SimVehicle], bool]
    command_path: str
    """The v2 path whose COMPATIBILITY answer this signal shares."""

    @property
    def code(self) -> str:
        """The signal code: lower-cased `group-name`."""
        return f"{self.group}-{self.name}".lower()


def _is_open(status: str | None) -> bool | None:
    if status is None or status == "UNKNOWN":
        return None
    return status == OPEN


def _grid(vehicle: SimVehicle, statuses: dict[str, str], *, with_lock: bool) -> Body:
    values: list[Body] = []
    for position in POSITIONS:
        row, column = _ROW_COLUMN[position]
        item: Body = {"row": row, "column": column, "isOpen": _is_open(statuses.get(position))}
        if with_lock:
            item["isLocked"] = vehicle.locked
        values.append(item)
    return {"values": values, "rowCount": 2, "columnCount": 2}


# A place with its own charge limit (a `LOCATION` limit); the demo cars are never there.
_LIMIT_PLACE: Final = {"name": "Work", "latitude": 37.7897, "longitude": -122.3942}


def _tires(vehicle: SimVehicle) -> Body:
    """Tyres in the variant the car uses (§4.0 item 9).

    Bar without a unit (the docs' shape), bar with `"unit": "bar"`, or kPa with `"unit": "kPa"`.
    """
    in_kpa = vehicle.tire_unit == "kPa"
    values = []
    for position in POSITIONS:
        row, column = _ROW_COLUMN[position]
        kpa = vehicle.tire_kpa.get(position)
        pressure = kpa if in_kpa or kpa is None else round(kpa / 100, 3)
        values.append({"row": row, "column": column, "tirePressure": pressure})
    body: Body = {"values": values, "rowCount": 2, "columnCount": 2}
    if vehicle.tire_unit is not None:
        body["unit"] = vehicle.tire_unit
    return body


def _direction(heading: float) -> str:
    names = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
    return names[round((heading % 360) / 45) % 8]


def _always(_vehicle: SimVehicle) -> bool:
    return True


def _ev(vehicle: SimVehicle) -> bool:
    return vehicle.is_ev


def _engine(vehicle: SimVehicle) -> bool:
    return vehicle.has_engine


def _charge_limits(vehicle: SimVehicle) -> Body:
    """Upper-case limit types (§4.0 item 7), `activeLimit` `null` while unplugged.

    The car's `GLOBAL` limit and, when the car has one, a `LOCATION` limit that applies only at
    its place.
    """
    limit = round(vehicle.charge_limit)
    values: list[Body] = [{"type": "GLOBAL", "limit": limit, "condition": None}]
    if vehicle.location_charge_limit is not None:
        values.append(
            {
                "type": "LOCATION",
                "limit": round(vehicle.location_charge_limit),
                "condition": dict(_LIMIT_PLACE),
            }
        )
    return {
        "values": values,
        "activeLimit": limit if vehicle.plugged_in else None,
        "unit": "percent",
    }


def _nominal_capacity(vehicle: SimVehicle) -> Body:
    return {
        "source": vehicle.capacity_source,
        "capacity": vehicle.battery_capacity_kwh,
        "availableCapacities": [dict(item) for item in vehicle.available_capacities],
        "unit": "kWh",
    }


SIGNALS: Final[tuple[SignalDef, ...]] = (
    SignalDef(
        "TractionBattery",
        "StateOfCharge",
        "read_battery",
        "battery",
        lambda v: {"unit": "percent", "value": round(v.soc, 2)},
        _ev,
        "/battery",
    ),
    SignalDef(
        "TractionBattery",
        "Range",
        "read_battery",
        "battery",
        lambda v: {"unit": "kilometers", "value": v.battery_range_km},
        _ev,
        "/battery",
    ),
    SignalDef(
        "TractionBattery",
        "NominalCapacity",
        "read_battery",
        "battery",
        _nominal_capacity,
        _ev,
        "/battery/nominal_capacity",
    ),
    SignalDef(
        "Charge",
        "IsCharging",
        "read_charge",
        "charge",
        lambda v: {"value": v.charging},
        _ev,
        "/charge",
    ),
    SignalDef(
        "Charge",
        "IsChargingCableConnected",
        "read_charge",
        "charge",
        lambda v: {"value": v.plugged_in},
        _ev,
        "/charge",
    ),
    SignalDef(
        "Charge",
        "DetailedChargingStatus",
        "read_charge",
        "charge",
        lambda v: {"value": v.charging_state},
        _ev,
        "/charge",
    ),
    SignalDef(
        "Charge", "ChargeLimits", "read_charge", "charge", _charge_limits, _ev, "/charge/limit"
    ),
    SignalDef(
        "Charge",
        "IsChargingPortFlapOpen",
        "read_charge",
        "charge",
        lambda v: {"value": v.charge_port == OPEN},
        lambda v: v.is_ev and v.charge_port is not None,
        "/charge",
    ),
    SignalDef(
        "Charge",
        "Voltage",
        "read_charge",
        "charge",
        lambda v: {"unit": "volts", "value": v.charge_voltage if v.plugged_in else 0},
        _ev,
        "/charge",
    ),
    SignalDef(
        "Charge",
        "Amperage",
        "read_charge",
        "charge",
        lambda v: {"unit": "ampere", "value": v.charge_current_a},
        _ev,
        "/charge",
    ),
    SignalDef(
        "Charge",
        "Wattage",
        "read_charge",
        "charge",
        lambda v: {"unit": "watts", "value": round(v.charge_power_kw * 1000)},
        _ev,
        "/charge",
    ),
    SignalDef(
        "Charge",
        "TimeToComplete",
        "read_charge",
        "charge",
        lambda v: {"value": v.minutes_to_complete},
        _ev,
        "/charge",
    ),
    SignalDef(
        "Odometer",
        "TraveledDistance",
        "read_odometer",
        "odometer",
        lambda v: {"unit": "kilometers", "value": v.odometer_km},
        _always,
        "/odometer",
    ),
    SignalDef(
        "Location",
        "PreciseLocation",
        "read_location",
        "location",
        lambda v: {
            "latitude": v.latitude,
            "longitude": v.longitude,
            "heading": v.heading,
            "direction": _direction(v.heading),
            "locationType": "CURRENT",
        },
        _always,
        "/location",
    ),
    SignalDef(
        "Closure",
        "IsLocked",
        "read_security",
        "security",
        lambda v: {"value": v.locked},
        _always,
        "/security",
    ),
    SignalDef(
        "Closure",
        "Doors",
        "read_security",
        "security",
        lambda v: _grid(v, v.doors, with_lock=True),
        _always,
        "/security",
    ),
    SignalDef(
        "Closure",
        "Windows",
        "read_security",
        "security",
        lambda v: _grid(v, v.windows, with_lock=False),
        _always,
        "/security",
    ),
    SignalDef(
        "Closure",
        "Sunroof",
        "read_security",
        "security",
        lambda v: {"isOpen": _is_open(v.sunroof)},
        lambda v: v.sunroof is not None,
        "/security",
    ),
    SignalDef(
        "Closure",
        "FrontTrunk",
        "read_security",
        "security",
        lambda v: {"isOpen": _is_open(v.front_trunk), "isLocked": v.locked},
        lambda v: v.front_trunk is not None,
        "/security",
    ),
    SignalDef(
        "Closure",
        "RearTrunk",
        "read_security",
        "security",
        lambda v: {"isOpen": _is_open(v.rear_trunk), "isLocked": v.locked},
        lambda v: v.rear_trunk is not None,
        "/security",
    ),
    SignalDef(
        "InternalCombustionEngine",
        "FuelLevel",
        "read_fuel",
        "fuel",
        lambda v: {"unit": "percent", "value": round(v.fuel_percent, 2)},
        _engine,
        "/fuel",
    ),
    SignalDef(
        "InternalCombustionEngine",
        "Range",
        "read_fuel",
        "fuel",
        lambda v: {"unit": "kilometers", "value": v.fuel_range_km},
        _engine,
        "/fuel",
    ),
    SignalDef(
        "InternalCombustionEngine",
        "AmountRemaining",
        "read_fuel",
        "fuel",
        lambda v: {"unit": "liters", "value": v.fuel_amount_l},
        _engine,
        "/fuel",
    ),
    SignalDef(
        "InternalCombustionEngine",
        "OilLife",
        "read_engine_oil",
        "oil",
        lambda v: {
            "unit": "percent",
            "value": None if v.oil_life is None else round(v.oil_life, 2),
        },
        _engine,
        "/engine/oil",
    ),
    SignalDef("Wheel", "Tires", "read_tires", "tires", _tires, _always, "/tires/pressure"),
    SignalDef(
        "ConnectivityStatus",
        "IsOnline",
        "read_vehicle_info",
        "connectivity",
        lambda v: {"value": v.online},
        _always,
        "/",
    ),
    SignalDef(
        "ConnectivityStatus",
        "IsAsleep",
        "read_vehicle_info",
        "connectivity",
        lambda v: {"value": v.asleep},
        _always,
        "/",
    ),
    SignalDef(
        "ConnectivityStatus",
        "IsDigitalKeyPaired",
        "read_vehicle_info",
        "connectivity",
        lambda v: {"value": v.virtual_key_paired},
        _always,
        "/",
    ),
    SignalDef(
        "VehicleIdentification",
        "VIN",
        "read_vin",
        "attributes",
        lambda v: {"value": v.vin},
        _always,
        "/vin",
    ),
)

SIGNALS_BY_CODE: Final[dict[str, SignalDef]] = {signal.code: signal for signal in SIGNALS}


def is_supported(signal: SignalDef, vehicle: SimVehicle) -> bool:
    """Whether the car produces this signal at all."""
    return signal.available(vehicle) and vehicle.incapable(signal.command_path) is None


def signal_summary(signal: SignalDef) -> Body:
    """Return the `{code, name, group}` triple used by triggers and error lists."""
    return {"code": signal.code, "name": signal.name, "group": signal.group}


def signal_error_status(error: SimError) -> Body:
    """Return a signal `status` object for a failed signal."""
    return {
        "value": "ERROR",
        "error": {
            "type": error.type,
            "code": error.code,
            "description": error.description,
            "resolution": error.resolution_object(),
        },
    }


def signal_resource(
    signal: SignalDef,
    vehicle_id: str,
    stored: StoredSignals,
    *,
    error: SimError | None = None,
) -> Body:
    """Render one stored signal as the v3 resource (§4.3) with ISO-8601 meta (§4.0 item 6)."""
    attributes: Body = {"code": signal.code, "name": signal.name, "group": signal.group}
    if error is None:
        attributes["status"] = {"value": "SUCCESS"}
        attributes["body"] = stored.bodies[signal.code]
    else:
        attributes["status"] = signal_error_status(error)
    return {
        "id": signal.code,
        "type": "signal",
        "attributes": attributes,
        "meta": {
            "retrievedAt": iso_ms(stored.retrieved_at),
            "oemUpdatedAt": iso_ms(stored.oem_updated_at[signal.code]),
            "ingestedAt": iso_ms(stored.ingested_at),
        },
        "links": {"self": f"/vehicles/{vehicle_id}/signals/{signal.code}"},
    }


def webhook_signal(
    signal: SignalDef, vehicle: SimVehicle, now: datetime, *, error: SimError | None = None
) -> Body:
    """Render one signal as a v4 webhook lists it (shape (b) of §7.5)."""
    item: Body = signal_summary(signal)
    if error is not None:
        item["status"] = {"value": "ERROR", "error": {"code": error.code, "type": error.type}}
        return item
    item["body"] = signal.read(vehicle)
    item["status"] = {"value": "SUCCESS"}
    item["meta"] = {
        "retrievedAt": epoch_ms(now),
        "oemUpdatedAt": epoch_ms(vehicle.data_age(signal.domain)),
    }
    return item
