"""Yes/no states of each vehicle: plugged in, doors, windows, trunks, charge port, online."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, override

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    # Defined in binary_sensor.const since 2026.x and re-exported; 2026.3 has no such module.
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .api import Field, Opening, VehicleState
from .entity import SmartcarEntity, SmartcarEntityDescription, async_add_when_capable

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SmartcarConfigEntry

# Read-only: the coordinator does the reading.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarBinarySensorEntityDescription(
    SmartcarEntityDescription, BinarySensorEntityDescription
):
    """A binary sensor: how its state comes out of the vehicle state."""

    is_on_fn: Callable[[VehicleState], bool | None]


def _flag(field: Field) -> Callable[[VehicleState], bool | None]:
    """Return a getter for a boolean field."""

    def get(state: VehicleState) -> bool | None:
        reading = state.get(field)
        return None if reading is None else bool(reading.value)

    return get


def _any_open(field: Field) -> Callable[[VehicleState], bool | None]:
    """Return a getter that is on when any door or window of ``field`` is open."""

    def get(state: VehicleState) -> bool | None:
        reading = state.get(field)
        if reading is None:
            return None
        openings: tuple[Opening, ...] = reading.value
        known = [opening.is_open for opening in openings if opening.is_open is not None]
        if not known:
            return None
        return any(known)

    return get


BINARY_SENSORS: tuple[SmartcarBinarySensorEntityDescription, ...] = (
    SmartcarBinarySensorEntityDescription(
        key="plugged_in",
        translation_key="plugged_in",
        device_class=BinarySensorDeviceClass.PLUG,
        fields=(Field.PLUGGED_IN,),
        is_on_fn=_flag(Field.PLUGGED_IN),
    ),
    SmartcarBinarySensorEntityDescription(
        key="doors",
        translation_key="doors",
        device_class=BinarySensorDeviceClass.DOOR,
        fields=(Field.DOORS,),
        is_on_fn=_any_open(Field.DOORS),
    ),
    SmartcarBinarySensorEntityDescription(
        key="windows",
        translation_key="windows",
        device_class=BinarySensorDeviceClass.WINDOW,
        fields=(Field.WINDOWS,),
        is_on_fn=_any_open(Field.WINDOWS),
    ),
    SmartcarBinarySensorEntityDescription(
        key="sunroof",
        translation_key="sunroof",
        device_class=BinarySensorDeviceClass.WINDOW,
        fields=(Field.SUNROOF_OPEN,),
        is_on_fn=_flag(Field.SUNROOF_OPEN),
    ),
    SmartcarBinarySensorEntityDescription(
        key="front_trunk",
        translation_key="front_trunk",
        device_class=BinarySensorDeviceClass.OPENING,
        fields=(Field.FRONT_TRUNK_OPEN,),
        is_on_fn=_flag(Field.FRONT_TRUNK_OPEN),
    ),
    SmartcarBinarySensorEntityDescription(
        key="rear_trunk",
        translation_key="rear_trunk",
        device_class=BinarySensorDeviceClass.OPENING,
        fields=(Field.REAR_TRUNK_OPEN,),
        is_on_fn=_flag(Field.REAR_TRUNK_OPEN),
    ),
    SmartcarBinarySensorEntityDescription(
        key="charge_port",
        translation_key="charge_port",
        device_class=BinarySensorDeviceClass.OPENING,
        fields=(Field.CHARGE_PORT_OPEN,),
        is_on_fn=_flag(Field.CHARGE_PORT_OPEN),
    ),
    SmartcarBinarySensorEntityDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        fields=(Field.ONLINE,),
        is_on_fn=_flag(Field.ONLINE),
    ),
    SmartcarBinarySensorEntityDescription(
        key="asleep",
        translation_key="asleep",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        fields=(Field.ASLEEP,),
        is_on_fn=_flag(Field.ASLEEP),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors each vehicle can provide."""
    async_add_when_capable(entry, async_add_entities, BINARY_SENSORS, SmartcarBinarySensor)


class SmartcarBinarySensor(SmartcarEntity, BinarySensorEntity):
    """One yes/no state of a vehicle."""

    entity_description: SmartcarBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Whether the state is on (open, plugged in, online…)."""
        return self.entity_description.is_on_fn(self.state_data)
