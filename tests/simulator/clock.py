"""The simulator's own time, which tests move forward instead of sleeping.

Charging, token expiry, rate buckets and billing periods all read this clock, so a test can
skip two hours of charging with one call and still see exactly what a real car would report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time

type ClockListener = Callable[[datetime, datetime], None]


class SimClock:
    """A UTC clock that is frozen (tests) or follows real time at a chosen speed (standalone).

    `advance()` moves it forward in both modes and tells the listeners, which is how the
    simulator turns a jump in time into charging progress and webhook events.
    """

    def __init__(
        self,
        start: datetime | None = None,
        *,
        realtime: bool = False,
        time_scale: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start the clock at `start` (default: the real current time, whole seconds)."""
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._start = start.astimezone(UTC)
        self._offset = 0.0
        self._realtime = realtime
        self._time_scale = time_scale
        self._monotonic = monotonic
        self._origin = monotonic()
        self._listeners: list[ClockListener] = []

    @property
    def realtime(self) -> bool:
        """Whether the clock moves by itself."""
        return self._realtime

    def now(self) -> datetime:
        """Return the current simulated time (aware, UTC)."""
        elapsed = self._offset
        if self._realtime:
            elapsed += (self._monotonic() - self._origin) * self._time_scale
        return self._start + timedelta(seconds=elapsed)

    def timestamp(self) -> float:
        """Return the current simulated time as POSIX seconds."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and notify the listeners; return the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        before = self.now()
        self._offset += seconds
        after = self.now()
        for listener in list(self._listeners):
            listener(before, after)
        return after

    def set(self, when: datetime) -> datetime:
        """Jump to `when` (not earlier than now)."""
        return self.advance(max(0.0, (when - self.now()).total_seconds()))

    def add_listener(self, listener: ClockListener) -> None:
        """Call `listener(before, after)` after every `advance()`."""
        self._listeners.append(listener)

    def state(self) -> dict[str, object]:
        """Return what the state file needs to restore this clock."""
        return {"now": iso_ms(self.now()), "realtime": self._realtime}


def iso_ms(when: datetime) -> str:
    """Format as Smartcar's ISO-8601 UTC with milliseconds, e.g. `2025-05-09T15:40:57.000Z`."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def iso_s(when: datetime) -> str:
    """Format as ISO-8601 UTC with whole seconds, e.g. `2024-01-01T00:00:00Z`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(when: datetime) -> int:
    """Return epoch milliseconds, the timestamp format of v3 meta and webhooks."""
    return round(when.timestamp() * 1000)


def parse_iso(value: str) -> datetime:
    """Parse an ISO-8601 timestamp (with `Z` or an offset) into an aware datetime."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
