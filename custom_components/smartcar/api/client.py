"""The async Smartcar client: one interface over API v2 and v3 for reads and commands.

The integration talks to :class:`SmartcarClient` only, in domain terms (fields, percent, metric);
which API generation carries a request is a constructor argument. The client holds no
credentials: an :class:`~.auth.AbstractAuth` yields the token for every request, and a token
Smartcar rejects is renewed once before the failure is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
import logging
import math
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from yarl import URL

from . import _convert, _http, _v2, _v3
from .const import (
    DEFAULT_TIMEOUT,
    HEADER_UNIT_SYSTEM,
    HEADER_USER_ID,
    MAX_PAGES,
    SIGNAL_VIN,
    V2_FIELD_PATHS,
    V2_FIELDS,
    V2_PERMISSIONS_PAGE_SIZE,
    V2_VEHICLES_PAGE_SIZE,
    V3_FIELDS,
    V3_PAGE_SIZE,
    V3_SIGNALS_PAGE_SIZE,
    ApiVersion,
    Origins,
)
from .errors import (
    SmartcarAuthenticationError,
    SmartcarCommandError,
    SmartcarResourceNotFoundError,
    SmartcarResponseError,
    SmartcarTimeoutError,
    error_from_payload,
)
from .models import CommandResult, Connection, Field, Vehicle, VehicleState

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from .auth import AbstractAuth

_LOGGER = logging.getLogger(__package__)

_SUCCESS = frozenset({"SUCCESS", "SUCCEEDED", "SUCCESSFUL", "COMPLETED", "COMPLETE", "OK"})
# A long-running v3 command answers 202 with one of these and a link to its execution.
_PENDING = frozenset({"PENDING", "QUEUED", "IN_PROGRESS", "RUNNING", "SENT", "ACCEPTED"})
COMMAND_POLL_INTERVAL = 5.0
COMMAND_POLL_MAX_INTERVAL = 30.0

_V2_COMMANDS: Mapping[str, tuple[str, str]] = {
    "lock": ("/security", "LOCK"),
    "unlock": ("/security", "UNLOCK"),
    "start_charge": ("/charge", "START"),
    "stop_charge": ("/charge", "STOP"),
}
_V3_COMMANDS: Mapping[str, str] = {
    "lock": "/commands/security/lock",
    "unlock": "/commands/security/unlock",
    "start_charge": "/commands/charge/start",
    "stop_charge": "/commands/charge/stop",
}


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty mapping."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    """``value`` when it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    """``value`` as an int when it is numeric."""
    result = _convert.number(value)
    return None if result is None else int(result)


def _resource(body: Any) -> Mapping[str, Any]:
    """Unwrap a JSON:API document (``{"data": {...}}``) to its resource."""
    body = _mapping(body)
    data = body.get("data")
    return data if isinstance(data, Mapping) else body


def _vehicle(body: Any, vehicle_id: str) -> Vehicle:
    """Read v2 attributes or a v3 vehicle resource."""
    resource = _resource(body)
    attributes = _mapping(resource.get("attributes")) or resource
    return Vehicle(
        id=_str(resource.get("id")) or vehicle_id,
        make=_str(attributes.get("make")) or "",
        model=_str(attributes.get("model")) or "",
        year=_int(attributes.get("year")) or 0,
    )


def _related_id(relationships: Mapping[str, Any], name: str) -> str | None:
    """The id of a JSON:API relationship (``relationships.<name>.data.id``)."""
    return _str(_mapping(_mapping(relationships.get(name)).get("data")).get("id"))


def _connection(item: Any) -> Connection | None:
    """Read a v3 connection resource (or a flat v2 management connection)."""
    item = _mapping(item)
    attributes = _mapping(item.get("attributes"))
    relationships = _mapping(item.get("relationships"))
    vehicle = _mapping(attributes.get("vehicle"))
    meta = _mapping(item.get("meta"))
    vehicle_id = (
        _related_id(relationships, "vehicle")
        or _str(attributes.get("vehicleId"))
        or _str(vehicle.get("id"))
        or _str(item.get("vehicleId"))
    )
    user_id = (
        _related_id(relationships, "user")
        or _str(attributes.get("userId"))
        or _str(item.get("userId"))
    )
    if vehicle_id is None or user_id is None:
        return None
    connected_at = (
        meta.get("createdAt")
        or attributes.get("connectedAt")
        or attributes.get("createdAt")
        or item.get("connectedAt")
    )
    return Connection(
        vehicle_id=vehicle_id,
        user_id=user_id,
        connected_at=_convert.timestamp(connected_at),
        mode=_str(vehicle.get("mode")) or _str(attributes.get("mode")) or _str(item.get("mode")),
        permissions=tuple(p for p in _list(attributes.get("permissions")) if isinstance(p, str)),
        make=_str(vehicle.get("make")),
        model=_str(vehicle.get("model")),
        year=_int(vehicle.get("year")),
        connection_id=_str(item.get("id")),
        powertrain=_str(vehicle.get("powertrainType")),
    )


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
    ) -> None:
        """Bind the client to a session, a token source and an API generation.

        v3 vehicle requests need ``user_id`` (sent as ``sc-user-id``); ``timeout`` bounds each
        request in seconds, since Smartcar may take minutes to reach a vehicle, and also how
        long a long-running v3 command is followed (first re-read after
        ``command_poll_interval`` seconds, then less and less often).
        """
        self._session = session
        self._auth = auth
        self._api_version = ApiVersion(api_version)
        self._user_id = user_id
        self._origins = origins or Origins.from_env()
        self._timeout = timeout
        self._command_poll_interval = command_poll_interval

    @property
    def api_version(self) -> ApiVersion:
        """The API generation this client speaks."""
        return self._api_version

    @property
    def user_id(self) -> str | None:
        """The Smartcar user the v3 requests act for."""
        return self._user_id

    @property
    def supported_fields(self) -> frozenset[Field]:
        """The fields this API generation can read at all."""
        return V2_FIELDS if self._api_version is ApiVersion.V2 else V3_FIELDS

    def calls_per_read(self, fields: Collection[Field]) -> int:
        """Billed calls one state read of ``fields`` costs (v2: one per batch path; v3: one)."""
        if not fields:
            return 0
        if self._api_version is ApiVersion.V3:
            return 1
        return len({V2_FIELD_PATHS[field] for field in fields if field in V2_FIELD_PATHS})

    @property
    def permissions_read_billed(self) -> bool:
        """Whether reading a vehicle's permissions is a billed vehicle request (v2 only)."""
        return self._api_version is ApiVersion.V2

    async def async_list_vehicles(self) -> dict[str, Connection | None]:
        """The connected vehicles, with their v3 connection (which names make and model)."""
        if self._api_version is ApiVersion.V3:
            connections = await self.async_get_connections(self._require_user())
            return {connection.vehicle_id: connection for connection in reversed(connections)}
        return dict.fromkeys(await self.async_get_vehicle_ids())

    # -- transport ---------------------------------------------------------------------------

    def _require_user(self) -> str:
        if self._user_id is None:
            raise ValueError("Smartcar API v3 vehicle requests need a user_id")
        return self._user_id

    def _v2_url(self, vehicle_id: str, path: str = "") -> str:
        return f"{self._origins.v2_base}/vehicles/{quote(vehicle_id, safe='')}{path}"

    def _v3_url(self, vehicle_id: str, path: str = "") -> str:
        return f"{self._origins.v3_base}/vehicles/{quote(vehicle_id, safe='')}{path}"

    async def _send(
        self,
        token: str,
        *,
        method: str,
        url: str | URL,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        json_body: Any,
    ) -> _http.Response:
        return await _http.request(
            self._session,
            method,
            url,
            request_timeout=self._timeout,
            headers={**headers, "Authorization": f"Bearer {token}"},
            params=params,
            json_body=json_body,
        )

    async def _request(
        self,
        method: str,
        url: str | URL,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        user: bool = False,
    ) -> _http.Response:
        """Send an authorised request; a rejected token is renewed and the request sent again."""
        headers: dict[str, str] = {}
        if user:
            headers[HEADER_USER_ID] = self._require_user()
        if self._api_version is ApiVersion.V2 and (method == "GET" or str(url).endswith("/batch")):
            headers[HEADER_UNIT_SYSTEM] = "metric"
        token = await self._auth.async_get_access_token()
        try:
            return await self._send(
                token, method=method, url=url, headers=headers, params=params, json_body=json_body
            )
        except SmartcarAuthenticationError:
            if not await self._auth.async_invalidate(token):
                raise
            _LOGGER.debug("Access token rejected; retrying %s once with a new one", method)
        token = await self._auth.async_get_access_token()
        return await self._send(
            token, method=method, url=url, headers=headers, params=params, json_body=json_body
        )

    def _next_page(
        self,
        current: URL,
        body: Any,
        count: int,
        number_key: str,
        size_key: str,
    ) -> URL | None:
        """The next page of a v3 collection: ``links.next`` if safe to follow, else ``meta``."""
        if count == 0:
            return None
        body = _mapping(body)
        links = _mapping(body.get("links"))
        if (link := _str(links.get("next"))) is not None:
            target = self._resolve_link(current, link)
            if target is not None:
                return target
        elif "next" in links:
            return None
        meta = _mapping(body.get("meta"))
        page_meta = _mapping(meta.get("page"))
        number = (
            _int(page_meta.get("number"))
            or _int(meta.get("page"))
            or _int(meta.get("pageNumber"))
            or _int(current.query.get(number_key))
            or 1
        )
        size = (
            _int(page_meta.get("size"))
            or _int(meta.get("pageSize"))
            or _int(current.query.get(size_key))
            or count
        )
        total_pages = _int(page_meta.get("totalPages")) or _int(meta.get("totalPages"))
        total = _int(meta.get("totalCount"))
        if total is None:
            total = _int(page_meta.get("totalCount"))
        if total_pages is not None:
            more = number < total_pages
        elif total is not None:
            more = number * size < total
        else:
            more = False
        if not more:
            return None
        return current.update_query({number_key: str(number + 1), size_key: str(size)})

    def _resolve_link(self, current: URL, link: str) -> URL | None:
        """Resolve a paging link; one pointing at another host is not followed (token leak)."""
        base = URL(self._origins.v3_base)
        target = URL(link)
        if target.is_absolute():
            if target.origin() != base.origin():
                return None
            return target
        if link.startswith(base.path + "/"):
            return base.origin().join(target)
        if link.startswith("/"):
            return URL(f"{self._origins.v3_base}{link}")
        return current.join(target)

    async def _v3_collection(
        self,
        url: URL,
        *,
        user: bool,
        number_key: str,
        size_key: str,
    ) -> list[Any]:
        """Fetch every page of a v3 collection and return the ``data`` items."""
        items: list[Any] = []
        seen: set[URL] = set()
        next_url: URL | None = url
        while next_url is not None and next_url not in seen and len(seen) < MAX_PAGES:
            seen.add(next_url)
            response = await self._request("GET", next_url, user=user)
            page = _list(_mapping(response.body).get("data"))
            items.extend(page)
            next_url = self._next_page(next_url, response.body, len(page), number_key, size_key)
        return items

    # -- reads -------------------------------------------------------------------------------

    async def async_get_user_id(self) -> str:
        """The Smartcar user id (v2: ``GET /user``; v3: the configured user)."""
        if self._api_version is ApiVersion.V3:
            return self._require_user()
        response = await self._request("GET", f"{self._origins.v2_base}/user")
        if (user_id := _str(_mapping(response.body).get("id"))) is None:
            raise SmartcarResponseError("GET /user answered without an id")
        return user_id

    async def async_get_vehicle_ids(self) -> list[str]:
        """Ids of the vehicles this grant (v2) or this user's connections (v3) cover."""
        if self._api_version is ApiVersion.V3:
            connections = await self.async_get_connections(self._require_user())
            return list(dict.fromkeys(connection.vehicle_id for connection in connections))
        vehicle_ids: list[str] = []
        for offset in range(0, MAX_PAGES * V2_VEHICLES_PAGE_SIZE, V2_VEHICLES_PAGE_SIZE):
            response = await self._request(
                "GET",
                f"{self._origins.v2_base}/vehicles",
                params={"limit": str(V2_VEHICLES_PAGE_SIZE), "offset": str(offset)},
            )
            page = [item for item in _list(_mapping(response.body).get("vehicles")) if _str(item)]
            vehicle_ids.extend(page)
            if len(page) < V2_VEHICLES_PAGE_SIZE:
                break
        return list(dict.fromkeys(vehicle_ids))

    async def async_get_connections(
        self, user_id: str | None = None, *, vehicle_id: str | None = None
    ) -> list[Connection]:
        """Every v3 connection of the application, optionally of one user and/or vehicle."""
        params = {"page[number]": "1", "page[size]": str(V3_PAGE_SIZE)}
        if user_id is not None:
            params["filter[userId]"] = user_id
        if vehicle_id is not None:
            params["filter[vehicleId]"] = vehicle_id
        url = URL(f"{self._origins.v3_base}/connections").with_query(params)
        items = await self._v3_collection(
            url, user=False, number_key="page[number]", size_key="page[size]"
        )
        return [
            connection
            for item in items
            if (connection := _connection(item)) is not None
            and (user_id is None or connection.user_id == user_id)
            and (vehicle_id is None or connection.vehicle_id == vehicle_id)
        ]

    async def async_get_vehicle(self, vehicle_id: str) -> Vehicle:
        """Make, model and year of a vehicle (``vin`` stays ``None``; see ``async_get_vin``)."""
        if self._api_version is ApiVersion.V3:
            response = await self._request("GET", self._v3_url(vehicle_id), user=True)
        else:
            response = await self._request("GET", self._v2_url(vehicle_id))
        return _vehicle(response.body, vehicle_id)

    async def async_get_vin(self, vehicle_id: str) -> str:
        """The vehicle's VIN (v2 ``/vin``; v3 signal ``vehicleidentification-vin``)."""
        if self._api_version is ApiVersion.V2:
            response = await self._request("GET", self._v2_url(vehicle_id, "/vin"))
            vin = _str(_mapping(response.body).get("vin"))
        else:
            response = await self._request(
                "GET", self._v3_url(vehicle_id, f"/signals/{SIGNAL_VIN}"), user=True
            )
            signal = _v3.parse_signal(_resource(response.body))
            if signal is not None and signal.status == "ERROR":
                raise _v3.signal_error(signal)
            vin = _str(_v3.body_value(signal.body)) if signal is not None else None
        if vin is None:
            raise SmartcarResponseError("Smartcar answered without a VIN")
        return vin

    async def async_get_permissions(self, vehicle_id: str) -> tuple[str, ...]:
        """The scopes granted for a vehicle (v2 ``/permissions``; v3 its connection)."""
        if self._api_version is ApiVersion.V3:
            connections = await self.async_get_connections(
                self._require_user(), vehicle_id=vehicle_id
            )
            if not connections:
                raise SmartcarResourceNotFoundError(
                    "No connection of this user to this vehicle", code="CONNECTION"
                )
            return tuple(dict.fromkeys(p for c in connections for p in c.permissions))
        permissions: list[str] = []
        for offset in range(0, MAX_PAGES * V2_PERMISSIONS_PAGE_SIZE, V2_PERMISSIONS_PAGE_SIZE):
            response = await self._request(
                "GET",
                self._v2_url(vehicle_id, "/permissions"),
                params={"limit": str(V2_PERMISSIONS_PAGE_SIZE), "offset": str(offset)},
            )
            page = [p for p in _list(_mapping(response.body).get("permissions")) if _str(p)]
            permissions.extend(page)
            if len(page) < V2_PERMISSIONS_PAGE_SIZE:
                break
        return tuple(dict.fromkeys(permissions))

    async def async_get_state(self, vehicle_id: str, fields: Collection[Field]) -> VehicleState:
        """Read exactly ``fields``; per-field failures land in ``errors`` and do not raise.

        v2 sends one ``/batch`` with only the paths these fields need; v3 reads the signals.
        Raises only when the request as a whole fails (token, rate limit, billing, network…).
        """
        wanted = frozenset(fields) & self.supported_fields
        if not wanted:
            return VehicleState()
        if self._api_version is ApiVersion.V3:
            # Each page is billed: ask for large pages so one read is usually one call.
            signals = await self._v3_collection(
                URL(self._v3_url(vehicle_id, "/signals")).with_query(
                    page="1", pageSize=str(V3_SIGNALS_PAGE_SIZE)
                ),
                user=True,
                number_key="page",
                size_key="pageSize",
            )
            return _v3.state_from_signals(signals, wanted)
        paths = list(dict.fromkeys(V2_FIELD_PATHS[field] for field in Field if field in wanted))
        _LOGGER.debug("Reading %d paths of vehicle %s", len(paths), vehicle_id)
        response = await self._request(
            "POST",
            self._v2_url(vehicle_id, "/batch"),
            json_body={"requests": [{"path": path} for path in paths]},
        )
        responses = _mapping(response.body).get("responses")
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
        if self._api_version is ApiVersion.V2:
            return await self._v2_command(
                vehicle_id, "/charge/limit", {"limit": round(percent / 100, 4)}
            )
        value: float = int(percent) if float(percent).is_integer() else round(percent, 2)
        return await self._v3_command(
            vehicle_id, "/commands/charge/set-limit", {"data": {"attributes": {"percent": value}}}
        )

    async def _simple_command(self, vehicle_id: str, command: str) -> CommandResult:
        if self._api_version is ApiVersion.V2:
            path, action = _V2_COMMANDS[command]
            return await self._v2_command(vehicle_id, path, {"action": action})
        return await self._v3_command(vehicle_id, _V3_COMMANDS[command], None)

    async def _v2_command(
        self, vehicle_id: str, path: str, body: Mapping[str, Any]
    ) -> CommandResult:
        _LOGGER.debug("Sending v2 command %s to vehicle %s", path, vehicle_id)
        response = await self._request("POST", self._v2_url(vehicle_id, path), json_body=body)
        answer = _mapping(response.body)
        status = _str(answer.get("status"))
        message = _str(answer.get("message"))
        if status is None or status.upper() not in _SUCCESS:
            raise SmartcarCommandError(
                message or "The vehicle did not confirm the command",
                code=status.upper() if status else None,
                status=response.status,
                request_id=response.headers.get("sc-request-id"),
            )
        return CommandResult(status=status, message=message, command_id=None)

    async def _v3_command(self, vehicle_id: str, path: str, body: Any) -> CommandResult:
        _LOGGER.debug("Sending v3 command %s to vehicle %s", path, vehicle_id)
        url = URL(self._v3_url(vehicle_id, path))
        response = await self._request("POST", url, json_body=body, user=True)
        deadline = time.monotonic() + self._timeout
        delay = self._command_poll_interval
        while (result := self._command_outcome(response)) is None:
            link = self._execution_link(url, response.body)
            if link is None:
                raise SmartcarCommandError(
                    "The vehicle accepted the command but Smartcar gave no way to follow it",
                    code="PENDING",
                    status=response.status,
                    request_id=response.headers.get("sc-request-id"),
                )
            if time.monotonic() + delay > deadline:
                raise SmartcarTimeoutError(
                    "The vehicle did not finish the command in time",
                    code="PENDING",
                    status=response.status,
                    request_id=response.headers.get("sc-request-id"),
                )
            _LOGGER.debug("Command %s on vehicle %s is running; checking again", path, vehicle_id)
            await asyncio.sleep(delay)
            delay = min(delay * 2, COMMAND_POLL_MAX_INTERVAL)
            response = await self._request("GET", link, user=True)
        return result

    def _execution_link(self, current: URL, body: Any) -> URL | None:
        """The link of a running command's execution, if Smartcar gave one on its own host."""
        resource = _resource(body)
        for links in (_mapping(resource.get("links")), _mapping(_mapping(body).get("links"))):
            if (link := _str(links.get("self"))) is not None:
                return self._resolve_link(current, link)
        return None

    def _command_outcome(self, response: _http.Response) -> CommandResult | None:
        """The result of a v3 command answer; ``None`` while it is still running."""
        resource = _resource(response.body)
        attributes = _mapping(resource.get("attributes"))
        raw_status = attributes.get("status", resource.get("status"))
        status_object = _mapping(raw_status)
        value = _str(status_object.get("value")) if status_object else _str(raw_status)
        message = _str(status_object.get("message")) or _str(attributes.get("message"))
        request_id = response.headers.get("sc-request-id")
        if value is not None and value.upper() in _SUCCESS:
            return CommandResult(status=value, message=message, command_id=_str(resource.get("id")))
        error = status_object.get("error") or attributes.get("error")
        if isinstance(error, Mapping) and error:
            raise error_from_payload(response.status, response.headers, error)
        if value is None:
            raise SmartcarResponseError(
                "The command answer carries no status",
                status=response.status,
                request_id=request_id,
            )
        if value.upper() in _PENDING:
            return None
        raise SmartcarCommandError(
            message or f"The command ended with status {value}",
            code=value.upper(),
            status=response.status,
            request_id=request_id,
        )
