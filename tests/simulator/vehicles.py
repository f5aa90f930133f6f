"""Simulated cars: their state, the physics that moves it, and the fleets they come in.

A `SimVehicle` is the single source of truth that the v2 endpoints, the v3 signals and the
webhooks all render from, so the three views of one car can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
import math
from typing import TYPE_CHECKING, Any, Final
import uuid

from . import const
from .clock import iso_ms
from .errors import SimError

if TYPE_CHECKING:
    import random


class Powertrain(StrEnum):
    """What moves the car; decides which endpoints and signals it supports."""

    BEV = "BEV"
    PHEV = "PHEV"
    ICE = "ICE"


POSITIONS: Final = ("frontLeft", "frontRight", "backLeft", "backRight")
"""Door and window positions in the order the v2 `/security` body lists them."""

OPEN: Final = "OPEN"
CLOSED: Final = "CLOSED"
UNKNOWN: Final = "UNKNOWN"

# Which state domain each settable attribute belongs to; a domain's timestamp is its data age.
FIELD_DOMAINS: Final[dict[str, tuple[str, ...]]] = {
    "soc": ("battery", "charge"),
    "full_range_km": ("battery",),
    "battery_capacity_kwh": ("battery",),
    "charge_limit": ("charge",),
    "location_charge_limit": ("charge",),
    "plugged_in": ("charge", "security"),
    "charging": ("charge",),
    "charger_kw": ("charge",),
    "charge_voltage": ("charge",),
    "fuel_percent": ("fuel",),
    "fuel_tank_l": ("fuel",),
    "fuel_full_range_km": ("fuel",),
    "oil_life": ("oil",),
    "tire_kpa": ("tires",),
    "tire_unit": ("tires",),
    "locked": ("security",),
    "doors": ("security",),
    "windows": ("security",),
    "sunroof": ("security",),
    "front_trunk": ("security",),
    "rear_trunk": ("security",),
    "charge_port": ("security",),
    "odometer_km": ("odometer",),
    "latitude": ("location",),
    "longitude": ("location",),
    "heading": ("location",),
    "online": ("connectivity",),
    "asleep": ("connectivity",),
    "moving": ("location",),
    "virtual_key_paired": ("connectivity",),
    "start_charge_on_plug": (),
    "charge_commands": (),
    "max_ac_kw": ("charge",),
    "unsupported": (),
}

DOMAINS: Final = (
    "attributes",
    "battery",
    "charge",
    "security",
    "location",
    "odometer",
    "tires",
    "fuel",
    "oil",
    "connectivity",
    "diagnostics",
)

_EV_ONLY_PATHS: Final = frozenset(
    {"/battery", "/battery/capacity", "/battery/nominal_capacity", "/charge", "/charge/limit"}
)
_ENGINE_ONLY_PATHS: Final = frozenset({"/fuel", "/engine/oil"})


@dataclass(kw_only=True)
class SimVehicle:
    """One simulated car with everything Smartcar could report about it.

    Percentages are 0 to 100 here (the v2 views divide by 100), distances are km, pressures kPa,
    volumes liters. `updated_at` holds, per domain, when the "OEM" last reported that data.
    """

    id: str
    make: str
    model: str
    year: int
    vin: str
    powertrain: Powertrain
    # traction battery and charging (BEV, PHEV)
    battery_capacity_kwh: float | None = None
    available_capacities: list[dict[str, Any]] = field(default_factory=list)
    capacity_source: str = "SMARTCAR"
    full_range_km: float = 0.0
    soc: float = 0.0
    charge_limit: float = 80.0
    location_charge_limit: float | None = 90.0
    """A v3 `LOCATION` charge limit at a place the car is not at (`None`: the car has none)."""
    plugged_in: bool = False
    charging: bool = False
    user_stopped: bool = False
    max_ac_kw: float = 11.0
    charger_kw: float = 11.0
    charge_voltage: float = 230.0
    charge_efficiency: float = 0.9
    start_charge_on_plug: bool = True
    charge_commands: list[str] = field(default_factory=lambda: ["START", "STOP"])
    # combustion engine (PHEV, ICE)
    fuel_tank_l: float | None = None
    fuel_percent: float = 0.0
    fuel_full_range_km: float = 0.0
    oil_life: float | None = None
    # body
    tire_kpa: dict[str, float | None] = field(
        default_factory=lambda: dict.fromkeys(POSITIONS, 250.0)
    )
    tire_unit: str | None = None
    """How v3 reports tyres: `None` bar without a unit, `"bar"` or `"kPa"` with that unit."""
    locked: bool = True
    doors: dict[str, str] = field(default_factory=lambda: dict.fromkeys(POSITIONS, CLOSED))
    windows: dict[str, str] = field(default_factory=lambda: dict.fromkeys(POSITIONS, CLOSED))
    sunroof: str | None = CLOSED
    front_trunk: str | None = CLOSED
    rear_trunk: str | None = CLOSED
    charge_port: str | None = CLOSED
    odometer_km: float = 0.0
    latitude: float = 0.0
    longitude: float = 0.0
    heading: float = 0.0
    # connectivity
    online: bool = True
    asleep: bool = False
    moving: bool = False
    virtual_key_paired: bool = True
    # records
    service_history: list[dict[str, Any]] = field(default_factory=list)
    diagnostic_systems: list[dict[str, Any]] = field(default_factory=list)
    trouble_codes: list[dict[str, Any]] = field(default_factory=list)
    unsupported: dict[str, str] = field(default_factory=dict)
    """Extra v2 paths the car answers with COMPATIBILITY (path → code)."""
    updated_at: dict[str, datetime] = field(default_factory=dict)
    last_sync: datetime | None = None

    # ----------------------------------------------------------------- capabilities

    @property
    def is_ev(self) -> bool:
        """Whether the car has a traction battery."""
        return self.powertrain in (Powertrain.BEV, Powertrain.PHEV)

    @property
    def has_engine(self) -> bool:
        """Whether the car burns fuel."""
        return self.powertrain in (Powertrain.PHEV, Powertrain.ICE)

    def incapable(self, path: str) -> str | None:
        """Return the COMPATIBILITY code for a v2 path the car cannot serve, else None."""
        if path in self.unsupported:
            return self.unsupported[path]
        if path in _EV_ONLY_PATHS and not self.is_ev:
            return "VEHICLE_NOT_CAPABLE"
        if path in _ENGINE_ONLY_PATHS and not self.has_engine:
            return "VEHICLE_NOT_CAPABLE"
        return None

    def capable_of_permission(self, permission: str) -> bool:
        """Whether Connect may grant `permission` for this car (used for `required:`)."""
        if permission in ("read_battery", "read_charge", "control_charge"):
            return self.is_ev
        if permission in ("read_fuel", "read_engine_oil"):
            return self.has_engine
        return True

    # ----------------------------------------------------------------- derived values

    @property
    def charge_power_kw(self) -> float:
        """Power flowing into the battery's charger while charging, else 0."""
        if not self.charging:
            return 0.0
        return min(self.max_ac_kw, self.charger_kw)

    @property
    def charge_current_a(self) -> float:
        """Charging current at the charger's voltage."""
        if not self.charging or self.charge_voltage <= 0:
            return 0.0
        return round(self.charge_power_kw * 1000 / self.charge_voltage, 1)

    def charge_rate_per_s(self) -> float:
        """State-of-charge gain in percentage points per second while charging."""
        if not self.battery_capacity_kwh:
            return 0.0
        kw = min(self.max_ac_kw, self.charger_kw) * self.charge_efficiency
        return kw / self.battery_capacity_kwh * 100 / 3600

    @property
    def charging_state(self) -> str:
        """`CHARGING`, `FULLY_CHARGED` (plugged in, at the limit) or `NOT_CHARGING`."""
        if self.charging:
            return "CHARGING"
        if self.plugged_in and self.soc >= self.charge_limit - 0.05:
            return "FULLY_CHARGED"
        return "NOT_CHARGING"

    @property
    def minutes_to_complete(self) -> int:
        """Minutes until the limit is reached at the current power (0 when not charging)."""
        rate = self.charge_rate_per_s()
        if not self.charging or rate <= 0:
            return 0
        return math.ceil(max(0.0, self.charge_limit - self.soc) / rate / 60)

    @property
    def battery_range_km(self) -> float:
        """Electric range left."""
        return round(self.full_range_km * self.soc / 100, 1)

    @property
    def fuel_range_km(self) -> float:
        """Range left on fuel."""
        return round(self.fuel_full_range_km * self.fuel_percent / 100, 1)

    @property
    def fuel_amount_l(self) -> float | None:
        """Fuel left in liters."""
        if self.fuel_tank_l is None:
            return None
        return round(self.fuel_tank_l * self.fuel_percent / 100, 1)

    def data_age(self, domain: str) -> datetime:
        """When the domain's data was last reported (falls back to the attributes' age)."""
        return self.updated_at.get(domain) or self.updated_at["attributes"]

    def touch(self, when: datetime, *domains: str) -> None:
        """Mark domains as freshly reported at `when`."""
        for domain in domains:
            self.updated_at[domain] = when

    # ----------------------------------------------------------------- physics

    def advance(self, now: datetime) -> None:
        """Integrate charging from the last sync up to `now`; stop at the limit."""
        if self.last_sync is None or now <= self.last_sync:
            if self.last_sync is None:
                self.last_sync = now
            return
        elapsed = (now - self.last_sync).total_seconds()
        if self.charging:
            rate = self.charge_rate_per_s()
            needed = (self.charge_limit - self.soc) / rate if rate > 0 else math.inf
            if elapsed >= needed:
                self.soc = self.charge_limit
                self.charging = False
                self.touch(
                    self.last_sync + timedelta(seconds=max(0.0, needed)), "battery", "charge"
                )
            else:
                self.soc = min(100.0, self.soc + rate * elapsed)
                self.touch(now, "battery", "charge")
        self.last_sync = now

    def drive(self, now: datetime, distance_km: float, heading: float | None = None) -> None:
        """Drive a distance: odometer, location, energy, fuel and oil follow."""
        self.advance(now)
        if self.plugged_in:
            self.set_plugged(now, plugged_in=False)
        if heading is not None:
            self.heading = heading % 360
        remaining = distance_km
        if self.is_ev and self.full_range_km > 0:
            electric = min(remaining, self.battery_range_km)
            self.soc = max(0.0, self.soc - electric / self.full_range_km * 100)
            remaining -= electric
            self.touch(now, "battery", "charge")
        if self.has_engine and self.fuel_full_range_km > 0:
            burned = min(remaining, self.fuel_range_km)
            self.fuel_percent = max(0.0, self.fuel_percent - burned / self.fuel_full_range_km * 100)
            self.touch(now, "fuel")
            if self.oil_life is not None:
                self.oil_life = max(0.0, self.oil_life - distance_km / 150)
                self.touch(now, "oil")
        self.odometer_km = round(self.odometer_km + distance_km, 2)
        radians = math.radians(self.heading)
        self.latitude += distance_km * math.cos(radians) / 111.32
        self.longitude += (
            distance_km
            * math.sin(radians)
            / (111.32 * max(0.01, math.cos(math.radians(self.latitude))))
        )
        self.latitude = round(self.latitude, 6)
        self.longitude = round(self.longitude, 6)
        self.touch(now, "odometer", "location")

    def set_plugged(self, now: datetime, *, plugged_in: bool) -> None:
        """Plug in (charging starts if the car does that on plug-in) or unplug."""
        self.plugged_in = plugged_in
        self.charge_port = OPEN if plugged_in else CLOSED
        if plugged_in:
            self.user_stopped = False
            self.charging = self.start_charge_on_plug and self.soc < self.charge_limit - 0.05
        else:
            self.charging = False
        self.touch(now, "charge", "security")

    # ----------------------------------------------------------------- commands

    def check_command(self) -> None:
        """Refuse any command the car cannot take right now (key, reachability)."""
        if self.make == "TESLA" and not self.virtual_key_paired:
            raise SimError(
                "CONNECTED_SERVICES_ACCOUNT",
                "VIRTUAL_KEY_REQUIRED",
                resolution_url=const.TESLA_VIRTUAL_KEY_URL,
            )
        if not self.online:
            raise SimError("VEHICLE_STATE", "UNREACHABLE")

    def lock(self, now: datetime) -> None:
        """Lock the doors (refused while driving or with a door or trunk open)."""
        self.check_command()
        if self.moving:
            raise SimError("VEHICLE_STATE", "IN_MOTION")
        if any(status == OPEN for status in self.doors.values()):
            raise SimError("VEHICLE_STATE", "DOOR_OPEN")
        if OPEN in (self.front_trunk, self.rear_trunk):
            raise SimError("VEHICLE_STATE", "TRUNK_OPEN")
        self.asleep = False
        self.locked = True
        self.touch(now, "security")

    def unlock(self, now: datetime) -> None:
        """Unlock the doors."""
        self.check_command()
        self.asleep = False
        self.locked = False
        self.touch(now, "security")

    def start_charge(self, now: datetime) -> None:
        """Start charging (needs the plug and room below the limit)."""
        self.check_command()
        if not self.is_ev:
            raise SimError("COMPATIBILITY", "VEHICLE_NOT_CAPABLE")
        self.advance(now)
        if not self.plugged_in:
            raise SimError("VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED")
        if self.charging:
            raise SimError("VEHICLE_STATE", "CHARGING_IN_PROGRESS")
        if self.soc >= self.charge_limit - 0.05:
            raise SimError("VEHICLE_STATE", "FULLY_CHARGED")
        self.asleep = False
        self.charging = True
        self.user_stopped = False
        self.touch(now, "charge")

    def stop_charge(self, now: datetime) -> None:
        """Stop charging (some makes cannot, see `charge_commands`)."""
        self.check_command()
        if not self.is_ev or "STOP" not in self.charge_commands:
            raise SimError("COMPATIBILITY", "VEHICLE_NOT_CAPABLE")
        self.advance(now)
        if not self.plugged_in:
            raise SimError("VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED")
        if not self.charging:
            raise SimError("VEHICLE_STATE", "NOT_CHARGING")
        self.asleep = False
        self.charging = False
        self.user_stopped = True
        self.touch(now, "charge")

    def set_charge_limit(self, now: datetime, percent: float) -> None:
        """Set the limit; charging stops at or resumes below it as a real car does."""
        self.check_command()
        if not self.is_ev:
            raise SimError("COMPATIBILITY", "VEHICLE_NOT_CAPABLE")
        self.advance(now)
        self.charge_limit = percent
        if self.charging and self.soc >= percent - 0.05:
            self.charging = False
        elif (
            self.plugged_in
            and not self.charging
            and not self.user_stopped
            and self.start_charge_on_plug
            and self.soc < percent - 0.05
        ):
            self.charging = True
        self.asleep = False
        self.touch(now, "charge")

    # ----------------------------------------------------------------- admin

    def apply(self, now: datetime, changes: dict[str, Any]) -> list[str]:
        """Set state attributes by name (admin API); return the names that changed."""
        self.advance(now)
        known = {f.name for f in fields(self)}
        changed: list[str] = []
        for name, value in changes.items():
            if name not in FIELD_DOMAINS or name not in known:
                raise ValueError(f"unknown or read-only vehicle attribute: {name}")
            if name == "plugged_in":
                if bool(value) != self.plugged_in:
                    self.set_plugged(now, plugged_in=bool(value))
                    changed.append(name)
                continue
            new_value = value
            if name in ("doors", "windows", "tire_kpa"):
                merged = dict(getattr(self, name))
                for position, status in dict(value).items():
                    if position not in POSITIONS:
                        raise ValueError(f"unknown position {position!r}")
                    merged[position] = status
                new_value = merged
            if getattr(self, name) != new_value:
                setattr(self, name, new_value)
                changed.append(name)
                self.touch(now, *FIELD_DOMAINS[name])
        if "charging" in changed and self.charging and not self.plugged_in:
            self.charging = False
            raise ValueError("a car cannot charge while unplugged")
        return changed

    def snapshot(self) -> dict[str, Any]:
        """Return the state as JSON-ready data (admin API and state file)."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif item.name == "updated_at":
                value = {key: when.isoformat() for key, when in value.items()}
            data[item.name] = value
        data["charging_state"] = self.charging_state
        data["charge_power_kw"] = self.charge_power_kw
        data["battery_range_km"] = self.battery_range_km if self.is_ev else None
        data["minutes_to_complete"] = self.minutes_to_complete
        return data

    @classmethod
    def restore(cls, data: dict[str, Any]) -> SimVehicle:
        """Rebuild a vehicle from `snapshot()` output."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["powertrain"] = Powertrain(values["powertrain"])
        values["updated_at"] = {
            key: datetime.fromisoformat(when) for key, when in values.get("updated_at", {}).items()
        }
        if values.get("last_sync"):
            values["last_sync"] = datetime.fromisoformat(values["last_sync"])
        return cls(**values)


# --------------------------------------------------------------------- fleets


def _service_record(when: datetime) -> dict[str, Any]:
    return {
        "serviceId": 12345,
        "serviceDate": iso_ms(when),
        "odometerDistance": 50000,
        "serviceTasks": [{"taskId": 1, "taskDescription": "oil change"}],
        "serviceDetails": {"type": "dealership"},
        "serviceCost": {"totalCost": 100, "currency": "USD"},
    }


def _stamp(vehicle: SimVehicle, now: datetime) -> SimVehicle:
    """Date the car's data five minutes back; its physics starts now."""
    vehicle.updated_at = dict.fromkeys(DOMAINS, now - timedelta(minutes=5))
    vehicle.last_sync = now
    return vehicle


def demo_vehicles(now: datetime) -> list[SimVehicle]:
    """Build the demo fleet: BEV charging, PHEV, ICE, Tesla without key, and a Nissan Leaf."""
    bev = SimVehicle(
        id=const.BEV_VEHICLE_ID,
        make="VOLKSWAGEN",
        model="ID.4",
        year=2022,
        vin=const.BEV_VIN,
        powertrain=Powertrain.BEV,
        battery_capacity_kwh=77.0,
        available_capacities=[
            {"capacity": 62.0, "description": None},
            {"capacity": 77.0, "description": "BEV:Pro"},
        ],
        full_range_km=520.0,
        soc=55.0,
        charge_limit=80.0,
        plugged_in=True,
        charging=True,
        max_ac_kw=11.0,
        charger_kw=11.0,
        tire_kpa={"frontLeft": 250.0, "frontRight": 251.0, "backLeft": 262.0, "backRight": 261.0},
        sunroof=None,
        front_trunk=None,
        charge_port=OPEN,
        odometer_km=18234.5,
        latitude=52.520008,
        longitude=13.404954,
        heading=90.0,
    )
    phev = SimVehicle(
        id=const.PHEV_VEHICLE_ID,
        make="TOYOTA",
        model="RAV4 Prime",
        year=2023,
        vin=const.PHEV_VIN,
        powertrain=Powertrain.PHEV,
        battery_capacity_kwh=18.1,
        available_capacities=[{"capacity": 18.1, "description": None}],
        full_range_km=68.0,
        soc=20.0,
        charge_limit=100.0,
        max_ac_kw=6.6,
        charger_kw=7.4,
        fuel_tank_l=55.0,
        fuel_percent=62.0,
        fuel_full_range_km=870.0,
        oil_life=71.0,
        tire_kpa={"frontLeft": 240.0, "frontRight": 241.0, "backLeft": 238.0, "backRight": 239.0},
        tire_unit="bar",
        sunroof=CLOSED,
        front_trunk=None,
        odometer_km=31042.0,
        latitude=48.137154,
        longitude=11.576124,
        heading=180.0,
    )
    ice = SimVehicle(
        id=const.ICE_VEHICLE_ID,
        make="FORD",
        model="Escape",
        year=2021,
        vin=const.ICE_VIN,
        powertrain=Powertrain.ICE,
        fuel_tank_l=53.2,
        fuel_percent=30.0,
        fuel_full_range_km=700.0,
        oil_life=35.0,
        tire_kpa={"frontLeft": 219.1, "frontRight": 219.0, "backLeft": 219.3, "backRight": 219.2},
        sunroof=None,
        front_trunk=None,
        charge_port=None,
        odometer_km=104.32,
        latitude=37.4292,
        longitude=-122.1381,
        heading=0.0,
        service_history=[_service_record(now - timedelta(days=60))],
        diagnostic_systems=[
            {"systemId": "SYSTEM_TPMS", "status": "ALERT", "description": "Front left tire"}
        ],
        trouble_codes=[{"code": "P0123", "timestamp": "2023-11-01T10:00:00Z"}],
    )
    tesla = SimVehicle(
        id=const.TESLA_VEHICLE_ID,
        make="TESLA",
        model="Model 3",
        year=2021,
        vin=const.TESLA_VIN,
        powertrain=Powertrain.BEV,
        battery_capacity_kwh=75.0,
        available_capacities=[{"capacity": 75.0, "description": None}],
        full_range_km=560.0,
        soc=67.0,
        charge_limit=90.0,
        max_ac_kw=11.0,
        charger_kw=11.0,
        tire_kpa={"frontLeft": 290.0, "frontRight": 290.0, "backLeft": 290.0, "backRight": 290.0},
        tire_unit="kPa",
        sunroof=None,
        front_trunk=CLOSED,
        odometer_km=42311.7,
        latitude=37.7749,
        longitude=-122.4194,
        heading=270.0,
        virtual_key_paired=False,
        unsupported={"/service/history": "SMARTCAR_NOT_CAPABLE"},
    )
    nissan = SimVehicle(
        id=const.NISSAN_VEHICLE_ID,
        make="NISSAN",
        model="LEAF",
        year=2020,
        vin=const.NISSAN_VIN,
        powertrain=Powertrain.BEV,
        battery_capacity_kwh=39.0,
        available_capacities=[{"capacity": 39.0, "description": None}],
        full_range_km=240.0,
        soc=48.0,
        charge_limit=100.0,
        plugged_in=True,
        charging=False,
        user_stopped=True,
        max_ac_kw=6.6,
        charger_kw=7.4,
        charge_voltage=240.0,
        charge_commands=["START"],
        sunroof=None,
        front_trunk=None,
        charge_port=OPEN,
        odometer_km=27500.0,
        latitude=36.1627,
        longitude=-86.7816,
        heading=45.0,
        unsupported={
            "/charge/limit": "SMARTCAR_NOT_CAPABLE",
            "/tires/pressure": "VEHICLE_NOT_CAPABLE",
        },
    )
    return [_stamp(vehicle, now) for vehicle in (bev, phev, ice, tesla, nissan)]


def incompatible_vehicle(now: datetime) -> SimVehicle:
    """Build the car of the `vehicle_incompatible` test account (an old Audi)."""
    return _stamp(
        SimVehicle(
            id=const.INCOMPATIBLE_VEHICLE_ID,
            make="AUDI",
            model="A4",
            year=2015,
            vin=const.INCOMPATIBLE_VIN,
            powertrain=Powertrain.ICE,
            fuel_tank_l=54.0,
            fuel_percent=50.0,
            fuel_full_range_km=800.0,
            oil_life=60.0,
            charge_port=None,
        ),
        now,
    )


_GENERATED_MODELS: Final = (
    ("TESLA", "Model Y", Powertrain.BEV),
    ("BMW", "iX3", Powertrain.BEV),
    ("CHEVROLET", "Volt", Powertrain.PHEV),
    ("TOYOTA", "Camry", Powertrain.ICE),
    ("HYUNDAI", "IONIQ 5", Powertrain.BEV),
    ("FORD", "F-150", Powertrain.ICE),
    ("KIA", "Niro", Powertrain.PHEV),
    ("VOLVO", "XC40 Recharge", Powertrain.BEV),
)
_VIN_ALPHABET: Final = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def generated_vehicle(rng: random.Random, now: datetime, index: int) -> SimVehicle:
    """Build a test-mode car filled with the documented example values (§8 of the reference)."""
    make, model, powertrain = _GENERATED_MODELS[index % len(_GENERATED_MODELS)]
    vehicle = SimVehicle(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        make=make,
        model=model,
        year=2018 + index % 7,
        vin="".join(rng.choice(_VIN_ALPHABET) for _ in range(17)),
        powertrain=powertrain,
        tire_kpa={"frontLeft": 219.1, "frontRight": 219.0, "backLeft": 219.3, "backRight": 219.2},
        odometer_km=104.32,
        latitude=37.4292,
        longitude=122.1381,
        sunroof=None,
        front_trunk=None,
        charge_port=None if powertrain is Powertrain.ICE else CLOSED,
    )
    if vehicle.is_ev:
        vehicle.battery_capacity_kwh = 28.0
        vehicle.available_capacities = [{"capacity": 28.0, "description": None}]
        vehicle.full_range_km = 135.0
        vehicle.soc = 30.0
    if vehicle.has_engine:
        vehicle.fuel_tank_l = 177.3
        vehicle.fuel_percent = 30.0
        vehicle.fuel_full_range_km = 135.0
        vehicle.oil_life = 35.0
    return _stamp(vehicle, now)
