"""The base of every Smartcar entity: its device, its fields, and when it is available.

An entity is declared by a description naming the fields it shows and the permissions it
needs; the platforms create it only where the vehicle can provide those fields. Added entities
tell the coordinator which fields to read, so disabled entities cost no billed calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, override

from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import SmartcarVehicleCoordinator

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .api import Field, VehicleState


@dataclass(frozen=True, kw_only=True)
class SmartcarEntityDescription(EntityDescription):
    """What every Smartcar entity declares: the fields it shows and extra permissions."""

    fields: tuple[Field, ...] = ()
    #: Control permissions the entity needs besides the fields' read permissions.
    permissions: tuple[str, ...] = ()
    #: Whether the entity is still wanted when its fields cannot be read (command entities).
    needs_fields: bool = True


def applicable[D: SmartcarEntityDescription](
    coordinator: SmartcarVehicleCoordinator, descriptions: Iterable[D]
) -> list[D]:
    """Return the descriptions this vehicle can provide and its owner permitted."""
    return [
        description
        for description in descriptions
        if all(coordinator.permitted(permission) for permission in description.permissions)
        and (not description.needs_fields or coordinator.capable(description.fields))
    ]


class SmartcarEntity(CoordinatorEntity[SmartcarVehicleCoordinator]):
    """An entity of one vehicle, named by translation and grouped under its device."""

    _attr_has_entity_name = True
    entity_description: SmartcarEntityDescription

    def __init__(
        self,
        coordinator: SmartcarVehicleCoordinator,
        description: SmartcarEntityDescription,
    ) -> None:
        """Bind the entity to its vehicle; the unique ID uses the vehicle id, not the VIN."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.vehicle_id}-{description.key}"
        self._attr_device_info = coordinator.device_info

    @override
    async def async_added_to_hass(self) -> None:
        """Ask the coordinator to read this entity's fields from now on."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_subscribe(self.entity_description.fields))

    @property
    def state_data(self) -> VehicleState:
        """The vehicle's current state."""
        return self.coordinator.data

    @property
    @override
    def available(self) -> bool:
        """Available while the vehicle answers and every field has a value.

        A field a pushed VEHICLE_ERROR names is unavailable until Smartcar resolves it.
        """
        if not super().available:
            return False
        if not self.entity_description.needs_fields:
            return True
        return all(
            self.coordinator.is_supported(field)
            and self.coordinator.field_error(field) is None
            and self.state_data.get(field) is not None
            for field in self.entity_description.fields
        )
