"""The door lock of each vehicle, named after the car so "lock <car>" works in Assist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.lock import LockEntity, LockEntityDescription

from .api import Command, Field, Permission, VehicleState
from .commands import CommandSpec, async_send
from .entity import SmartcarEntity, SmartcarEntityDescription, async_add_when_capable

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SmartcarVehicleCoordinator
    from .models import SmartcarConfigEntry

# Commands change the car; one at a time per platform keeps them in the order they were asked.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartcarLockEntityDescription(SmartcarEntityDescription, LockEntityDescription):
    """A lock: how to read whether it is locked, and how to lock and unlock it."""

    is_locked_fn: Callable[[VehicleState], bool | None]
    lock: CommandSpec
    unlock: CommandSpec


def _locked(state: VehicleState) -> bool | None:
    return state.locked.value if state.locked is not None else None


LOCKS: tuple[SmartcarLockEntityDescription, ...] = (
    SmartcarLockEntityDescription(
        key="lock",
        translation_key="lock",
        # No name of its own: the lock takes the device's name ("Tesla Model 3"), so
        # Assist understands "lock Tesla Model 3" and "unlock Tesla Model 3".
        name=None,
        fields=(Field.LOCKED,),
        permissions=(Permission.CONTROL_SECURITY,),
        # Some cars can be locked remotely without reporting their lock state (issue #61 of
        # an earlier integration): the lock exists whenever locking is permitted.
        needs_fields=False,
        controls=True,
        is_locked_fn=_locked,
        lock=CommandSpec(Command.LOCK, Field.LOCKED, True),
        unlock=CommandSpec(Command.UNLOCK, Field.LOCKED, False),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a lock for every vehicle whose owner allowed locking."""
    async_add_when_capable(entry, async_add_entities, LOCKS, SmartcarLock)


class SmartcarLock(SmartcarEntity, LockEntity):
    """Locks and unlocks a vehicle, showing locking/unlocking while the car responds."""

    entity_description: SmartcarLockEntityDescription
    # Always the device's name, even if a translation ever gave the key a name: Assist
    # matches "lock <car>" against it. The translation key only selects the icons.
    _attr_name = None

    def __init__(
        self,
        coordinator: SmartcarVehicleCoordinator,
        description: SmartcarLockEntityDescription,
    ) -> None:
        """A lock whose state cannot be read shows an assumed state, not a made-up one."""
        super().__init__(coordinator, description)
        self._attr_assumed_state = not all(
            coordinator.capabilities.is_readable(field) for field in description.fields
        )

    @property
    @override
    def is_locked(self) -> bool | None:
        """Whether the doors are locked, as last read (or as the last command made them)."""
        return self.entity_description.is_locked_fn(self.state_data)

    @override
    async def async_lock(self, **kwargs: Any) -> None:
        """Lock the car; the state shows locking until Smartcar confirms."""
        self._attr_is_locking = True
        self.async_write_ha_state()
        try:
            await async_send(self.coordinator, self.entity_description.lock)
        finally:
            self._attr_is_locking = False
            self.async_write_ha_state()

    @override
    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock the car; the state shows unlocking until Smartcar confirms."""
        self._attr_is_unlocking = True
        self.async_write_ha_state()
        try:
            await async_send(self.coordinator, self.entity_description.unlock)
        finally:
            self._attr_is_unlocking = False
            self.async_write_ha_state()
