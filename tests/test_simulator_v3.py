"""API v3: application tokens with sc-user-id, paged signals, connections, commands (200/202)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.simulator import RunningSimulator, const
from tests.simulator.clock import iso_ms
from tests.simulator.testing import Reply, call


def _headers(user_id: str | None = const.DEMO_USER_ID) -> dict[str, str]:
    return {"sc-user-id": user_id} if user_id else {}


async def _get(
    session: aiohttp.ClientSession,
    running: RunningSimulator,
    path: str,
    token: str,
    user_id: str | None = const.DEMO_USER_ID,
    **kwargs: Any,
) -> Reply:
    return await call(
        session,
        "GET",
        f"{running.origin}/v3{path}",
        token=token,
        headers=_headers(user_id),
        **kwargs,
    )


async def test_signals_from_the_store_on_one_page(simulator: RunningSimulator) -> None:
    """One page with pageNumber, ISO meta with ingestedAt, the corrected signals (§4.0)."""
    sim = simulator.simulator
    sim.connect_account()
    token = sim.app_token()
    retrieved = iso_ms(sim.clock.now())
    path = f"/vehicles/{const.BEV_VEHICLE_ID}/signals"
    async with aiohttp.ClientSession() as session:
        no_user = await _get(session, simulator, path, token, user_id=None)
        assert no_user.status == 400
        assert no_user.body["errors"][0]["code"] == "bad_request"
        assert no_user.headers["Content-Type"].startswith("application/json")

        first = await _get(session, simulator, path, token)
        assert first.status == 200
        total = first.body["meta"]["totalCount"]
        assert first.body["meta"] == {"pageNumber": 1, "pageSize": total, "totalCount": total}
        assert first.body["links"] == {"self": path}
        assert first.body["included"]["vehicle"] == {
            "id": const.BEV_VEHICLE_ID,
            "type": "vehicle",
            "attributes": {"make": "VOLKSWAGEN", "model": "ID.4", "year": 2022},
        }
        signals = {item["id"]: item for item in first.body["data"]}
        assert len(signals) == total
        assert "internalcombustionengine-fuellevel" not in signals
        assert "charge-activelimit" not in signals
        assert "closure-chargeport" not in signals

        soc = signals["tractionbattery-stateofcharge"]
        assert soc["attributes"]["body"] == {"unit": "percent", "value": 55.0}
        assert soc["attributes"]["status"] == {"value": "SUCCESS"}
        assert soc["meta"]["retrievedAt"] == soc["meta"]["ingestedAt"] == retrieved
        assert soc["meta"]["oemUpdatedAt"].endswith("Z")
        assert soc["links"]["self"] == f"{path}/{soc['id']}"
        limits = signals["charge-chargelimits"]["attributes"]["body"]
        assert [(v["type"], v["limit"]) for v in limits["values"]] == [
            ("GLOBAL", 80),
            ("LOCATION", 90),
        ]
        assert limits["values"][1]["condition"]["name"] == "Work"
        assert limits["activeLimit"] == 80
        flap = signals["charge-ischargingportflapopen"]["attributes"]["body"]
        assert flap == {"value": True}
        tires = signals["wheel-tires"]["attributes"]["body"]
        assert "unit" not in tires
        assert tires["values"][0] == {"row": 0, "column": 0, "tirePressure": 2.5}

        sim.set_vehicle_state(const.PHEV_VEHICLE_ID, plugged_in=False)
        phev = await _get(session, simulator, f"/vehicles/{const.PHEV_VEHICLE_ID}/signals", token)
        phev_signals = {item["id"]: item["attributes"]["body"] for item in phev.body["data"]}
        assert phev_signals["charge-chargelimits"]["activeLimit"] is None
        assert phev_signals["wheel-tires"]["unit"] == "bar"
        tesla = await _get(session, simulator, f"/vehicles/{const.TESLA_VEHICLE_ID}/signals", token)
        tesla_tires = next(i for i in tesla.body["data"] if i["id"] == "wheel-tires")
        assert tesla_tires["attributes"]["body"]["unit"] == "kPa"
        assert tesla_tires["attributes"]["body"]["values"][0]["tirePressure"] == 290.0

        sim.configure(signals_page_size=10)
        paged = await _get(session, simulator, path, token)
        assert paged.body["meta"] == {"pageNumber": 1, "pageSize": 10, "totalCount": total}
        codes = [item["id"] for item in paged.body["data"]]
        link = paged.body["links"]["next"]
        while link is not None:
            following = await _get(session, simulator, link, token)
            assert following.body["meta"]["pageNumber"] == int(link.rsplit("=", 1)[1])
            codes.extend(item["id"] for item in following.body["data"])
            link = following.body["links"].get("next")
        assert codes == list(signals)
        beyond = await _get(session, simulator, f"{path}?page=9", token)
        assert beyond.body["data"] == []
        assert beyond.body["links"] == {"self": f"{path}?page=9"}
        bad = await _get(session, simulator, f"{path}?page=0", token)
        assert bad.status == 400


async def test_single_signals_and_access(simulator: RunningSimulator) -> None:
    """One signal; ICE battery → 501; unknown code → 404; wrong user → 403; v2 tokens work."""
    sim = simulator.simulator
    v2_token = sim.connect_account(permissions=["read_vehicle_info", "read_fuel"]).access_token
    token = sim.app_token()
    async with aiohttp.ClientSession() as session:
        fuel = await _get(
            session,
            simulator,
            f"/vehicles/{const.ICE_VEHICLE_ID}/signals/internalcombustionengine-fuellevel",
            token,
        )
        assert fuel.body["data"]["attributes"]["body"] == {"unit": "percent", "value": 30.0}
        assert fuel.body["data"]["type"] == "signal"
        battery = await _get(
            session,
            simulator,
            f"/vehicles/{const.ICE_VEHICLE_ID}/signals/tractionbattery-stateofcharge",
            token,
        )
        assert battery.status == 403, "read_battery was not granted"
        everything = sim.connect_account().access_token
        battery = await _get(
            session,
            simulator,
            f"/vehicles/{const.ICE_VEHICLE_ID}/signals/tractionbattery-stateofcharge",
            everything,
        )
        assert battery.status == 501
        error = battery.body["errors"][0]
        assert (error["status"], error["code"], error["type"]) == (
            "501",
            "VEHICLE_NOT_CAPABLE",
            "COMPATIBILITY",
        )
        unknown = await _get(
            session, simulator, f"/vehicles/{const.ICE_VEHICLE_ID}/signals/nope-nope", token
        )
        assert (unknown.status, unknown.body["errors"][0]["code"]) == (404, "not_found")
        stranger = await _get(
            session,
            simulator,
            f"/vehicles/{const.ICE_VEHICLE_ID}/signals",
            token,
            user_id=const.SECOND_USER_ID,
        )
        assert (stranger.status, stranger.body["errors"][0]["code"]) == (403, "forbidden")
        vehicle = await _get(session, simulator, f"/vehicles/{const.ICE_VEHICLE_ID}", v2_token)
        assert vehicle.body == {
            "id": const.ICE_VEHICLE_ID,
            "type": "vehicle",
            "attributes": {"make": "FORD", "model": "Escape", "year": 2021},
            "links": {"self": f"/vehicles/{const.ICE_VEHICLE_ID}"},
        }
        unauthenticated = await _get(session, simulator, "/connections", "nope")
        assert unauthenticated.body["errors"][0] == {
            "status": "401",
            "code": "unauthorized",
            "title": "Unauthorized",
            "detail": unauthenticated.body["errors"][0]["detail"],
            "type": "AUTHENTICATION",
            "resolution": {"type": None},
            "links": {
                "about": "https://smartcar.com/docs/errors/api-errors/authentication-errors#null"
            },
        }
        path = await _get(session, simulator, "/nothing", token)
        assert (path.status, path.body["errors"][0]["code"]) == (404, "not_found")


async def test_connections(simulator: RunningSimulator) -> None:
    """Filters and page parameters in both bracket spellings; single and DELETE."""
    sim = simulator.simulator
    demo = sim.connect_account()
    sim.connect_account(const.SECOND_USER_EMAIL)
    token = sim.app_token()
    origin = simulator.origin
    async with aiohttp.ClientSession() as session:
        everything = await _get(session, simulator, "/connections", token, user_id=None)
        assert everything.body["meta"] == {"page": 1, "pageSize": 10, "totalCount": 5}
        raw = await call(
            session,
            "GET",
            f"{origin}/v3/connections?filter[userId]={const.DEMO_USER_ID}&page[size]=3&page[number]=2",
            token=token,
        )
        assert raw.body["meta"] == {"page": 2, "pageSize": 3, "totalCount": 4}
        assert len(raw.body["data"]) == 1
        assert raw.body["links"]["next"] is None
        assert raw.body["links"]["previous"].startswith("/connections?")
        encoded = await call(
            session,
            "GET",
            f"{origin}/v3/connections?filter%5BvehicleId%5D={const.NISSAN_VEHICLE_ID}",
            token=token,
        )
        (connection,) = encoded.body["data"]
        assert connection["type"] == "connection"
        assert connection["attributes"]["vehicle"] == {
            "make": "NISSAN",
            "model": "LEAF",
            "year": 2020,
            "mode": "live",
            "powertrainType": "BEV",
        }
        assert connection["relationships"]["user"]["data"] == {
            "id": const.SECOND_USER_ID,
            "type": "user",
        }
        by_header = await _get(
            session, simulator, "/connections", token, user_id=const.SECOND_USER_ID
        )
        assert by_header.body["meta"]["totalCount"] == 1
        single = await _get(session, simulator, f"/connections/{connection['id']}", token)
        assert single.body["data"]["id"] == connection["id"]

        bev = next(c for c in sim.connections.values() if c.vehicle_id == const.BEV_VEHICLE_ID)
        deleted = await call(session, "DELETE", f"{origin}/v3/connections/{bev.id}", token=token)
        assert deleted.status == 204
        v2 = await call(
            session,
            "GET",
            f"{origin}/v2.0/vehicles/{const.BEV_VEHICLE_ID}/battery",
            token=demo.access_token,
        )
        assert v2.status == 401
        user = await call(
            session, "DELETE", f"{origin}/v3/users/{const.SECOND_USER_ID}", token=token
        )
        assert user.status == 204
        again = await call(
            session, "DELETE", f"{origin}/v3/users/{const.SECOND_USER_ID}", token=token
        )
        assert again.status == 404
        wrong_kind = await _get(session, simulator, "/connections", demo.access_token)
        assert wrong_kind.status == 401


async def _command(
    session: aiohttp.ClientSession,
    running: RunningSimulator,
    vehicle_id: str,
    command: str,
    token: str,
    *,
    body: Any = None,
) -> Reply:
    return await call(
        session,
        "POST",
        f"{running.origin}/v3/vehicles/{vehicle_id}/commands/{command}",
        token=token,
        headers=_headers(),
        json=body,
    )


async def test_sync_commands(simulator: RunningSimulator) -> None:
    """Commands answer 200 with a command-execution; errors are JSON:API."""
    sim = simulator.simulator
    sim.connect_account()
    token = sim.app_token()
    async with aiohttp.ClientSession() as session:
        unlock = await _command(session, simulator, const.BEV_VEHICLE_ID, "security/unlock", token)
        assert unlock.status == 200
        data = unlock.body["data"]
        assert data["type"] == "command-execution"
        assert data["id"].startswith("exec_")
        assert data["attributes"] == {
            "commandType": "security-unlock",
            "status": {"value": "SUCCESS"},
            "executionMode": "sync",
            "parameters": {},
        }
        assert set(data["meta"]) == {"executedAt", "completedAt", "durationInSeconds"}
        assert sim.vehicles[const.BEV_VEHICLE_ID].locked is False
        limit = await _command(
            session,
            simulator,
            const.BEV_VEHICLE_ID,
            "charge/set-limit",
            token,
            body={"data": {"attributes": {"percent": 85}}},
        )
        assert limit.body["data"]["attributes"]["parameters"] == {"percent": 85}
        assert sim.vehicles[const.BEV_VEHICLE_ID].charge_limit == 85
        stop = await _command(session, simulator, const.BEV_VEHICLE_ID, "charge/stop", token)
        assert stop.body["data"]["attributes"]["commandType"] == "charge-stop"
        assert sim.vehicles[const.BEV_VEHICLE_ID].charging is False
        for body in (None, {"data": {"attributes": {"percent": 40}}}, {"data": 3}):
            bad = await _command(
                session, simulator, const.BEV_VEHICLE_ID, "charge/set-limit", token, body=body
            )
            assert bad.status == 400, body
            assert bad.body["errors"][0]["code"] == "bad_request"
        tesla = await _command(session, simulator, const.TESLA_VEHICLE_ID, "security/lock", token)
        assert tesla.status == 400
        error = tesla.body["errors"][0]
        assert (error["code"], error["type"]) == (
            "VIRTUAL_KEY_REQUIRED",
            "CONNECTED_SERVICES_ACCOUNT",
        )
        assert error["resolution"] == {
            "type": "ACTION_REQUIRED",
            "url": const.TESLA_VIRTUAL_KEY_URL,
        }
        unknown = await _command(session, simulator, const.BEV_VEHICLE_ID, "trunk/open", token)
        assert unknown.status == 404
        sim.inject_fault(
            vehicle_id=const.BEV_VEHICLE_ID,
            path="/commands/security/lock",
            error_type="VEHICLE_STATE",
            error_code="UNREACHABLE",
            command_status=True,
        )
        failed = await _command(session, simulator, const.BEV_VEHICLE_ID, "security/lock", token)
        assert failed.status == 200
        status = failed.body["data"]["attributes"]["status"]
        assert status["value"] == "FAILED"
        assert (status["error"]["type"], status["error"]["code"]) == (
            "VEHICLE_STATE",
            "UNREACHABLE",
        )
        assert sim.vehicles[const.BEV_VEHICLE_ID].locked is False


async def test_slow_commands_answer_202(simulator: RunningSimulator) -> None:
    """A slow command is PENDING (202) until the clock passes its duration."""
    sim = simulator.simulator
    sim.connect_account()
    token = sim.app_token()
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{simulator.origin}/_simulator/commands/slow",
            json={"seconds": 30, "vehicle_id": const.BEV_VEHICLE_ID, "command": "charge/stop"},
        ) as response:
            assert response.status == 200
        pending = await _command(session, simulator, const.BEV_VEHICLE_ID, "charge/stop", token)
        assert pending.status == 202
        data = pending.body["data"]
        assert data["attributes"]["status"] == {"value": "PENDING"}
        assert data["attributes"]["executionMode"] == "async"
        assert data["meta"]["completedAt"] is None
        assert "links" not in data  # no documented way to look an execution up
        sim.configure(execution_links=True)
        link = f"/vehicles/{const.BEV_VEHICLE_ID}/commands/executions/{data['id']}"
        still = await _get(session, simulator, link, token)
        assert still.body["data"]["attributes"]["status"] == {"value": "PENDING"}
        assert sim.vehicles[const.BEV_VEHICLE_ID].charging is True
        sim.advance(30)
        done = await _get(session, simulator, link, token)
        assert done.body["data"]["attributes"]["status"] == {"value": "SUCCESS"}
        assert done.body["data"]["meta"]["durationInSeconds"] == 30
        assert sim.vehicles[const.BEV_VEHICLE_ID].charging is False

        sim.set_slow_command(60, command="charge/start")
        later = await _command(session, simulator, const.PHEV_VEHICLE_ID, "charge/start", token)
        assert later.status == 202
        sim.advance(60)
        failed = await _get(session, simulator, later.body["data"]["links"]["self"], token)
        status = failed.body["data"]["attributes"]["status"]
        assert status["value"] == "FAILED"
        assert status["error"]["code"] == "CHARGING_PLUG_NOT_CONNECTED"
        sync_again = await _command(
            session, simulator, const.BEV_VEHICLE_ID, "security/lock", token
        )
        assert sync_again.status == 200
