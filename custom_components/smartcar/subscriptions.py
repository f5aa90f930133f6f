"""Subscribing an entry's vehicles to the user's Smartcar webhook (Management API v3).

On API v3 Smartcar holds data for a vehicle only once it is subscribed to a webhook, so with
webhooks on (and the id of the webhook in Smartcar's dashboard given in the options) every
vehicle of the entry is subscribed at setup, new vehicles included. Which webhook each vehicle
was subscribed to is kept in the store, so a restart asks Smartcar again only for vehicles not
yet recorded, or whose store is still empty (a subscription removed in the dashboard). 409
means the subscription exists already, which is as good as done.

All of it runs as a task after setup: the options flow answers at once, and slow network calls
never hold Home Assistant's start-up. A refusal becomes a repair issue naming Smartcar's reason
and is retried at the next setup. Removing a vehicle or the entry unsubscribes it (best effort:
logged, never in the way of the removal).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final, cast

from aiohttp import ClientError
from homeassistant.core import callback
from homeassistant.exceptions import OAuth2TokenRequestError
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later

from .api import ApiVersion, Origins, SmartcarClient, SmartcarError, StaticTokenAuth
from .const import CONF_SMARTCAR_WEBHOOK_ID, CONF_USER_ID, DOMAIN, LOGGER
from .helpers import describe_error
from .issues import SUBSCRIPTION_FAILED, async_create_subscription_issue, async_delete_entry_issue
from .webhook import push_enabled

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .models import SmartcarConfigEntry
    from .oauth import SmartcarImplementation

#: After a new subscription, read a vehicle whose store was empty once more after this long,
#: in case no webhook delivery brings the first data (the webhook is not verified yet).
FOLLOW_UP_READ: Final = timedelta(minutes=2)

#: What a failed management call can raise besides Smartcar's own errors (token renewal).
_CALL_ERRORS: Final = (SmartcarError, OAuth2TokenRequestError, ClientError, TimeoutError)


def smartcar_webhook_id(entry: ConfigEntry) -> str | None:
    """The Smartcar webhook to subscribe vehicles to: only with webhooks on and an id given."""
    if not push_enabled(entry.options):
        return None
    webhook_id = str(entry.options.get(CONF_SMARTCAR_WEBHOOK_ID) or "").strip()
    return webhook_id or None


@callback
def async_start_subscriptions(hass: HomeAssistant, entry: SmartcarConfigEntry) -> None:
    """Subscribe the vehicles that need it, in a task of the entry."""
    data = entry.runtime_data
    webhook_id = smartcar_webhook_id(entry)
    if webhook_id is None or not data.client.manages_subscriptions:
        async_delete_entry_issue(hass, SUBSCRIPTION_FAILED, entry.entry_id)
        return
    due = [
        vehicle_id
        for vehicle_id, coordinator in data.coordinators.items()
        if data.store.subscription(vehicle_id) != webhook_id
        or coordinator.data is None
        or coordinator.data.store_empty
    ]
    if not due:
        async_delete_entry_issue(hass, SUBSCRIPTION_FAILED, entry.entry_id)
        return
    entry.async_create_task(
        hass, _async_subscribe(hass, entry, webhook_id, due), f"{DOMAIN} subscribe vehicles"
    )


async def _async_subscribe(
    hass: HomeAssistant, entry: SmartcarConfigEntry, webhook_id: str, vehicle_ids: list[str]
) -> None:
    """Subscribe each vehicle; a refusal raises one issue for the entry, success clears it."""
    data = entry.runtime_data
    refused: dict[str, SmartcarError] = {}
    replaced: dict[str, str] = {}
    for vehicle_id in vehicle_ids:
        coordinator = data.coordinators[vehicle_id]
        try:
            created = await data.client.async_subscribe_vehicle(webhook_id, vehicle_id)
        except _CALL_ERRORS as err:
            LOGGER.warning(
                "Smartcar did not subscribe %s to the webhook: %s",
                coordinator.display_name,
                describe_error(err),
            )
            if isinstance(err, SmartcarError):
                refused[coordinator.display_name] = err
            continue
        LOGGER.info(
            "%s %s to the Smartcar webhook",
            "Subscribed" if created else "Smartcar already had subscribed",
            coordinator.display_name,
        )
        previous = data.store.subscription(vehicle_id)
        if previous and previous != webhook_id:
            replaced[vehicle_id] = previous
        data.store.set_subscription(vehicle_id, webhook_id)
        if created and (coordinator.data is None or coordinator.data.store_empty):
            _async_follow_up(hass, entry, vehicle_id)
    if refused:
        async_create_subscription_issue(hass, entry, refused, next(iter(refused.values())))
    else:
        async_delete_entry_issue(hass, SUBSCRIPTION_FAILED, entry.entry_id)
    if replaced:
        await async_unsubscribe_vehicles(data.client, replaced)


@callback
def _async_follow_up(hass: HomeAssistant, entry: SmartcarConfigEntry, vehicle_id: str) -> None:
    """Read a newly subscribed vehicle again soon, unless data arrived by then."""
    coordinator = entry.runtime_data.coordinators[vehicle_id]

    @callback
    def _read(_now: datetime) -> None:
        if coordinator.data is None or coordinator.data.store_empty:
            hass.async_create_task(coordinator.async_request_refresh(), f"{DOMAIN} follow-up")

    entry.async_on_unload(async_call_later(hass, FOLLOW_UP_READ, _read))


async def async_unsubscribe_vehicles(client: SmartcarClient, webhooks: Mapping[str, str]) -> None:
    """Remove vehicles' subscriptions (vehicle id → webhook id); failures are only logged."""
    for vehicle_id, webhook_id in webhooks.items():
        try:
            removed = await client.async_unsubscribe_vehicle(webhook_id, vehicle_id)
        except _CALL_ERRORS as err:
            LOGGER.warning("Could not unsubscribe a vehicle: %s", describe_error(err))
            continue
        LOGGER.info(
            "Unsubscribed a vehicle from the Smartcar webhook"
            if removed
            else "Smartcar had no subscription of the vehicle to remove"
        )


async def async_unsubscribe_removed_entry(
    hass: HomeAssistant, entry: ConfigEntry, webhooks: Mapping[str, str]
) -> None:
    """Unsubscribe a removed entry's vehicles with a fresh application token (best effort).

    Only v3 entries record subscriptions, so the entry's credentials are v3 ones.
    """
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
            hass, entry
        )
        token = await cast("SmartcarImplementation", implementation).async_application_token()
    except (
        ValueError,
        config_entry_oauth2_flow.ImplementationUnavailableError,
        *_CALL_ERRORS,
    ) as err:
        LOGGER.warning(
            "Could not unsubscribe the vehicles of the removed entry %s: %s",
            entry.title,
            describe_error(err),
        )
        return
    client = SmartcarClient(
        async_get_clientsession(hass),
        StaticTokenAuth(token["access_token"]),
        api_version=ApiVersion.V3,
        user_id=entry.data.get(CONF_USER_ID),
        origins=Origins.from_env(),
    )
    await async_unsubscribe_vehicles(client, webhooks)
