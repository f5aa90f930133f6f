"""The v2 Management API: list and delete the app's vehicle connections (§3.3).

Authenticated with HTTP Basic `default:<AMT>`; listing pages with an opaque cursor, newest
connection first, as the real endpoint does.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import TYPE_CHECKING, Any, Final

from . import const
from .clock import iso_ms
from .errors import SimError, json_response, validation
from .httputil import basic_credentials, query_int
from .simulator import simulator_of

if TYPE_CHECKING:
    from aiohttp import web

_CURSOR_PREFIX: Final = "AES-256-CBC::base64::"


def _authenticate(request: web.Request) -> None:
    credentials = basic_credentials(request)
    if credentials is None or not (
        credentials[0] == "default" and hmac.compare_digest(credentials[1], const.MANAGEMENT_TOKEN)
    ):
        raise SimError("AUTHENTICATION")


def _encode_cursor(offset: int) -> str:
    payload = json.dumps({"offset": offset}).encode()
    return _CURSOR_PREFIX + base64.urlsafe_b64encode(payload).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor.startswith(_CURSOR_PREFIX):
        raise validation('"cursor" is invalid', ["cursor"], code="PARAMETER")
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(cursor[len(_CURSOR_PREFIX) :]))
        offset = int(data["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error) as err:
        raise validation('"cursor" is invalid', ["cursor"], code="PARAMETER") from err
    if offset < 0:
        raise validation('"cursor" is invalid', ["cursor"], code="PARAMETER")
    return offset


async def connections(request: web.Request) -> web.Response:
    """`GET`/`DELETE /v2.0/management/connections`."""
    sim = simulator_of(request)
    _authenticate(request)
    user_id = request.query.get("user_id") or None
    vehicle_id = request.query.get("vehicle_id") or None
    if request.method == "DELETE":
        if (user_id is None) == (vehicle_id is None):
            raise validation(
                "Provide exactly one of user_id or vehicle_id", ["user_id", "vehicle_id"]
            )
        doomed = [
            c
            for c in sim.connections.values()
            if (user_id is None or c.user_id == user_id)
            and (vehicle_id is None or c.vehicle_id == vehicle_id)
        ]
        for connection in doomed:
            sim.delete_connection(connection)
        return json_response(
            {"connections": [{"vehicleId": c.vehicle_id, "userId": c.user_id} for c in doomed]}
        )
    if request.method != "GET":
        raise SimError("RESOURCE_NOT_FOUND", "PATH")
    limit = query_int(request.query, "limit", 10, minimum=1, maximum=100)
    mode = request.query.get("mode") or None
    cursor = request.query.get("cursor")
    offset = _decode_cursor(cursor) if cursor else 0
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
    page = matching[offset : offset + limit]
    following = offset + limit
    return json_response(
        {
            "connections": [
                {
                    "connectedAt": iso_ms(c.connected_at),
                    "vehicleId": c.vehicle_id,
                    "userId": c.user_id,
                    "mode": c.mode,
                }
                for c in page
            ],
            "paging": {
                "cursor": _encode_cursor(following) if following < len(matching) else None,
                "count": len(page),
            },
        }
    )
