"""Charging as a switch: on while the car charges; turning it on or off starts or stops it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription

from .api import ChargingState, Command, Field, Permission, VehicleState
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
class SmartcarSwitchEntityDescription(SmartcarEntityDescription, SwitchEntityDescription):
    """A switch: how to read it, and the commands behind on and off."""

    is_on_fn: Callable[[VehicleState], bool | None]
    turn_on: CommandSpec
    turn_off: CommandSpec


def _charging(state: VehicleState) -> bool | None:
    if state.charging_state is None:
        return None
    return state.charging_state.value is ChargingState.CHARGING


SWITCHES: tuple[SmartcarSwitchEntityDescription, ...] = (
    # No entity category: a categorised entity is never exposed to voice assistants.
    SmartcarSwitchEntityDescription(
        key="charging",
        translation_key="charging",
        fields=(Field.CHARGING_STATE,),
        permissions=(Permission.CONTROL_CHARGE,),
        controls=True,
        is_on_fn=_charging,
        turn_on=CommandSpec(Command.START_CHARGE, Field.CHARGING_STATE, ChargingState.CHARGING),
        turn_off=CommandSpec(Command.STOP_CHARGE, Field.CHARGING_STATE, ChargingState.NOT_CHARGING),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a charging switch for every vehicle that reports charging and may be controlled."""
    async_add_when_capable(entry, async_add_entities, SWITCHES, SmartcarSwitch)


class SmartcarSwitch(SmartcarEntity, SwitchEntity):
    """Starts and stops charging."""

    entity_description: SmartcarSwitchEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Whether the car is charging."""
        return self.entity_description.is_on_fn(self.state_data)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start charging (a translated error when the cable is not plugged in)."""
        await async_send(self.coordinator, self.entity_description.turn_on)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop charging."""
        await async_send(self.coordinator, self.entity_description.turn_off)
