"""What each vehicle can provide, learned from Smartcar's answers and kept across restarts.

Entities exist only where the vehicle is capable of them: a field is *seen* once a read or a
push carried a value (or a per-field failure) for it, and it is *unsupported* once Smartcar
answered COMPATIBILITY for it, or *denied* once it answered PERMISSION. The store persists
this knowledge per vehicle, so a restart recreates the same entities before any read, and a
field the store lacks for a moment does not lose its entity. Free of Home Assistant so the
bookkeeping is plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .api import (
    FIELD_PERMISSIONS,
    Field,
    SmartcarCompatibilityError,
    SmartcarError,
    SmartcarPermissionError,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping


def _fields(names: Any) -> set[Field]:
    """Fields from stored names, ignoring any a newer or older release does not know."""
    known = set(Field.__members__.values())
    return {Field(name) for name in names or () if name in known}


@dataclass(slots=True)
class Learned:
    """What one answer taught: fields newly known unsupported or denied, and other failures."""

    unsupported: set[Field] = field(default_factory=set)
    denied: set[Field] = field(default_factory=set)
    failures: dict[Field, SmartcarError] = field(default_factory=dict)

    @property
    def removed(self) -> set[Field]:
        """Fields the vehicle no longer provides, whose entities should go."""
        return self.unsupported | self.denied


@dataclass(slots=True)
class VehicleCapabilities:
    """The fields a vehicle has shown, and those Smartcar said it cannot or may not provide."""

    supported: frozenset[Field]
    permissions: frozenset[str] = frozenset()
    seen: set[Field] = field(default_factory=set)
    unsupported: set[Field] = field(default_factory=set)
    denied: set[Field] = field(default_factory=set)

    def readable(self) -> set[Field]:
        """Fields the API serves, the owner permitted, and the car did not refuse."""
        return {
            item
            for item in self.supported
            if FIELD_PERMISSIONS[item] in self.permissions
            and item not in self.unsupported
            and item not in self.denied
        }

    def is_readable(self, item: Field) -> bool:
        """Whether ``item`` is still read."""
        return (
            item in self.supported
            and FIELD_PERMISSIONS[item] in self.permissions
            and item not in self.unsupported
            and item not in self.denied
        )

    def capable(self, fields: Iterable[Field]) -> bool:
        """Whether the vehicle has shown every one of ``fields`` and still provides them."""
        return all(item in self.seen and self.is_readable(item) for item in fields)

    def withdrawn(self, fields: Iterable[Field]) -> bool:
        """Whether Smartcar said the vehicle cannot (or may not) provide one of ``fields``."""
        return any(item in self.unsupported or item in self.denied for item in fields)

    def learn(self, present: Iterable[Field], errors: Mapping[Field, SmartcarError]) -> Learned:
        """Take in one answer: fields with values, and per-field errors."""
        learned = Learned()
        self.seen.update(present)
        for item, err in errors.items():
            if isinstance(err, SmartcarCompatibilityError):
                if item not in self.unsupported:
                    learned.unsupported.add(item)
            elif isinstance(err, SmartcarPermissionError):
                if item not in self.denied:
                    learned.denied.add(item)
            else:
                learned.failures[item] = err
                # A field that answered with a transient failure exists on this car.
                self.seen.add(item)
        self.unsupported |= learned.unsupported
        self.denied |= learned.denied
        return learned

    def summary(self) -> dict[str, list[Field]]:
        """What is known, sorted, for diagnostics."""
        return {
            "readable": sorted(self.readable()),
            "unsupported": sorted(self.unsupported),
            "denied": sorted(self.denied),
            "seen": sorted(self.seen),
        }

    def as_record(self) -> dict[str, list[str]]:
        """The persisted form (sorted names, so an unchanged set writes nothing)."""
        return {
            "seen": sorted(self.seen),
            "unsupported": sorted(self.unsupported),
            "denied": sorted(self.denied),
        }

    @classmethod
    def from_record(
        cls,
        record: Mapping[str, Any],
        *,
        supported: Collection[Field],
        permissions: Collection[str],
    ) -> VehicleCapabilities:
        """Rebuild what was learned about a vehicle from its stored record."""
        return cls(
            supported=frozenset(supported),
            permissions=frozenset(permissions),
            seen=_fields(record.get("seen")),
            unsupported=_fields(record.get("unsupported")),
            denied=_fields(record.get("denied")),
        )
