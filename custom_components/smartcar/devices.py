"""The devices of an entry's vehicles: shared cars, stale devices and their subscriptions.

A vehicle is one device, keyed ``(smartcar, <vehicle id>)``. The same car connected by two
Smartcar users is provided by the entry that set it up first; a vehicle that is no longer
connected loses its device (or this entry's link to a shared one), its stored record, its repair
issues and its webhook subscription.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN, LOGGER
from .issues import async_delete_vehicle_issues
from .subscriptions import async_unsubscribe_vehicles

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.config_entries import ConfigEntry

    from .models import SmartcarConfigEntry
    from .storage import SmartcarStore


def provided_elsewhere(
    hass: HomeAssistant, entry_id: str | None, vehicle_ids: Iterable[str]
) -> dict[str, str]:
    """Vehicles whose device another Smartcar entry already has, with that entry's title.

    The same car connected by two Smartcar users would otherwise give two sets of entities
    with the same unique IDs; the entry that set the car up first keeps providing it.
    """
    registry = dr.async_get(hass)
    shared: dict[str, str] = {}
    for vehicle_id in vehicle_ids:
        device = registry.async_get_device(identifiers={(DOMAIN, vehicle_id)})
        if device is None:
            continue
        owner = next(
            (
                other
                for other_id in device_entries(device) - {entry_id}
                if (other := hass.config_entries.async_get_entry(other_id)) is not None
                and other.domain == DOMAIN
            ),
            None,
        )
        if owner is None:
            continue
        LOGGER.warning(
            "%s is also connected through the Smartcar account %s, which provides it",
            device.name,
            owner.title,
        )
        shared[vehicle_id] = owner.title
    return shared


def device_entries(device: dr.DeviceEntry) -> set[str]:
    """The config entries of a device (one since Home Assistant 2026.4; a set before)."""
    single: str | None = getattr(device, "config_entry_id", None)
    if single is not None:
        return {single}
    entries: set[str] = getattr(device, "config_entries", set())
    return set(entries)


@callback
def _async_detach_device(
    registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str
) -> None:
    """Take a device away from this entry: remove it, or detach it where others share it."""
    if getattr(device, "config_entry_id", None) is not None:
        registry.async_remove_device(device.id)
    else:  # pragma: no cover - Home Assistant 2026.3 only, covered by the minimum-version run
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


@callback
def async_remove_stale_devices(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    store: SmartcarStore,
    vehicle_ids: set[str],
    shared: set[str],
) -> None:
    """Detach the devices (and drop stored records) of vehicles this entry no longer has.

    A disconnected vehicle is also unsubscribed from the Smartcar webhook (not one another
    entry provides: it is still connected, and the subscription is that entry's).
    """
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        ids = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
        if not ids & vehicle_ids:
            LOGGER.info("Removing the device of a disconnected vehicle: %s", device.name)
            _async_detach_device(registry, device, entry.entry_id)
    gone = store.vehicle_ids() - vehicle_ids
    subscribed = {
        vehicle_id: webhook_id
        for vehicle_id in gone - shared
        if (webhook_id := store.subscription(vehicle_id))
    }
    for vehicle_id in gone:
        store.forget(vehicle_id)
    async_delete_vehicle_issues(hass, gone)
    if subscribed:
        entry.async_create_task(
            hass,
            async_unsubscribe_vehicles(entry.runtime_data.client, subscribed),
            f"{DOMAIN} unsubscribe disconnected vehicles",
        )


def vehicles_of_other_entries(hass: HomeAssistant, entry: ConfigEntry) -> set[str]:
    """Vehicles other loaded Smartcar entries provide or know as shared."""
    others: list[SmartcarConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return {
        vehicle_id
        for other in others
        if other.entry_id != entry.entry_id
        for vehicle_id in (*other.runtime_data.coordinators, *other.runtime_data.shared_elsewhere)
    }
