"""The one path every command takes: check, send, translate a refusal, show the outcome.

Entities declare a :class:`CommandSpec` (the command and the state it leads to); this module
sends it through the client, maps Smartcar's refusals to translated errors (``helpers.py``)
and hands the expected state to the coordinator as an *optimistic* reading, which the first
real reading newer than the command replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .api import Command, SmartcarError
from .const import DOMAIN, LOGGER, PLUG_READING_MAX_AGE
from .helpers import ALREADY_DONE, command_error, describe_error
from .issues import VIRTUAL_KEY, async_delete_vehicle_issue

if TYPE_CHECKING:
    from .api import CommandResult, Field
    from .coordinator import SmartcarVehicleCoordinator


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command and the state it leads to: ``field`` becomes ``value`` (or the argument)."""

    command: Command
    field: Field
    value: Any = None


async def async_send(
    coordinator: SmartcarVehicleCoordinator, spec: CommandSpec, value: float | None = None
) -> None:
    """Send a command; on success show the state it leads to until a newer reading."""
    name = coordinator.display_name
    if spec.command is Command.START_CHARGE and _unplugged(coordinator):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_plugged_in",
            translation_placeholders={"vehicle": name},
        )
    LOGGER.debug("%s: sending %s", name, spec.command)
    sent_at = dt_util.utcnow()
    try:
        result = await _request(coordinator, spec.command, value)
    except SmartcarError as err:
        if err.code not in ALREADY_DONE.get(spec.command, ()):
            LOGGER.debug("%s: %s failed: %s", name, spec.command, describe_error(err))
            coordinator.command_refused(err)
            raise command_error(err, spec.command, name) from err
        LOGGER.debug("%s: %s was already the case", name, spec.command)
    else:
        if not result.confirmed:
            # Smartcar took the command but had no outcome yet: shown as expected, and the
            # next reading (or push) tells whether the car followed.
            LOGGER.info("%s: %s was sent; Smartcar has not confirmed it yet", name, spec.command)
    finally:
        coordinator.count_calls(1)
    async_delete_vehicle_issue(coordinator.hass, VIRTUAL_KEY, coordinator.vehicle_id)
    expected = spec.value if spec.value is not None else value
    coordinator.async_apply_optimistic({spec.field: expected}, sent_at)


async def _request(
    coordinator: SmartcarVehicleCoordinator, command: Command, value: float | None
) -> CommandResult:
    """Call the client for one command."""
    client, vehicle_id = coordinator.client, coordinator.vehicle_id
    if command is Command.SET_CHARGE_LIMIT:
        return await client.async_set_charge_limit(vehicle_id, float(value or 0))
    senders = {
        Command.LOCK: client.async_lock,
        Command.UNLOCK: client.async_unlock,
        Command.START_CHARGE: client.async_start_charge,
        Command.STOP_CHARGE: client.async_stop_charge,
    }
    return await senders[command](vehicle_id)


def _unplugged(coordinator: SmartcarVehicleCoordinator) -> bool:
    """Whether a recent real reading says the charging cable is not connected.

    An older reading may be out of date (the car was plugged in since), so then the command
    is sent and Smartcar's own answer decides.
    """
    reading = coordinator.data.plugged_in
    if reading is None or reading.value is not False or reading.optimistic:
        return False
    seen = reading.fetched_at or reading.data_age
    return seen is not None and dt_util.utcnow() - seen <= PLUG_READING_MAX_AGE
