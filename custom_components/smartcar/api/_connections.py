"""Who is connected, and which vehicles a webhook is subscribed to (v3 application token).

``GET /connections`` lists the application's vehicle connections; without a
``filter[vehicle.mode]`` Smartcar lists only live vehicles, so the mode the user chose in
Connect is sent along. Webhook subscriptions go through the Management API v3 (its own host).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from yarl import URL

from . import _convert, _json
from .const import HEADER_USER_ID, V3_PAGE_SIZE
from .errors import SmartcarError
from .models import Connection, Vehicle

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._transport import Transport

#: Smartcar answers 409 when the subscription to create already exists.
_CONFLICT: Final = 409
#: ... and 404 when the subscription to remove does not exist.
_NOT_FOUND: Final = 404


def parse_vehicle(body: Any, vehicle_id: str) -> Vehicle:
    """Read v2 attributes or a v3 vehicle resource."""
    resource = _json.resource(body)
    attributes = _json.mapping(resource.get("attributes")) or resource
    return Vehicle(
        id=_json.text(resource.get("id")) or vehicle_id,
        make=_json.text(attributes.get("make")) or "",
        model=_json.text(attributes.get("model")) or "",
        year=_json.integer(attributes.get("year")) or 0,
    )


def _related_id(relationships: Mapping[str, Any], name: str) -> str | None:
    """The id of a JSON:API relationship (``relationships.<name>.data.id``)."""
    return _json.text(_json.mapping(_json.mapping(relationships.get(name)).get("data")).get("id"))


def parse_connection(item: Any) -> Connection | None:
    """Read a v3 connection resource (or a flat v2 management connection)."""
    item = _json.mapping(item)
    attributes = _json.mapping(item.get("attributes"))
    relationships = _json.mapping(item.get("relationships"))
    vehicle = _json.mapping(attributes.get("vehicle"))
    meta = _json.mapping(item.get("meta"))
    vehicle_id = (
        _related_id(relationships, "vehicle")
        or _json.text(attributes.get("vehicleId"))
        or _json.text(vehicle.get("id"))
        or _json.text(item.get("vehicleId"))
    )
    user_id = (
        _related_id(relationships, "user")
        or _json.text(attributes.get("userId"))
        or _json.text(item.get("userId"))
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
        mode=_json.text(vehicle.get("mode"))
        or _json.text(attributes.get("mode"))
        or _json.text(item.get("mode")),
        permissions=tuple(
            p for p in _json.array(attributes.get("permissions")) if isinstance(p, str)
        ),
        make=_json.text(vehicle.get("make")),
        model=_json.text(vehicle.get("model")),
        year=_json.integer(vehicle.get("year")),
        connection_id=_json.text(item.get("id")),
        powertrain=_json.text(vehicle.get("powertrainType")),
    )


async def list_connections(
    transport: Transport,
    *,
    user_id: str | None,
    vehicle_id: str | None,
    mode: str | None,
) -> list[Connection]:
    """Every v3 connection of the application, optionally of one user, vehicle and mode."""
    params = {"page[number]": "1", "page[size]": str(V3_PAGE_SIZE)}
    if user_id is not None:
        params["filter[userId]"] = user_id
    if vehicle_id is not None:
        params["filter[vehicleId]"] = vehicle_id
    if mode is not None:
        params["filter[vehicle.mode]"] = mode
    url = URL(f"{transport.origins.v3_base}/connections").with_query(params)
    items = await transport.collection(url, user=False, paging=("page[number]", "page[size]"))
    return [
        connection
        for item in items
        if (connection := parse_connection(item)) is not None
        and (user_id is None or connection.user_id == user_id)
        and (vehicle_id is None or connection.vehicle_id == vehicle_id)
        and (mode is None or connection.mode is None or connection.mode.lower() == mode)
    ]


async def subscribe(
    transport: Transport, webhook_id: str, vehicle_id: str, user_id: str | None
) -> bool:
    """``POST /subscriptions``: ``True`` when accepted, ``False`` when it already exists."""
    attributes = {"webhookId": webhook_id, "vehicleId": vehicle_id}
    if user_id is not None:
        attributes["userId"] = user_id
    try:
        await transport.request(
            "POST",
            f"{transport.origins.management_v3_base}/subscriptions",
            json_body={"data": {"attributes": attributes}},
        )
    except SmartcarError as err:
        if err.status == _CONFLICT:
            return False
        raise
    return True


async def unsubscribe(
    transport: Transport, webhook_id: str, vehicle_id: str, user_id: str | None
) -> bool:
    """``DELETE /webhooks/{webhookId}/subscriptions/{vehicleId}``; ``False`` when unknown.

    Smartcar's API reference shows how a subscription is created, not how it is removed; the
    path is the one Smartcar announced with API v3 (see the module of the client).
    """
    url = (
        f"{transport.origins.management_v3_base}/webhooks/{quote(webhook_id, safe='')}"
        f"/subscriptions/{quote(vehicle_id, safe='')}"
    )
    headers = {HEADER_USER_ID: user_id} if user_id is not None else None
    try:
        await transport.request("DELETE", url, headers=headers)
    except SmartcarError as err:
        if err.status == _NOT_FOUND:
            return False
        raise
    return True
