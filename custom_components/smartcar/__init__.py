"""Smartcar: see and control connected cars of many makes through Smartcar's API v2 or v3.

Setup builds one :class:`SmartcarVehicleCoordinator` per connected vehicle. They share the
entry's token (renewed by Home Assistant's ``OAuth2Session``) and one client; the store keeps
per-vehicle metadata and the month's call count so restarts do not spend the allowance.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import ClientError
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers import (
    config_entry_oauth2_flow,
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import ApiVersion, Connection, Origins, SmartcarClient, SmartcarError
from .const import (
    CONF_API_VERSION,
    CONF_CONSENT,
    CONF_USER_ID,
    CONFIG_ENTRY_VERSION,
    DOMAIN,
    LOGGER,
    V2_SHUTDOWN,
    V3_MIGRATION_URL,
    VEHICLE_LIST_INTERVAL,
)
from .coordinator import (
    SmartcarConfigEntry,
    SmartcarData,
    SmartcarVehicleCoordinator,
    describe_error,
)
from .oauth import OAuth2SessionAuth
from .polling import settings_from_options
from .storage import SmartcarStore
from .webhook import async_delete_cloudhook, async_delete_push_issues, async_setup_webhook

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.helpers.typing import ConfigType
PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.DEVICE_TRACKER,
    Platform.LOCK,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Nothing to set up for the domain; everything hangs off config entries."""
    return True


def _is_foreign(entry: ConfigEntry) -> bool:
    """Whether an entry was made by another integration that also uses the domain ``smartcar``.

    The other HACS integration stores its tokens differently (config entry versions 1 and 2,
    no ``api_version`` or ``user_id``); its entries cannot be migrated, only replaced.
    """
    return (
        entry.version < CONFIG_ENTRY_VERSION
        or CONF_API_VERSION not in entry.data
        or CONF_USER_ID not in entry.data
        or "token" not in entry.data
    )


@callback
def _async_create_foreign_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Ask the user to remove an entry this integration cannot use, and to add it again."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"foreign_entry_{entry.entry_id}",
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="foreign_entry",
        translation_placeholders={"title": entry.title},
        data={"entry_id": entry.entry_id},
    )


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Refuse entries of the other ``smartcar`` integration with a repair issue, no traceback."""
    if _is_foreign(entry):
        LOGGER.warning(
            "The config entry %s was made by a different Smartcar integration and cannot be "
            "used; see the repair issue to remove it and add the account again",
            entry.title,
        )
        _async_create_foreign_issue(hass, entry)
        return False
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Connect to Smartcar and set up a coordinator for every connected vehicle."""
    if _is_foreign(entry):
        _async_create_foreign_issue(hass, entry)
        raise ConfigEntryError(translation_domain=DOMAIN, translation_key="foreign_entry")

    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
            hass, entry
        )
    except config_entry_oauth2_flow.ImplementationUnavailableError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="oauth_unavailable"
        ) from err
    except ValueError as err:
        # The application credentials this entry was made with have been deleted.
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="oauth_implementation_missing"
        ) from err

    session = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)
    try:
        await session.async_ensure_token_valid()
    except OAuth2TokenRequestReauthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="token_rejected"
        ) from err
    except (OAuth2TokenRequestError, ClientError, TimeoutError) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="token_unavailable"
        ) from err

    api_version = ApiVersion(entry.data[CONF_API_VERSION])
    client = SmartcarClient(
        async_get_clientsession(hass),
        OAuth2SessionAuth(session),
        api_version=api_version,
        user_id=entry.data[CONF_USER_ID],
        origins=Origins.from_env(),
    )
    store = SmartcarStore(hass, entry.entry_id)
    await store.async_load()

    vehicles = await _async_list_vehicles(client)
    settings = settings_from_options(entry.options)
    coordinators = {
        vehicle_id: SmartcarVehicleCoordinator(
            hass,
            entry,
            client,
            store,
            vehicle_id,
            settings=settings,
            consent=str(entry.data.get(CONF_CONSENT, "")),
            connection=connection,
            fleet_size=len(vehicles),
        )
        for vehicle_id, connection in vehicles.items()
    }
    results = await asyncio.gather(
        *(coordinator.async_config_entry_first_refresh() for coordinator in coordinators.values()),
        return_exceptions=True,
    )
    _raise_first_failure(results)
    entry.runtime_data = SmartcarData(
        client=client,
        session=session,
        store=store,
        coordinators=coordinators,
        settings=settings,
    )

    _async_remove_stale_devices(hass, entry, store, set(coordinators))
    _async_check_v2_shutdown(hass, entry, api_version)

    async def _async_check_vehicle_list(_now: datetime) -> None:
        """Reload when vehicles were connected or disconnected since setup."""
        try:
            current = await _async_list_vehicles(client)
        except ConfigEntryAuthFailed:
            entry.async_start_reauth(hass)
            return
        except ConfigEntryNotReady:
            LOGGER.debug("Could not check the list of connected vehicles")
            return
        if set(current) != set(coordinators):
            LOGGER.info("The connected vehicles changed; reloading %s", entry.title)
            hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(
        async_track_time_interval(
            hass,
            _async_check_vehicle_list,
            VEHICLE_LIST_INTERVAL,
            name=f"{DOMAIN} vehicle list",
            cancel_on_shutdown=True,
        )
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_setup_webhook(hass, entry)
    return True


def _raise_first_failure(results: list[BaseException | None]) -> None:
    """Raise the most significant failure of the vehicles' first refreshes, if any."""
    order = (ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady)
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        raise min(
            failures,
            key=lambda failure: next(
                (rank for rank, kind in enumerate(order) if isinstance(failure, kind)),
                len(order),
            ),
        )


async def _async_list_vehicles(client: SmartcarClient) -> dict[str, Connection | None]:
    """List the connected vehicles (with their v3 connection, which names make and model)."""
    try:
        if client.api_version is ApiVersion.V3:
            connections = await client.async_get_connections(client.user_id)
            return {connection.vehicle_id: connection for connection in reversed(connections)}
        return dict.fromkeys(await client.async_get_vehicle_ids())
    except OAuth2TokenRequestReauthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="token_rejected"
        ) from err
    except (OAuth2TokenRequestError, ClientError, TimeoutError) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="token_unavailable"
        ) from err
    except SmartcarError as err:
        if err.requires_reauth:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"error": describe_error(err)},
            ) from err
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_list_vehicles",
            translation_placeholders={"error": describe_error(err)},
        ) from err


@callback
def _async_remove_stale_devices(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    store: SmartcarStore,
    vehicle_ids: set[str],
) -> None:
    """Remove the devices (and stored records) of vehicles that are no longer connected."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        ids = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
        if not ids & vehicle_ids:
            LOGGER.info("Removing the device of a disconnected vehicle: %s", device.name)
            registry.async_remove_device(device.id)
    for vehicle_id in store.vehicle_ids() - vehicle_ids:
        store.forget(vehicle_id)


@callback
def _async_check_v2_shutdown(
    hass: HomeAssistant, entry: SmartcarConfigEntry, api_version: ApiVersion
) -> None:
    """Warn ahead of Smartcar switching API v2 off, so users move to a v3 application."""
    issue_id = f"v2_shutdown_{entry.entry_id}"
    if api_version is not ApiVersion.V2:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ended = dt_util.now().date() >= V2_SHUTDOWN
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR if ended else ir.IssueSeverity.WARNING,
        translation_key="v2_shutdown",
        translation_placeholders={"title": entry.title, "date": V2_SHUTDOWN.isoformat()},
        learn_more_url=V3_MIGRATION_URL,
    )


async def async_unload_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Write the store, then unload the platforms (the coordinators stop with them)."""
    await entry.runtime_data.store.async_flush()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Forget everything stored for a removed entry, and its repair issues."""
    store = SmartcarStore(hass, entry.entry_id)
    await store.async_load()
    for vehicle_id in store.vehicle_ids():
        for prefix in ("billing_limit", "virtual_key"):
            ir.async_delete_issue(hass, DOMAIN, f"{prefix}_{vehicle_id}")
    await store.async_remove()
    for prefix in ("v2_shutdown", "foreign_entry"):
        ir.async_delete_issue(hass, DOMAIN, f"{prefix}_{entry.entry_id}")
    async_delete_push_issues(hass, entry.entry_id)
    await async_delete_cloudhook(hass, entry.options)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartcarConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a vehicle's device only once the vehicle is no longer connected."""
    coordinators = entry.runtime_data.coordinators
    return not any(
        domain == DOMAIN and identifier in coordinators for domain, identifier in device.identifiers
    )
