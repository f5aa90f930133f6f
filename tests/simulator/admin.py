"""The admin API under `/_simulator/`: inspect and steer the simulated world over HTTP.

Scripts (`scripts/develop`), browser tests and people poking at a running simulator use it to
set car state, move the clock, inject faults, revoke tokens, fire webhooks and read the request
log and billing counters. Every route maps onto one `Simulator` method.
"""

from __future__ import annotations

from dataclasses import asdict, fields
import json
from typing import TYPE_CHECKING, Any

from .clock import iso_ms
from .errors import SimError, json_response
from .signals import SIGNALS_BY_CODE
from .simulator import COMMANDS, Simulator, simulator_of
from .world import Fault

if TYPE_CHECKING:
    from aiohttp import web
    from aiohttp.typedefs import Handler


class AdminError(Exception):
    """A bad admin request (answered 400 or 404 with `{"error": …}`)."""

    def __init__(self, message: str, status: int = 400) -> None:
        """Describe the problem."""
        self.message = message
        self.status = status
        super().__init__(message)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise AdminError(f"invalid JSON: {err}") from err
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    return data


def _vehicle_id(request: web.Request, sim: Simulator) -> str:
    vehicle_id = request.match_info["vehicle_id"]
    if vehicle_id not in sim.vehicles:
        raise AdminError(f"unknown vehicle {vehicle_id}", 404)
    return vehicle_id


def _fault_view(fault: Fault) -> dict[str, Any]:
    return asdict(fault)


def _summary(sim: Simulator) -> dict[str, Any]:
    return {
        "now": iso_ms(sim.clock.now()),
        "realtime": sim.clock.realtime,
        "config": asdict(sim.config),
        "vehicles": len(sim.vehicles),
        "connections": len(sim.connections),
        "faults": len(sim.faults.faults),
        "requests": len(sim.request_log),
        "pending_webhook_deliveries": sim.webhooks.pending,
    }


async def index(request: web.Request) -> web.Response:
    """`GET /_simulator/`: clock, configuration and counts."""
    return json_response(_summary(simulator_of(request)))


async def config(request: web.Request) -> web.Response:
    """`GET|PATCH /_simulator/config`: read or change `SimulatorConfig`."""
    sim = simulator_of(request)
    if request.method == "PATCH":
        try:
            sim.configure(**await _body(request))
        except (TypeError, ValueError) as err:
            raise AdminError(str(err)) from err
    return json_response(asdict(sim.config))


async def vehicles(request: web.Request) -> web.Response:
    """`GET /_simulator/vehicles`: every car with its state."""
    sim = simulator_of(request)
    return json_response([sim.vehicle(vid).snapshot() for vid in sim.vehicles])


async def vehicle(request: web.Request) -> web.Response:
    """`GET|PATCH /_simulator/vehicles/{id}`: read or set a car's state."""
    sim = simulator_of(request)
    vehicle_id = _vehicle_id(request, sim)
    changed: list[str] = []
    if request.method == "PATCH":
        try:
            changed = sim.set_vehicle_state(vehicle_id, **await _body(request))
        except (TypeError, ValueError) as err:
            raise AdminError(str(err)) from err
    snapshot = sim.vehicle(vehicle_id).snapshot()
    snapshot["changed"] = changed
    return json_response(snapshot)


async def drive(request: web.Request) -> web.Response:
    """`POST /_simulator/vehicles/{id}/drive` `{"distance_km", "heading"?}`."""
    sim = simulator_of(request)
    vehicle_id = _vehicle_id(request, sim)
    body = await _body(request)
    try:
        sim.drive(vehicle_id, float(body["distance_km"]), body.get("heading"))
    except (KeyError, TypeError, ValueError) as err:
        raise AdminError(f"drive needs distance_km: {err}") from err
    return json_response(sim.vehicle(vehicle_id).snapshot())


async def pair_key(request: web.Request) -> web.Response:
    """`POST /_simulator/vehicles/{id}/pair-key` `{"paired": true}`: the Tesla virtual key."""
    sim = simulator_of(request)
    vehicle_id = _vehicle_id(request, sim)
    body = await _body(request)
    sim.pair_virtual_key(vehicle_id, paired=bool(body.get("paired", True)))
    return json_response(sim.vehicle(vehicle_id).snapshot())


def _store_view(sim: Simulator, vehicle_id: str) -> dict[str, Any]:
    stored = sim.store.get(vehicle_id)
    return {
        "vehicle_id": vehicle_id,
        "subscribed": sim.webhooks.is_subscribed(vehicle_id),
        "empty": stored is None,
        "retrieved_at": None if stored is None else iso_ms(stored.retrieved_at),
        "retrievals": 0 if stored is None else stored.retrievals,
        "signals": {} if stored is None else stored.bodies,
    }


async def store(request: web.Request) -> web.Response:
    """`GET /_simulator/vehicles/{id}/store`: what the v3 signal store holds for the car.

    `POST /_simulator/vehicles/{id}/retrieve` makes Smartcar retrieve the car's data now (as a
    scheduled retrieval would), also for a car that is not subscribed.
    """
    sim = simulator_of(request)
    vehicle_id = _vehicle_id(request, sim)
    if request.method == "POST":
        sim.retrieve(sim.vehicle(vehicle_id))
    return json_response(_store_view(sim, vehicle_id))


async def clock(request: web.Request) -> web.Response:
    """`GET /_simulator/clock`; `POST /_simulator/clock/advance` `{"seconds"}`."""
    sim = simulator_of(request)
    if request.method == "POST":
        body = await _body(request)
        try:
            sim.advance(float(body.get("seconds", 0)))
        except (TypeError, ValueError) as err:
            raise AdminError(str(err)) from err
    return json_response({"now": iso_ms(sim.clock.now()), "realtime": sim.clock.realtime})


async def faults(request: web.Request) -> web.Response:
    """`GET|POST|DELETE /_simulator/faults` and `DELETE /_simulator/faults/{id}`."""
    sim = simulator_of(request)
    if request.method == "POST":
        body = await _body(request)
        notify = bool(body.pop("webhook", False))
        if "type" in body:
            body["error_type"] = body.pop("type")
        if "code" in body:
            body["error_code"] = body.pop("code")
        known = {f.name for f in fields(Fault)} - {"id", "hits"}
        unknown = set(body) - known
        if unknown:
            raise AdminError(f"unknown fault fields: {sorted(unknown)}")
        try:
            fault = sim.inject_fault(**body)
        except (TypeError, ValueError) as err:
            raise AdminError(str(err)) from err
        if notify and fault.vehicle_id is not None and fault.error_type is not None:
            _notify_error(sim, fault, "ERROR")
        return json_response(_fault_view(fault), status=201)
    if request.method == "DELETE":
        fault_id = request.match_info.get("fault_id")
        removed = [f for f in sim.faults.faults if fault_id in (None, f.id)]
        count = sim.clear_faults(fault_id)
        if fault_id is not None and count == 0:
            raise AdminError(f"unknown fault {fault_id}", 404)
        for fault in removed:
            if fault.vehicle_id is not None and fault.error_type is not None:
                _notify_error(sim, fault, "RESOLVED")
        return json_response({"removed": count})
    return json_response([_fault_view(fault) for fault in sim.faults.faults])


def _notify_error(sim: Simulator, fault: Fault, state: str) -> None:
    error = fault.error()
    if error is None or fault.vehicle_id is None:
        return
    codes = [fault.signal] if fault.signal else []
    for webhook in sim.webhooks.webhooks.values():
        if fault.vehicle_id in webhook.subscriptions:
            sim.webhooks.send_error(webhook.id, fault.vehicle_id, [(error, codes)], state=state)


async def tokens(request: web.Request) -> web.Response:
    """`POST /_simulator/tokens/revoke` `{"user_id"?, "vehicle_id"?, "token"?, "kind"?}`."""
    sim = simulator_of(request)
    body = await _body(request)
    kind = body.get("kind", "all")
    if kind not in ("all", "access", "refresh", "app"):
        raise AdminError("kind must be all, access, refresh or app")
    count = sim.revoke_tokens(
        user_id=body.get("user_id"),
        vehicle_id=body.get("vehicle_id"),
        token=body.get("token"),
        kind=kind,
    )
    return json_response({"revoked": count})


async def connect_account(request: web.Request) -> web.Response:
    """`POST /_simulator/tokens` `{"email"?, "vehicle_ids"?, "permissions"?, "mode"?}`.

    Approves Connect for an account and returns fresh tokens (skips the consent page).
    """
    sim = simulator_of(request)
    body = await _body(request)
    kwargs: dict[str, Any] = {}
    for name in ("vehicle_ids", "permissions", "mode"):
        if name in body:
            kwargs[name] = body[name]
    try:
        issued = sim.connect_account(body.get("email", "demo@smartcar.com"), **kwargs)
    except KeyError as err:
        raise AdminError(f"unknown account {err}", 404) from err
    return json_response(asdict(issued))


async def requests_log(request: web.Request) -> web.Response:
    """`GET /_simulator/requests[?path=…&limit=…]` (credentials masked); DELETE clears it."""
    sim = simulator_of(request)
    if request.method == "DELETE":
        count = len(sim.request_log)
        sim.request_log.clear()
        return json_response({"removed": count})
    prefix = request.query.get("path")
    entries = [
        entry.describe()
        for entry in sim.request_log
        if prefix is None or entry.path.startswith(prefix)
    ]
    limit = request.query.get("limit")
    if limit is not None and limit.isdigit():
        entries = entries[-int(limit) :]
    return json_response(entries)


async def billing(request: web.Request) -> web.Response:
    """`GET /_simulator/billing`; `PUT` `{"vehicle_id", "count"}`; `DELETE` resets."""
    sim = simulator_of(request)
    now = sim.clock.now()
    if request.method == "PUT":
        body = await _body(request)
        if body.get("vehicle_id") not in sim.vehicles:
            raise AdminError("unknown vehicle_id", 404)
        sim.billing.set(body["vehicle_id"], now, int(body.get("count", 0)))
    elif request.method == "DELETE":
        sim.billing.counts.clear()
    return json_response(
        {
            "period": sim.billing.period(now),
            "limit": sim.billing.limit,
            "counts": {vid: sim.billing.count(vid, now) for vid in sim.vehicles},
        }
    )


async def commands(request: web.Request) -> web.Response:
    """`POST /_simulator/commands/slow` `{"seconds", "vehicle_id"?, "command"?}` (v3 → 202)."""
    sim = simulator_of(request)
    body = await _body(request)
    command = body.get("command")
    if command is not None and command not in COMMANDS:
        raise AdminError(f"command must be one of {list(COMMANDS)}")
    sim.set_slow_command(
        float(body.get("seconds", 0)), vehicle_id=body.get("vehicle_id"), command=command
    )
    return json_response({"slow_commands": sim.config.slow_commands})


async def connect_error(request: web.Request) -> web.Response:
    """`POST /_simulator/connect/next-error` `{"error", …extra query params}`."""
    sim = simulator_of(request)
    body = await _body(request)
    if not isinstance(body.get("error"), str):
        raise AdminError("error is required")
    sim.next_connect_error = {key: str(value) for key, value in body.items()}
    return json_response(sim.next_connect_error)


async def connections(request: web.Request) -> web.Response:
    """`GET /_simulator/connections`."""
    sim = simulator_of(request)
    return json_response(
        [
            {
                "id": c.id,
                "user_id": c.user_id,
                "vehicle_id": c.vehicle_id,
                "mode": c.mode,
                "permissions": c.permissions,
                "connected_at": iso_ms(c.connected_at),
            }
            for c in sim.connections.values()
        ]
    )


def _webhook_view(sim: Simulator, webhook_id: str) -> dict[str, Any]:
    return asdict(sim.webhooks.webhooks[webhook_id])


async def webhooks(request: web.Request) -> web.Response:
    """`GET /_simulator/webhooks`; `PUT /_simulator/webhooks/{id}` configures and verifies."""
    sim = simulator_of(request)
    webhook_id = request.match_info.get("webhook_id")
    if webhook_id is None:
        return json_response([asdict(w) for w in sim.webhooks.webhooks.values()])
    webhook = sim.webhooks.get(webhook_id)
    if request.method == "PUT":
        body = await _body(request)
        if webhook is None:
            from .webhooks import Webhook

            webhook = Webhook(id=webhook_id, name=str(body.get("name", webhook_id)))
            sim.webhooks.webhooks[webhook_id] = webhook
        url_changed = "url" in body and body["url"] != webhook.url
        for name in ("name", "url", "error_url", "signals", "triggers", "enabled"):
            if name in body:
                setattr(webhook, name, body[name])
        unknown = [
            code for code in webhook.signals + webhook.triggers if code not in SIGNALS_BY_CODE
        ]
        if unknown:
            raise AdminError(f"unknown signal codes: {unknown}")
        result = None
        if webhook.url is not None and (url_changed or body.get("verify")):
            result = await sim.webhooks.verify(webhook)
        view = _webhook_view(sim, webhook_id)
        view["verify"] = result
        return json_response(view)
    if webhook is None:
        raise AdminError(f"unknown webhook {webhook_id}", 404)
    return json_response(_webhook_view(sim, webhook_id))


async def webhook_verify(request: web.Request) -> web.Response:
    """`POST /_simulator/webhooks/{id}/verify`: send a VERIFY challenge now."""
    sim = simulator_of(request)
    webhook = sim.webhooks.get(request.match_info["webhook_id"])
    if webhook is None or webhook.url is None:
        raise AdminError("unknown webhook or no callback URL", 404)
    return json_response(await sim.webhooks.verify(webhook))


async def webhook_subscriptions(request: web.Request) -> web.Response:
    """`POST|DELETE /_simulator/webhooks/{id}/subscriptions` `{"vehicle_id"}`.

    The dashboard's per-vehicle subscription: subscribing fills the car's signal store.
    """
    sim = simulator_of(request)
    webhook_id = request.match_info["webhook_id"]
    if sim.webhooks.get(webhook_id) is None:
        raise AdminError(f"unknown webhook {webhook_id}", 404)
    body = await _body(request)
    vehicle_id = body.get("vehicle_id")
    if vehicle_id not in sim.vehicles:
        raise AdminError("unknown vehicle_id", 404)
    if request.method == "DELETE":
        sim.webhooks.unsubscribe(webhook_id, vehicle_id)
    else:
        sim.webhooks.subscribe(webhook_id, vehicle_id)
    return json_response(_webhook_view(sim, webhook_id))


async def webhook_events(request: web.Request) -> web.Response:
    """`POST /_simulator/webhooks/{id}/events`: send an event now.

    Body: `{"event_type": "VEHICLE_STATE", "vehicle_id", "triggers"?: [codes]}` (no triggers:
    FIRST_DELIVERY) or `{"event_type": "VEHICLE_ERROR", "vehicle_id", "state"?: "ERROR" |
    "RESOLVED", "errors": [{"type", "code", "signals"?: [codes]}]}`.
    """
    sim = simulator_of(request)
    webhook_id = request.match_info["webhook_id"]
    webhook = sim.webhooks.get(webhook_id)
    if webhook is None:
        raise AdminError(f"unknown webhook {webhook_id}", 404)
    body = await _body(request)
    vehicle_id = body.get("vehicle_id")
    if vehicle_id not in sim.vehicles:
        raise AdminError("unknown vehicle_id", 404)
    event_type = body.get("event_type", "VEHICLE_STATE")
    if event_type == "VEHICLE_STATE":
        triggers = body.get("triggers")
        if triggers is not None and any(code not in SIGNALS_BY_CODE for code in triggers):
            raise AdminError("unknown trigger signal code")
        event_id = sim.webhooks.send_state(webhook_id, vehicle_id, triggers)
    elif event_type == "VEHICLE_ERROR":
        try:
            errors = [
                (SimError(item["type"], item.get("code")), list(item.get("signals", [])))
                for item in body.get("errors", [])
            ]
        except (KeyError, TypeError, ValueError) as err:
            raise AdminError(f"bad errors: {err}") from err
        if not errors:
            raise AdminError("errors is required")
        state = body.get("state", "ERROR")
        if state not in ("ERROR", "RESOLVED"):
            raise AdminError("state must be ERROR or RESOLVED")
        event_id = sim.webhooks.send_error(webhook_id, vehicle_id, errors, state=state)
    else:
        raise AdminError("event_type must be VEHICLE_STATE or VEHICLE_ERROR")
    if event_id is None:
        raise AdminError("the webhook has no callback URL or is disabled", 409)
    return json_response({"eventId": event_id}, status=202)


async def deliveries(request: web.Request) -> web.Response:
    """`GET /_simulator/webhooks/deliveries`: every delivery attempt so far."""
    sim = simulator_of(request)
    return json_response([asdict(d) for d in sim.webhooks.deliveries])


async def reset(request: web.Request) -> web.Response:
    """`POST /_simulator/reset`: rebuild the world from the seed."""
    sim = simulator_of(request)
    sim.reset()
    return json_response(_summary(sim))


async def save(request: web.Request) -> web.Response:
    """`POST /_simulator/save`: write the state file now."""
    sim = simulator_of(request)
    try:
        path = sim.save()
    except ValueError as err:
        raise AdminError(str(err)) from err
    return json_response({"saved": str(path)})


def register(app: web.Application) -> None:
    """Add the admin routes."""
    routes = [
        ("GET", "", index),
        ("GET", "/", index),
        ("GET", "/config", config),
        ("PATCH", "/config", config),
        ("GET", "/vehicles", vehicles),
        ("GET", "/vehicles/{vehicle_id}", vehicle),
        ("PATCH", "/vehicles/{vehicle_id}", vehicle),
        ("POST", "/vehicles/{vehicle_id}/drive", drive),
        ("POST", "/vehicles/{vehicle_id}/pair-key", pair_key),
        ("GET", "/vehicles/{vehicle_id}/store", store),
        ("POST", "/vehicles/{vehicle_id}/retrieve", store),
        ("GET", "/clock", clock),
        ("POST", "/clock/advance", clock),
        ("GET", "/faults", faults),
        ("POST", "/faults", faults),
        ("DELETE", "/faults", faults),
        ("DELETE", "/faults/{fault_id}", faults),
        ("POST", "/tokens", connect_account),
        ("POST", "/tokens/revoke", tokens),
        ("GET", "/requests", requests_log),
        ("DELETE", "/requests", requests_log),
        ("GET", "/billing", billing),
        ("PUT", "/billing", billing),
        ("DELETE", "/billing", billing),
        ("POST", "/commands/slow", commands),
        ("POST", "/connect/next-error", connect_error),
        ("GET", "/connections", connections),
        ("GET", "/webhooks", webhooks),
        ("GET", "/webhooks/deliveries", deliveries),
        ("GET", "/webhooks/{webhook_id}", webhooks),
        ("PUT", "/webhooks/{webhook_id}", webhooks),
        ("POST", "/webhooks/{webhook_id}/verify", webhook_verify),
        ("POST", "/webhooks/{webhook_id}/subscriptions", webhook_subscriptions),
        ("DELETE", "/webhooks/{webhook_id}/subscriptions", webhook_subscriptions),
        ("POST", "/webhooks/{webhook_id}/events", webhook_events),
        ("POST", "/reset", reset),
        ("POST", "/save", save),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, f"/_simulator{path}", _wrap(handler))


def _wrap(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AdminError as err:
            return json_response({"error": err.message}, status=err.status)

    wrapped.__doc__ = handler.__doc__
    return wrapped
