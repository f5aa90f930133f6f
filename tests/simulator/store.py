"""Smartcar's v3 signal store: what `GET /signals` serves, filled only when Smartcar retrieves.

Live, the v3 REST signals do not reach the car: they read the latest values Smartcar holds
(§4.0 item 1 of the reference). A vehicle never subscribed to a webhook has an empty store
(`data: []`, single signals 404); once subscribed, Smartcar retrieves the car's data on
subscription, on each trigger and on its own schedule, and every read in between returns the
same values with the same `retrievedAt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .clock import parse_iso
from .signals import SIGNALS, is_supported

if TYPE_CHECKING:
    from .vehicles import SimVehicle

type Body = dict[str, Any]


@dataclass(kw_only=True)
class StoredSignals:
    """One retrieval of a car: every supported signal's body and when the car recorded it."""

    retrieved_at: datetime
    ingested_at: datetime
    bodies: dict[str, Body] = field(default_factory=dict)
    oem_updated_at: dict[str, datetime] = field(default_factory=dict)
    retrievals: int = 1


class SignalStore:
    """The latest retrieval per car; empty for a car Smartcar has not retrieved yet."""

    def __init__(self) -> None:
        """Start empty."""
        self.vehicles: dict[str, StoredSignals] = {}

    def reset(self) -> None:
        """Forget everything (world reset)."""
        self.vehicles = {}

    def get(self, vehicle_id: str) -> StoredSignals | None:
        """The car's latest retrieval, `None` while its store is empty."""
        return self.vehicles.get(vehicle_id)

    def retrieve(self, vehicle: SimVehicle, now: datetime) -> StoredSignals:
        """Smartcar fetches the car's data now: the store holds exactly these values."""
        previous = self.vehicles.get(vehicle.id)
        stored = StoredSignals(
            retrieved_at=now,
            ingested_at=now,
            retrievals=1 if previous is None else previous.retrievals + 1,
        )
        for signal in SIGNALS:
            if is_supported(signal, vehicle):
                stored.bodies[signal.code] = signal.read(vehicle)
                stored.oem_updated_at[signal.code] = vehicle.data_age(signal.domain)
        self.vehicles[vehicle.id] = stored
        return stored

    def due(self, vehicle_id: str, now: datetime, every_seconds: float | None) -> bool:
        """Whether the car's scheduled retrieval is due (never when there is no schedule)."""
        stored = self.vehicles.get(vehicle_id)
        if stored is None or every_seconds is None:
            return False
        return now - stored.retrieved_at >= timedelta(seconds=every_seconds)

    def forget(self, vehicle_id: str) -> None:
        """Drop what the store holds for a car (its connection is gone)."""
        self.vehicles.pop(vehicle_id, None)

    def state(self) -> dict[str, Any]:
        """Return the store for the state file."""
        return {
            vehicle_id: {
                "retrieved_at": stored.retrieved_at.isoformat(),
                "ingested_at": stored.ingested_at.isoformat(),
                "bodies": stored.bodies,
                "oem_updated_at": {
                    code: when.isoformat() for code, when in stored.oem_updated_at.items()
                },
                "retrievals": stored.retrievals,
            }
            for vehicle_id, stored in self.vehicles.items()
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load what `state()` returned."""
        self.vehicles = {
            vehicle_id: StoredSignals(
                retrieved_at=parse_iso(item["retrieved_at"]),
                ingested_at=parse_iso(item["ingested_at"]),
                bodies=dict(item["bodies"]),
                oem_updated_at={
                    code: parse_iso(when) for code, when in item["oem_updated_at"].items()
                },
                retrievals=int(item.get("retrievals", 1)),
            )
            for vehicle_id, item in data.items()
        }
