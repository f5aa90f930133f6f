"""The async Smartcar client: one interface over API v2 and v3 for reads and commands.

The integration talks to :class:`SmartcarClient` only, in domain terms (fields, percent, metric);
which API generation carries a request is a constructor argument, and what differs between them
(what a read costs, how vehicles are listed, whether a store can be empty) is answered here. The
client holds no credentials: an :class:`~.auth.AbstractAuth` yields the token for every request,
and a token Smartcar rejects is renewed once before the failure is reported.

Webhook subscriptions use the Management API v3. Smartcar documents ``POST /subscriptions``; no
source shows how one is removed, so :meth:`SmartcarClient.async_unsubscribe_vehicle` uses the
path announced with API v3, ``DELETE /webhooks/{webhookId}/subscriptions/{vehicleId}``
(uncertain; a 404 there reads as "not subscribed").
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from yarl import URL

from . import _commands, _connections, _json, _v2, _v3
from ._commands import COMMAND_POLL_INTERVAL
from ._transport import Transport
from .const import (
    DEFAULT_TIMEOUT,
    MAX_PAGES,
    SIGNAL_VIN,
    V2_FIELD_PATHS,
    V2_FIELDS,
    V2_PERMISSIONS_PAGE_SIZE,
    V2_VEHICLES_PAGE_SIZE,
    V3_FIELDS,
    ApiVersion,
    Origins,
)
from .errors import (
    SIGNAL_NOT_INGESTED,
    SmartcarCompatibilityError,
    SmartcarResourceNotFoundError,
    SmartcarResponseError,
    SmartcarSignalNotIngestedError,
)
from .models import CommandResult, Connection, Field, Vehicle, VehicleState

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from aiohttp import ClientSession

    from .auth import AbstractAuth

_LOGGER = logging.getLogger(__package__)

_V2_COMMANDS: Final[Mapping[str, tuple[str, str]]] = {
    "lock": ("/security", "LOCK"),
    "unlock": ("/security", "UNLOCK"),
    "start_charge": ("/charge", "START"),
    "stop_charge": ("/charge", "STOP"),
}
_V3_COMMANDS: Final[Mapping[str, str]] = {
    "lock": "/commands/security/lock",
    "unlock": "/commands/security/unlock",
    "start_charge": "/commands/charge/start",
    "stop_charge": "/commands/charge/stop",
}


class SmartcarClient:
    """Reads vehicle data and sends commands through Smartcar API v2 or v3."""

    def __init__(
        self,
        session: ClientSession,
        auth: AbstractAuth,
        *,
        api_version: ApiVersion,
        user_id: str | None = None,
        origins: Origins | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        command_poll_interval: float = COMMAND_POLL_INTERVAL,
        vehicle_mode: str | None = None,
    ) -> None:
        """Bind the client to a session, a token source and an API generation.

        v3 vehicle requests need ``user_id`` (sent as ``sc-user-id``). ``vehicle_mode``
        (``"live"`` or ``"simulated"``, the Connect mode the user chose) filters the v3
        connections; Smartcar lists only live vehicles without it. ``timeout`` bounds each
        request in seconds, since Smartcar may take minutes to reach a vehicle, and also how long
        a v3 command that offers a link to its execution is followed (first re-read after
        ``command_poll_interval`` seconds, then less and less often).
        """
        self._transport = Transport(
            session,
            auth,
            api_version=ApiVersion(api_version),
            user_id=user_id,
            origins=origins or Origins.from_env(),
            timeout=timeout,
        )
        self._command_poll_interval = command_poll_interval
        self._vehicle_mode = vehicle_mode.strip().lower() if vehicle_mode else None

    @property
    def api_version(self) -> ApiVersion:
        """The API generation this client speaks."""
        return self._transport.api_version

    @property
    def user_id(self) -> str | None:
        """The Smartcar user the v3 requests act for."""
        return self._transport.user_id

    @property
    def vehicle_mode(self) -> str | None:
        """The Connect mode (``live``/``simulated``) v3 connections are filtered by, if any."""
        return self._vehicle_mode

    @property
    def supported_fields(self) -> frozenset[Field]:
        """The fields this API generation can read at all."""
        return V2_FIELDS if self.api_version is ApiVersion.V2 else V3_FIELDS

    def calls_per_read(self, fields: Collection[Field]) -> int:
        """Billed calls one state read of ``fields`` costs (v2: one per batch path; v3: one)."""
        if not fields:
            return 0
        if self.api_version is ApiVersion.V3:
            return 1
        return len({V2_FIELD_PATHS[field] for field in fields if field in V2_FIELD_PATHS})

    @property
    def permissions_read_billed(self) -> bool:
        """Whether reading a vehicle's permissions is a billed vehicle request (v2 only)."""
        return self.api_version is ApiVersion.V2

    @property
    def manages_subscriptions(self) -> bool:
        """Whether this client can subscribe vehicles to a webhook (Management API v3)."""
        return self.api_version is ApiVersion.V3

    def _v2_url(self, vehicle_id: str, path: str = "") -> str:
        return f"{self._transport.origins.v2_base}/vehicles/{quote(vehicle_id, safe='')}{path}"

    def _v3_url(self, vehicle_id: str, path: str = "") -> str:
        return f"{self._transport.origins.v3_base}/vehicles/{quote(vehicle_id, safe='')}{path}"

    # -- vehicles and connections ------------------------------------------------------------

    async def async_list_vehicles(self) -> dict[str, Connection | None]:
        """The connected vehicles, with their v3 connection (which names make and model)."""
        if self.api_version is ApiVersion.V3:
            connections = await self.async_get_connections(self._transport.require_user())
            return {connection.vehicle_id: connection for connection in reversed(connections)}
        return dict.fromkeys(await self.async_get_vehicle_ids())

    async def async_get_user_id(self) -> str:
        """The Smartcar user id (v2: ``GET /user``; v3: the configured user)."""
        if self.api_version is ApiVersion.V3:
            return self._transport.require_user()
        response = await self._transport.request("GET", f"{self._transport.origins.v2_base}/user")
        if (user_id := _json.text(_json.mapping(response.body).get("id"))) is None:
            raise SmartcarResponseError("GET /user answered without an id")
        return user_id

    async def async_get_vehicle_ids(self) -> list[str]:
        """Ids of the vehicles this grant (v2) or this user's connections (v3) cover."""
        if self.api_version is ApiVersion.V3:
            connections = await self.async_get_connections(self._transport.require_user())
            return list(dict.fromkeys(connection.vehicle_id for connection in connections))
        return await self._v2_list(f"{self._transport.origins.v2_base}/vehicles", "vehicles")

    async def _v2_list(
        self, url: str, key: str, page_size: int = V2_VEHICLES_PAGE_SIZE
    ) -> list[str]:
        """Every string of a v2 list endpoint paged with ``limit``/``offset``."""
        found: list[str] = []
        for offset in range(0, MAX_PAGES * page_size, page_size):
            response = await self._transport.request(
                "GET", url, params={"limit": str(page_size), "offset": str(offset)}
            )
            page = [
                item
                for item in _json.array(_json.mapping(response.body).get(key))
                if _json.text(item)
            ]
            found.extend(page)
            if len(page) < page_size:
                break
        return list(dict.fromkeys(found))

    async def async_get_connections(
        self,
        user_id: str | None = None,
        *,
        vehicle_id: str | None = None,
        mode: str | None = None,
    ) -> list[Connection]:
        """Every v3 connection of the application, optionally of one user and/or vehicle.

        ``mode`` (``live``/``simulated``) overrides the client's ``vehicle_mode`` for this call;
        with neither, no mode filter is sent and Smartcar lists live vehicles only.
        """
        chosen = mode.strip().lower() if mode else self._vehicle_mode
        return await _connections.list_connections(
            self._transport, user_id=user_id, vehicle_id=vehicle_id, mode=chosen
        )

    async def async_get_vehicle(self, vehicle_id: str) -> Vehicle:
        """Make, model and year of a vehicle (``vin`` stays ``None``; see ``async_get_vin``)."""
        if self.api_version is ApiVersion.V3:
            response = await self._transport.request("GET", self._v3_url(vehicle_id), user=True)
        else:
            response = await self._transport.request("GET", self._v2_url(vehicle_id))
        return _connections.parse_vehicle(response.body, vehicle_id)

    async def async_get_vin(self, vehicle_id: str) -> str:
        """The vehicle's VIN (v2 ``/vin``; v3 signal ``vehicleidentification-vin``).

        On v3 a vehicle whose signal store is still empty answers 404, raised as
        :class:`~.errors.SmartcarSignalNotIngestedError` (code ``SIGNAL_NOT_INGESTED``).
        """
        if self.api_version is ApiVersion.V2:
            response = await self._transport.request("GET", self._v2_url(vehicle_id, "/vin"))
            vin = _json.text(_json.mapping(response.body).get("vin"))
        else:
            signal = await self._v3_signal(vehicle_id, SIGNAL_VIN)
            if signal is not None and signal.status == "ERROR":
                raise _v3.signal_error(signal)
            vin = _json.text(_v3.body_value(signal.body)) if signal is not None else None
        if vin is None:
            raise SmartcarResponseError("Smartcar answered without a VIN")
        return vin

    async def _v3_signal(self, vehicle_id: str, code: str) -> _v3.Signal | None:
        """One signal from the store (wrapped in ``data`` or bare)."""
        try:
            response = await self._transport.request(
                "GET", self._v3_url(vehicle_id, f"/signals/{code}"), user=True
            )
        except SmartcarResourceNotFoundError as err:
            raise SmartcarSignalNotIngestedError(
                err.description or f"Smartcar holds no value of {code} yet",
                code=SIGNAL_NOT_INGESTED,
                status=err.status,
                request_id=err.request_id,
            ) from err
        return _v3.parse_signal(_json.resource(response.body))

    async def async_get_permissions(self, vehicle_id: str) -> tuple[str, ...]:
        """The scopes granted for a vehicle (v2 ``/permissions``; v3 its connection)."""
        if self.api_version is ApiVersion.V3:
            connections = await self.async_get_connections(
                self._transport.require_user(), vehicle_id=vehicle_id
            )
            if not connections:
                raise SmartcarResourceNotFoundError(
                    "No connection of this user to this vehicle", code="CONNECTION"
                )
            return tuple(dict.fromkeys(p for c in connections for p in c.permissions))
        return tuple(
            await self._v2_list(
                self._v2_url(vehicle_id, "/permissions"), "permissions", V2_PERMISSIONS_PAGE_SIZE
            )
        )

    # -- webhook subscriptions (Management API v3) -------------------------------------------

    def _require_management(self) -> None:
        if not self.manages_subscriptions:
            raise SmartcarCompatibilityError(
                "Webhook subscriptions need Smartcar API v3", code="API_VERSION"
            )

    async def async_subscribe_vehicle(
        self, webhook_id: str, vehicle_id: str, user_id: str | None = None
    ) -> bool:
        """Subscribe a vehicle to a webhook through ``POST /subscriptions``.

        Returns ``True`` when Smartcar accepted it (202) and ``False`` when the subscription
        already existed (409); other failures raise. ``user_id`` defaults to the client's user.
        """
        self._require_management()
        return await _connections.subscribe(
            self._transport, webhook_id, vehicle_id, user_id or self.user_id
        )

    async def async_unsubscribe_vehicle(
        self, webhook_id: str, vehicle_id: str, user_id: str | None = None
    ) -> bool:
        """Remove a vehicle's subscription to a webhook.

        Returns ``True`` when Smartcar removed it and ``False`` when it knows none (404); other
        failures raise. The path is uncertain (see the module documentation).
        """
        self._require_management()
        return await _connections.unsubscribe(
            self._transport, webhook_id, vehicle_id, user_id or self.user_id
        )

    # -- state -------------------------------------------------------------------------------

    async def async_get_state(self, vehicle_id: str, fields: Collection[Field]) -> VehicleState:
        """Read exactly ``fields``; per-field failures land in ``errors`` and do not raise.

        v2 sends one ``/batch`` with only the paths these fields need; v3 reads the signal store
        (no query parameters, ``links.next`` followed), and an empty store gives a state with
        ``store_empty`` set. Raises only when the request as a whole fails (token, rate limit,
        billing, network…).
        """
        wanted = frozenset(fields) & self.supported_fields
        if not wanted:
            return VehicleState()
        if self.api_version is ApiVersion.V3:
            signals = await self._transport.collection(
                URL(self._v3_url(vehicle_id, "/signals")), user=True, paging=None
            )
            if not signals:
                _LOGGER.debug("The signal store of vehicle %s is empty", vehicle_id)
                return VehicleState(store_empty=True)
            return _v3.state_from_signals(signals, wanted)
        paths = list(dict.fromkeys(V2_FIELD_PATHS[field] for field in Field if field in wanted))
        _LOGGER.debug("Reading %d paths of vehicle %s", len(paths), vehicle_id)
        response = await self._transport.request(
            "POST",
            self._v2_url(vehicle_id, "/batch"),
            json_body={"requests": [{"path": path} for path in paths]},
        )
        responses = _json.mapping(response.body).get("responses")
        if not isinstance(responses, list):
            raise SmartcarResponseError(
                "The batch answer has no responses list",
                status=response.status,
                request_id=response.headers.get("sc-request-id"),
            )
        return _v2.state_from_items(
            responses, wanted, request_id=response.headers.get("sc-request-id")
        )

    # -- commands ----------------------------------------------------------------------------

    async def async_lock(self, vehicle_id: str) -> CommandResult:
        """Lock the vehicle."""
        return await self._simple_command(vehicle_id, "lock")

    async def async_unlock(self, vehicle_id: str) -> CommandResult:
        """Unlock the vehicle."""
        return await self._simple_command(vehicle_id, "unlock")

    async def async_start_charge(self, vehicle_id: str) -> CommandResult:
        """Start charging."""
        return await self._simple_command(vehicle_id, "start_charge")

    async def async_stop_charge(self, vehicle_id: str) -> CommandResult:
        """Stop charging."""
        return await self._simple_command(vehicle_id, "stop_charge")

    async def async_set_charge_limit(self, vehicle_id: str, percent: float) -> CommandResult:
        """Set the charge limit in percent (v2 sends it as a fraction, v3 as percent)."""
        if not math.isfinite(percent):
            raise ValueError("The charge limit must be a finite percentage")
        if self.api_version is ApiVersion.V2:
            _LOGGER.debug("Setting the charge limit of vehicle %s", vehicle_id)
            return await _commands.v2_command(
                self._transport,
                self._v2_url(vehicle_id, "/charge/limit"),
                {"limit": round(percent / 100, 4)},
            )
        value: float = int(percent) if float(percent).is_integer() else round(percent, 2)
        return await self._v3_command(
            vehicle_id, "/commands/charge/set-limit", {"data": {"attributes": {"percent": value}}}
        )

    async def _simple_command(self, vehicle_id: str, command: str) -> CommandResult:
        _LOGGER.debug("Sending %s to vehicle %s", command, vehicle_id)
        if self.api_version is ApiVersion.V2:
            path, action = _V2_COMMANDS[command]
            return await _commands.v2_command(
                self._transport, self._v2_url(vehicle_id, path), {"action": action}
            )
        return await self._v3_command(vehicle_id, _V3_COMMANDS[command], None)

    async def _v3_command(self, vehicle_id: str, path: str, body: object) -> CommandResult:
        return await _commands.v3_command(
            self._transport,
            URL(self._v3_url(vehicle_id, path)),
            body,
            poll_interval=self._command_poll_interval,
        )
