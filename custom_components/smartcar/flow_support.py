"""What the config flow decides without Home Assistant's flow machinery around it.

The flow itself (``config_flow.py``) walks the user through the steps; this module holds the
choices made before Connect, the permission form, the checks of the Application ID, how a
Smartcar user is labelled when the flow has to ask which one it is, and how an entry is named
after its vehicles. Kept apart so each file holds one idea and stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .api import ApiVersion, SmartcarError
from .const import (
    CONF_API_VERSION,
    CONF_APPLICATION_ID,
    CONF_MODE,
    CONF_PERMISSIONS,
    CONF_USER_ID,
    DOMAIN,
    OPTIONAL_PERMISSIONS,
    REQUIRED_PERMISSIONS,
    V3_CLIENT_ID_PREFIX,
    ConnectMode,
)
from .helpers import display_make
from .oauth import SmartcarImplementation

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    # Home Assistant 2026.10 validates with probatio and aliases ``voluptuous`` to it at
    # start-up; 2026.3 still ships voluptuous. Type against the newer one, run either.
    import probatio as vol

    from .api import Connection, SmartcarClient
else:
    import voluptuous as vol

#: Error codes Smartcar Connect redirects with; each has a translated abort reason.
CONNECT_ERRORS = frozenset(
    {
        "access_denied",
        "battery_capacity_no_selection",
        "configuration_error",
        "invalid_subscription",
        "no_vehicles",
        "oem_cancelled_login",
        "server_error",
        "user_manually_returned_to_application",
        "vehicle_incompatible",
    }
)

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
#: Vehicles named in an entry's title before it says "and n more".
_TITLE_VEHICLES = 3


@dataclass(frozen=True, kw_only=True)
class ConnectSettings:
    """What the user chose before going to Connect."""

    api_version: ApiVersion
    permissions: tuple[str, ...]
    mode: ConnectMode = ConnectMode.LIVE
    application_id: str | None = None
    optional: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> ConnectSettings:
        """Rebuild the choices an entry was made with."""
        permissions = tuple(entry.data.get(CONF_PERMISSIONS, ()))
        return cls(
            api_version=ApiVersion(entry.data[CONF_API_VERSION]),
            permissions=permissions,
            mode=ConnectMode(entry.data.get(CONF_MODE, ConnectMode.LIVE)),
            application_id=entry.data.get(CONF_APPLICATION_ID),
            optional=tuple(p for p in permissions if p in OPTIONAL_PERMISSIONS),
        )

    @property
    def scope(self) -> str:
        """Connect's ``scope``: the required permissions marked, then the chosen ones."""
        required = [f"required:{permission}" for permission in REQUIRED_PERMISSIONS]
        optional = [p for p in self.permissions if p not in REQUIRED_PERMISSIONS]
        return " ".join([*required, *optional])


def connect_schema(api_version: ApiVersion) -> vol.Schema:
    """The permissions form, with the Application ID only for v3 applications."""
    schema: dict[Any, Any] = {
        vol.Required(CONF_PERMISSIONS): SelectSelector(
            SelectSelectorConfig(
                options=[str(permission) for permission in OPTIONAL_PERMISSIONS],
                multiple=True,
                mode=SelectSelectorMode.LIST,
                translation_key="permissions",
            )
        ),
        vol.Required(CONF_MODE): SelectSelector(
            SelectSelectorConfig(
                options=[str(mode) for mode in ConnectMode],
                mode=SelectSelectorMode.LIST,
                translation_key="mode",
            )
        ),
    }
    if api_version is ApiVersion.V3:
        schema[vol.Required(CONF_APPLICATION_ID)] = TextSelector()
    return vol.Schema(schema)


def application_id_error(application_id: str) -> str | None:
    """The form error for a typed Application ID, or ``None`` when it looks right."""
    if application_id.startswith(V3_CLIENT_ID_PREFIX):
        return "client_id_as_application_id"
    if not _UUID.match(application_id):
        return "invalid_application_id"
    return None


def describe_user(user_id: str, connections: Iterable[Connection]) -> str:
    """Label a Smartcar user by their vehicles (make, model, year) for the user picker."""
    vehicles = sorted(
        " ".join(
            part
            for part in (
                display_make(connection.make or ""),
                connection.model or "",
                f"({connection.year})" if connection.year else "",
            )
            if part
        )
        for connection in connections
    )
    return f"{', '.join(vehicles)} · …{user_id[-6:]}"


def user_schema(candidates: Mapping[str, list[Connection]]) -> vol.Schema:
    """The user picker: each candidate Smartcar user, labelled by their vehicles."""
    options = [
        SelectOptionDict(value=user, label=describe_user(user, connections))
        for user, connections in candidates.items()
    ]
    return vol.Schema(
        {
            vol.Required(CONF_USER_ID): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
            )
        }
    )


async def async_entry_title(
    client: SmartcarClient, vehicle_ids: list[str], connections: Iterable[Connection]
) -> str:
    """Name an entry after its vehicles (make and model), e.g. "Tesla Model 3".

    v3 connections already name make and model; v2 asks for each vehicle's attributes.
    """
    names: list[str] = []
    if client.api_version is ApiVersion.V3:
        by_vehicle = {c.vehicle_id: c for c in connections if c.user_id == client.user_id}
        names = [
            f"{display_make(connection.make or '')} {connection.model}"
            for vehicle_id in vehicle_ids[:_TITLE_VEHICLES]
            if (connection := by_vehicle.get(vehicle_id)) is not None and connection.model
        ]
    else:
        for vehicle_id in vehicle_ids[:_TITLE_VEHICLES]:
            try:
                vehicle = await client.async_get_vehicle(vehicle_id)
            except SmartcarError:
                continue
            names.append(f"{display_make(vehicle.make)} {vehicle.model}".strip())
    if not names:
        return "Smartcar"
    title = ", ".join(sorted(names))
    if (more := len(vehicle_ids) - len(names)) > 0:
        title = f"{title} +{more}"
    return title


async def async_implementations(hass: HomeAssistant) -> dict[str, SmartcarImplementation]:
    """The Smartcar application credentials by key (none while their provider is unavailable)."""
    try:
        implementations = await config_entry_oauth2_flow.async_get_implementations(hass, DOMAIN)
    except config_entry_oauth2_flow.ImplementationUnavailableError:
        return {}
    return {
        key: implementation
        for key, implementation in implementations.items()
        if isinstance(implementation, SmartcarImplementation)
    }
