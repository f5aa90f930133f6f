"""Smartcar's Vehicles API v2.0 (§3 of the reference) served from the simulated cars.

One dispatcher takes every `/v{N.N}/…` path so that versions, trailing slashes and unknown
paths get Smartcar's own 404s; the vehicle endpoints run the same pipeline as the real API:
token, app bucket, vehicle access, permission, faults, compatibility, throttle, billing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import hmac
import math
import re
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from . import const
from .clock import iso_ms, parse_iso
from .errors import SimError, json_response, validation
from .httputil import (
    apply_fault,
    basic_credentials,
    bearer_token,
    not_found,
    query_int,
    read_json,
    request_id,
)
from .management import connections as management_connections
from .simulator import Simulator, simulator_of
from .vehicles import POSITIONS, SimVehicle

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp import web

    from .world import Grant

_VERSION: Final = re.compile(r"\d+\.\d+")
_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_MAKE_SLUGS: Final = frozenset(
    {
        "acura", "audi", "bmw", "buick", "cadillac", "chevrolet", "chrysler", "dodge", "ford",
        "gmc", "honda", "hyundai", "jaguar", "jeep", "kia", "landrover", "lexus", "lincoln",
        "mazda", "mercedes", "mini", "nissan", "polestar", "porsche", "rivian", "subaru",
        "tesla", "toyota", "volkswagen", "volvo",
    }
)  # fmt: skip
_SENT: Final = "Successfully sent request to vehicle"


class Units:
    """Converts metric values for `sc-unit-system: imperial`."""

    def __init__(self, system: str) -> None:
        """Use `metric` or `imperial`."""
        self.system = system

    @property
    def imperial(self) -> bool:
        """Whether values are converted."""
        return self.system == "imperial"

    def distance(self, km: float | None) -> float | None:
        """Convert km to miles."""
        if km is None or not self.imperial:
            return km
        return round(km / 1.609344, 2)

    def volume(self, liters: float | None) -> float | None:
        """Convert liters to US gallons."""
        if liters is None or not self.imperial:
            return liters
        return round(liters / 3.785411784, 2)

    def pressure(self, kpa: float | None) -> float | None:
        """Convert kPa to psi."""
        if kpa is None or not self.imperial:
            return kpa
        return round(kpa * 0.1450377377, 2)


def units_of(request: web.Request) -> Units:
    """Read `sc-unit-system` (default metric)."""
    system = request.headers.get("sc-unit-system", "metric").strip().lower() or "metric"
    if system not in ("metric", "imperial"):
        raise validation(
            '"sc-unit-system" must be one of [metric, imperial]',
            ["sc-unit-system"],
            code="PARAMETER",
        )
    return Units(system)


@dataclass(kw_only=True)
class Call:
    """What a vehicle endpoint knows about the request it serves."""

    sim: Simulator
    grant: Grant
    vehicle: SimVehicle
    units: Units
    now: datetime
    query: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class ReadSpec:
    """A GET endpoint: permission, data domain, unit header and how to build its body."""

    permission: str | None
    domain: str | None
    read: Callable[[Call], Any]
    unit_bearing: bool = False
    billable: bool = True


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else round(percent / 100, 4)


def _statuses(statuses: dict[str, str]) -> list[dict[str, str]]:
    return [{"type": position, "status": statuses[position]} for position in POSITIONS]


def _security(call: Call) -> dict[str, Any]:
    vehicle = call.vehicle
    storage = [
        {"type": kind, "status": status}
        for kind, status in (("rear", vehicle.rear_trunk), ("front", vehicle.front_trunk))
        if status is not None
    ]
    return {
        "isLocked": vehicle.locked,
        "doors": _statuses(vehicle.doors),
        "windows": _statuses(vehicle.windows),
        "sunroof": []
        if vehicle.sunroof is None
        else [{"type": "sunroof", "status": vehicle.sunroof}],
        "storage": storage,
        "chargingPort": []
        if vehicle.charge_port is None
        else [{"type": "chargingPort", "status": vehicle.charge_port}],
    }


def _nominal_capacity(call: Call) -> dict[str, Any]:
    vehicle = call.vehicle
    capacity = (
        None
        if vehicle.battery_capacity_kwh is None
        else {"nominal": vehicle.battery_capacity_kwh, "source": vehicle.capacity_source}
    )
    return {
        "availableCapacities": [
            {"capacity": item["capacity"], "description": item.get("description")}
            for item in vehicle.available_capacities
        ],
        "capacity": capacity,
        "url": None,
    }


def _date(value: str, name: str) -> datetime:
    try:
        return parse_iso(value if "T" in value else f"{value}T00:00:00Z")
    except ValueError as err:
        raise validation(
            f'"{name}" must be a date (YYYY-MM-DD or ISO 8601)', [name], code="PARAMETER"
        ) from err


def _service_history(call: Call) -> list[dict[str, Any]]:
    end = _date(call.query["endDate"], "endDate") if call.query.get("endDate") else call.now
    start = (
        _date(call.query["startDate"], "startDate")
        if call.query.get("startDate")
        else end - timedelta(days=365)
    )
    return [
        record
        for record in call.vehicle.service_history
        if start <= parse_iso(record["serviceDate"]) <= end + timedelta(days=1)
    ]


def _permissions(call: Call) -> dict[str, Any]:
    limit = query_int(call.query, "limit", 25, minimum=1, maximum=100)
    offset = query_int(call.query, "offset", 0)
    page = call.grant.permissions[offset : offset + limit]
    return {"permissions": page, "paging": {"count": len(page), "offset": offset}}


READS: Final[dict[str, ReadSpec]] = {
    "/": ReadSpec(
        permission="read_vehicle_info",
        domain="attributes",
        read=lambda c: {
            "id": c.vehicle.id,
            "make": c.vehicle.make,
            "model": c.vehicle.model,
            "year": c.vehicle.year,
        },
    ),
    "/vin": ReadSpec(
        permission="read_vin", domain="attributes", read=lambda c: {"vin": c.vehicle.vin}
    ),
    "/odometer": ReadSpec(
        permission="read_odometer",
        domain="odometer",
        unit_bearing=True,
        read=lambda c: {"distance": c.units.distance(c.vehicle.odometer_km)},
    ),
    "/location": ReadSpec(
        permission="read_location",
        domain="location",
        read=lambda c: {"latitude": c.vehicle.latitude, "longitude": c.vehicle.longitude},
    ),
    "/battery": ReadSpec(
        permission="read_battery",
        domain="battery",
        unit_bearing=True,
        read=lambda c: {
            "percentRemaining": _fraction(c.vehicle.soc),
            "range": c.units.distance(c.vehicle.battery_range_km),
        },
    ),
    "/battery/capacity": ReadSpec(
        permission="read_battery",
        domain="battery",
        read=lambda c: {"capacity": c.vehicle.battery_capacity_kwh},
    ),
    "/battery/nominal_capacity": ReadSpec(
        permission="read_battery", domain="battery", read=_nominal_capacity
    ),
    "/charge": ReadSpec(
        permission="read_charge",
        domain="charge",
        read=lambda c: {"isPluggedIn": c.vehicle.plugged_in, "state": c.vehicle.charging_state},
    ),
    "/charge/limit": ReadSpec(
        permission="read_charge",
        domain="charge",
        read=lambda c: {"limit": _fraction(c.vehicle.charge_limit)},
    ),
    "/security": ReadSpec(permission="read_security", domain="security", read=_security),
    "/fuel": ReadSpec(
        permission="read_fuel",
        domain="fuel",
        unit_bearing=True,
        read=lambda c: {
            "amountRemaining": c.units.volume(c.vehicle.fuel_amount_l),
            "percentRemaining": _fraction(c.vehicle.fuel_percent),
            "range": c.units.distance(c.vehicle.fuel_range_km),
        },
    ),
    "/tires/pressure": ReadSpec(
        permission="read_tires",
        domain="tires",
        unit_bearing=True,
        read=lambda c: {
            position: c.units.pressure(c.vehicle.tire_kpa.get(position))
            for position in ("backLeft", "backRight", "frontLeft", "frontRight")
        },
    ),
    "/engine/oil": ReadSpec(
        permission="read_engine_oil",
        domain="oil",
        read=lambda c: {"lifeRemaining": _fraction(c.vehicle.oil_life)},
    ),
    "/service/history": ReadSpec(
        permission="read_service_history", domain="diagnostics", read=_service_history
    ),
    "/diagnostics/system_status": ReadSpec(
        permission="read_diagnostics",
        domain="diagnostics",
        read=lambda c: {"systems": [dict(item) for item in c.vehicle.diagnostic_systems]},
    ),
    "/diagnostics/dtcs": ReadSpec(
        permission="read_diagnostics",
        domain="diagnostics",
        read=lambda c: {"activeCodes": [dict(item) for item in c.vehicle.trouble_codes]},
    ),
    "/permissions": ReadSpec(permission=None, domain=None, read=_permissions, billable=False),
}

_COMMAND_PERMISSIONS: Final[dict[str, str]] = {
    "/security": "control_security",
    "/charge": "control_charge",
    "/charge/limit": "control_charge",
    "/navigation/destination": "control_navigation",
}


# --------------------------------------------------------------------- dispatch


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Route every `/v{version}/…` request."""
    version = request.match_info["version"][1:]
    if not _VERSION.fullmatch(version):
        raise SimError("RESOURCE_NOT_FOUND", "VERSION")
    tail = request.match_info["tail"]
    stripped = tail.strip("/")
    if stripped == "user" and request.method == "GET":
        return await _user(request)
    if stripped == "vehicles" and request.method == "GET":
        return await _vehicles(request)
    if stripped == "management/connections":
        return await management_connections(request)
    if stripped == "compatibility" and request.method == "GET":
        return await _compatibility(request)
    if stripped == "compatibility/matrix" and request.method == "GET":
        return await _compatibility_matrix(request)
    match = re.fullmatch(r"vehicles/([^/]+)(/.*)?", tail)
    if match is not None:
        rest = (match.group(2) or "").strip("/")
        return await _vehicle_endpoint(request, match.group(1), "/" + rest)
    raise not_found()


def _grant(request: web.Request, sim: Simulator) -> Grant:
    token = bearer_token(request)
    grant = sim.grant_for(token) if token is not None else None
    if grant is None:
        raise SimError("AUTHENTICATION")
    return grant


def _vehicle(sim: Simulator, grant: Grant, vehicle_id: str) -> SimVehicle:
    if not _UUID.fullmatch(vehicle_id):
        raise validation('"vehicle_id" must be a valid GUID', ["vehicle_id"], code="PARAMETER")
    if vehicle_id in grant.removed_vehicle_ids:
        raise SimError("AUTHENTICATION")
    if not grant.covers(vehicle_id) or vehicle_id not in sim.vehicles:
        raise SimError("PERMISSION")
    return sim.vehicle(vehicle_id)


def _data_headers(call: Call, spec: ReadSpec) -> dict[str, str]:
    headers: dict[str, str] = {}
    if spec.domain is not None:
        headers["SC-Data-Age"] = iso_ms(call.vehicle.data_age(spec.domain))
        headers["SC-Fetched-At"] = iso_ms(call.now)
    if spec.unit_bearing:
        headers["SC-Unit-System"] = call.units.system
    return headers


async def _user(request: web.Request) -> web.Response:
    sim = simulator_of(request)
    grant = _grant(request, sim)
    sim.bucket.take(sim.clock.now())
    return json_response({"id": grant.user_id})


async def _vehicles(request: web.Request) -> web.Response:
    sim = simulator_of(request)
    grant = _grant(request, sim)
    sim.bucket.take(sim.clock.now())
    limit = query_int(request.query, "limit", 10, minimum=1, maximum=50)
    offset = query_int(request.query, "offset", 0)
    page = grant.active_vehicle_ids()[offset : offset + limit]
    return json_response({"paging": {"count": len(page), "offset": offset}, "vehicles": page})


async def _vehicle_endpoint(request: web.Request, vehicle_id: str, path: str) -> web.StreamResponse:
    sim = simulator_of(request)
    method = request.method
    webhook = re.fullmatch(r"/webhooks/([^/]+)", path)
    if webhook is not None and method in ("POST", "DELETE"):
        return await _webhook(request, sim, vehicle_id, webhook.group(1))
    if path == "/application" and method == "DELETE":
        return await _disconnect(request, sim, vehicle_id)
    grant = _grant(request, sim)
    now = sim.clock.now()
    sim.bucket.take(now)
    vehicle = _vehicle(sim, grant, vehicle_id)
    units = units_of(request)
    call = Call(
        sim=sim, grant=grant, vehicle=vehicle, units=units, now=now, query=dict(request.query)
    )
    if path == "/batch" and method == "POST":
        return await _batch(request, call)
    if method == "GET" and path in READS:
        return await _read(request, call, path, READS[path])
    if method == "POST" and path in _COMMAND_PERMISSIONS:
        return await _command(request, call, path)
    first = path.strip("/").split("/", 1)[0].lower()
    if first in _MAKE_SLUGS and first != vehicle.make.lower():
        raise SimError("PERMISSION")
    raise not_found()


async def _read(request: web.Request, call: Call, path: str, spec: ReadSpec) -> web.StreamResponse:
    sim, vehicle = call.sim, call.vehicle
    if spec.permission is not None and spec.permission not in call.grant.permissions:
        raise SimError("PERMISSION")
    replaced = await apply_fault(request, sim.faults, vehicle_id=vehicle.id, api="v2", path=path)
    if replaced is not None:
        return replaced
    if spec.billable:
        incapable = vehicle.incapable(path)
        if incapable is not None:
            raise SimError("COMPATIBILITY", incapable)
        sim.throttle.hit(vehicle.id, call.now)
        sim.billing.check(vehicle.id, call.now)
    sim.sync(vehicle)
    body = spec.read(call)
    if spec.billable:
        sim.billing.charge(vehicle.id, call.now)
    return json_response(body, headers=_data_headers(call, spec))


def _object(data: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise validation('"value" must be of type object', [])
    for key in data:
        if key not in allowed:
            raise validation(f'"{key}" is not allowed', [key])
    return data


def _action(data: Any, choices: tuple[str, ...]) -> str:
    body = _object(data, {"action"})
    if "action" not in body:
        raise validation('"action" is required', ["action"])
    action = body["action"]
    if not isinstance(action, str) or action not in choices:
        raise validation(
            f'"action" must be one of [{", ".join(choices)}]', ["action"], code="PARAMETER"
        )
    return action


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise validation(f'"{name}" must be a number', [name], code="PARAMETER")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError as err:
            raise validation(f'"{name}" must be a number', [name], code="PARAMETER") from err
    else:
        raise validation(f'"{name}" must be a number', [name], code="PARAMETER")
    if not math.isfinite(number):
        raise validation(f'"{name}" must be a number', [name], code="PARAMETER")
    return number


def _command_of(path: str, data: Any) -> tuple[str, dict[str, Any], str]:
    if path == "/security":
        action = _action(data, ("LOCK", "UNLOCK"))
        return ("security/lock" if action == "LOCK" else "security/unlock"), {}, _SENT
    if path == "/charge":
        action = _action(data, ("START", "STOP"))
        return ("charge/start" if action == "START" else "charge/stop"), {}, _SENT
    if path == "/charge/limit":
        body = _object(data, {"limit"})
        if "limit" not in body:
            raise validation('"limit" is required', ["limit"])
        limit = _number(body["limit"], "limit")
        if limit < 0.5 or limit > 1:
            raise validation(
                '"limit" must be greater than or equal to 0.5 and less than or equal to 1',
                ["limit"],
                code="PARAMETER",
            )
        return (
            "charge/set-limit",
            {"percent": round(limit * 100, 2)},
            "Charge limit set successfully",
        )
    body = _object(data, {"latitude", "longitude"})
    for name in ("latitude", "longitude"):
        if name not in body:
            raise validation(f'"{name}" is required', [name])
    latitude = _number(body["latitude"], "latitude")
    longitude = _number(body["longitude"], "longitude")
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise validation('"latitude"/"longitude" out of range', ["latitude"], code="PARAMETER")
    return "navigation/set-destination", {"latitude": latitude, "longitude": longitude}, _SENT


async def _command(request: web.Request, call: Call, path: str) -> web.StreamResponse:
    sim, vehicle = call.sim, call.vehicle
    if _COMMAND_PERMISSIONS[path] not in call.grant.permissions:
        raise SimError("PERMISSION")
    data = await read_json(request)
    command, parameters, message = _command_of(path, data)
    replaced = await apply_fault(request, sim.faults, vehicle_id=vehicle.id, api="v2", path=path)
    if replaced is not None:
        return replaced
    incapable = vehicle.incapable(path)
    if incapable is not None:
        raise SimError("COMPATIBILITY", incapable)
    sim.throttle.hit(vehicle.id, call.now)
    sim.billing.check(vehicle.id, call.now)
    sim.sync(vehicle)
    sim.run_command(vehicle, command, parameters, call.grant.mode)
    sim.billing.charge(vehicle.id, call.now)
    return json_response({"status": "success", "message": message})


# --------------------------------------------------------------------- batch


def _batch_requests(data: Any) -> list[str]:
    if not isinstance(data, dict):
        raise validation('"value" must be of type object', [])
    details: list[dict[str, Any]] = []
    if "requests" not in data:
        details.append({"field": ["requests"], "message": '"requests" is required'})
    details.extend(
        {"field": [key], "message": f'"{key}" is not allowed'} for key in data if key != "requests"
    )
    if details:
        raise SimError("VALIDATION", detail=details)
    items = data["requests"]
    if not isinstance(items, list):
        raise validation('"requests" must be an array', ["requests"])
    if not items:
        raise validation('"requests" must contain at least 1 items', ["requests"])
    paths: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise validation(f'"requests[{index}]" must be of type object', ["requests", index])
        for key in item:
            if key != "path":
                raise validation(f'"{key}" is not allowed', ["requests", index, key])
        if not isinstance(item.get("path"), str):
            raise validation('"path" is required', ["requests", index, "path"])
        paths.append(item["path"])
    return paths


async def _batch(request: web.Request, call: Call) -> web.StreamResponse:
    sim, vehicle = call.sim, call.vehicle
    data = await read_json(request)
    paths = _batch_requests(data)
    replaced = await apply_fault(
        request, sim.faults, vehicle_id=vehicle.id, api="v2", path="/batch"
    )
    if replaced is not None:
        return replaced
    sim.throttle.hit(vehicle.id, call.now)
    sim.billing.check(vehicle.id, call.now)
    sim.sync(vehicle)
    rid = request_id(request)
    responses = [_batch_item(call, raw, rid) for raw in paths]
    return json_response({"responses": responses})


def _batch_item(call: Call, raw_path: str, rid: str) -> dict[str, Any]:
    try:
        return _batch_item_ok(call, raw_path)
    except SimError as err:
        item: dict[str, Any] = {
            "path": raw_path,
            "code": err.status,
            "body": err.v2_body(rid, call.sim.app_name()),
        }
        if err.retry_after is not None:
            item["headers"] = {"retry-after": str(err.retry_after)}
        return item


def _batch_item_ok(call: Call, raw_path: str) -> dict[str, Any]:
    """Serve one batch item or raise its error (Smartcar answers items like single GETs)."""
    sim, vehicle = call.sim, call.vehicle
    url = URL(raw_path if raw_path.startswith("/") else "/" + raw_path)
    path = "/" + url.path.strip("/")
    item_call = Call(
        sim=sim,
        grant=call.grant,
        vehicle=vehicle,
        units=call.units,
        now=call.now,
        query=dict(url.query),
    )
    spec = READS.get(path)
    if spec is None:
        raise not_found()
    if spec.permission is not None and spec.permission not in call.grant.permissions:
        raise SimError("PERMISSION")
    fault = sim.faults.take(vehicle_id=vehicle.id, api="v2", method="GET", path=path)
    error = fault.error() if fault is not None else None
    if fault is not None and error is not None and fault.legacy_v1:
        return {"path": raw_path, "code": error.status, "body": error.v1_body()}
    if error is not None:
        raise error
    if spec.billable:
        incapable = vehicle.incapable(path)
        if incapable is not None:
            raise SimError("COMPATIBILITY", incapable)
        sim.billing.check(vehicle.id, call.now)
    body = spec.read(item_call)
    if spec.billable:
        sim.billing.charge(vehicle.id, call.now)
    headers = {key.lower(): value for key, value in _data_headers(item_call, spec).items()}
    return {"path": raw_path, "code": 200, "body": body, "headers": headers}


# --------------------------------------------------------------------- webhooks, disconnect


def _is_amt(request: web.Request) -> bool:
    token = bearer_token(request)
    return token is not None and hmac.compare_digest(token, const.MANAGEMENT_TOKEN)


async def _webhook(
    request: web.Request, sim: Simulator, vehicle_id: str, webhook_id: str
) -> web.Response:
    if request.method == "DELETE":
        if not _is_amt(request):
            raise SimError("AUTHENTICATION")
        if sim.webhooks.get(webhook_id) is None or vehicle_id not in sim.vehicles:
            raise not_found()
        sim.webhooks.unsubscribe(webhook_id, vehicle_id)
        return json_response({"status": "success"})
    grant = _grant(request, sim)
    sim.bucket.take(sim.clock.now())
    _vehicle(sim, grant, vehicle_id)
    if sim.webhooks.get(webhook_id) is None:
        raise not_found()
    sim.webhooks.subscribe(webhook_id, vehicle_id)
    return json_response({"webhookId": webhook_id, "vehicleId": vehicle_id})


async def _disconnect(request: web.Request, sim: Simulator, vehicle_id: str) -> web.Response:
    if _is_amt(request):
        if vehicle_id not in sim.vehicles:
            raise not_found()
        targets = [c for c in sim.connections.values() if c.vehicle_id == vehicle_id]
    else:
        grant = _grant(request, sim)
        sim.bucket.take(sim.clock.now())
        _vehicle(sim, grant, vehicle_id)
        targets = [
            c
            for c in sim.connections.values()
            if c.vehicle_id == vehicle_id and c.user_id == grant.user_id
        ]
        sim.tokens.remove_vehicle(grant.user_id, vehicle_id)
    for connection in targets:
        sim.delete_connection(connection)
    return json_response({"status": "success"})


# --------------------------------------------------------------------- compatibility


_SCOPE_ENDPOINTS: Final[dict[str, tuple[str, ...]]] = {
    "read_vehicle_info": ("/",),
    "read_vin": ("/vin",),
    "read_odometer": ("/odometer",),
    "read_location": ("/location",),
    "read_battery": ("/battery", "/battery/capacity", "/battery/nominal_capacity"),
    "read_charge": ("/charge", "/charge/limit"),
    "control_charge": ("/charge", "/charge/limit"),
    "read_security": ("/security",),
    "control_security": ("/security",),
    "read_fuel": ("/fuel",),
    "read_tires": ("/tires/pressure",),
    "read_engine_oil": ("/engine/oil",),
    "read_service_history": ("/service/history",),
    "read_diagnostics": ("/diagnostics/system_status", "/diagnostics/dtcs"),
    "control_navigation": ("/navigation/destination",),
}


def _client_authenticated(request: web.Request) -> None:
    credentials = basic_credentials(request)
    if credentials is None or not (
        hmac.compare_digest(credentials[0], const.APPLICATION_ID)
        and hmac.compare_digest(credentials[1], const.CLIENT_SECRET)
    ):
        raise SimError("AUTHENTICATION")


async def _compatibility(request: web.Request) -> web.Response:
    sim = simulator_of(request)
    _client_authenticated(request)
    vin = request.query.get("vin")
    if not vin:
        raise validation('"vin" is required', ["vin"])
    scope = request.query.get("scope", "").split()
    if not scope:
        raise validation('"scope" is required', ["scope"])
    vehicle = next((v for v in sim.vehicles.values() if v.vin == vin), None)
    if vehicle is None or vehicle.vin == const.INCOMPATIBLE_VIN:
        return json_response(
            {"compatible": False, "reason": "VEHICLE_NOT_COMPATIBLE", "capabilities": []}
        )
    capabilities = []
    for permission in scope:
        for endpoint in _SCOPE_ENDPOINTS.get(permission, ()):
            code = vehicle.incapable(endpoint)
            capabilities.append(
                {
                    "permission": permission,
                    "endpoint": endpoint,
                    "capable": code is None,
                    "reason": code,
                }
            )
    return json_response({"compatible": True, "reason": None, "capabilities": capabilities})


async def _compatibility_matrix(request: web.Request) -> web.Response:
    sim = simulator_of(request)
    _client_authenticated(request)
    region = request.query.get("region")
    if region not in ("US", "CA", "EUROPE"):
        raise validation('"region" must be one of [US, CA, EUROPE]', ["region"], code="PARAMETER")
    make = (request.query.get("make") or "").upper()
    powertrain = (request.query.get("type") or "").upper()
    matrix: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for vehicle in sim.vehicles.values():
        if (make and vehicle.make != make) or (powertrain and vehicle.powertrain != powertrain):
            continue
        if vehicle.vin == const.INCOMPATIBLE_VIN or (vehicle.make, vehicle.model) in seen:
            continue
        seen.add((vehicle.make, vehicle.model))
        endpoints = sorted(
            path for path in READS if path != "/permissions" and vehicle.incapable(path) is None
        )
        permissions = sorted(
            {perm for perm, paths in _SCOPE_ENDPOINTS.items() if any(p in endpoints for p in paths)}
        )
        matrix.setdefault(vehicle.make, []).append(
            {
                "model": vehicle.model,
                "startYear": vehicle.year - 2,
                "endYear": vehicle.year + 3,
                "type": str(vehicle.powertrain),
                "endpoints": endpoints,
                "permissions": permissions,
            }
        )
    return json_response(matrix)


def register(app: web.Application) -> None:
    """Add the v2 dispatcher (after the v3 routes, before the catch-all)."""
    app.router.add_route("*", r"/{version:v[^/]*}/{tail:.*}", dispatch)
