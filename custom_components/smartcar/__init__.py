"""Smartcar: see and control connected cars of many makes through Smartcar's API v3 (or v2).

Setup builds one :class:`SmartcarVehicleCoordinator` per connected vehicle. They share the
entry's token (renewed by Home Assistant's ``OAuth2Session``) and one client; the store keeps
per-vehicle metadata, what each vehicle can provide and the month's call count, so restarts
neither spend the allowance nor change the set of entities. A vehicle another entry already
provides (the same car under a second Smartcar user) is left to that entry. Every vehicle has
its device from setup on, also before Smartcar holds any data for it (an empty v3 store); with
webhooks on, the vehicles are subscribed to the user's Smartcar webhook (``subscriptions.py``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
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
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import ApiVersion, Connection, Origins, SmartcarClient, SmartcarError
from .const import (
    CONF_API_VERSION,
    CONF_CONSENT,
    CONF_INTERVAL_MINUTES,
    CONF_MODE,
    CONF_POLLING_MODE,
    CONF_USER_ID,
    CONFIG_ENTRY_VERSION,
    DOMAIN,
    LOGGER,
    V2_SHUTDOWN,
    VEHICLE_LIST_INTERVAL,
)
from .coordinator import SmartcarVehicleCoordinator
from .devices import async_remove_stale_devices, provided_elsewhere, vehicles_of_other_entries
from .helpers import describe_error
from .issues import (
    async_create_foreign_entry_issue,
    async_delete_all,
    async_update_v2_shutdown_issue,
)
from .models import SmartcarConfigEntry, SmartcarData
from .oauth import OAuth2SessionAuth
from .polling import profile_for_legacy_mode, settings_from_options
from .scheduling import app_bucket
from .storage import SmartcarStore
from .subscriptions import (
    async_start_subscriptions,
    async_unsubscribe_removed_entry,
)
from .webhook import async_delete_cloudhook, async_setup_webhook, push_enabled

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
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


async def async_migrate_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Refuse entries of the other ``smartcar`` integration; move polling options to profiles.

    A foreign entry that claims our version is left to setup, which refuses it the same way.
    """
    if _is_foreign(entry):
        if entry.version >= CONFIG_ENTRY_VERSION:
            return True
        LOGGER.warning(
            "The config entry %s was made by a different Smartcar integration and cannot be "
            "used; see the repair issue to remove it and add the account again",
            entry.title,
        )
        async_create_foreign_entry_issue(hass, entry)
        return False
    if entry.minor_version < 2:
        hass.config_entries.async_update_entry(
            entry, options=_migrated_options(entry.options), minor_version=2
        )
    return True


def _migrated_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Polling options written before the profiles existed, as profiles (see the README)."""
    migrated = dict(options)
    legacy = str(options.get(CONF_POLLING_MODE, ""))
    profile = profile_for_legacy_mode(legacy, push=push_enabled(options))
    if profile is not None:
        migrated[CONF_POLLING_MODE] = str(profile)
        if legacy == "manual" and not push_enabled(options):
            migrated[CONF_INTERVAL_MINUTES] = 0
    return migrated


async def async_setup_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Connect to Smartcar and set up a coordinator for every connected vehicle."""
    if _is_foreign(entry):
        async_create_foreign_entry_issue(hass, entry)
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
        vehicle_mode=entry.data.get(CONF_MODE),
    )
    store = SmartcarStore(hass, entry.entry_id)
    await store.async_load()

    listed = await _async_list_vehicles(client)
    shared = provided_elsewhere(hass, entry.entry_id, listed)
    vehicles = {vid: conn for vid, conn in listed.items() if vid not in shared}
    settings = settings_from_options(entry.options, push=push_enabled(entry.options))
    bucket = app_bucket(hass, getattr(implementation, "client_id", implementation.domain))
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
            bucket=bucket,
        )
        for vehicle_id, connection in vehicles.items()
    }
    results = await asyncio.gather(
        *(coordinator.async_config_entry_first_refresh() for coordinator in coordinators.values()),
        return_exceptions=True,
    )
    _raise_first_failure(results)
    # The device exists before any data does (a v3 store stays empty until subscribed).
    devices = dr.async_get(hass)
    for coordinator in coordinators.values():
        devices.async_get_or_create(config_entry_id=entry.entry_id, **coordinator.device_info)
    entry.runtime_data = SmartcarData(
        client=client,
        session=session,
        store=store,
        coordinators=coordinators,
        settings=settings,
        shared_elsewhere=shared,
    )

    async_remove_stale_devices(hass, entry, store, set(coordinators), set(shared))
    async_update_v2_shutdown_issue(
        hass,
        entry,
        on_v2=api_version is ApiVersion.V2,
        ended=dt_util.now().date() >= V2_SHUTDOWN,
    )

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
        if set(current) != set(coordinators) | set(shared):
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
    async_start_subscriptions(hass, entry)
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
        return await client.async_list_vehicles()
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


async def async_unload_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Write the store, then unload the platforms (the coordinators stop with them)."""
    await entry.runtime_data.store.async_flush()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> None:
    """Forget everything stored for a removed entry and its repair issues; unsubscribe it.

    Unsubscribing runs in the background (removal never waits for Smartcar) and leaves out
    vehicles another loaded entry still provides.
    """
    store = SmartcarStore(hass, entry.entry_id)
    await store.async_load()
    async_delete_all(hass, entry.entry_id, store.vehicle_ids())
    elsewhere = vehicles_of_other_entries(hass, entry)
    subscribed = {
        vehicle_id: webhook_id
        for vehicle_id in store.vehicle_ids() - elsewhere
        if (webhook_id := store.subscription(vehicle_id))
    }
    if subscribed:
        hass.async_create_background_task(
            async_unsubscribe_removed_entry(hass, entry, subscribed),
            f"{DOMAIN} unsubscribe removed entry",
        )
    await store.async_remove()
    await async_delete_cloudhook(hass, entry.options)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartcarConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a vehicle's device unless the loaded entry still has the vehicle."""
    if entry.state is not ConfigEntryState.LOADED:
        return True
    coordinators = entry.runtime_data.coordinators
    return not any(
        domain == DOMAIN and identifier in coordinators for domain, identifier in device.identifiers
    )
