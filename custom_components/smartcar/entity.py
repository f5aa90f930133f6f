"""The base of every Smartcar entity: its device, its fields, its commands, its availability.

An entity is declared by a description naming the fields it shows, the permissions it needs
and, for controls, the command behind each action with the state it leads to. Platforms add an
entity once the vehicle has shown its fields (at setup from what the store remembers, or later
when data first arrives) and the entity leaves the registry when Smartcar says the vehicle
cannot provide them. Controls stay available while reads fail: a failed read never silences a
command.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, override

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import LOGGER
from .coordinator import SmartcarVehicleCoordinator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api import Field, VehicleState
    from .models import SmartcarConfigEntry


@dataclass(frozen=True, kw_only=True)
class SmartcarEntityDescription(EntityDescription):
    """What every Smartcar entity declares: the fields it shows and extra permissions."""

    fields: tuple[Field, ...] = ()
    #: Control permissions the entity needs besides the fields' read permissions.
    permissions: tuple[str, ...] = ()
    #: Whether the entity needs its fields to exist (a lock can work without its state).
    needs_fields: bool = True
    #: Whether the entity sends commands (then it stays available while reads fail).
    controls: bool = False


def applicable[D: SmartcarEntityDescription](
    coordinator: SmartcarVehicleCoordinator, descriptions: Iterable[D]
) -> list[D]:
    """Return the descriptions this vehicle can provide and its owner permitted."""
    return [
        description
        for description in descriptions
        if all(
            permission in coordinator.capabilities.permissions
            for permission in description.permissions
        )
        and (not description.needs_fields or coordinator.capabilities.capable(description.fields))
    ]


@callback
def async_add_when_capable[D: SmartcarEntityDescription](
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Iterable[D],
    factory: Callable[[SmartcarVehicleCoordinator, D], SmartcarEntity],
) -> None:
    """Add each vehicle's entities now, and later ones as soon as their data first arrives."""
    wanted = tuple(descriptions)
    for coordinator in entry.runtime_data.coordinators.values():
        added: set[str] = set()

        @callback
        def add_new(
            coordinator: SmartcarVehicleCoordinator = coordinator, added: set[str] = added
        ) -> None:
            new = [d for d in applicable(coordinator, wanted) if d.key not in added]
            entities = []
            for description in new:
                added.add(description.key)
                entity = factory(coordinator, description)
                entity.async_on_remove(partial(added.discard, description.key))
                entities.append(entity)
            if entities:
                async_add_entities(entities)

        add_new()
        entry.async_on_unload(coordinator.async_add_listener(add_new))


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

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Update, or leave the registry once Smartcar says the fields are gone for good."""
        description = self.entity_description
        if description.needs_fields and self.coordinator.capabilities.withdrawn(description.fields):
            LOGGER.info("Removing %s: the vehicle cannot provide it", self.entity_id)
            # Every entity has a unique ID, so it is in the registry; removing it there
            # removes the entity too.
            er.async_get(self.hass).async_remove(self.entity_id)
            return
        super()._handle_coordinator_update()

    @property
    def state_data(self) -> VehicleState:
        """The vehicle's current state."""
        return self.coordinator.data

    @property
    @override
    def available(self) -> bool:
        """Controls: while Smartcar accepts commands. Readings: while they can be read.

        A field a pushed VEHICLE_ERROR names is unavailable until Smartcar resolves it.
        """
        description = self.entity_description
        if description.controls:
            return self.coordinator.commands_available
        if not super().available:
            return False
        if not description.needs_fields:
            return True
        return all(
            self.coordinator.capabilities.is_readable(field)
            and self.coordinator.field_error(field) is None
            and self.state_data.get(field) is not None
            for field in description.fields
        )
