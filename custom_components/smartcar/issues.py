"""Every repair issue this integration raises, its id and its creation, in one place.

Issue ids name what they are about (a vehicle or an entry), so the same condition never
raises two issues and removing a vehicle or an entry can clear everything it raised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import SmartcarConnectedServicesAccountError, SmartcarError
from .const import (
    BILLING_URL,
    CONF_MANAGEMENT_TOKEN,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_WEBHOOK_ID,
    DASHBOARD_URL,
    DOMAIN,
    SUBSCRIBING_URL,
    V2_SHUTDOWN,
    V2_TO_V3_URL,
    VIRTUAL_KEY_URL,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.config_entries import ConfigEntry

#: Issues about one vehicle, by id prefix.
BILLING_LIMIT: Final = "billing_limit"
VIRTUAL_KEY: Final = "virtual_key"
EMPTY_STORE: Final = "empty_store"
VEHICLE_ISSUES: Final = (BILLING_LIMIT, VIRTUAL_KEY, EMPTY_STORE)
#: Issues about one entry, by id prefix.
V2_SHUTDOWN_ISSUE: Final = "v2_shutdown"
FOREIGN_ENTRY: Final = "foreign_entry"
WEBHOOK_SIGNATURE: Final = "webhook_signature"
WEBHOOK_SILENT: Final = "webhook_silent"
SUBSCRIPTION_FAILED: Final = "subscription_failed"
ENTRY_ISSUES: Final = (
    V2_SHUTDOWN_ISSUE,
    FOREIGN_ENTRY,
    WEBHOOK_SIGNATURE,
    WEBHOOK_SILENT,
    SUBSCRIPTION_FAILED,
)


def issue_id(prefix: str, subject: str) -> str:
    """The id of an issue about one vehicle or entry."""
    return f"{prefix}_{subject}"


@callback
def _async_create(
    hass: HomeAssistant,
    prefix: str,
    subject: str,
    placeholders: dict[str, str],
    *,
    url: str,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
) -> None:
    """Raise (or update) the issue ``prefix`` about ``subject``; its text is ``prefix``."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(prefix, subject),
        is_fixable=False,
        severity=severity,
        translation_key=prefix,
        translation_placeholders=placeholders,
        learn_more_url=url,
    )


@callback
def async_create_billing_issue(
    hass: HomeAssistant, vehicle_id: str, vehicle: str, code: str | None
) -> None:
    """Tell the user the vehicle's monthly allowance (or the plan) blocks requests."""
    placeholders = {"vehicle": vehicle, "code": code or "-"}
    _async_create(hass, BILLING_LIMIT, vehicle_id, placeholders, url=BILLING_URL)


@callback
def async_create_virtual_key_issue(
    hass: HomeAssistant, vehicle_id: str, vehicle: str, url: str | None
) -> None:
    """Ask the owner to pair Smartcar's virtual key (Tesla)."""
    _async_create(hass, VIRTUAL_KEY, vehicle_id, {"vehicle": vehicle}, url=url or VIRTUAL_KEY_URL)


@callback
def async_create_webhook_silent_issue(hass: HomeAssistant, entry: ConfigEntry, hours: int) -> None:
    """Webhooks are on, nothing valid arrived for a day, and reads see the car change."""
    placeholders = {"title": entry.title, "hours": str(hours)}
    _async_create(hass, WEBHOOK_SILENT, entry.entry_id, placeholders, url=DASHBOARD_URL)


@callback
def async_create_webhook_signature_issue(
    hass: HomeAssistant, entry: ConfigEntry, failures: int
) -> None:
    """Deliveries keep failing the signature check: the token in the options is wrong."""
    _async_create(
        hass,
        WEBHOOK_SIGNATURE,
        entry.entry_id,
        {"title": entry.title, "count": str(failures)},
        url=DASHBOARD_URL,
        severity=ir.IssueSeverity.ERROR,
    )


@callback
def async_delete_entry_issue(hass: HomeAssistant, prefix: str, entry_id: str) -> None:
    """Clear one issue about an entry (the condition is over)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(prefix, entry_id))


@callback
def async_check_virtual_key(
    hass: HomeAssistant, vehicle_id: str, vehicle: str, err: SmartcarError
) -> None:
    """Raise the virtual-key issue when Smartcar's answer says Tesla wants a key paired."""
    if isinstance(err, SmartcarConnectedServicesAccountError) and (
        err.code == "VIRTUAL_KEY_REQUIRED"
    ):
        async_create_virtual_key_issue(hass, vehicle_id, vehicle, err.resolution_url)


@callback
def async_delete_vehicle_issue(hass: HomeAssistant, prefix: str, vehicle_id: str) -> None:
    """Clear one issue about a vehicle (the condition is over)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(prefix, vehicle_id))


@callback
def async_create_foreign_entry_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Ask the user to remove an entry this integration cannot use, and to add it again."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(FOREIGN_ENTRY, entry.entry_id),
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="foreign_entry",
        translation_placeholders={"title": entry.title},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_update_v2_shutdown_issue(
    hass: HomeAssistant, entry: ConfigEntry, *, on_v2: bool, ended: bool
) -> None:
    """Warn a v2 entry that Smartcar switches (or switched) API v2 off; clear it on v3."""
    if not on_v2:
        ir.async_delete_issue(hass, DOMAIN, issue_id(V2_SHUTDOWN_ISSUE, entry.entry_id))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(V2_SHUTDOWN_ISSUE, entry.entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR if ended else ir.IssueSeverity.WARNING,
        translation_key="v2_shutdown",
        translation_placeholders={"title": entry.title, "date": V2_SHUTDOWN.isoformat()},
        learn_more_url=V2_TO_V3_URL,
    )


@callback
def async_update_empty_store_issue(
    hass: HomeAssistant, entry: ConfigEntry, vehicle_id: str, vehicle: str, *, empty: bool
) -> None:
    """Say how to get data flowing while Smartcar holds none for a vehicle; clear it after.

    Smartcar's v3 store stays empty until the vehicle is subscribed to a webhook. With webhooks
    on and Smartcar's webhook id given, Home Assistant subscribed it itself, so what is left is
    the webhook's verification; otherwise the user has three ways to subscribe it.
    """
    if not empty:
        ir.async_delete_issue(hass, DOMAIN, issue_id(EMPTY_STORE, vehicle_id))
        return
    options = entry.options
    webhook_id = options.get(CONF_SMARTCAR_WEBHOOK_ID)
    subscribing = bool(
        webhook_id and options.get(CONF_MANAGEMENT_TOKEN) and options.get(CONF_WEBHOOK_ID)
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(EMPTY_STORE, vehicle_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="empty_store_subscribed" if subscribing else "empty_store",
        translation_placeholders={
            "vehicle": vehicle,
            "title": entry.title,
            "dashboard_url": DASHBOARD_URL,
            "webhook_id": str(webhook_id or ""),
        },
        learn_more_url=SUBSCRIBING_URL,
    )


@callback
def async_create_subscription_issue(
    hass: HomeAssistant, entry: ConfigEntry, vehicles: Iterable[str], err: SmartcarError
) -> None:
    """Tell the user Smartcar refused to subscribe vehicles, naming its reason (type, code)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(SUBSCRIPTION_FAILED, entry.entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="subscription_failed",
        translation_placeholders={
            "title": entry.title,
            "vehicles": ", ".join(vehicles),
            "webhook_id": str(entry.options.get(CONF_SMARTCAR_WEBHOOK_ID, "")),
            "type": err.type,
            "code": err.code or "-",
            "status": str(err.status or "-"),
        },
        learn_more_url=SUBSCRIBING_URL,
    )


@callback
def async_delete_vehicle_issues(hass: HomeAssistant, vehicle_ids: Iterable[str]) -> None:
    """Clear every issue about vehicles that are gone."""
    for vehicle_id in vehicle_ids:
        for prefix in VEHICLE_ISSUES:
            ir.async_delete_issue(hass, DOMAIN, issue_id(prefix, vehicle_id))


@callback
def async_delete_all(hass: HomeAssistant, entry_id: str, vehicle_ids: set[str]) -> None:
    """Clear every issue of a removed entry and its vehicles."""
    async_delete_vehicle_issues(hass, vehicle_ids)
    for prefix in ENTRY_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, issue_id(prefix, entry_id))
