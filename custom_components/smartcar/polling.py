"""The user's polling choice, the month's call allowance and Smartcar's application-wide limit.

Smartcar bills every call per vehicle: each path inside a v2 ``/batch`` counts as one call, a
v3 ``/signals`` page counts as one, and every command counts too. The free allowance is about
500 calls per vehicle per month; call 501 answers ``430 BILLING`` until the period ends. This
module (and ``planner.py``, which decides when to read) is deliberately free of Home Assistant
so the arithmetic can be tested and benchmarked with plain datetimes.

The user picks a *profile* (``PollingMode``): economy, balanced (the default), responsive,
push only, or custom (a fixed interval, or no scheduled reads at all). The profiles differ in how
often a parked, plugged-in or charging car is read and in the share of the allowance reads may
spend; all of them keep a reserve for commands and leave the rest of the allowance in hand.
Entries made before the profiles existed are migrated (see :func:`profile_for_legacy_mode`).

The application-wide limit (a bucket of 120 requests refilled at 2 a minute, shared by every
vehicle of every entry that uses the same client ID) is tracked by :class:`AppBucket`. The
plan's vocabulary (:class:`Plan`, :class:`PlanReason`) lives here too, so that the sensors
showing it need not import the planner.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import math
from typing import TYPE_CHECKING, Any, Final

from .const import CONF_INTERVAL_MINUTES, CONF_MONTHLY_BUDGET, CONF_POLLING_MODE

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_MONTHLY_BUDGET: Final = 500
DEFAULT_RESERVE: Final = 60
MIN_FIXED_INTERVAL: Final = timedelta(minutes=15)
DEFAULT_FIXED_MINUTES: Final = 720
#: Smartcar's default application rate limit: a bucket of 120 requests, 2 more each minute.
APP_BUCKET_CAPACITY: Final = 120
APP_BUCKET_REFILL_PER_MINUTE: Final = 2.0
#: Requests the bucket keeps for commands: scheduled reads wait rather than spend them.
APP_BUCKET_KEEP: Final = 10
#: After a transient read failure (5xx, timeout, lost connection) the read is retried after
#: one minute, then two, four … up to fifteen, each spread by up to a fifth either way so
#: that many vehicles do not retry in step. Smartcar does not bill requests it failed.
TRANSIENT_RETRY_FIRST: Final = timedelta(minutes=1)
TRANSIENT_RETRY_MAX: Final = timedelta(minutes=15)
TRANSIENT_RETRY_SPREAD: Final = 0.2
# A few minutes after the month rolls over, so clocks that differ a little agree it has.
MONTH_ROLLOVER_GRACE: Final = timedelta(minutes=5)


class PollingMode(StrEnum):
    """The polling profile the user chose in the options."""

    ECONOMY = "economy"
    BALANCED = "balanced"
    RESPONSIVE = "responsive"
    PUSH_ONLY = "push_only"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class ProfileRules:
    """How often one profile reads a car in each situation, and its share of the allowance.

    ``plugged`` applies to a car plugged in below its limit but not charging, ``waiting`` to
    such a car while no charging habit is known yet (it may start any time); ``habit`` is the
    interval inside a window in which charging usually begins; ``active`` the interval after
    the car was seen to arrive where it is plugged in (``None``: no extra reads).
    """

    parked: timedelta
    plugged: timedelta
    waiting: timedelta
    charging: timedelta
    habit: timedelta
    share: float
    active: timedelta | None = None


RULES: Final[Mapping[PollingMode, ProfileRules]] = {
    PollingMode.ECONOMY: ProfileRules(
        parked=timedelta(hours=12),
        plugged=timedelta(hours=8),
        waiting=timedelta(hours=2),
        charging=timedelta(minutes=60),
        habit=timedelta(minutes=60),
        share=0.25,
    ),
    PollingMode.BALANCED: ProfileRules(
        parked=timedelta(hours=6),
        plugged=timedelta(hours=4),
        waiting=timedelta(hours=1),
        charging=timedelta(minutes=30),
        habit=timedelta(minutes=30),
        share=0.6,
        active=timedelta(minutes=30),
    ),
    PollingMode.RESPONSIVE: ProfileRules(
        parked=timedelta(hours=3),
        plugged=timedelta(hours=2),
        waiting=timedelta(hours=1),
        charging=timedelta(minutes=15),
        habit=timedelta(minutes=15),
        share=1.0,
        active=timedelta(minutes=15),
    ),
}


def profile_for_legacy_mode(mode: str, *, push: bool) -> PollingMode | None:
    """The profile an option value written before the profiles existed stands for.

    ``automatic`` becomes balanced, ``fixed`` custom (its interval is kept), and ``manual``
    push only when webhooks are on (one safety read a day besides the pushes) or custom
    without scheduled reads when they are off (exactly what manual did). ``None``: not a
    legacy value.
    """
    if mode == "automatic":
        return PollingMode.BALANCED
    if mode == "fixed":
        return PollingMode.CUSTOM
    if mode == "manual":
        return PollingMode.PUSH_ONLY if push else PollingMode.CUSTOM
    return None


def month_key(moment: datetime) -> str:
    """Return the billing month (calendar month in UTC) a moment belongs to."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}"


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Return the start and the end (exclusive) of the UTC calendar month of a moment."""
    utc = moment.astimezone(UTC)
    start = datetime(utc.year, utc.month, 1, tzinfo=UTC)
    if utc.month == 12:
        end = datetime(utc.year + 1, 1, 1, tzinfo=UTC)
    else:
        end = datetime(utc.year, utc.month + 1, 1, tzinfo=UTC)
    return start, end


@dataclass(frozen=True, slots=True)
class CallBudget:
    """Calls counted against one vehicle in one billing month.

    ``used`` counts every call; ``reserved`` the part of it that was not a polling read
    (commands and set-up reads), which the month's reserve is there to pay for.
    """

    month: str
    used: int = 0
    reserved: int = 0

    @classmethod
    def start(cls, now: datetime) -> CallBudget:
        """Return an empty budget for the month of ``now``."""
        return cls(month=month_key(now))

    def current(self, now: datetime) -> CallBudget:
        """Return this budget, or an empty one when the month has rolled over."""
        if self.month == month_key(now):
            return self
        return CallBudget.start(now)

    def record(self, calls: int, now: datetime, *, reserved: bool = False) -> CallBudget:
        """Return the budget after ``calls`` more calls at ``now`` (``reserved``: not a read)."""
        budget = self.current(now)
        calls = max(calls, 0)
        return replace(
            budget,
            used=budget.used + calls,
            reserved=budget.reserved + (calls if reserved else 0),
        )

    def polling_share(self, monthly_budget: int, reserve: int) -> int:
        """Calls polling may spend this month: the reserve pays for commands first."""
        return monthly_budget - max(reserve, self.reserved)

    @property
    def reads(self) -> int:
        """Calls spent on polling reads."""
        return self.used - self.reserved


@dataclass(frozen=True, slots=True, kw_only=True)
class PollingSettings:
    """The user's choices, from the options flow.

    ``fixed_interval`` is the custom profile's interval; ``None`` there means no scheduled
    reads at all (what the old "manual" mode did).
    """

    mode: PollingMode = PollingMode.BALANCED
    fixed_interval: timedelta | None = timedelta(minutes=DEFAULT_FIXED_MINUTES)
    monthly_budget: int = DEFAULT_MONTHLY_BUDGET
    reserve: int = DEFAULT_RESERVE


def settings_from_options(options: Mapping[str, Any], *, push: bool = False) -> PollingSettings:
    """Read the user's polling choices from a config entry's options.

    Values written before the profiles existed are read as their migration would write them
    (``push``: whether webhooks are on); an unknown value falls back to balanced. An interval
    of 0 minutes means no scheduled reads; any other is at least ``MIN_FIXED_INTERVAL``.
    """
    raw = str(options.get(CONF_POLLING_MODE, PollingMode.BALANCED))
    try:
        mode = PollingMode(raw)
    except ValueError:
        mode = profile_for_legacy_mode(raw, push=push) or PollingMode.BALANCED
    minutes = float(options.get(CONF_INTERVAL_MINUTES, DEFAULT_FIXED_MINUTES))
    if raw == "manual" and mode is PollingMode.CUSTOM:
        minutes = 0
    budget = int(options.get(CONF_MONTHLY_BUDGET, DEFAULT_MONTHLY_BUDGET))
    return PollingSettings(
        mode=mode,
        fixed_interval=None
        if minutes <= 0
        else max(timedelta(minutes=minutes), MIN_FIXED_INTERVAL),
        monthly_budget=budget,
        # A small allowance keeps a fifth for commands, so that polling still gets most of it.
        reserve=min(DEFAULT_RESERVE, budget // 5),
    )


def transient_retry(failures: int, jitter: float) -> timedelta:
    """Wait before retrying a read after ``failures`` transient failures in a row.

    ``jitter`` is a number in [0, 1) (a random draw in production, fixed in tests).
    """
    doubling = TRANSIENT_RETRY_FIRST * (1 << min(max(failures - 1, 0), 16))
    base = min(doubling, TRANSIENT_RETRY_MAX)
    return base * (1 - TRANSIENT_RETRY_SPREAD + 2 * TRANSIENT_RETRY_SPREAD * jitter)


class AppBucket:
    """Smartcar's application-wide request bucket, as this Home Assistant spends it.

    One object per client ID, shared by every vehicle of every entry using that application:
    each request made is taken from it, it refills at Smartcar's rate, and a ``429`` about the
    application empties it until its ``Retry-After`` has passed. Requests other programs make
    with the same application are invisible here; the ``APP_BUCKET_KEEP`` requests kept for
    commands and the 429 handling absorb some of that.
    """

    def __init__(
        self,
        capacity: int = APP_BUCKET_CAPACITY,
        refill_per_minute: float = APP_BUCKET_REFILL_PER_MINUTE,
    ) -> None:
        """Start full, as Smartcar's bucket is for an application that was idle."""
        self.capacity = capacity
        self.refill_per_minute = refill_per_minute
        self._tokens = float(capacity)
        self._at: datetime | None = None
        self._blocked_until: datetime | None = None
        self._vehicles: set[str] = set()

    def _refill(self, now: datetime) -> None:
        if self._at is not None and now > self._at:
            minutes = (now - self._at).total_seconds() / 60
            self._tokens = min(self.capacity, self._tokens + minutes * self.refill_per_minute)
        if self._at is None or now > self._at:
            self._at = now

    def tokens(self, now: datetime) -> float:
        """Requests the bucket holds at ``now``."""
        self._refill(now)
        return self._tokens

    def take(self, now: datetime, requests: int = 1) -> None:
        """Count requests that were made at ``now``."""
        self._refill(now)
        self._tokens = max(self._tokens - requests, 0.0)

    def block(self, now: datetime, seconds: float) -> None:
        """Smartcar refused a request for the application: nothing before ``seconds`` pass."""
        self._refill(now)
        self._tokens = 0.0
        until = now + timedelta(seconds=max(seconds, 0))
        if self._blocked_until is None or until > self._blocked_until:
            self._blocked_until = until

    def ready_at(
        self, now: datetime, requests: int = 1, *, keep: int = APP_BUCKET_KEEP
    ) -> datetime:
        """The first moment ``requests`` can be made while ``keep`` requests stay in the bucket."""
        missing = requests + keep - self.tokens(now)
        ready = now
        if missing > 0:
            ready = now + timedelta(minutes=missing / self.refill_per_minute)
        if self._blocked_until is not None and self._blocked_until > ready:
            ready = self._blocked_until
        return ready

    def register(self, vehicle_id: str) -> None:
        """A vehicle now reads through this application."""
        self._vehicles.add(vehicle_id)

    def unregister(self, vehicle_id: str) -> None:
        """A vehicle no longer reads through this application (its entry unloaded)."""
        self._vehicles.discard(vehicle_id)

    @property
    def vehicles(self) -> int:
        """How many vehicles share the bucket (at least one)."""
        return max(len(self._vehicles), 1)

    def round_floor(self, requests_per_read: int = 1) -> timedelta:
        """The shortest interval at which every vehicle sharing the bucket can keep reading."""
        usable = self.refill_per_minute * (1 - APP_BUCKET_KEEP / max(self.capacity, 1))
        minutes = self.vehicles * requests_per_read / max(usable, 1e-9)
        return timedelta(minutes=math.ceil(minutes * 60) / 60)


class PlanReason(StrEnum):
    """Why the next read is planned when it is (the diagnostic sensor's states)."""

    PARKED = "parked"
    STORE_REFRESH = "store_refresh"
    PLUGGED_IN = "plugged_in"
    WAITING = "waiting"
    CHARGING = "charging"
    CHARGE_END = "charge_end"
    CHARGE_HABIT = "charge_habit"
    ACTIVE = "active"
    CONFIRMATION = "confirmation"
    PUSH = "push"
    FIXED = "fixed"
    MANUAL = "manual"
    PACING = "pacing"
    BUDGET_EXHAUSTED = "budget_exhausted"
    APP_RATE_LIMIT = "app_rate_limit"
    RETRY_AFTER = "retry_after"
    TRANSIENT_FAILURE = "transient_failure"


#: Reasons whose reads are moved to just after the store's next expected refresh.
aligned_reasons: Final = frozenset({PlanReason.PARKED, PlanReason.PLUGGED_IN, PlanReason.ACTIVE})


#: Reads that look for a change at a chosen moment: a read that found nothing never delays them.
probe_reasons: Final = frozenset(
    {
        PlanReason.CONFIRMATION,
        PlanReason.CHARGE_END,
        PlanReason.CHARGE_HABIT,
        PlanReason.WAITING,
    }
)


@dataclass(frozen=True, slots=True)
class Plan:
    """The next read (``None``: none scheduled), why, and the month's calls left."""

    at: datetime | None
    reason: PlanReason
    calls_left: int
