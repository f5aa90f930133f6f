"""How long to wait before reading a vehicle again, within Smartcar's monthly call allowance.

Smartcar bills every call per vehicle: each path inside a v2 ``/batch`` counts as one call, a
v3 ``/signals`` page counts as one, and every command counts too. The free allowance is about
500 calls per vehicle per month; call 501 answers ``430 BILLING`` until the period ends. This
module is deliberately free of Home Assistant so the arithmetic can be tested (and benchmarked)
with plain datetimes.

The default ("automatic") interval spreads what is left of the month's allowance evenly over
what is left of the month, after keeping a reserve for commands and restarts:

    budget 500 calls - reserve 60 (about two commands a day, plus set-up reads after restarts)
    = 440 calls for polling in a 30-day month (720 hours)

    v2, battery-electric car, 7 batch paths per read (battery, charge, charge limit, security,
    odometer, location, tyres): 440 / 7 = 62 reads -> one read every 720 / 62 = 11.6 hours
    v2, combustion car, 5 paths (fuel, security, odometer, location, oil): 88 reads -> 8.2 hours
    v3, any car, one /signals call per read: 440 reads -> 720 / 440 = 1.6 hours

The interval is recomputed after every read from the calls actually counted this month.
Commands and set-up reads are paid from the reserve first; only what they spend beyond it
slows polling down, and a quiet month speeds it up again. It is never
shorter than ``MIN_INTERVAL`` (Smartcar asks for no more than a few reads per vehicle per hour
and most makes refresh their data far less often), never longer than ``MAX_INTERVAL`` while
calls remain, and once the polling share is spent the next read waits for the next month.
While the car is charging and the month is under pace, reads come twice as often. When pushed
data (webhooks) keeps arriving, polling falls back to a daily safety read. A ``Retry-After``
from Smartcar always wins over a shorter interval, and the application-wide bucket (120
requests, refilled at 2 per minute) bounds how often the whole fleet of an app can be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .const import CONF_INTERVAL_MINUTES, CONF_MONTHLY_BUDGET, CONF_POLLING_MODE

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_MONTHLY_BUDGET = 500
DEFAULT_RESERVE = 60
MIN_INTERVAL = timedelta(minutes=30)
MAX_INTERVAL = timedelta(hours=24)
MIN_FIXED_INTERVAL = timedelta(minutes=15)
DEFAULT_FIXED_MINUTES = 720
APP_BUCKET_REFILL_PER_MINUTE = 2.0
#: After a transient read failure (5xx, timeout, lost connection) the read is retried after
#: one minute, then two, four … up to fifteen, each spread by up to a fifth either way so
#: that many vehicles do not retry in step. Smartcar does not bill requests it failed.
TRANSIENT_RETRY_FIRST = timedelta(minutes=1)
TRANSIENT_RETRY_MAX = timedelta(minutes=15)
TRANSIENT_RETRY_SPREAD = 0.2
# A few minutes after the month rolls over, so clocks that differ a little agree it has.
MONTH_ROLLOVER_GRACE = timedelta(minutes=5)


class PollingMode(StrEnum):
    """How the user wants a vehicle to be polled."""

    AUTOMATIC = "automatic"
    FIXED = "fixed"
    MANUAL = "manual"


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
    """The user's choices, from the options flow."""

    mode: PollingMode = PollingMode.AUTOMATIC
    fixed_interval: timedelta = timedelta(minutes=DEFAULT_FIXED_MINUTES)
    monthly_budget: int = DEFAULT_MONTHLY_BUDGET
    reserve: int = DEFAULT_RESERVE


@dataclass(frozen=True, slots=True, kw_only=True)
class PollingInputs:
    """What the policy knows about a vehicle when it picks the next interval."""

    now: datetime
    calls_per_read: int
    budget: CallBudget
    charging: bool = False
    push_active: bool = False
    retry_after: float | None = None
    fleet_calls_per_round: int = 0


@dataclass(frozen=True, slots=True)
class PollingDecision:
    """The policy's answer: the next interval, or ``None`` for no scheduled read."""

    interval: timedelta | None
    reason: str
    calls_left: int = field(default=0)


def settings_from_options(options: Mapping[str, Any]) -> PollingSettings:
    """Read the user's polling choices from a config entry's options."""
    try:
        mode = PollingMode(options.get(CONF_POLLING_MODE, PollingMode.AUTOMATIC))
    except ValueError:
        mode = PollingMode.AUTOMATIC
    minutes = float(options.get(CONF_INTERVAL_MINUTES, DEFAULT_FIXED_MINUTES))
    budget = int(options.get(CONF_MONTHLY_BUDGET, DEFAULT_MONTHLY_BUDGET))
    return PollingSettings(
        mode=mode,
        fixed_interval=max(timedelta(minutes=minutes), MIN_FIXED_INTERVAL),
        monthly_budget=budget,
        # A small allowance keeps a fifth for commands, so that polling still gets most of it.
        reserve=min(DEFAULT_RESERVE, budget // 5),
    )


def default_interval(
    calls_per_read: int,
    *,
    monthly_budget: int = DEFAULT_MONTHLY_BUDGET,
    reserve: int = DEFAULT_RESERVE,
    days: int = 30,
) -> timedelta:
    """Return the even interval that spends a whole month's polling share (see module doc)."""
    reads = max((monthly_budget - reserve) // max(calls_per_read, 1), 1)
    interval = timedelta(days=days) / reads
    return min(max(interval, MIN_INTERVAL), MAX_INTERVAL)


def next_interval(settings: PollingSettings, inputs: PollingInputs) -> PollingDecision:
    """Pick how long to wait before the next scheduled read of one vehicle."""
    budget = inputs.budget.current(inputs.now)
    calls_left = max(settings.monthly_budget - budget.used, 0)
    if settings.mode is PollingMode.MANUAL:
        return PollingDecision(None, "manual", calls_left)

    if settings.mode is PollingMode.FIXED:
        interval = max(settings.fixed_interval, MIN_FIXED_INTERVAL)
        reason = "fixed"
    else:
        interval, reason = _automatic(settings, inputs, budget)

    floor = _app_bucket_floor(inputs.fleet_calls_per_round)
    if floor > interval:
        interval, reason = floor, "app_rate_limit"
    if inputs.retry_after is not None and timedelta(seconds=inputs.retry_after) > interval:
        interval, reason = timedelta(seconds=inputs.retry_after), "retry_after"
    return PollingDecision(interval, reason, calls_left)


def _automatic(
    settings: PollingSettings, inputs: PollingInputs, budget: CallBudget
) -> tuple[timedelta, str]:
    """Spread the calls left for polling over the time left in the month."""
    start, end = month_bounds(inputs.now)
    polling_left = budget.polling_share(settings.monthly_budget, settings.reserve) - budget.reads
    reads_left = polling_left // max(inputs.calls_per_read, 1)
    if reads_left <= 0:
        return end - inputs.now + MONTH_ROLLOVER_GRACE, "budget_exhausted"
    if inputs.push_active:
        return MAX_INTERVAL, "push"

    time_left = end - inputs.now
    interval = time_left / reads_left
    reason = "budget"
    if inputs.charging and _under_pace(settings, budget, inputs.now, start, end):
        interval /= 2
        reason = "charging"
    return min(max(interval, MIN_INTERVAL), MAX_INTERVAL), reason


def _under_pace(
    settings: PollingSettings,
    budget: CallBudget,
    now: datetime,
    start: datetime,
    end: datetime,
) -> bool:
    """Return whether less of the polling share is spent than of the month."""
    share = max(budget.polling_share(settings.monthly_budget, settings.reserve), 1)
    spent = budget.reads / share
    elapsed = (now - start) / (end - start)
    return spent < elapsed


def transient_retry(failures: int, jitter: float) -> timedelta:
    """Wait before retrying a read after ``failures`` transient failures in a row.

    ``jitter`` is a number in [0, 1) (a random draw in production, fixed in tests).
    """
    doubling = TRANSIENT_RETRY_FIRST * (1 << min(max(failures - 1, 0), 16))
    base = min(doubling, TRANSIENT_RETRY_MAX)
    return base * (1 - TRANSIENT_RETRY_SPREAD + 2 * TRANSIENT_RETRY_SPREAD * jitter)


def _app_bucket_floor(fleet_calls_per_round: int) -> timedelta:
    """Return the shortest round the application-wide bucket can sustain for the fleet."""
    return timedelta(minutes=fleet_calls_per_round / APP_BUCKET_REFILL_PER_MINUTE)
