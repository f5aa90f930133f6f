"""Small request helpers shared by the simulator's route modules."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

from aiohttp import web

from .errors import SimError, json_response, validation

if TYPE_CHECKING:
    from .world import Fault, FaultRegistry

# aiohttp 3.14 wants typed request keys (a plain string key warns); 3.13 has none.
REQUEST_ID_KEY: Final[Any] = (
    web.RequestKey("sc_request_id", str) if hasattr(web, "RequestKey") else "sc_request_id"
)


class ConnectionDroppedError(Exception):
    """Raised by a route that closed the client's connection on purpose (fault injection)."""


def request_id(request: web.Request) -> str:
    """The request's `SC-Request-Id` (assigned by the middleware)."""
    return str(request[REQUEST_ID_KEY])


def origin(request: web.Request) -> str:
    """The simulator's own origin as the client reached it."""
    return f"{request.scheme}://{request.host}"


def bearer_token(request: web.Request) -> str | None:
    """Return the bearer token of the Authorization header, if well formed."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def basic_credentials(request: web.Request) -> tuple[str, str] | None:
    """Return (user, password) of a Basic Authorization header, if well formed."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except binascii.Error, UnicodeDecodeError:
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


async def read_json(request: web.Request, *, required: bool = True) -> Any:
    """Parse the JSON body or raise Smartcar's 400 VALIDATION with `detail`."""
    raw = await request.read()
    if not raw.strip():
        if required:
            raise validation('"body" is required', ["body"])
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise validation(f'"body" must be valid JSON ({err.__class__.__name__})', ["body"]) from err


async def read_form(request: web.Request) -> dict[str, list[str]]:
    """Parse an `application/x-www-form-urlencoded` body into lists of values."""
    raw = (await request.read()).decode("utf-8", errors="replace")
    form: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        form.setdefault(key, []).append(value)
    return form


def query_int(
    request_query: Any,
    name: str,
    default: int,
    *,
    minimum: int = 0,
    maximum: int | None = None,
) -> int:
    """Read an integer query parameter within bounds, else 400 VALIDATION PARAMETER."""
    raw = request_query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise validation(f'"{name}" must be a number', [name], code="PARAMETER") from err
    if value < minimum:
        raise validation(
            f'"{name}" must be greater than or equal to {minimum}', [name], code="PARAMETER"
        )
    if maximum is not None and value > maximum:
        raise validation(
            f'"{name}" must be less than or equal to {maximum}', [name], code="PARAMETER"
        )
    return value


def not_found() -> SimError:
    """Smartcar's 404 for an unknown path."""
    return SimError("RESOURCE_NOT_FOUND", "PATH")


async def apply_fault(
    request: web.Request,
    faults: FaultRegistry,
    *,
    vehicle_id: str | None,
    api: str,
    path: str,
    method: str | None = None,
) -> web.Response | None:
    """Play the first fault matching this request.

    Latency is slept (then the request goes on), a dropped connection aborts the socket, a raw
    fault answers with its non-JSON body, and an error fault raises its `SimError` (or answers
    with the legacy v1 body). Returns a response to send instead of the real one, or None.
    """
    fault = faults.take(vehicle_id=vehicle_id, api=api, method=method or request.method, path=path)
    if fault is None:
        return None
    return await play_fault(request, fault)


async def play_fault(request: web.Request, fault: Fault) -> web.Response | None:
    """Carry out one fault (see `apply_fault`)."""
    if fault.latency > 0:
        await asyncio.sleep(fault.latency)
    if fault.drop:
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionDroppedError
    if fault.raw_status is not None:
        return web.Response(
            status=fault.raw_status,
            text=fault.raw_body or "",
            content_type=fault.raw_content_type,
        )
    error = fault.error()
    if error is None:
        return None
    if fault.legacy_v1:
        return json_response(error.v1_body(), status=error.status, headers=error.headers())
    raise error
