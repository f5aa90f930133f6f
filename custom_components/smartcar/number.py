"""The charge limit as a number from 50 to 100 %, the range Smartcar accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE

from .api import Command, Field, Permission, VehicleState
from .commands import CommandSpec, async_send
from .entity import SmartcarEntity, SmartcarEntityDescription, async_add_when_capable

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SmartcarConfigEntry

# Commands change the car; one at a time per platform keeps them in the order they were asked.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartcarNumberEntityDescription(SmartcarEntityDescription, NumberEntityDescription):
    """A number: how to read it and how to set it."""

    value_fn: Callable[[VehicleState], float | None]
    #: The command that sets the value; the value itself is the state it leads to.
    set_value: CommandSpec


def _charge_limit(state: VehicleState) -> float | None:
    return state.charge_limit.value if state.charge_limit is not None else None


NUMBERS: tuple[SmartcarNumberEntityDescription, ...] = (
    # No entity category, so the charge limit can be exposed to voice assistants. Home
    # Assistant rejects values outside 50-100 before anything is sent to Smartcar.
    SmartcarNumberEntityDescription(
        key="charge_limit",
        translation_key="charge_limit",
        device_class=NumberDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=50,
        native_max_value=100,
        native_step=1,
        mode=NumberMode.SLIDER,
        fields=(Field.CHARGE_LIMIT,),
        permissions=(Permission.CONTROL_CHARGE,),
        controls=True,
        value_fn=_charge_limit,
        set_value=CommandSpec(Command.SET_CHARGE_LIMIT, Field.CHARGE_LIMIT),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a charge limit for every vehicle that reports one and may be controlled."""
    async_add_when_capable(entry, async_add_entities, NUMBERS, SmartcarNumber)


class SmartcarNumber(SmartcarEntity, NumberEntity):
    """Sets the charge limit."""

    entity_description: SmartcarNumberEntityDescription

    @property
    @override
    def native_value(self) -> float | None:
        """The charge limit in percent."""
        return self.entity_description.value_fn(self.state_data)

    @override
    async def async_set_native_value(self, value: float) -> None:
        """Send the new charge limit."""
        await async_send(self.coordinator, self.entity_description.set_value, float(value))
