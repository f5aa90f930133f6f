"""v3 connections (mode filter, §4.0 item 3) and Management API v3 subscriptions (item 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.smartcar.api import (
    ApiVersion,
    Connection,
    SmartcarAuthenticationError,
    SmartcarClient,
    SmartcarCompatibilityError,
    SmartcarResourceNotFoundError,
    SmartcarServerError,
    StaticTokenAuth,
)

from .conftest import APP_TOKEN, USER_ID, VEHICLE_ID, FakeSmartcar, Reply, load

if TYPE_CHECKING:
    from aiohttp import ClientSession, web

WEBHOOK_ID = "5a8e5e38-0a4e-4e6e-9d7e-000000000001"
SUBSCRIPTIONS = "/v3/subscriptions"
SUBSCRIPTION = f"/v3/webhooks/{WEBHOOK_ID}/subscriptions/{VEHICLE_ID}"


def _page(data: list[Any], **extra: Any) -> dict[str, Any]:
    return {"data": data, **extra}


async def test_connections_follow_pages_and_filter(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    first = load("v3_connections_page1.json")
    second = load("v3_connections_page2.json")
    stranger = {
        "id": "other",
        "type": "connection",
        "attributes": {"permissions": []},
        "relationships": {
            "vehicle": {"data": {"id": "v-other"}},
            "user": {"data": {"id": "someone-else"}},
        },
    }
    second["data"].extend([stranger, {"id": "broken"}, "garbage"])

    async def connections(request: web.Request) -> Reply:
        return Reply(first if request.query["page[number]"] == "1" else second)

    fake.add("GET", "/v3/connections", connections)
    found = await v3_client.async_get_connections(USER_ID)
    assert [connection.vehicle_id for connection in found] == [
        VEHICLE_ID,
        "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
        "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
    ]
    assert found[0] == Connection(
        vehicle_id=VEHICLE_ID,
        user_id=USER_ID,
        connected_at=datetime(2024, 1, 1, tzinfo=UTC),
        mode="live",
        permissions=("read_vehicle_info", "read_odometer", "read_battery", "control_security"),
        make="Tesla",
        model="Model S",
        year=2020,
        connection_id="32c4139a-7d7e-4d2a-9a36-1d3f5c6b7a80",
        powertrain="BEV",
    )
    calls = fake.calls()
    assert dict(calls[0].query) == {
        "page[number]": "1",
        "page[size]": "50",
        "filter[userId]": USER_ID,
    }
    assert calls[1].query["page[number]"] == "2"
    assert "sc-user-id" not in calls[0].headers
    assert calls[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"


async def test_connections_of_the_whole_app(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    flat = {"vehicleId": "v-flat", "userId": "u-flat", "connectedAt": "2023-08-10T15:00:00.000Z"}
    flat_attributes = {
        "id": "c-2",
        "attributes": {"vehicleId": "v-attr", "userId": "u-attr", "mode": "simulated"},
    }
    fake.add(
        "GET",
        "/v3/connections",
        Reply(
            _page(
                [flat, flat_attributes],
                meta={"page": {"number": 1, "size": 50, "totalPages": 1}},
            )
        ),
    )
    found = await v3_client.async_get_connections()
    assert found == [
        Connection("v-flat", "u-flat", datetime(2023, 8, 10, 15, tzinfo=UTC), None),
        Connection("v-attr", "u-attr", None, "simulated", connection_id="c-2"),
    ]
    assert "filter[userId]" not in fake.calls()[0].query


async def test_vehicle_ids_and_permissions_from_connections(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    page = load("v3_connections_page1.json")
    page["links"] = {"next": None}

    async def connections(request: web.Request) -> Reply:
        wanted = request.query.get("filter[vehicleId]")
        data = [
            item
            for item in page["data"]
            if wanted is None or item["relationships"]["vehicle"]["data"]["id"] == wanted
        ]
        return Reply({**page, "data": data})

    fake.add("GET", "/v3/connections", connections)
    assert await v3_client.async_get_vehicle_ids() == [
        VEHICLE_ID,
        "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    ]
    permissions = await v3_client.async_get_permissions(VEHICLE_ID)
    assert permissions == ("read_vehicle_info", "read_odometer", "read_battery", "control_security")
    assert fake.calls()[-1].query["filter[vehicleId]"] == VEHICLE_ID
    with pytest.raises(SmartcarResourceNotFoundError):
        await v3_client.async_get_permissions("unknown-vehicle")


async def test_connections_page_by_meta_without_links(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    """Connections take page parameters: without links, ``meta`` tells whether more follow."""
    first = {"id": "c-1", "attributes": {"vehicleId": "v-1", "userId": USER_ID}}
    second = {"id": "c-2", "attributes": {"vehicleId": "v-2", "userId": USER_ID}}

    async def connections(request: web.Request) -> Reply:
        if request.query["page[number]"] == "1":
            return Reply(_page([first], meta={"pageNumber": 1, "pageSize": 1, "totalCount": 2}))
        return Reply(_page([second], meta={"page": {"number": 2, "size": 1, "totalCount": 2}}))

    fake.add("GET", "/v3/connections", connections)
    assert await v3_client.async_get_vehicle_ids() == ["v-1", "v-2"]
    assert [dict(call.query)["page[number]"] for call in fake.calls()] == ["1", "2"]
    assert fake.calls()[1].query["page[size]"] == "1"

    fake.add("GET", "/v3/connections", Reply(_page([first], meta={"pageNumber": 1})))
    assert await v3_client.async_get_vehicle_ids() == ["v-1"]
    assert len(fake.calls()) == 3


@pytest.fixture
def simulated_client(fake: FakeSmartcar, session: ClientSession) -> SmartcarClient:
    """A v3 client of a user who connected simulated vehicles."""
    return SmartcarClient(
        session,
        StaticTokenAuth(APP_TOKEN),
        api_version=ApiVersion.V3,
        user_id=USER_ID,
        origins=fake.origins,
        vehicle_mode=" Simulated ",
    )


async def test_connections_without_mode_list_live_vehicles(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    """No mode chosen: no filter is sent, and Smartcar answers with its live default."""
    fake.add("GET", "/v3/connections", Reply(load("v3_connections_live_default.json")))
    assert v3_client.vehicle_mode is None
    vehicles = await v3_client.async_list_vehicles()
    assert list(vehicles) == [VEHICLE_ID]
    connection = vehicles[VEHICLE_ID]
    assert connection is not None
    assert (connection.mode, connection.make) == ("live", "VOLKSWAGEN")
    (call,) = fake.calls()
    assert "filter[vehicle.mode]" not in call.query


async def test_connections_follow_the_chosen_mode(
    fake: FakeSmartcar, simulated_client: SmartcarClient
) -> None:
    """The entry's live/simulated choice becomes ``filter[vehicle.mode]`` on every listing."""
    simulated = load("v3_connections_live_default.json")
    simulated["data"][0]["attributes"]["vehicle"]["mode"] = "simulated"
    live = load("v3_connections_live_default.json")["data"][0]
    live["relationships"]["vehicle"]["data"]["id"] = "live-car"
    without_mode = {
        "id": "c-3",
        "attributes": {"vehicleId": "unknown-mode-car", "userId": USER_ID},
    }
    simulated["data"].extend([live, without_mode])
    fake.add("GET", "/v3/connections", Reply(simulated))
    assert simulated_client.vehicle_mode == "simulated"
    assert list(await simulated_client.async_list_vehicles()) == [
        "unknown-mode-car",
        VEHICLE_ID,
    ]
    assert await simulated_client.async_get_vehicle_ids() == [VEHICLE_ID, "unknown-mode-car"]
    assert await simulated_client.async_get_permissions(VEHICLE_ID) == (
        "read_vehicle_info",
        "read_battery",
    )
    explicit = await simulated_client.async_get_connections(mode="LIVE")
    assert [c.vehicle_id for c in explicit] == ["live-car", "unknown-mode-car"]
    modes = [call.query.get("filter[vehicle.mode]") for call in fake.calls()]
    assert modes == ["simulated", "simulated", "simulated", "live"]
    assert fake.calls()[0].query["filter[userId]"] == USER_ID
    assert fake.calls()[2].query["filter[vehicleId]"] == VEHICLE_ID


async def test_subscribe_vehicle(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    """POST /subscriptions with the application token: 202 → True, 409 → False."""
    fake.add(
        "POST",
        SUBSCRIPTIONS,
        Reply(load("mgmt_subscription_created.json"), status=202),
        Reply(load("mgmt_subscription_conflict.json"), status=409),
        Reply(load("error_v3_unauthorized.json"), status=401),
    )
    assert v3_client.manages_subscriptions
    assert await v3_client.async_subscribe_vehicle(WEBHOOK_ID, VEHICLE_ID) is True
    assert await v3_client.async_subscribe_vehicle(WEBHOOK_ID, VEHICLE_ID, "other-user") is False
    with pytest.raises(SmartcarAuthenticationError):
        await v3_client.async_subscribe_vehicle(WEBHOOK_ID, VEHICLE_ID)
    first, second, _third = fake.calls()
    assert first.json() == {
        "data": {
            "attributes": {"webhookId": WEBHOOK_ID, "vehicleId": VEHICLE_ID, "userId": USER_ID}
        }
    }
    assert second.json()["data"]["attributes"]["userId"] == "other-user"
    assert first.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert "sc-user-id" not in first.headers


async def test_unsubscribe_vehicle(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    """DELETE of the webhook's subscription: removed → True, unknown (404) → False."""
    fake.add(
        "DELETE",
        SUBSCRIPTION,
        Reply(status=204),
        Reply(load("error_v3_not_found.json"), status=404),
        Reply({"errors": [{"status": "500", "code": "internal_error"}]}, status=500),
    )
    assert await v3_client.async_unsubscribe_vehicle(WEBHOOK_ID, VEHICLE_ID) is True
    assert await v3_client.async_unsubscribe_vehicle(WEBHOOK_ID, VEHICLE_ID) is False
    with pytest.raises(SmartcarServerError):
        await v3_client.async_unsubscribe_vehicle(WEBHOOK_ID, VEHICLE_ID)
    first = fake.calls()[0]
    assert first.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert first.headers["sc-user-id"] == USER_ID
    assert first.body == b""


async def test_subscriptions_use_the_management_v3_host(
    fake: FakeSmartcar, session: ClientSession
) -> None:
    """Management v3 is its own origin; an anonymous client sends no user."""
    origins = fake.origins
    client = SmartcarClient(
        session, StaticTokenAuth(APP_TOKEN), api_version=ApiVersion.V3, origins=origins
    )
    fake.add("POST", SUBSCRIPTIONS, Reply(load("mgmt_subscription_created.json"), status=202))
    fake.add("DELETE", SUBSCRIPTION, Reply(status=204))
    assert await client.async_subscribe_vehicle(WEBHOOK_ID, VEHICLE_ID)
    assert await client.async_unsubscribe_vehicle(WEBHOOK_ID, VEHICLE_ID)
    post, delete = fake.calls()
    assert post.json() == {
        "data": {"attributes": {"webhookId": WEBHOOK_ID, "vehicleId": VEHICLE_ID}}
    }
    assert "sc-user-id" not in delete.headers


async def test_subscriptions_need_api_v3(v2_client: SmartcarClient, fake: FakeSmartcar) -> None:
    assert not v2_client.manages_subscriptions
    with pytest.raises(SmartcarCompatibilityError) as caught:
        await v2_client.async_subscribe_vehicle(WEBHOOK_ID, VEHICLE_ID)
    assert caught.value.code == "API_VERSION"
    with pytest.raises(SmartcarCompatibilityError):
        await v2_client.async_unsubscribe_vehicle(WEBHOOK_ID, VEHICLE_ID)
    assert fake.calls() == []
