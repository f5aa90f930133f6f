"""Moving an entry to another Smartcar API generation (v2 to v3) without losing anything.

What the user made of an entry lives in Home Assistant's registries, keyed by the vehicle id:
device identifiers ``(smartcar, <vehicle id>)`` and entity unique ids ``<vehicle id>-<key>``.
Areas, names, entity ids, aliases and voice exposure hang off those registry entries. When the
vehicle ids stay the same under the new credentials nothing has to change. When Smartcar gives
a vehicle another id, the vehicle is recognised by its VIN (the device's serial number, or the
one stored) and its device, entities and stored record are moved to the new id before the entry
reloads, so stale-device cleanup never sees them as gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .api import SmartcarError
from .const import DOMAIN, LOGGER
from .helpers import describe_error, display_make
from .storage import SmartcarStore

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .api import Connection, SmartcarClient


@dataclass(frozen=True)
class VehicleIdPlan:
    """How the entry's vehicle ids change: old id → new id, and what could not be matched."""

    mapping: dict[str, str] = field(default_factory=dict)
    #: New vehicle ids whose VIN could not be read while devices still wait for their match.
    unreadable: tuple[str, ...] = ()


def _entry_devices(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, dr.DeviceEntry]:
    """The entry's devices by vehicle id."""
    registry = dr.async_get(hass)
    return {
        identifier: device
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        for domain, identifier in device.identifiers
        if domain == DOMAIN
    }


async def async_plan_vehicle_ids(
    hass: HomeAssistant, entry: ConfigEntry, client: SmartcarClient, vehicle_ids: Collection[str]
) -> VehicleIdPlan:
    """Match the entry's devices to the vehicles the new client lists, by VIN where ids differ.

    Only vehicles whose id is new are read (one billed VIN read each), and only when some
    device of the entry has an id the new client does not list. A rejected credential is
    raised; any other failure leaves that vehicle in ``unreadable``.
    """
    devices = _entry_devices(hass, entry)
    waiting = set(devices) - set(vehicle_ids)
    fresh = [vehicle_id for vehicle_id in vehicle_ids if vehicle_id not in devices]
    if not waiting or not fresh:
        return VehicleIdPlan()
    store = SmartcarStore(hass, entry.entry_id)
    await store.async_load()
    by_vin: dict[str, str] = {}
    for old_id in sorted(waiting):
        vin = devices[old_id].serial_number or store.stored_vin(old_id)
        if vin:
            by_vin[vin.strip().upper()] = old_id
    if not by_vin:
        return VehicleIdPlan()
    mapping: dict[str, str] = {}
    unreadable: list[str] = []
    for vehicle_id in fresh:
        try:
            vin = await client.async_get_vin(vehicle_id)
        except SmartcarError as err:
            if err.requires_reauth:
                raise
            LOGGER.info("Could not read the VIN of a vehicle to match it: %s", describe_error(err))
            unreadable.append(vehicle_id)
            continue
        if (old_id := by_vin.pop(vin.strip().upper(), "")) in waiting:
            mapping[old_id] = vehicle_id
    return VehicleIdPlan(mapping, tuple(unreadable) if by_vin else ())


async def async_move_vehicle_ids(
    hass: HomeAssistant, entry: ConfigEntry, mapping: Mapping[str, str]
) -> None:
    """Give devices, entities and stored records the new vehicle ids (the entry is unloaded)."""
    devices = dr.async_get(hass)
    by_vehicle = _entry_devices(hass, entry)
    entities = er.async_get(hass)
    store = SmartcarStore(hass, entry.entry_id)
    await store.async_load()
    for old_id, new_id in mapping.items():
        # The plan matched devices of this entry, so each old id has one.
        device = by_vehicle[old_id]
        identifiers = {item for item in device.identifiers if item != (DOMAIN, old_id)}
        devices.async_update_device(device.id, new_identifiers={*identifiers, (DOMAIN, new_id)})
        for item in er.async_entries_for_config_entry(entities, entry.entry_id):
            if item.unique_id.startswith(f"{old_id}-"):
                unique_id = f"{new_id}{item.unique_id[len(old_id) :]}"
                entities.async_update_entity(item.entity_id, new_unique_id=unique_id)
        store.rename(old_id, new_id)
        LOGGER.info(
            "%s has a new Smartcar vehicle id; matched by VIN, its device and entities keep "
            "their entity ids, names, areas and settings",
            device.name_by_user or device.name,
        )
    await store.async_flush()


async def async_keep_vehicles(
    hass: HomeAssistant,
    entry: ConfigEntry,
    client: SmartcarClient,
    vehicle_ids: Collection[str],
    connections: Iterable[Connection],
) -> str:
    """Before an entry reloads with other credentials, move its vehicles to their new ids.

    Returns the vehicles (make and model) that could not be matched because their VIN could
    not be read, empty when everything is in place; then nothing was changed.
    """
    plan = await async_plan_vehicle_ids(hass, entry, client, vehicle_ids)
    LOGGER.info(
        "Moving %s to Smartcar API v%s: %d of %d vehicles have new ids (matched by VIN)",
        entry.title,
        client.api_version,
        len(plan.mapping),
        len(vehicle_ids),
    )
    if plan.unreadable:
        names = {
            c.vehicle_id: f"{display_make(c.make or '')} {c.model or ''}".strip()
            for c in connections
        }
        return ", ".join(names.get(vehicle_id) or vehicle_id[:8] for vehicle_id in plan.unreadable)
    if plan.mapping:
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
        await async_move_vehicle_ids(hass, entry, plan.mapping)
    return ""
