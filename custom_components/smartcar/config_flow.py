"""Adding a Smartcar account: permissions, Smartcar Connect's consent page, and the user id.

Home Assistant's OAuth callback hands the flow only ``code`` and ``state``, so the Smartcar
user the consent belongs to has to be found another way:

* v2 applications exchange the code and ask ``GET /v2.0/user``.
* v3 applications cannot exchange the code for a user token. Before sending the user to
  Connect, the flow takes a snapshot of the application's connections (every page); after the
  callback, the user whose connections are new or changed is the one who just consented. When
  no user or several users changed (a household or fleet sharing one application), the flow
  asks which user it is, listing each user's vehicles; it never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import TYPE_CHECKING, Any, cast, override
from uuid import uuid4

from aiohttp import ClientError
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
)
from homeassistant.core import callback
from homeassistant.exceptions import OAuth2TokenRequestError, OAuth2TokenRequestReauthError
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .api import (
    ApiVersion,
    Connection,
    Origins,
    SmartcarClient,
    SmartcarError,
    StaticTokenAuth,
)
from .const import (
    CONF_API_VERSION,
    CONF_APPLICATION_ID,
    CONF_CONSENT,
    CONF_MODE,
    CONF_PERMISSIONS,
    CONF_USER_ID,
    CONFIG_ENTRY_VERSION,
    DASHBOARD_URL,
    DOMAIN,
    LOGGER,
    OPTIONAL_PERMISSIONS,
    REQUIRED_PERMISSIONS,
    V3_CLIENT_ID_PREFIX,
    ConnectMode,
)
from .helpers import describe_error, display_make
from .options_flow import SmartcarOptionsFlow

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    import logging

    # Home Assistant 2026.10 validates with probatio and aliases ``voluptuous`` to it at
    # start-up; 2026.3 still ships voluptuous. Type against the newer one, run either.
    import probatio as vol

    from .oauth import SmartcarImplementation
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


def _connect_schema(api_version: ApiVersion) -> vol.Schema:
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


def _describe_user(user_id: str, connections: Iterable[Connection]) -> str:
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


class SmartcarFlowHandler(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Sets up, reauthenticates and reconfigures a Smartcar account."""

    DOMAIN = DOMAIN
    # Version 3: the other HACS integration using the domain `smartcar` wrote versions 1 and
    # 2, and Home Assistant only hands lower versions to async_migrate_entry.
    VERSION = CONFIG_ENTRY_VERSION
    MINOR_VERSION = 2

    def __init__(self) -> None:
        """Start with nothing chosen."""
        super().__init__()
        self._settings: ConnectSettings | None = None
        self._snapshot: frozenset[Connection] = frozenset()
        self._oauth_data: dict[str, Any] = {}
        self._candidates: dict[str, list[Connection]] = {}
        self._connections: list[Connection] = []

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> SmartcarOptionsFlow:
        """Polling options."""
        return SmartcarOptionsFlow()

    @property
    @override
    def logger(self) -> logging.Logger:
        """The integration's logger."""
        return LOGGER

    @property
    def _implementation(self) -> SmartcarImplementation:
        return cast("SmartcarImplementation", self.flow_impl)

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        """Connect parameters: permissions, mode, and the Application ID for v3 apps."""
        settings = cast("ConnectSettings", self._settings)
        data: dict[str, Any] = {
            "scope": settings.scope,
            "mode": str(settings.mode),
            # Always show the consent page, so a returning user's connections are updated.
            "approval_prompt": "force",
        }
        if settings.application_id is not None:
            data["client_id"] = settings.application_id
        return data

    def _client(self, access_token: str, user_id: str | None = None) -> SmartcarClient:
        return SmartcarClient(
            async_get_clientsession(self.hass),
            StaticTokenAuth(access_token),
            api_version=self._implementation.api_version,
            user_id=user_id,
            origins=Origins.from_env(),
        )

    def _entry(self) -> ConfigEntry | None:
        """The entry being reauthenticated or reconfigured, if any."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry()
        return None

    # -- choosing permissions ----------------------------------------------------------------

    @override
    async def async_step_auth(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for permissions first, and snapshot v3 connections before going to Connect."""
        if user_input is not None:
            return await super().async_step_auth(user_input)
        api_version = self._implementation.api_version
        if self._settings is None or self._settings.api_version is not api_version:
            return await self.async_step_connect()
        if api_version is ApiVersion.V3:
            try:
                token = await self._implementation.async_application_token()
                connections = await self._client(token["access_token"]).async_get_connections()
            except OAuth2TokenRequestReauthError:
                return self.async_abort(reason="invalid_credentials")
            except (OAuth2TokenRequestError, ClientError, TimeoutError, SmartcarError) as err:
                LOGGER.warning(
                    "Could not list the application's connections: %s", describe_error(err)
                )
                return self.async_abort(reason="cannot_connect")
            self._snapshot = frozenset(connections)
        return await super().async_step_auth()

    async def async_step_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user leave out optional permissions (and give a v3 app's Application ID)."""
        api_version = self._implementation.api_version
        errors: dict[str, str] = {}
        if user_input is not None:
            application_id: str | None = None
            if api_version is ApiVersion.V3:
                application_id = str(user_input.get(CONF_APPLICATION_ID, "")).strip()
                if application_id.startswith(V3_CLIENT_ID_PREFIX):
                    errors[CONF_APPLICATION_ID] = "client_id_as_application_id"
                elif not _UUID.match(application_id):
                    errors[CONF_APPLICATION_ID] = "invalid_application_id"
            if not errors:
                optional = tuple(
                    p for p in OPTIONAL_PERMISSIONS if p in user_input[CONF_PERMISSIONS]
                )
                self._settings = ConnectSettings(
                    api_version=api_version,
                    permissions=(*REQUIRED_PERMISSIONS, *optional),
                    mode=ConnectMode(user_input[CONF_MODE]),
                    application_id=application_id,
                    optional=optional,
                )
                return await self.async_step_auth()

        suggested: Mapping[str, Any]
        if user_input is not None:
            suggested = user_input
        elif (entry := self._entry()) is not None:
            previous = ConnectSettings.from_entry(entry)
            suggested = {
                CONF_PERMISSIONS: list(previous.optional),
                CONF_MODE: str(previous.mode),
                CONF_APPLICATION_ID: previous.application_id or "",
            }
        else:
            suggested = {
                CONF_PERMISSIONS: [str(permission) for permission in OPTIONAL_PERMISSIONS],
                CONF_MODE: str(ConnectMode.LIVE),
            }
        return self.async_show_form(
            step_id="connect",
            data_schema=self.add_suggested_values_to_schema(
                _connect_schema(api_version), suggested
            ),
            errors=errors,
            description_placeholders={"dashboard_url": DASHBOARD_URL},
        )

    # -- after Connect -----------------------------------------------------------------------

    @override
    async def async_step_authorize_rejected(self, data: None = None) -> ConfigFlowResult:
        """End the flow with Smartcar Connect's reason, translated."""
        error = str(self.external_data.get("error", ""))
        reason = error if error in CONNECT_ERRORS else "connect_error"
        return self.async_abort(reason=reason, description_placeholders={"error": error})

    @override
    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Find the Smartcar user who consented, then create or update the entry."""
        self._oauth_data = data
        client = self._client(data["token"]["access_token"])
        try:
            if self._implementation.api_version is ApiVersion.V2:
                return await self._async_finish(await client.async_get_user_id())
            connections = await client.async_get_connections()
        except SmartcarError as err:
            return self._abort_for(err)
        self._connections = connections

        changed = {c.user_id for c in connections if c not in self._snapshot}
        if (entry := self._entry()) is not None:
            expected = cast("str", entry.unique_id)
            if changed and expected not in changed:
                return self.async_abort(reason=self._mismatch_reason)
            return await self._async_finish(expected)
        if len(changed) == 1:
            return await self._async_finish(changed.pop())
        users = changed or {connection.user_id for connection in connections}
        if not users:
            return self.async_abort(reason="no_vehicles")
        self._candidates = {
            user: [c for c in connections if c.user_id == user] for user in sorted(users)
        }
        return await self.async_step_select_user()

    async def async_step_select_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which Smartcar user this entry is for, when the connections do not tell."""
        if user_input is not None:
            return await self._async_finish(user_input[CONF_USER_ID])
        options = [
            SelectOptionDict(value=user, label=_describe_user(user, connections))
            for user, connections in self._candidates.items()
        ]
        return self.async_show_form(
            step_id="select_user",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_USER_ID): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
            description_placeholders={"count": str(len(options))},
        )

    @property
    def _mismatch_reason(self) -> str:
        if self.source == SOURCE_RECONFIGURE:
            return "reconfigure_account_mismatch"
        return "reauth_account_mismatch"

    def _abort_for(self, err: SmartcarError) -> ConfigFlowResult:
        """End the flow when Smartcar refused to list the account's vehicles."""
        LOGGER.warning("Smartcar refused to list the account: %s", describe_error(err))
        if err.requires_reauth or err.type in {"AUTHENTICATION", "PERMISSION"}:
            return self.async_abort(reason="invalid_auth")
        return self.async_abort(reason="cannot_connect")

    async def _async_finish(self, user_id: str) -> ConfigFlowResult:
        """Check the user has vehicles, then create the entry or update the existing one."""
        settings = cast("ConnectSettings", self._settings)
        client = self._client(self._oauth_data["token"]["access_token"], user_id)
        try:
            vehicle_ids = await client.async_get_vehicle_ids()
        except SmartcarError as err:
            return self._abort_for(err)
        if not vehicle_ids:
            return self.async_abort(reason="no_vehicles")

        await self.async_set_unique_id(user_id)
        data: dict[str, Any] = {
            **self._oauth_data,
            CONF_API_VERSION: str(settings.api_version),
            CONF_USER_ID: user_id,
            CONF_PERMISSIONS: list(settings.permissions),
            CONF_MODE: str(settings.mode),
            CONF_CONSENT: uuid4().hex,
        }
        if settings.application_id is not None:
            data[CONF_APPLICATION_ID] = settings.application_id
        if (entry := self._entry()) is not None:
            self._abort_if_unique_id_mismatch(reason=self._mismatch_reason)
            return self.async_update_reload_and_abort(entry, data=data)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=await self._async_title(client, vehicle_ids), data=data
        )

    async def _async_title(self, client: SmartcarClient, vehicle_ids: list[str]) -> str:
        """Name the entry after its vehicles (make and model), e.g. "Tesla Model 3"."""
        names: list[str] = []
        if client.api_version is ApiVersion.V3:
            connections = {
                c.vehicle_id: c for c in self._connections if c.user_id == client.user_id
            }
            names = [
                f"{display_make(connection.make or '')} {connection.model}"
                for vehicle_id in vehicle_ids[:_TITLE_VEHICLES]
                if (connection := connections.get(vehicle_id)) is not None and connection.model
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

    # -- reauthentication and reconfiguration ------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Smartcar rejected the entry's credential: confirm, then go through Connect again."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain why Connect is needed again."""
        if user_input is None:
            return self.async_show_form(step_id="reauth_confirm")
        entry = self._get_reauth_entry()
        self._settings = ConnectSettings.from_entry(entry)
        return await self._async_pick_entry_implementation(entry)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change permissions (and a v3 app's Application ID), then consent again."""
        entry = self._get_reconfigure_entry()
        return await self._async_pick_entry_implementation(entry)

    async def _async_pick_entry_implementation(self, entry: ConfigEntry) -> ConfigFlowResult:
        """Use the application credentials the entry was made with, when they still exist."""
        try:
            implementations = await config_entry_oauth2_flow.async_get_implementations(
                self.hass, DOMAIN
            )
        except config_entry_oauth2_flow.ImplementationUnavailableError:
            implementations = {}
        if (key := entry.data.get("auth_implementation")) in implementations:
            return await self.async_step_pick_implementation({"implementation": key})
        return await self.async_step_pick_implementation()
