"""Adding a Smartcar account: permissions, Smartcar Connect's consent page, and the user id.

Home Assistant's OAuth callback hands the flow only ``code`` and ``state``, so the Smartcar
user the consent belongs to has to be found another way:

* v2 applications exchange the code and ask ``GET /v2.0/user``.
* v3 applications cannot exchange the code for a user token. Before sending the user to
  Connect, the flow takes a snapshot of the application's connections (every page); after the
  callback, the user whose connections are new or changed is the one who just consented. When
  no user or several users changed (a household or fleet sharing one application), the flow
  asks which user it is, listing each user's vehicles; it never guesses. Connections are
  listed with the live/simulated choice of the permissions step: Smartcar lists only live
  vehicles without that filter.

Reconfiguring a v2 entry moves it to v3 credentials when they exist (API v2 was switched off
on 1 December 2026); its devices and entities keep everything the user set (``migration.py``).
"""

from __future__ import annotations

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
    ConnectMode,
)
from .devices import provided_elsewhere
from .flow_support import (
    CONNECT_ERRORS,
    ConnectSettings,
    application_id_error,
    async_entry_title,
    async_implementations,
    connect_schema,
    user_schema,
)
from .helpers import describe_error
from .migration import async_keep_vehicles
from .options_flow import SmartcarOptionsFlow

if TYPE_CHECKING:
    from collections.abc import Mapping
    import logging

    from .models import SmartcarConfigEntry
    from .oauth import SmartcarImplementation

__all__ = ["CONNECT_ERRORS", "SmartcarFlowHandler"]


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
        #: A v2 entry's client ID: moving to v3, it is the Application ID to suggest.
        self._previous_client_id: str | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: SmartcarConfigEntry) -> SmartcarOptionsFlow:
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
        """A client with the flow's token, listing the vehicles of the mode the user chose."""
        settings = cast("ConnectSettings", self._settings)
        return SmartcarClient(
            async_get_clientsession(self.hass),
            StaticTokenAuth(access_token),
            api_version=self._implementation.api_version,
            user_id=user_id,
            origins=Origins.from_env(),
            vehicle_mode=str(settings.mode),
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
                if (error := application_id_error(application_id)) is not None:
                    errors[CONF_APPLICATION_ID] = error
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
                # Moving from v2: the v2 client ID is the application's ID.
                CONF_APPLICATION_ID: previous.application_id or self._previous_client_id or "",
            }
        else:
            suggested = {
                CONF_PERMISSIONS: [str(permission) for permission in OPTIONAL_PERMISSIONS],
                CONF_MODE: str(ConnectMode.LIVE),
            }
        return self.async_show_form(
            step_id="connect",
            data_schema=self.add_suggested_values_to_schema(connect_schema(api_version), suggested),
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
        return self.async_show_form(
            step_id="select_user",
            data_schema=user_schema(self._candidates),
            description_placeholders={"count": str(len(self._candidates))},
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
            if entry.data.get(CONF_API_VERSION) != data[CONF_API_VERSION]:
                # Another API generation: keep devices and entities, moved by VIN if need be.
                try:
                    unmatched = await async_keep_vehicles(
                        self.hass, entry, client, vehicle_ids, self._connections
                    )
                except SmartcarError as err:
                    return self._abort_for(err)
                if unmatched:
                    return self.async_abort(
                        reason="vehicle_ids_unmatched",
                        description_placeholders={"vehicles": unmatched},
                    )
            return self.async_update_reload_and_abort(entry, data=data)
        self._abort_if_unique_id_configured()
        owners = provided_elsewhere(self.hass, None, vehicle_ids)
        if owners and len(owners) == len(set(vehicle_ids)):
            # Every car is already provided by another Smartcar account's entry.
            return self.async_abort(
                reason="vehicles_already_configured",
                description_placeholders={"titles": ", ".join(sorted(set(owners.values())))},
            )
        title = await async_entry_title(client, vehicle_ids, self._connections)
        return self.async_create_entry(title=title, data=data)

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
        """Change permissions (and a v3 app's Application ID), then consent again.

        A v2 entry moves to v3 credentials when there are any: API v2 is switched off. Without
        them the step says how to add them, and submitting it goes on with the v2 ones.
        """
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_API_VERSION) == ApiVersion.V2:
            implementations = await async_implementations(self.hass)
            v3 = [key for key, item in implementations.items() if item.api_version is ApiVersion.V3]
            if (previous := implementations.get(entry.data["auth_implementation"])) is not None:
                self._previous_client_id = previous.client_id
            if len(v3) == 1:
                return await self.async_step_pick_implementation({"implementation": v3[0]})
            if v3:
                # Several v3 credentials: the user picks (v2 ones stay possible).
                return await self.async_step_pick_implementation()
            if user_input is None:
                return self.async_show_form(
                    step_id="reconfigure",
                    description_placeholders={
                        "title": entry.title,
                        "dashboard_url": DASHBOARD_URL,
                    },
                )
        return await self._async_pick_entry_implementation(entry)

    async def _async_pick_entry_implementation(self, entry: ConfigEntry) -> ConfigFlowResult:
        """Use the application credentials the entry was made with, when they still exist."""
        if (key := entry.data.get("auth_implementation")) in await async_implementations(self.hass):
            return await self.async_step_pick_implementation({"implementation": key})
        return await self.async_step_pick_implementation()
