"""What the integration remembers about each vehicle across restarts, to save billed calls.

Every Smartcar call is billed per vehicle, so re-reading a vehicle's make, VIN and granted
permissions on every Home Assistant restart would spend a noticeable share of the monthly
allowance. This store keeps that metadata (for at most ``METADATA_MAX_AGE``, and only for the
consent it was read under), what the vehicle was seen to provide and what Smartcar said it cannot
or may not provide (so a restart recreates the same entities before any read), and the calls
counted this month, which the polling policy needs to stay inside the allowance. It also
remembers which Smartcar webhook each vehicle was subscribed to, so a restart does not subscribe
every vehicle again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import Vehicle
from .const import DOMAIN, METADATA_MAX_AGE
from .polling import CallBudget

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from homeassistant.core import HomeAssistant

STORAGE_VERSION = 1
SAVE_DELAY = 30.0


class _VehicleRecord(TypedDict, total=False):
    """The stored form of one vehicle's record."""

    make: str
    model: str
    year: int
    vin: str | None
    permissions: list[str]
    consent: str
    fetched_at: str
    unsupported: list[str]
    seen: list[str]
    denied: list[str]
    denied_consent: str
    budget_month: str
    budget_used: int
    budget_reserved: int
    subscription: str


@dataclass(frozen=True, slots=True)
class VehicleMetadata:
    """A vehicle's identity and the permissions its owner granted."""

    vehicle: Vehicle
    permissions: tuple[str, ...]


class SmartcarStore:
    """One JSON file per config entry under ``.storage``, written lazily."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to its file; nothing is read until ``async_load``."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True
        )
        self._vehicles: dict[str, _VehicleRecord] = {}

    async def async_load(self) -> None:
        """Read the file; a missing or unreadable file starts empty."""
        data = await self._store.async_load() or {}
        vehicles = data.get("vehicles")
        self._vehicles = dict(vehicles) if isinstance(vehicles, dict) else {}

    async def async_flush(self) -> None:
        """Write pending changes now (the entry unloads; a reload reads the file again)."""
        await self._store.async_save({"vehicles": self._vehicles})

    async def async_remove(self) -> None:
        """Delete the file (the config entry is gone)."""
        await self._store.async_remove()

    def _record(self, vehicle_id: str) -> _VehicleRecord:
        return self._vehicles.setdefault(vehicle_id, _VehicleRecord())

    def _save(self) -> None:
        self._store.async_delay_save(lambda: {"vehicles": self._vehicles}, SAVE_DELAY)

    def metadata(self, vehicle_id: str, consent: str, now: datetime) -> VehicleMetadata | None:
        """Return cached metadata read under ``consent`` and young enough, else ``None``."""
        record = self._vehicles.get(vehicle_id)
        if record is None or record.get("consent") != consent or "make" not in record:
            return None
        fetched_at = dt_util.parse_datetime(record.get("fetched_at", ""))
        if fetched_at is None or now - fetched_at > METADATA_MAX_AGE:
            return None
        return VehicleMetadata(
            vehicle=Vehicle(
                id=vehicle_id,
                make=record["make"],
                model=record.get("model", ""),
                year=record.get("year", 0),
                vin=record.get("vin"),
            ),
            permissions=tuple(record.get("permissions", ())),
        )

    def set_metadata(
        self, vehicle_id: str, metadata: VehicleMetadata, consent: str, now: datetime
    ) -> None:
        """Remember metadata read under ``consent`` at ``now``."""
        record = self._record(vehicle_id)
        vehicle = metadata.vehicle
        record["make"] = vehicle.make
        record["model"] = vehicle.model
        record["year"] = vehicle.year
        record["vin"] = vehicle.vin
        record["permissions"] = list(metadata.permissions)
        record["consent"] = consent
        record["fetched_at"] = now.isoformat()
        self._save()

    def capabilities(self, vehicle_id: str, consent: str) -> dict[str, list[str]]:
        """What was learned about a vehicle; refusals of another consent are forgotten."""
        record = self._vehicles.get(vehicle_id, {})
        return {
            "seen": list(record.get("seen", ())),
            "unsupported": list(record.get("unsupported", ())),
            "denied": list(record.get("denied", ()))
            if record.get("denied_consent") == consent
            else [],
        }

    def set_capabilities(
        self, vehicle_id: str, learned: Mapping[str, list[str]], consent: str
    ) -> None:
        """Remember what was learned about a vehicle (written only when it changed)."""
        record = self._record(vehicle_id)
        changed = False
        for key in ("seen", "unsupported", "denied"):
            if record.get(key) != learned[key]:
                record[key] = learned[key]
                changed = True
        if record.get("denied_consent") != consent:
            record["denied_consent"] = consent
            changed = True
        if changed:
            self._save()

    def budget(self, vehicle_id: str, now: datetime) -> CallBudget:
        """Return the calls counted for this vehicle in the month of ``now``."""
        record = self._vehicles.get(vehicle_id, {})
        month = record.get("budget_month")
        if month is None:
            return CallBudget.start(now)
        return CallBudget(
            month=month,
            used=record.get("budget_used", 0),
            reserved=record.get("budget_reserved", 0),
        ).current(now)

    def set_budget(self, vehicle_id: str, budget: CallBudget) -> None:
        """Remember the calls counted for this vehicle."""
        record = self._record(vehicle_id)
        record["budget_month"] = budget.month
        record["budget_used"] = budget.used
        record["budget_reserved"] = budget.reserved
        self._save()

    def stored_vin(self, vehicle_id: str) -> str | None:
        """The VIN read for a vehicle at some time, whatever the consent or its age."""
        return self._vehicles.get(vehicle_id, {}).get("vin")

    def subscription(self, vehicle_id: str) -> str | None:
        """The Smartcar webhook the vehicle was subscribed to, if any."""
        return self._vehicles.get(vehicle_id, {}).get("subscription")

    def set_subscription(self, vehicle_id: str, webhook_id: str) -> None:
        """Remember that the vehicle is subscribed to a Smartcar webhook."""
        self._record(vehicle_id)["subscription"] = webhook_id
        self._save()

    def rename(self, old_id: str, new_id: str) -> None:
        """Keep a vehicle's record under the id Smartcar now gives it (a move to v3)."""
        if (record := self._vehicles.pop(old_id, None)) is not None:
            self._vehicles[new_id] = record
            self._save()

    def forget(self, vehicle_id: str) -> None:
        """Drop everything about a vehicle that is no longer connected."""
        self._vehicles.pop(vehicle_id, None)
        self._save()

    def vehicle_ids(self) -> set[str]:
        """Return the vehicles this store has records for."""
        return set(self._vehicles)
