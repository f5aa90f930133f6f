"""The domain model shared by Smartcar API v2 and v3: percent 0-100, metric units, data age.

Above the client nothing may know which API generation delivered a value, so both transports
convert into these frozen dataclasses. Every value is a :class:`Reading` with its own timestamp,
because Smartcar answers each endpoint or signal with data of a different age.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from datetime import datetime

    from .errors import SmartcarError


class ChargingState(StrEnum):
    """Whether the traction battery is charging, as Smartcar reports it."""

    CHARGING = "CHARGING"
    NOT_CHARGING = "NOT_CHARGING"
    FULLY_CHARGED = "FULLY_CHARGED"


class Field(StrEnum):
    """One readable piece of vehicle state; the value is the :class:`VehicleState` attribute."""

    BATTERY_LEVEL = "battery_level"
    BATTERY_RANGE = "battery_range"
    BATTERY_CAPACITY = "battery_capacity"
    CHARGING_STATE = "charging_state"
    PLUGGED_IN = "plugged_in"
    CHARGE_LIMIT = "charge_limit"
    CHARGE_POWER = "charge_power"
    CHARGE_VOLTAGE = "charge_voltage"
    CHARGE_CURRENT = "charge_current"
    TIME_TO_COMPLETE = "time_to_complete"
    LOCKED = "locked"
    DOORS = "doors"
    WINDOWS = "windows"
    SUNROOF_OPEN = "sunroof_open"
    FRONT_TRUNK_OPEN = "front_trunk_open"
    REAR_TRUNK_OPEN = "rear_trunk_open"
    CHARGE_PORT_OPEN = "charge_port_open"
    ODOMETER = "odometer"
    LOCATION = "location"
    FUEL_LEVEL = "fuel_level"
    FUEL_RANGE = "fuel_range"
    FUEL_AMOUNT = "fuel_amount"
    TIRE_PRESSURE = "tire_pressure"
    OIL_LIFE = "oil_life"
    ONLINE = "online"
    ASLEEP = "asleep"


@dataclass(frozen=True)
class Reading[T]:
    """A value with the time the vehicle recorded it and the time Smartcar fetched it.

    ``data_age`` is when the car recorded the value (v3 ``oemUpdatedAt``, v2 ``sc-data-age``),
    ``fetched_at`` when Smartcar retrieved it from the car (v3 ``retrievedAt``, v2
    ``sc-fetched-at``) and ``ingested_at`` when Smartcar stored it (v3 REST only). An
    ``optimistic`` reading is what a successful command leads to, not something read.
    """

    value: T
    data_age: datetime | None = None
    fetched_at: datetime | None = None
    ingested_at: datetime | None = None
    optimistic: bool = False

    @property
    def moment(self) -> datetime | None:
        """When the value was true: recorded by the car, else retrieved by Smartcar."""
        return self.data_age or self.fetched_at

    def supersedes(self, current: Reading[Any]) -> bool:
        """Whether this reading replaces ``current`` of the same field: the newer one wins.

        Readings are ordered by when the car recorded them, then by when Smartcar retrieved
        them; on a tie the arriving one wins (it is the same fact, seen again). An optimistic
        reading (dated when its command was sent) yields to a real one recorded or retrieved
        at or after that moment, and to nothing older. A reading without any time cannot be
        ordered and wins by arriving.
        """
        if current.optimistic and not self.optimistic:
            latest = max(
                (moment for moment in (self.data_age, self.fetched_at) if moment is not None),
                default=None,
            )
            return latest is None or current.data_age is None or latest >= current.data_age
        mine, theirs = self._order(), current._order()
        if mine is None or theirs is None:
            return True
        return mine >= theirs

    def _order(self) -> tuple[datetime, datetime] | None:
        first = self.moment
        if first is None:
            return None
        return first, self.fetched_at or first


@dataclass(frozen=True)
class Opening:
    """A door or window: ``position`` such as ``front_left`` (v2) or ``row0_col1`` (v3)."""

    position: str
    is_open: bool | None


@dataclass(frozen=True)
class Location:
    """Where the vehicle is, in WGS84 degrees; ``heading`` in degrees when known."""

    latitude: float
    longitude: float
    heading: float | None = None


@dataclass(frozen=True)
class TirePressure:
    """Tyre pressures in kPa; a tyre the vehicle does not report is ``None``."""

    front_left: float | None
    front_right: float | None
    back_left: float | None
    back_right: float | None


@dataclass(frozen=True, kw_only=True)
class VehicleState:
    """What one read (or one webhook) learned about a vehicle; unread fields are ``None``.

    ``store_empty`` is set by a v3 read that found Smartcar's signal store for the vehicle
    empty (``data: []``): Smartcar has retrieved nothing yet because the vehicle is not
    subscribed to a webhook. That is a state, not an error: such a read carries no readings
    and no errors.
    """

    battery_level: Reading[float] | None = None
    battery_range: Reading[float] | None = None
    battery_capacity: Reading[float] | None = None
    charging_state: Reading[ChargingState] | None = None
    plugged_in: Reading[bool] | None = None
    charge_limit: Reading[float] | None = None
    charge_power: Reading[float] | None = None
    charge_voltage: Reading[float] | None = None
    charge_current: Reading[float] | None = None
    time_to_complete: Reading[float] | None = None
    locked: Reading[bool] | None = None
    doors: Reading[tuple[Opening, ...]] | None = None
    windows: Reading[tuple[Opening, ...]] | None = None
    sunroof_open: Reading[bool] | None = None
    front_trunk_open: Reading[bool] | None = None
    rear_trunk_open: Reading[bool] | None = None
    charge_port_open: Reading[bool] | None = None
    odometer: Reading[float] | None = None
    location: Reading[Location] | None = None
    fuel_level: Reading[float] | None = None
    fuel_range: Reading[float] | None = None
    fuel_amount: Reading[float] | None = None
    tire_pressure: Reading[TirePressure] | None = None
    oil_life: Reading[float] | None = None
    online: Reading[bool] | None = None
    asleep: Reading[bool] | None = None
    errors: Mapping[Field, SmartcarError] = field(default_factory=dict)
    store_empty: bool = False

    def get(self, field: Field) -> Reading[Any] | None:
        """Return the reading of ``field``, or ``None`` when this state does not hold it."""
        reading: Reading[Any] | None = getattr(self, field.value)
        return reading

    def readings(self) -> Iterator[tuple[Field, Reading[Any]]]:
        """Yield every field this state holds a reading for, with the reading."""
        for item in Field:
            if (reading := self.get(item)) is not None:
                yield item, reading

    def merged(self, newer: VehicleState) -> VehicleState:
        """Overlay ``newer`` field by field, keeping whichever reading is newer.

        This is the one merge rule for reads, pushes and optimistic updates alike (see
        :meth:`Reading.supersedes`), so nothing that arrives late can roll a value back.
        The errors and the empty-store flag are those of ``newer``, the latest answer.
        """
        changes: dict[str, Any] = {}
        for item in Field:
            incoming = newer.get(item)
            if incoming is None:
                continue
            current = self.get(item)
            if current is None or incoming.supersedes(current):
                changes[item.value] = incoming
        return replace(self, **changes, errors=dict(newer.errors), store_empty=newer.store_empty)

    def without(self, gone: Iterable[Field]) -> VehicleState:
        """This state with the readings of ``gone`` fields dropped."""
        changes: dict[str, Any] = {item.value: None for item in gone if self.get(item) is not None}
        return replace(self, **changes) if changes else self

    @classmethod
    def from_readings(
        cls,
        readings: Mapping[Field, Reading[Any]],
        errors: Mapping[Field, SmartcarError] | None = None,
    ) -> VehicleState:
        """Build a state from readings keyed by field."""
        values: dict[str, Any] = {item.value: reading for item, reading in readings.items()}
        return cls(**values, errors=dict(errors or {}))


@dataclass(frozen=True)
class Vehicle:
    """A vehicle's identity: Smartcar id, make, model and model year (``vin`` when read)."""

    id: str
    make: str
    model: str
    year: int
    vin: str | None = None


@dataclass(frozen=True)
class Connection:
    """One user's grant to one vehicle, as the v3 connections API lists it."""

    vehicle_id: str
    user_id: str
    connected_at: datetime | None
    mode: str | None
    permissions: tuple[str, ...] = ()
    make: str | None = None
    model: str | None = None
    year: int | None = None
    connection_id: str | None = None
    powertrain: str | None = None


@dataclass(frozen=True)
class TokenResponse:
    """What a token endpoint granted; ``refresh_token`` only for the v2 OAuth grants."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str | None


@dataclass(frozen=True)
class CommandResult:
    """The outcome of a command Smartcar accepted.

    ``confirmed`` is ``False`` when the vehicle had not finished the command when the answer
    came (a v3 202 whose status stayed ``PENDING``): the command was sent, and only a later
    reading can tell whether the vehicle carried it out.
    """

    status: str
    message: str | None
    command_id: str | None
    confirmed: bool = True
