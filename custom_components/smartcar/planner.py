"""When to read a vehicle next, and why: one small object per vehicle, free of Home Assistant.

On API v3 a read returns what Smartcar's store holds, not what the car shows now (reference
§4.0 item 1). Smartcar refreshes the store on its own schedule and whenever a trigger signal
changes (driving, charging, plugging in, locking), and every value carries when it was retrieved
(``retrievedAt``, our ``fetched_at``). Reading before Smartcar has retrieved again spends a call
for nothing, so the planner

* learns the store's rhythm from successive ``retrievedAt`` values (the shortest gap between
  two retrievals with no change of the car in between) and reads just after the next expected
  refresh, never twice for the same retrieval (a read that brought no newer retrieval is
  *wasted*, and makes it wait longer);
* reads a charging car often, and once more just after the charge's expected end (from the
  time-to-complete); a plugged-in car waiting to charge more often than a parked one; a car
  that just arrived where it is usually plugged in once more soon after (it may be plugged
  in and start charging);
* learns when charging usually begins (the windows in which it was found to have started) and
  reads inside that window, daily once it happened on two of the last seven days, weekly
  before that; while no such habit is known, a car waiting to charge is read just after full
  hours, when charge timers and tariffs switch;
* reads nothing but one safety read a day while webhooks deliver (push health: a safety read
  that finds a change no push brought stops trusting them until the next push);
* asks for one confirmation read shortly after a command unless a push confirms it first;
* keeps reads within the profile's share of the month's allowance, never touches the reserve
  kept for commands, paces itself when ahead, waits for the application-wide bucket, honours
  ``Retry-After`` and backs off after transient failures.

What is learned lives in ``rhythm.py``. The coordinator feeds the planner what it reads and
receives and asks :meth:`VehiclePlanner.plan` after each event; ``scripts/bench freshness``
drives the same object against the simulator.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from .api import ChargingState, Field, Location, Reading, VehicleState
from .polling import (
    MONTH_ROLLOVER_GRACE,
    RULES,
    Plan,
    PlanReason,
    PollingMode,
    aligned_reasons,
    month_bounds,
    probe_reasons,
    transient_retry,
)
from .rhythm import (
    DAY,
    REFRESH_MARGIN,
    ChargeHabit,
    StoreRhythm,
    at_limit,
    change_of,
    charge_end,
    distance_m,
    latest_retrieval,
    value_of,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .polling import AppBucket, CallBudget, PollingSettings, ProfileRules

#: A push has this long to confirm a command before one read checks it.
CONFIRM_WAIT: Final = timedelta(minutes=2)
#: A pushed value recorded this much before a command still confirms it (clock differences).
CONFIRM_SLACK: Final = timedelta(seconds=5)
#: Reads looking for a charge to begin come this long after a full hour or a window's start.
HABIT_MARGIN: Final = timedelta(minutes=1)
#: How long a car waiting to charge is read on the hour before the plugged-in interval applies.
WAITING_ON_THE_HOUR: Final = timedelta(hours=12)
#: The read after a charge's expected end comes this long after it.
CHARGE_END_MARGIN: Final = timedelta(minutes=10)
#: While pushes arrive (and in the push only profile), one read a day checks on them.
SAFETY_INTERVAL: Final = timedelta(hours=24)
#: How close to where it was last plugged in a car counts as home, in metres.
HOME_RADIUS_M: Final = 300.0
#: How long after a drive ended the car counts as just arrived (it may be plugged in soon).
ACTIVITY_HOLD: Final = timedelta(hours=1)
#: Nothing is planned sooner than this from now.
MIN_GAP: Final = timedelta(seconds=30)
#: After a wasted read with no known rhythm, the next waits at least this long (doubling).
WASTED_BACKOFF: Final = timedelta(minutes=30)
#: Reads may be this far ahead of an even spread of the profile's share before pacing.
PACE_SLACK: Final = 0.1
_TRIGGER_FIELDS: Final = (Field.CHARGING_STATE, Field.PLUGGED_IN, Field.LOCKED)


class VehiclePlanner:
    """Plans the reads of one vehicle from what was read, pushed and commanded."""

    def __init__(self, settings: PollingSettings) -> None:
        """Start with nothing learned (everything here is relearned after a restart)."""
        self.settings = settings
        self.rhythm = StoreRhythm()
        self.habit = ChargeHabit()
        self.last_read: datetime | None = None
        self.last_push: datetime | None = None
        #: Reads that brought no newer retrieval than the ones already seen.
        self.wasted = 0
        self._push_missed = False
        self._wasted_streak = 0
        self._charging_refreshes = True
        self._seen: dict[Field, object] = {}
        self._seen_at: datetime | None = None
        self._active_until: datetime | None = None
        self._waiting_since: datetime | None = None
        self._home: Location | None = None
        self._pushed: dict[Field, tuple[object, datetime]] = {}
        #: The command awaiting confirmation: expected values, when it was sent, read when.
        self._confirm: tuple[dict[Field, object], datetime, datetime] | None = None
        self._failures = 0
        self._retry_at: datetime | None = None
        self._not_before: datetime | None = None

    # -- what happened ------------------------------------------------------------------------

    def _take_in(self, now: datetime, state: VehicleState) -> tuple[bool, bool]:
        """Learn the car's situation from real readings; return (it changed, charging began)."""
        values = {f: r.value for f, r in state.readings() if not r.optimistic}
        seen = self._seen
        changed = any(
            field in seen and field in values and seen[field] != values[field]
            for field in _TRIGGER_FIELDS
        )
        level = change_of(seen.get(Field.BATTERY_LEVEL), values.get(Field.BATTERY_LEVEL), 1.0)
        driven = change_of(seen.get(Field.ODOMETER), values.get(Field.ODOMETER), 0.5) != 0
        changed |= driven or level != 0
        was = seen.get(Field.CHARGING_STATE)
        charging = values.get(Field.CHARGING_STATE) is ChargingState.CHARGING
        started = was is not None and was is not ChargingState.CHARGING and (charging or level > 1)
        where = values.get(Field.LOCATION)
        if values.get(Field.PLUGGED_IN) is True and isinstance(where, Location):
            self._home = where
        odometer = state.odometer
        if driven and odometer is not None and odometer.moment is not None and self._at_home(where):
            # Just arrived where it charges: it may well be plugged in (and charge) soon.
            self._active_until = odometer.moment + ACTIVITY_HOLD
        seen.update(values)
        return changed, started

    def _at_home(self, where: object) -> bool:
        """Whether the car is where it was last seen plugged in (or that is not known)."""
        home = self._home
        if home is None or not isinstance(where, Location):
            return True
        return distance_m(home, where) <= HOME_RADIUS_M

    def _take_retrieval(self, retrieved: datetime, *, quiet: bool, started: bool) -> bool:
        """Record a retrieval; a charge that began since the last one teaches the habit."""
        previous = self._seen_at
        if not self.rhythm.observe(retrieved, quiet=quiet):
            return False
        if started and previous is not None:
            self.habit.observe(previous, retrieved)
        self._seen_at = retrieved
        return True

    def note_read(self, now: datetime, state: VehicleState) -> bool:
        """A read succeeded with ``state`` (what it returned); return whether it was wasted."""
        self._failures = 0
        self._retry_at = None
        self._not_before = None
        was_charging = self._seen.get(Field.CHARGING_STATE) is ChargingState.CHARGING
        retrieved = latest_retrieval(state)
        known = self.rhythm.latest
        changed, started = self._take_in(now, state)
        charging = self._charging(state)
        wasted = retrieved is not None and known is not None and retrieved <= known
        if retrieved is not None and not wasted:
            quiet = not (changed or charging or was_charging)
            self._take_retrieval(retrieved, quiet=quiet, started=started)
            if changed and self.last_push is not None and retrieved > self.last_push:
                # Something changed that no push brought: webhooks are not to be relied on.
                self._push_missed = True
        if wasted:
            self.wasted += 1
            self._wasted_streak += 1
            if charging:
                self._charging_refreshes = False
            else:
                self.rhythm.missed(now)
        else:
            self._wasted_streak = 0
            self._charging_refreshes |= charging and retrieved is not None
        if self._confirm is not None and (
            now >= self._confirm[2] or _shows(state, *self._confirm[:2])
        ):
            self._confirm = None
        self.last_read = now
        return wasted

    def note_push(self, now: datetime, state: VehicleState) -> None:
        """Pushed data arrived: it counts as a retrieval and may confirm a command."""
        self.last_push = now
        self._push_missed = False
        _changed, started = self._take_in(now, state)
        if (retrieved := latest_retrieval(state)) is not None:
            self._take_retrieval(retrieved, quiet=False, started=started)
        for field, reading in state.readings():
            self._pushed[field] = (reading.value, reading.moment or now)
        if self._confirm is not None and _shows(state, *self._confirm[:2]):
            self._confirm = None

    def note_command(self, expected: Mapping[Field, object], sent_at: datetime) -> None:
        """A command succeeded: unless a push confirms it, read once after a short wait.

        A push may arrive before the command's answer: one that already shows the expected
        value, recorded around the command or later, confirms it at once.
        """
        pushed = VehicleState.from_readings(
            {field: Reading(value, moment) for field, (value, moment) in self._pushed.items()}
        )
        if _shows(pushed, expected, sent_at):
            return
        self._confirm = (dict(expected), sent_at, sent_at + CONFIRM_WAIT)

    def note_failure(
        self, now: datetime, *, transient: bool, retry_after: float | None, jitter: float
    ) -> None:
        """A read failed; transient failures retry soon, ``Retry-After`` is honoured."""
        self._failures = self._failures + 1 if transient else 0
        self._retry_at = now + transient_retry(self._failures, jitter) if transient else None
        self._not_before = None if retry_after is None else now + timedelta(seconds=retry_after)

    @property
    def failures(self) -> int:
        """Transient read failures in a row."""
        return self._failures

    def push_healthy(self) -> bool:
        """Whether webhooks deliver: then reads are only safety checks.

        Pushes count as healthy from the first one until a read finds a change that no push
        brought; a quiet car sends nothing, and that is no sign of trouble.
        """
        return self.last_push is not None and not self._push_missed

    # -- the plan -----------------------------------------------------------------------------

    def plan(
        self,
        now: datetime,
        *,
        state: VehicleState,
        budget: CallBudget,
        calls_per_read: int,
        bucket: AppBucket | None = None,
    ) -> Plan:
        """When to read next and why."""
        settings = self.settings
        budget = budget.current(now)
        calls_left = max(settings.monthly_budget - budget.used, 0)
        base = self.last_read or now
        rules = RULES.get(settings.mode)
        candidates: list[tuple[datetime, PlanReason]] = []
        if settings.mode is PollingMode.CUSTOM:
            if settings.fixed_interval is not None:
                candidates.append((base + settings.fixed_interval, PlanReason.FIXED))
        elif rules is None or self.push_healthy():
            candidates.append((base + SAFETY_INTERVAL, PlanReason.PUSH))
        else:
            candidates += self._profile(now, base, state, rules)
        if not candidates:
            return Plan(None, PlanReason.MANUAL, calls_left)
        if self.last_read is None:
            # Never read (the first read had to wait): as soon as allowed.
            candidates.append((now, PlanReason.PARKED))
        if self._confirm is not None:
            candidates.append((self._confirm[2], PlanReason.CONFIRMATION))
        at, reason = self._align(*min(candidates), now, base)

        # Reads never touch the reserve kept for commands; a profile also caps the month's
        # calls (commands included) at its share of the allowance and paces itself.
        left = budget.polling_share(settings.monthly_budget, settings.reserve) - budget.reads
        cap = settings.monthly_budget
        if rules is not None:
            cap = round(rules.share * settings.monthly_budget)
            left = min(left, cap - budget.used)
        reads_left = left // max(calls_per_read, 1)
        start, end = month_bounds(now)
        if reads_left <= 0:
            return Plan(end + MONTH_ROLLOVER_GRACE, PlanReason.BUDGET_EXHAUSTED, calls_left)
        elapsed = (now - start) / (end - start)
        if rules is not None and budget.used > cap * (elapsed + PACE_SLACK):
            paced = base + (end - now) / reads_left
            if paced > at:
                at, reason = paced, PlanReason.PACING

        if bucket is not None:
            # Every vehicle of the application keeps to its share of the bucket's refill;
            # a read looking for a particular change only waits for the bucket itself.
            floor = bucket.ready_at(now)
            if reason not in probe_reasons:
                floor = max(floor, base + bucket.round_floor())
            if floor > at:
                at, reason = floor, PlanReason.APP_RATE_LIMIT
        if self._retry_at is not None and self._retry_at < at:
            at, reason = self._retry_at, PlanReason.TRANSIENT_FAILURE
        if self._not_before is not None and self._not_before > at:
            at, reason = self._not_before, PlanReason.RETRY_AFTER
        return Plan(max(at, now + MIN_GAP), reason, calls_left)

    def _profile(
        self, now: datetime, base: datetime, state: VehicleState, rules: ProfileRules
    ) -> list[tuple[datetime, PlanReason]]:
        """The reads a profile wants for the car's situation."""
        if self._charging(state):
            candidates = [(base + rules.charging, PlanReason.CHARGING)]
            if (end := charge_end(state)) is not None and end + CHARGE_END_MARGIN > base:
                candidates.append((end + CHARGE_END_MARGIN, PlanReason.CHARGE_END))
            return candidates
        plugged = value_of(state, Field.PLUGGED_IN) is True
        full = at_limit(state)
        window = self.habit.window(now)
        waiting = plugged and not full
        self._waiting_since = (self._waiting_since or now) if waiting else None
        candidates = []
        if not waiting:
            candidates.append((base + rules.parked, PlanReason.PARKED))
        elif (read := self._waiting_read(now, base, rules, window)) is not None:
            candidates.append(read)
        arrived = self._active_until is not None and now < self._active_until
        unplugged = value_of(state, Field.PLUGGED_IN) is False  # and it can be plugged in
        if rules.active is not None and arrived and unplugged:
            candidates.append((base + rules.active, PlanReason.ACTIVE))
        if window is not None and not (plugged and full):
            # The window ends after now. A narrow one: one read when charging was already seen
            # on other days. A wide one: just after its start, then just after the store's
            # refreshes (a read finds something new), and once at its end.
            lower, upper = window
            habit = upper
            if upper - lower > rules.habit:
                habit = max(lower + HABIT_MARGIN, base + rules.habit)
                if base > lower:
                    habit = self.rhythm.after(habit, now) or habit
            candidates.append((min(habit, upper), PlanReason.CHARGE_HABIT))
        return candidates

    def _waiting_read(
        self,
        now: datetime,
        base: datetime,
        rules: ProfileRules,
        window: tuple[datetime, datetime] | None,
    ) -> tuple[datetime, PlanReason] | None:
        """The next read of a car plugged in below its limit that is not charging.

        Charge timers and tariffs switch on the hour, so while no charging habit is known
        (and for the first half day) the car is read just after full hours, at most every
        ``waiting``; otherwise every ``plugged``, unless the usual charging time comes first
        (``None``: the habit's read will do).
        """
        expected = window is not None and window[0] - now < DAY
        since = self._waiting_since or now
        if expected or now - since > WAITING_ON_THE_HOUR:
            if window is not None and window[1] <= base + rules.plugged:
                return None
            return base + rules.plugged, PlanReason.PLUGGED_IN
        earliest = base + rules.waiting / 2
        hour = earliest.replace(minute=0, second=0, microsecond=0)
        if hour < earliest:
            hour += timedelta(hours=1)
        return hour + HABIT_MARGIN, PlanReason.WAITING

    def _align(
        self, at: datetime, reason: PlanReason, now: datetime, base: datetime
    ) -> tuple[datetime, PlanReason]:
        """Move a read to just after the store's expected refresh; back off after waste.

        A refresh expected much later than wanted is not waited for: the read then probes,
        and a new retrieval it brings teaches a shorter period.
        """
        # Charging that does not refresh the store: nothing new comes before its refresh.
        stale_charge = reason is PlanReason.CHARGING and not self._charging_refreshes
        if reason in aligned_reasons or stale_charge:
            aligned = self.rhythm.after(at, now)
            tolerated = max(REFRESH_MARGIN, (at - base) / 4)
            if aligned is not None and (stale_charge or aligned - at <= tolerated):
                if aligned - at > REFRESH_MARGIN:
                    reason = PlanReason.STORE_REFRESH
                return aligned, reason
        if self._wasted_streak and reason not in probe_reasons:
            backoff = base + WASTED_BACKOFF * (1 << min(self._wasted_streak - 1, 4))
            if backoff > at:
                return backoff, PlanReason.STORE_REFRESH
        return at, reason

    @staticmethod
    def _charging(state: VehicleState) -> bool:
        return value_of(state, Field.CHARGING_STATE) is ChargingState.CHARGING


def _shows(state: VehicleState, expected: Mapping[Field, object], sent_at: datetime) -> bool:
    """Whether ``state`` shows a command's result: an expected value, recorded after it.

    Pushed times have millisecond precision and clocks differ a little, hence the slack.
    """
    for field, value in expected.items():
        reading = state.get(field)
        if reading is not None and not reading.optimistic and reading.value == value:
            moment = reading.moment
            if moment is None or moment >= sent_at - CONFIRM_SLACK:
                return True
    return False
