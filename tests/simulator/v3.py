"""Smartcar's API v3 (§4 of the reference): vehicles, signals, commands, connections.

Application tokens from `/oauth2/token` plus the `sc-user-id` header are the v3 way; the
official SDKs also call the v3 reads with a v2 per-vehicle token, so both are accepted on the
vehicle routes. Signals are read from the signal store (`store.py`), as live (§4.0). Errors use
the JSON:API `errors` document. The Management API v3 webhook subscriptions (§4.0 item 2)
share the `/v3/` prefix because the simulator serves every Smartcar host on one origin.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import re
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from aiohttp import web

from .clock import iso_s
from .errors import SimError, json_response, validation
from .httputil import apply_fault, bearer_token, not_found, query_int, read_json
from .signals import SIGNALS, SIGNALS_BY_CODE, is_supported, signal_error_status, signal_resource
from .simulator import COMMANDS, Execution, Simulator, simulator_of

if TYPE_CHECKING:
    from .vehicles import SimVehicle
    from .world import Connection, Grant

_COMMAND_PERMISSIONS: Final[dict[str, str]] = {
    "security": "control_security",
    "charge": "control_charge",
    "navigation": "control_navigation",
}
_COMMAND_V2_PATHS: Final[dict[str, str]] = {
    "security/lock": "/security",
    "security/unlock": "/security",
    "charge/start": "/charge",
    "charge/stop": "/charge",
    "charge/set-limit": "/charge/limit",
    "navigation/set-destination": "/navigation/destination",
}
DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE_SIZE: Final = 100


@dataclass(kw_only=True)
class V3Auth:
    """Who is calling: an application token (with `sc-user-id`) or a v2 grant."""

    grant: Grant | None
    user_id: str | None


def _authenticate(request: web.Request, sim: Simulator) -> V3Auth:
    token = bearer_token(request)
    access = sim.tokens.valid_access(token, sim.clock.now()) if token is not None else None
    if access is None:
        raise SimError("AUTHENTICATION")
    sim.bucket.take(sim.clock.now())
    if access.grant_id is None:
        return V3Auth(grant=None, user_id=request.headers.get("sc-user-id") or None)
    grant = sim.tokens.grants[access.grant_id]
    return V3Auth(grant=grant, user_id=grant.user_id)


@dataclass(kw_only=True)
class Access:
    """A car the caller may use, with the permissions and Connect mode that apply."""

    vehicle: SimVehicle
    permissions: list[str]
    mode: str


def _vehicle_access(sim: Simulator, auth: V3Auth, vehicle_id: str, *, need_user: bool) -> Access:
    if vehicle_id not in sim.vehicles:
        raise not_found()
    if auth.grant is not None:
        if vehicle_id in auth.grant.removed_vehicle_ids:
            raise SimError("AUTHENTICATION")
        if not auth.grant.covers(vehicle_id):
            raise SimError("PERMISSION")
        return Access(
            vehicle=sim.vehicle(vehicle_id),
            permissions=auth.grant.permissions,
            mode=auth.grant.mode,
        )
    if need_user and auth.user_id is None:
        raise validation("The sc-user-id header is required.", ["sc-user-id"])
    connection: Connection | None
    if auth.user_id is not None:
        connection = sim.connection_for(auth.user_id, vehicle_id)
    else:
        connection = next((c for c in sim.connections.values() if c.vehicle_id == vehicle_id), None)
    if connection is None:
        raise SimError("PERMISSION")
    return Access(
        vehicle=sim.vehicle(vehicle_id), permissions=connection.permissions, mode=connection.mode
    )


def _vehicle_resource(vehicle: SimVehicle) -> dict[str, Any]:
    return {
        "id": vehicle.id,
        "type": "vehicle",
        "attributes": {"make": vehicle.make, "model": vehicle.model, "year": vehicle.year},
    }


def _page_links(
    base: str,
    params: dict[str, str],
    *,
    page: int,
    size: int,
    total: int,
    keys: tuple[str, str],
) -> dict[str, str | None]:
    last = max(1, math.ceil(total / size))

    def link(number: int) -> str:
        return f"{base}?{urlencode({**params, keys[0]: number, keys[1]: size})}"

    return {
        "self": link(page),
        "first": link(1),
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < last else None,
        "last": link(last),
    }


def _billable(sim: Simulator, vehicle: SimVehicle) -> None:
    now = sim.clock.now()
    sim.throttle.hit(vehicle.id, now)
    sim.billing.check(vehicle.id, now)


# --------------------------------------------------------------------- vehicles and signals


async def _get_vehicle(request: web.Request, sim: Simulator, vehicle_id: str) -> web.StreamResponse:
    auth = _authenticate(request, sim)
    access = _vehicle_access(sim, auth, vehicle_id, need_user=False)
    if "read_vehicle_info" not in access.permissions:
        raise SimError("PERMISSION")
    replaced = await apply_fault(request, sim.faults, vehicle_id=vehicle_id, api="v3", path="/")
    if replaced is not None:
        return replaced
    _billable(sim, access.vehicle)
    sim.billing.charge(vehicle_id, sim.clock.now())
    body = _vehicle_resource(access.vehicle)
    body["links"] = {"self": f"/vehicles/{vehicle_id}"}
    return json_response(body)


async def _get_signals(request: web.Request, sim: Simulator, vehicle_id: str) -> web.StreamResponse:
    """The store's signals, `data: []` while the store is empty.

    All on one page with `meta.pageNumber` (§4.0 item 4), or pages of `signals_page_size`
    linked by `links.next`.
    """
    auth = _authenticate(request, sim)
    access = _vehicle_access(sim, auth, vehicle_id, need_user=True)
    page = query_int(request.query, "page", 1, minimum=1)
    replaced = await apply_fault(
        request, sim.faults, vehicle_id=vehicle_id, api="v3", path="/signals"
    )
    if replaced is not None:
        return replaced
    vehicle = access.vehicle
    _billable(sim, vehicle)
    now = sim.clock.now()
    stored = sim.store.get(vehicle.id)
    held = [] if stored is None else [s for s in SIGNALS if s.code in stored.bodies]
    size = sim.config.signals_page_size or len(held)
    chosen = held[(page - 1) * size : page * size] if size else []
    data = []
    for signal in chosen:
        assert stored is not None
        error = sim.faults.take_signal(vehicle.id, signal.code)
        if error is None and signal.permission not in access.permissions:
            error = SimError("PERMISSION")
        data.append(signal_resource(signal, vehicle.id, stored, error=error))
    sim.billing.charge(vehicle.id, now)
    path = f"/vehicles/{vehicle.id}/signals"
    links: dict[str, str | None] = {"self": path if page == 1 else f"{path}?page={page}"}
    if size and page * size < len(held):
        links["next"] = f"{path}?page={page + 1}"
    return json_response(
        {
            "data": data,
            "meta": {"pageNumber": page, "pageSize": len(chosen), "totalCount": len(held)},
            "links": links,
            "included": {"vehicle": _vehicle_resource(vehicle)},
        }
    )


async def _get_signal(
    request: web.Request, sim: Simulator, vehicle_id: str, code: str
) -> web.StreamResponse:
    auth = _authenticate(request, sim)
    access = _vehicle_access(sim, auth, vehicle_id, need_user=True)
    signal = SIGNALS_BY_CODE.get(code)
    if signal is None:
        raise not_found()
    if signal.permission not in access.permissions:
        raise SimError("PERMISSION")
    replaced = await apply_fault(
        request, sim.faults, vehicle_id=vehicle_id, api="v3", path=f"/signals/{code}"
    )
    if replaced is not None:
        return replaced
    vehicle = access.vehicle
    if not is_supported(signal, vehicle):
        raise SimError(
            "COMPATIBILITY", vehicle.incapable(signal.command_path) or "VEHICLE_NOT_CAPABLE"
        )
    stored = sim.store.get(vehicle.id)
    if stored is None or code not in stored.bodies:
        # Not ingested yet: the store holds nothing for this signal (§4.0 item 1).
        raise SimError("RESOURCE_NOT_FOUND", "PATH")
    _billable(sim, vehicle)
    error = sim.faults.take_signal(vehicle.id, code)
    sim.billing.charge(vehicle.id, sim.clock.now())
    return json_response({"data": signal_resource(signal, vehicle.id, stored, error=error)})


# --------------------------------------------------------------------- commands


def _execution_body(execution: Execution, *, with_link: bool) -> dict[str, Any]:
    status: dict[str, Any] = {"value": execution.status}
    if execution.error is not None:
        status = signal_error_status(execution.error)
        status["value"] = "FAILED"
    duration = (
        None
        if execution.completed_at is None
        else round((execution.completed_at - execution.executed_at).total_seconds())
    )
    data: dict[str, Any] = {
        "id": execution.id,
        "type": "command-execution",
        "attributes": {
            "commandType": execution.command.replace("/", "-"),
            "status": status,
            "executionMode": execution.execution_mode,
            "parameters": dict(execution.parameters),
        },
        "meta": {
            "executedAt": iso_s(execution.executed_at),
            "completedAt": None
            if execution.completed_at is None
            else iso_s(execution.completed_at),
            "durationInSeconds": duration,
        },
    }
    if with_link:
        data["links"] = {
            "self": f"/vehicles/{execution.vehicle_id}/commands/executions/{execution.id}"
        }
    return {"data": data}


def _attributes(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("data", {}), dict):
        raise validation("The body must be a JSON:API document with data.attributes.", ["data"])
    attributes = data.get("data", {}).get("attributes", {})
    if not isinstance(attributes, dict):
        raise validation("data.attributes must be an object.", ["data", "attributes"])
    return attributes


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise validation(f"{name} must be a number.", ["data", "attributes", name])
    try:
        number = float(value)
    except ValueError as err:
        raise validation(f"{name} must be a number.", ["data", "attributes", name]) from err
    if not math.isfinite(number):
        raise validation(f"{name} must be a number.", ["data", "attributes", name])
    return number


def _parameters(command: str, data: Any) -> dict[str, Any]:
    attributes = _attributes(data)
    if command == "charge/set-limit":
        if "percent" not in attributes:
            raise validation("percent is required.", ["data", "attributes", "percent"])
        percent = _number(attributes["percent"], "percent")
        if not 50 <= percent <= 100:
            raise validation(
                "percent must be between 50 and 100.", ["data", "attributes", "percent"]
            )
        return {"percent": int(percent) if percent.is_integer() else percent}
    if command == "navigation/set-destination":
        for name in ("latitude", "longitude"):
            if name not in attributes:
                raise validation(f"{name} is required.", ["data", "attributes", name])
        return {
            "latitude": _number(attributes["latitude"], "latitude"),
            "longitude": _number(attributes["longitude"], "longitude"),
        }
    return {}


async def _command(
    request: web.Request, sim: Simulator, vehicle_id: str, command: str
) -> web.StreamResponse:
    auth = _authenticate(request, sim)
    access = _vehicle_access(sim, auth, vehicle_id, need_user=True)
    if command not in COMMANDS:
        raise not_found()
    if _COMMAND_PERMISSIONS[command.split("/", 1)[0]] not in access.permissions:
        raise SimError("PERMISSION")
    parameters = _parameters(command, await read_json(request, required=False))
    vehicle = access.vehicle
    path = f"/commands/{command}"
    fault = sim.faults.take(vehicle_id=vehicle_id, api="v3", method="POST", path=path)
    if fault is not None and fault.command_status and fault.error() is not None:
        now = sim.clock.now()
        failed = Execution(
            id=f"exec_{fault.id}{fault.hits}",
            vehicle_id=vehicle_id,
            command=command,
            parameters=parameters,
            mode=access.mode,
            execution_mode="sync",
            executed_at=now,
            due_at=now,
            status="FAILED",
            error=fault.error(),
            completed_at=now,
        )
        return json_response(_execution_body(failed, with_link=False))
    if fault is not None:
        from .httputil import play_fault

        replaced = await play_fault(request, fault)
        if replaced is not None:
            return replaced
    incapable = vehicle.incapable(_COMMAND_V2_PATHS[command])
    if incapable is not None:
        raise SimError("COMPATIBILITY", incapable)
    _billable(sim, vehicle)
    sim.sync(vehicle)
    execution = sim.start_execution(vehicle, command, parameters, access.mode)
    sim.billing.charge(vehicle_id, sim.clock.now())
    if execution.execution_mode == "async":
        # No source shows how an execution is looked up (§4.0 item 10): the link is offered
        # only when `execution_links` is switched on.
        body = _execution_body(execution, with_link=sim.config.execution_links)
        return json_response(body, status=202)
    return json_response(_execution_body(execution, with_link=False))


async def _get_execution(
    request: web.Request, sim: Simulator, vehicle_id: str, execution_id: str
) -> web.StreamResponse:
    auth = _authenticate(request, sim)
    access = _vehicle_access(sim, auth, vehicle_id, need_user=True)
    execution = sim.executions.get(execution_id)
    if execution is None or execution.vehicle_id != vehicle_id:
        raise not_found()
    sim.sync(access.vehicle)
    return json_response(_execution_body(execution, with_link=True))


# --------------------------------------------------------------------- connections


def _connection_resource(sim: Simulator, connection: Connection) -> dict[str, Any]:
    vehicle = sim.vehicles[connection.vehicle_id]
    return {
        "id": connection.id,
        "type": "connection",
        "attributes": {
            "permissions": list(connection.permissions),
            "vehicle": {
                "make": vehicle.make,
                "model": vehicle.model,
                "year": vehicle.year,
                "mode": connection.mode,
                "powertrainType": str(vehicle.powertrain),
            },
        },
        "relationships": {
            "vehicle": {
                "data": {"id": vehicle.id, "type": "vehicle"},
                "links": {"related": f"/vehicles/{vehicle.id}"},
            },
            "user": {"data": {"id": connection.user_id, "type": "user"}},
        },
        "meta": {
            "createdAt": iso_s(connection.connected_at),
            "updatedAt": iso_s(connection.updated_at),
        },
        "links": {"self": f"/connections/{connection.id}"},
    }


def _app_only(request: web.Request, sim: Simulator) -> V3Auth:
    auth = _authenticate(request, sim)
    if auth.grant is not None:
        raise SimError("AUTHENTICATION")
    return auth


def _query(request: web.Request, *names: str) -> str | None:
    for name in names:
        value = request.query.get(name)
        if value:
            return value
    return None


async def _list_connections(request: web.Request, sim: Simulator) -> web.Response:
    auth = _app_only(request, sim)
    user_id = _query(request, "filter[userId]", "userId") or auth.user_id
    vehicle_id = _query(request, "filter[vehicleId]", "vehicleId")
    # Without a mode filter Smartcar lists live vehicles only (§4.0 item 3).
    mode = _query(request, "filter[vehicle.mode]", "mode") or "live"
    number_key = "page[number]" if "page[number]" in request.query else "page"
    size_key = "page[size]" if "page[size]" in request.query else "pageSize"
    page = query_int(request.query, number_key, 1, minimum=1)
    size = query_int(request.query, size_key, DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    matching = sorted(
        (
            c
            for c in sim.connections.values()
            if (user_id is None or c.user_id == user_id)
            and (vehicle_id is None or c.vehicle_id == vehicle_id)
            and (mode is None or c.mode == mode)
        ),
        key=lambda c: (c.connected_at, c.id),
        reverse=True,
    )
    chosen = matching[(page - 1) * size : page * size]
    filters = {
        key: value
        for key, value in (
            ("filter[userId]", user_id),
            ("filter[vehicleId]", vehicle_id),
            ("filter[vehicle.mode]", mode),
        )
        if value is not None
    }
    return json_response(
        {
            "data": [_connection_resource(sim, c) for c in chosen],
            "meta": {"page": page, "pageSize": size, "totalCount": len(matching)},
            "links": _page_links(
                "/connections",
                filters,
                page=page,
                size=size,
                total=len(matching),
                keys=("page[number]", "page[size]"),
            ),
        }
    )


async def _connection(request: web.Request, sim: Simulator, connection_id: str) -> web.Response:
    _app_only(request, sim)
    connection = sim.connections.get(connection_id)
    if connection is None:
        raise not_found()
    if request.method == "DELETE":
        sim.delete_connection(connection)
        return web.Response(status=204)
    return json_response({"data": _connection_resource(sim, connection)})


async def _delete_user(request: web.Request, sim: Simulator, user_id: str) -> web.Response:
    _app_only(request, sim)
    doomed = [c for c in sim.connections.values() if c.user_id == user_id]
    if not doomed:
        raise not_found()
    for connection in doomed:
        sim.delete_connection(connection)
    return web.Response(status=204)


# --------------------------------------------------------------------- subscriptions


def _management_auth(request: web.Request, sim: Simulator) -> None:
    """The Management API v3 takes the application token (not rate-limited like the API)."""
    token = bearer_token(request)
    access = sim.tokens.valid_access(token, sim.clock.now()) if token is not None else None
    if access is None or access.grant_id is not None:
        raise SimError("AUTHENTICATION")


def _conflict(description: str) -> SimError:
    return SimError("CONFLICT", None, status=409, description=description)


async def _create_subscription(request: web.Request, sim: Simulator) -> web.Response:
    """`POST /subscriptions` `{"data": {"attributes": {webhookId, vehicleId, userId?}}}`."""
    _management_auth(request, sim)
    attributes = _attributes(await read_json(request))
    values: dict[str, str] = {}
    for name in ("webhookId", "vehicleId"):
        value = attributes.get(name)
        if not isinstance(value, str) or not value:
            raise validation(f"{name} is required.", ["data", "attributes", name])
        values[name] = value
    user_id = attributes.get("userId")
    webhook = sim.webhooks.get(values["webhookId"])
    vehicle_id = values["vehicleId"]
    if webhook is None or vehicle_id not in sim.vehicles:
        raise not_found()
    if isinstance(user_id, str) and user_id:
        connection = sim.connection_for(user_id, vehicle_id)
    else:
        connection = next((c for c in sim.connections.values() if c.vehicle_id == vehicle_id), None)
    if connection is None:
        raise SimError("PERMISSION")
    if vehicle_id in webhook.subscriptions:
        raise _conflict("A subscription for this webhook and vehicle already exists.")
    sim.webhooks.subscribe(webhook.id, vehicle_id)
    return json_response({"meta": {"message": "subscription creation in progress"}}, status=202)


async def _delete_subscription(
    request: web.Request, sim: Simulator, webhook_id: str, vehicle_id: str
) -> web.Response:
    """`DELETE /webhooks/{webhookId}/subscriptions/{vehicleId}` → 204, 404 when none."""
    _management_auth(request, sim)
    webhook = sim.webhooks.get(webhook_id)
    if webhook is None or not sim.webhooks.unsubscribe(webhook.id, vehicle_id):
        raise not_found()
    return web.Response(status=204)


# --------------------------------------------------------------------- dispatch

_ROUTES: Final = (
    ("GET", re.compile(r"vehicles/([^/]+)"), "vehicle"),
    ("GET", re.compile(r"vehicles/([^/]+)/signals"), "signals"),
    ("GET", re.compile(r"vehicles/([^/]+)/signals/([^/]+)"), "signal"),
    ("POST", re.compile(r"vehicles/([^/]+)/commands/([^/]+/[^/]+)"), "command"),
    ("GET", re.compile(r"vehicles/([^/]+)/commands/executions/([^/]+)"), "execution"),
    ("GET", re.compile(r"connections"), "connections"),
    ("GET", re.compile(r"connections/([^/]+)"), "connection"),
    ("DELETE", re.compile(r"connections/([^/]+)"), "connection"),
    ("DELETE", re.compile(r"users/([^/]+)"), "user"),
    ("POST", re.compile(r"subscriptions"), "subscribe"),
    ("DELETE", re.compile(r"webhooks/([^/]+)/subscriptions/([^/]+)"), "unsubscribe"),
)


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Route every `/v3/…` request."""
    sim = simulator_of(request)
    tail = request.match_info.get("tail", "").strip("/")
    for method, pattern, name in _ROUTES:
        match = pattern.fullmatch(tail)
        if match is None or method != request.method:
            continue
        groups = match.groups()
        if name == "vehicle":
            return await _get_vehicle(request, sim, groups[0])
        if name == "signals":
            return await _get_signals(request, sim, groups[0])
        if name == "signal":
            return await _get_signal(request, sim, groups[0], groups[1])
        if name == "command":
            return await _command(request, sim, groups[0], groups[1])
        if name == "execution":
            return await _get_execution(request, sim, groups[0], groups[1])
        if name == "connections":
            return await _list_connections(request, sim)
        if name == "connection":
            return await _connection(request, sim, groups[0])
        if name == "subscribe":
            return await _create_subscription(request, sim)
        if name == "unsubscribe":
            return await _delete_subscription(request, sim, groups[0], groups[1])
        return await _delete_user(request, sim, groups[0])
    raise not_found()


def register(app: web.Application) -> None:
    """Add the v3 dispatcher."""
    app.router.add_route("*", "/v3/{tail:.*}", dispatch)
    app.router.add_route("*", "/v3", dispatch)
