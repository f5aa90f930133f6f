"""Where each vehicle is, as a GPS device tracker (zones then say home or away)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, override

# Re-exported by the package (the defining module moved after 2026.3).
from homeassistant.components.device_tracker import (  # type: ignore[attr-defined]
    SourceType,
    TrackerEntity,
    TrackerEntityDescription,
)

from .api import Field
from .entity import SmartcarEntity, SmartcarEntityDescription, async_add_when_capable

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SmartcarConfigEntry

# Read-only: the coordinator does the reading.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarTrackerEntityDescription(SmartcarEntityDescription, TrackerEntityDescription):
    """A device tracker of a vehicle."""


TRACKERS: tuple[SmartcarTrackerEntityDescription, ...] = (
    SmartcarTrackerEntityDescription(
        key="location",
        translation_key="location",
        fields=(Field.LOCATION,),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a tracker for every vehicle whose owner shares its location."""
    async_add_when_capable(entry, async_add_entities, TRACKERS, SmartcarTracker)


class SmartcarTracker(SmartcarEntity, TrackerEntity):
    """The vehicle's last reported position."""

    entity_description: SmartcarTrackerEntityDescription
    _attr_source_type = SourceType.GPS

    @property
    @override
    def latitude(self) -> float | None:
        """Latitude in degrees."""
        reading = self.state_data.location
        return None if reading is None else reading.value.latitude

    @property
    @override
    def longitude(self) -> float | None:
        """Longitude in degrees."""
        reading = self.state_data.location
        return None if reading is None else reading.value.longitude
