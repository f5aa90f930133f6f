"""The diagnostic sensor that shows when Smartcar last pushed data for a vehicle.

With webhooks on, each vehicle gets a "Last webhook delivery" timestamp, with the entry's count
of refused deliveries as an attribute, so a silent or misconfigured webhook is visible on the
device page. With webhooks off the sensor is not created, and one left from before is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .entity import SmartcarEntity, SmartcarEntityDescription
from .webhook import DATA_PUSH, push_enabled, push_health

if TYPE_CHECKING:
    from datetime import datetime

    from .coordinator import SmartcarVehicleCoordinator
    from .models import SmartcarConfigEntry
    from .push import PushHealth


@dataclass(frozen=True, kw_only=True)
class PushSensorEntityDescription(SmartcarEntityDescription, SensorEntityDescription):
    """The push sensor's description (it shows no vehicle field)."""


LAST_PUSH = PushSensorEntityDescription(
    key="last_push",
    translation_key="last_push",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    needs_fields=False,
)


@callback
def push_sensors(hass: HomeAssistant, entry: SmartcarConfigEntry) -> list[LastPushSensor]:
    """One "last push" sensor per vehicle while webhooks are on (else remove old ones)."""
    coordinators = entry.runtime_data.coordinators.values()
    if not push_enabled(entry.options):
        registry = er.async_get(hass)
        for coordinator in coordinators:
            unique_id = f"{coordinator.vehicle_id}-{LAST_PUSH.key}"
            if entity_id := registry.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id):
                registry.async_remove(entity_id)
        return []
    health = push_health(hass, entry.entry_id)
    return [LastPushSensor(coordinator, health) for coordinator in coordinators]


class LastPushSensor(SmartcarEntity, SensorEntity):
    """When a valid webhook delivery about this vehicle last arrived."""

    entity_description: PushSensorEntityDescription

    def __init__(self, coordinator: SmartcarVehicleCoordinator, health: PushHealth) -> None:
        """Show ``health`` of the entry the vehicle belongs to."""
        super().__init__(coordinator, LAST_PUSH)
        self._health = health

    @override
    async def async_added_to_hass(self) -> None:
        """Update whenever a delivery is accepted or refused."""
        await super().async_added_to_hass()
        self.async_on_remove(self._health.add_listener(self.async_write_ha_state))

    @property
    @override
    def available(self) -> bool:
        """Always: push health is known even while reads fail."""
        return True

    @property
    @override
    def native_value(self) -> datetime | None:
        """The latest delivery about this vehicle (to whichever entry's webhook it came)."""
        times = [
            moment
            for health in self.hass.data.get(DATA_PUSH, {}).values()
            if (moment := health.last_by_vehicle.get(self.coordinator.vehicle_id)) is not None
        ]
        return max(times, default=None)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """How many deliveries to this entry's webhook were refused since start."""
        return {"rejected_deliveries": self._health.rejected_total}
