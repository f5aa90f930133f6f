"""What the read planner learns about a vehicle: the store's rhythm and its charging habit.

It also holds the small readings of a vehicle's state the planner relies on (is it at its
charge limit, when will the charge end, how far did it move).

Smartcar's v3 store is refreshed on a schedule (and by triggers); the period shows as the
shortest gap between two retrievals (``retrievedAt``) with no change of the car in between.
A car charged on a timer or after the commute starts at about the same time each day (or
week); the windows in which charging was found to have begun show when. Both are learned again
after a restart, from the first reads and pushes. Free of Home Assistant.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from math import cos, hypot, radians
from typing import TYPE_CHECKING, Final

from .api import ChargingState, Field

if TYPE_CHECKING:
    from .api import Location, Reading, VehicleState

#: Reads planned from the store's rhythm come this long after the expected refresh.
REFRESH_MARGIN: Final = timedelta(minutes=2)
#: Retrievals closer than this are not taken for the store's period.
MIN_STORE_PERIOD: Final = timedelta(minutes=5)
#: Charge-start windows wider than this teach nothing.
MAX_HABIT_WINDOW: Final = timedelta(hours=12)
#: How many retrievals and charging windows are remembered.
_HISTORY: Final = 12
DAY: Final = timedelta(days=1)


def latest_retrieval(state: VehicleState) -> datetime | None:
    """When Smartcar last retrieved anything this state holds (real readings only)."""
    return max(
        (
            reading.fetched_at
            for _field, reading in state.readings()
            if not reading.optimistic and reading.fetched_at is not None
        ),
        default=None,
    )


class StoreRhythm:
    """The store's refresh period, learned from the retrievals reads and pushes brought."""

    def __init__(self) -> None:
        """Nothing learned yet."""
        self.latest: datetime | None = None
        self._quiet_gaps: deque[timedelta] = deque(maxlen=_HISTORY)

    @property
    def period(self) -> timedelta | None:
        """The shortest gap between retrievals with no change in between (a refresh period)."""
        return min(self._quiet_gaps, default=None)

    def observe(self, retrieved: datetime, *, quiet: bool) -> bool:
        """Take in a retrieval; return whether it is newer than any seen before."""
        if self.latest is not None and retrieved <= self.latest:
            return False
        if quiet and self.latest is not None and retrieved - self.latest >= MIN_STORE_PERIOD:
            self._quiet_gaps.append(retrieved - self.latest)
        self.latest = retrieved
        return True

    def missed(self, now: datetime) -> None:
        """A read found no new retrieval: the store does not refresh as often as believed."""
        if self.latest is None:
            return
        waited = now - self.latest
        kept = [gap for gap in self._quiet_gaps if gap > waited]
        self._quiet_gaps.clear()
        self._quiet_gaps.extend(kept)

    def after(self, moment: datetime, now: datetime) -> datetime | None:
        """The expected refresh (plus margin) nearest ``moment`` that brings a new retrieval."""
        period = self.period
        if period is None or self.latest is None:
            return None
        steps = max(round((moment - REFRESH_MARGIN - self.latest) / period), 1)
        aligned = self.latest + steps * period + REFRESH_MARGIN
        if aligned <= now:
            aligned += ((now - aligned) // period + 1) * period
        return aligned


class ChargeHabit:
    """When charging usually begins: windows in which it was found to have started.

    A window seen again (the same time of day, overlapping) is narrowed to what both
    observations allow, so the habit sharpens night after night instead of drifting.
    """

    def __init__(self) -> None:
        """No charge seen yet."""
        self._windows: deque[tuple[datetime, datetime]] = deque(maxlen=_HISTORY)
        self._seen: deque[datetime] = deque(maxlen=_HISTORY)

    def observe(self, lower: datetime, upper: datetime) -> None:
        """Charging began after ``lower`` and by ``upper``."""
        if not timedelta(0) < upper - lower <= MAX_HABIT_WINDOW:
            return
        for index, (old_lower, old_upper) in enumerate(self._windows):
            days = round((upper - old_upper) / timedelta(days=1))
            shifted_lower, shifted_upper = old_lower + days * DAY, old_upper + days * DAY
            if shifted_lower < upper and shifted_upper > lower:
                del self._windows[index]
                lower, upper = max(lower, shifted_lower), min(upper, shifted_upper)
                break
        self._windows.append((lower, upper))
        self._seen.append(upper)

    def window(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The next (or current) window in which charging is expected to begin."""
        recent = [w for w in self._windows if now - w[1] <= timedelta(days=15)]
        if not recent:
            return None
        days = {seen.date() for seen in self._seen if now - seen <= 7 * DAY}
        step = DAY if len(days) >= 2 else 7 * DAY
        projected = []
        for lower, upper in recent:
            shift = max(-((upper - now) // step), 1) if upper <= now else 0
            projected.append((lower + shift * step, upper + shift * step))
        return min(projected)


def value_of(state: VehicleState, field: Field) -> object:
    """The value of a field, ``None`` when the state does not hold it."""
    reading = state.get(field)
    return None if reading is None else reading.value


def change_of(before: object, after: object, threshold: float) -> float:
    """How much a number changed, when by at least ``threshold`` (else 0)."""
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return 0.0
    change = float(after - before)
    return change if abs(change) >= threshold else 0.0


def at_limit(state: VehicleState) -> bool:
    """Whether the battery is at its charge limit (nothing more will charge)."""
    if value_of(state, Field.CHARGING_STATE) is ChargingState.FULLY_CHARGED:
        return True
    level, limit = value_of(state, Field.BATTERY_LEVEL), value_of(state, Field.CHARGE_LIMIT)
    return isinstance(level, int | float) and isinstance(limit, int | float) and level >= limit - 1


def charge_end(state: VehicleState) -> datetime | None:
    """When the charge is expected to end, from the time-to-complete and when it was read."""
    reading: Reading[float] | None = state.time_to_complete
    if reading is None or reading.moment is None or not reading.value or reading.value <= 0:
        return None
    return reading.moment + timedelta(minutes=reading.value)


def distance_m(here: Location, there: Location) -> float:
    """About how far apart two places are, in metres (fine for a few kilometres)."""
    north = (there.latitude - here.latitude) * 111_320
    east = (there.longitude - here.longitude) * 111_320 * cos(radians(here.latitude))
    return hypot(north, east)
