"""Push health: whether Smartcar's webhook reaches an entry, and whether what arrives is trusted.

On Smartcar v3 the webhook is the main data path, so its failures must be visible: when the
last valid delivery came, how many were refused and why, and whether the VERIFY window is
open. This object holds those facts for one entry, free of Home Assistant, so the rules that
raise repair issues are tested with plain datetimes; ``webhook.py`` feeds it and turns its
verdicts into issues, a diagnostic sensor and diagnostics.

It lives in memory for as long as Home Assistant runs (an options change reloads the entry but
keeps it); after a restart the counters start at zero and the silence clock starts again.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from .api import VEHICLE_WIDE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from .api import Field, SmartcarError, VehicleState

#: Smartcar's largest delivery; a bigger body is refused (413) without being read to the end.
MAX_BODY_BYTES: Final = 50 * 1024
#: How long VERIFY challenges are answered after the user opened the window in the options.
VERIFY_WINDOW: Final = timedelta(minutes=15)
#: Consecutive deliveries with a wrong signature before the user is told to check the token.
SIGNATURE_FAILURES_FOR_ISSUE: Final = 3
#: Without a valid delivery for this long while reads show the car changing, push is broken.
PUSH_SILENCE: Final = timedelta(hours=24)
#: Distinct unknown signal codes remembered for diagnostics (the count goes on beyond it).
MAX_UNKNOWN_CODES: Final = 50


class Rejection(StrEnum):
    """Why a delivery was refused."""

    BAD_SIGNATURE = "bad_signature"
    OVERSIZE = "oversize"
    MALFORMED = "malformed"


@dataclass
class PushHealth:
    """What one entry's webhook has received since Home Assistant started."""

    #: When watching began: the start of Home Assistant or the moment push was turned on.
    watching_since: datetime
    last_valid: datetime | None = None
    last_by_vehicle: dict[str, datetime] = field(default_factory=dict)
    rejected: Counter[Rejection] = field(default_factory=Counter)
    signature_streak: int = 0
    duplicates: int = 0
    test_events: int = 0
    unknown_events: int = 0
    unknown_signals: int = 0
    unknown_signal_codes: Counter[str] = field(default_factory=Counter)
    verify_answered: int = 0
    verify_refused: int = 0
    verify_until: datetime | None = None
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    # -- VERIFY window ---------------------------------------------------------------------

    def open_verification(self, now: datetime) -> None:
        """Answer VERIFY challenges for the next :data:`VERIFY_WINDOW`."""
        self.verify_until = now + VERIFY_WINDOW

    def verification_open(self, now: datetime) -> bool:
        """Whether a VERIFY may be answered now."""
        return self.verify_until is not None and now < self.verify_until

    # -- deliveries ------------------------------------------------------------------------

    def restart_watch(self, now: datetime) -> None:
        """Push was turned on (again): the silence clock and the signature streak start anew."""
        self.watching_since = now
        self.signature_streak = 0
        self._notify()

    def record_signed(self) -> None:
        """A body carried a valid signature: the token is right."""
        self.signature_streak = 0

    def record_valid(self, now: datetime, vehicle_ids: Iterable[str]) -> None:
        """Vehicle data or errors were delivered and accepted."""
        self.last_valid = now
        for vehicle_id in vehicle_ids:
            self.last_by_vehicle[vehicle_id] = now
        self._notify()

    def record_rejected(self, reason: Rejection) -> None:
        """A delivery was refused."""
        self.rejected[reason] += 1
        if reason is Rejection.BAD_SIGNATURE:
            self.signature_streak += 1
        self._notify()

    def record_unknown_signals(self, codes: Iterable[str]) -> None:
        """Signals the integration does not know were delivered (and ignored)."""
        for code in codes:
            self.unknown_signals += 1
            if code in self.unknown_signal_codes or (
                len(self.unknown_signal_codes) < MAX_UNKNOWN_CODES
            ):
                self.unknown_signal_codes[code] += 1

    @property
    def rejected_total(self) -> int:
        """Deliveries refused for any reason."""
        return sum(self.rejected.values())

    @property
    def signature_failing(self) -> bool:
        """Whether deliveries keep failing the signature check (a wrong token, most likely)."""
        return self.signature_streak >= SIGNATURE_FAILURES_FOR_ISSUE

    def silent(self, now: datetime) -> bool:
        """Whether no valid delivery arrived for :data:`PUSH_SILENCE`."""
        return now - (self.last_valid or self.watching_since) >= PUSH_SILENCE

    # -- listeners and diagnostics -----------------------------------------------------------

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` whenever a delivery is recorded; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def as_dict(self, now: datetime) -> dict[str, Any]:
        """Everything above as plain data (no ids of vehicles, no secrets)."""
        return {
            "watching_since": self.watching_since.isoformat(),
            "last_valid": self.last_valid.isoformat() if self.last_valid else None,
            "vehicles_pushed": len(self.last_by_vehicle),
            "rejected": {str(reason): self.rejected[reason] for reason in Rejection},
            "signature_streak": self.signature_streak,
            "duplicates": self.duplicates,
            "test_events": self.test_events,
            "unknown_events": self.unknown_events,
            "unknown_signals": self.unknown_signals,
            "unknown_signal_codes": dict(sorted(self.unknown_signal_codes.items())),
            "verify_answered": self.verify_answered,
            "verify_refused": self.verify_refused,
            "verification_open": self.verification_open(now),
            "silent": self.silent(now),
        }


def values_changed(before: VehicleState, after: VehicleState) -> bool:
    """Whether any value differs between two states (timestamps alone do not count)."""
    fields = {item for item, _reading in before.readings()} | {
        item for item, _reading in after.readings()
    }
    for item in fields:
        old, new = before.get(item), after.get(item)
        if old is None or new is None:
            # A field appearing for the first time is learning, not a change of the car.
            continue
        if old.value != new.value:
            return True
    return False


@dataclass
class DeliveryLedger:
    """One vehicle's memory of deliveries: applied event ids and errors not yet resolved.

    The event ids are bounded (the oldest is forgotten first); a redelivery older than that
    still cannot roll a value back, because the merge keeps the newer reading.
    """

    limit: int
    events: OrderedDict[str, None] = field(default_factory=OrderedDict)
    errors: dict[Field | str, SmartcarError] = field(default_factory=dict)

    def already_applied(self, event_id: str | None) -> bool:
        """Remember ``event_id``; True when it was applied before (a redelivery)."""
        if event_id is None:
            return False
        if event_id in self.events:
            self.events.move_to_end(event_id)
            return True
        self.events[event_id] = None
        if len(self.events) > self.limit:
            self.events.popitem(last=False)
        return False

    def error_for(self, item: Field) -> SmartcarError | None:
        """The pushed error that makes ``item`` unavailable (its own, else vehicle-wide)."""
        return self.errors.get(item) or self.errors.get(VEHICLE_WIDE)

    def resolve(self, keys: Iterable[Field | str]) -> None:
        """Forget errors Smartcar resolved, or that a newer reading answered."""
        for key in keys:
            self.errors.pop(key, None)
