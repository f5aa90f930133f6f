"""Fault injection and the admin API: errors, latency, drops, raw bodies, inspection, state."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import aiohttp
import pytest

from tests.simulator import RunningSimulator, Simulator, const, run_simulator
from tests.simulator.testing import call

if TYPE_CHECKING:
    from pathlib import Path


async def test_faults_through_the_admin_api(simulator: RunningSimulator) -> None:
    """One-shot and persistent catalogue errors, filtered by vehicle, path and method."""
    sim = simulator.simulator
    token = sim.connect_account().access_token
    origin = simulator.origin
    bev = f"{origin}/v2.0/vehicles/{const.BEV_VEHICLE_ID}"
    async with aiohttp.ClientSession() as session:
        added = await call(
            session,
            "POST",
            f"{origin}/_simulator/faults",
            json={
                "vehicle_id": const.BEV_VEHICLE_ID,
                "path": "/battery",
                "type": "UPSTREAM",
                "code": "NO_RESPONSE",
            },
        )
        assert added.status == 201
        failing = await call(session, "GET", bev + "/battery", token=token)
        assert (failing.status, failing.body["type"], failing.body["code"]) == (
            502,
            "UPSTREAM",
            "NO_RESPONSE",
        )
        assert failing.body["resolution"] == {"type": "RETRY_LATER"}
        assert (await call(session, "GET", bev + "/battery", token=token)).status == 200

        persistent = await call(
            session,
            "POST",
            f"{origin}/_simulator/faults",
            json={
                "path": "/charge*",
                "method": "GET",
                "type": "SERVER",
                "code": "INTERNAL",
                "times": None,
            },
        )
        for _ in range(2):
            assert (await call(session, "GET", bev + "/charge/limit", token=token)).status == 500
        command = await call(session, "POST", bev + "/charge", token=token, json={"action": "STOP"})
        assert command.status == 200, "the fault is for GET only"
        listed = await call(session, "GET", f"{origin}/_simulator/faults")
        assert [fault["id"] for fault in listed.body] == [persistent.body["id"]]
        removed = await call(
            session, "DELETE", f"{origin}/_simulator/faults/{persistent.body['id']}"
        )
        assert removed.body == {"removed": 1}
        assert (await call(session, "GET", bev + "/charge", token=token)).status == 200

        bad = await call(
            session, "POST", f"{origin}/_simulator/faults", json={"type": "NOPE", "code": "X"}
        )
        assert bad.status == 400
        unknown_field = await call(
            session, "POST", f"{origin}/_simulator/faults", json={"colour": "red"}
        )
        assert unknown_field.status == 400

        sim.inject_fault(
            vehicle_id=const.BEV_VEHICLE_ID,
            error_type="CONNECTED_SERVICES_ACCOUNT",
            error_code="AUTHENTICATION_FAILED",
            resolution_url=f"{origin}/oauth/reauthenticate?response_type=vehicle_id",
        )
        csa = await call(session, "GET", bev + "/odometer", token=token)
        assert csa.status == 400
        assert csa.body["resolution"]["type"] == "REAUTHENTICATE"
        assert csa.body["resolution"]["url"].startswith(f"{origin}/oauth/reauthenticate")


async def test_latency_drop_raw_and_legacy(simulator: RunningSimulator) -> None:
    """Latency delays, a drop closes the socket, raw and v1 bodies come back as configured."""
    sim = simulator.simulator
    token = sim.connect_account().access_token
    bev = f"{simulator.origin}/v2.0/vehicles/{const.BEV_VEHICLE_ID}"
    async with aiohttp.ClientSession() as session:
        sim.inject_fault(vehicle_id=const.BEV_VEHICLE_ID, path="/odometer", latency=0.2)
        started = time.monotonic()
        slow = await call(session, "GET", bev + "/odometer", token=token)
        assert slow.status == 200
        assert time.monotonic() - started >= 0.2

        drop = sim.inject_fault(
            vehicle_id=const.BEV_VEHICLE_ID, path="/location", drop=True, times=None
        )
        with pytest.raises(aiohttp.ClientError):
            await call(session, "GET", bev + "/location", token=token)
        assert sim.request_log[-1].status == 0
        assert drop.hits >= 1  # aiohttp retries an idempotent request once on a reset
        sim.clear_faults(drop.id)
        assert (await call(session, "GET", bev + "/location", token=token)).status == 200

        sim.inject_fault(
            path="/vin",
            raw_status=503,
            raw_body="<html>Service Unavailable</html>",
            raw_content_type="text/html",
        )
        raw = await call(session, "GET", bev + "/vin", token=token)
        assert raw.status == 503
        assert raw.headers["Content-Type"].startswith("text/html")
        assert raw.body == "<html>Service Unavailable</html>"

        sim.inject_fault(
            path="/charge", error_type="VEHICLE_STATE", error_code="ASLEEP", legacy_v1=True
        )
        legacy = await call(session, "GET", bev + "/charge", token=token)
        assert legacy.status == 409
        assert legacy.body == {
            "error": "vehicle_state_error",
            "message": legacy.body["message"],
            "code": "ASLEEP",
        }
        sim.inject_fault(path="/charge", error_type="PERMISSION", legacy_v1=True)
        batch = await call(
            session,
            "POST",
            bev + "/batch",
            token=token,
            json={"requests": [{"path": "/charge"}, {"path": "/battery"}]},
        )
        assert batch.body["responses"][0] == {
            "path": "/charge",
            "code": 403,
            "body": {
                "error": "permission_error",
                "message": batch.body["responses"][0]["body"]["message"],
                "code": None,
            },
        }


async def test_signal_faults(simulator: RunningSimulator) -> None:
    """A fault on a v3 signal marks just that signal as ERROR in the list."""
    sim = simulator.simulator
    sim.connect_account()
    sim.inject_fault(
        vehicle_id=const.BEV_VEHICLE_ID,
        signal="tractionbattery-stateofcharge",
        error_type="VEHICLE_STATE",
        error_code="ASLEEP",
    )
    async with aiohttp.ClientSession() as session:
        reply = await call(
            session,
            "GET",
            f"{simulator.origin}/v3/vehicles/{const.BEV_VEHICLE_ID}/signals",
            token=sim.app_token(),
            headers={"sc-user-id": const.DEMO_USER_ID},
        )
    soc, range_ = reply.body["data"][:2]
    assert soc["attributes"]["status"]["value"] == "ERROR"
    assert soc["attributes"]["status"]["error"]["code"] == "ASLEEP"
    assert "body" not in soc["attributes"]
    assert range_["attributes"]["status"] == {"value": "SUCCESS"}


async def test_admin_inspection_and_control(simulator: RunningSimulator) -> None:
    """Vehicle state, clock, token revocation, request log, billing, reset."""
    sim = simulator.simulator
    origin = simulator.origin
    admin = f"{origin}/_simulator"
    async with aiohttp.ClientSession() as session:
        summary = await call(session, "GET", f"{admin}/")
        assert summary.body["vehicles"] == len(sim.vehicles)
        tokens = await call(
            session,
            "POST",
            f"{admin}/tokens",
            json={"email": const.DEMO_USER_EMAIL, "vehicle_ids": [const.PHEV_VEHICLE_ID]},
        )
        token = tokens.body["access_token"]
        patched = await call(
            session,
            "PATCH",
            f"{admin}/vehicles/{const.PHEV_VEHICLE_ID}",
            json={"plugged_in": True, "soc": 40, "doors": {"backLeft": "OPEN"}},
        )
        assert patched.body["charging_state"] == "CHARGING"
        assert set(patched.body["changed"]) == {"plugged_in", "soc", "doors"}
        invalid = await call(
            session, "PATCH", f"{admin}/vehicles/{const.PHEV_VEHICLE_ID}", json={"wings": 2}
        )
        assert invalid.status == 400
        missing = await call(session, "GET", f"{admin}/vehicles/not-a-car")
        assert missing.status == 404
        advanced = await call(session, "POST", f"{admin}/clock/advance", json={"seconds": 600})
        assert advanced.body["now"] > summary.body["now"]
        drive = await call(
            session,
            "POST",
            f"{admin}/vehicles/{const.ICE_VEHICLE_ID}/drive",
            json={"distance_km": 10},
        )
        assert drive.body["odometer_km"] == pytest.approx(114.32)
        paired = await call(session, "POST", f"{admin}/vehicles/{const.TESLA_VEHICLE_ID}/pair-key")
        assert paired.body["virtual_key_paired"] is True

        battery = await call(
            session,
            "GET",
            f"{origin}/v2.0/vehicles/{const.PHEV_VEHICLE_ID}/battery",
            token=token,
        )
        assert battery.body["percentRemaining"] > 0.4
        log = await call(session, "GET", f"{admin}/requests?path=/v2.0&limit=1")
        (entry,) = log.body
        assert entry["headers"]["authorization"] == "Bearer <redacted>"
        assert entry["status"] == 200
        assert sim.request_log[-1].headers["authorization"] == f"Bearer {token}"
        billing = await call(
            session,
            "PUT",
            f"{admin}/billing",
            json={"vehicle_id": const.PHEV_VEHICLE_ID, "count": 7},
        )
        assert billing.body["counts"][const.PHEV_VEHICLE_ID] == 7

        revoked = await call(
            session, "POST", f"{admin}/tokens/revoke", json={"token": token, "kind": "all"}
        )
        assert revoked.body == {"revoked": 1}
        after = await call(
            session,
            "GET",
            f"{origin}/v2.0/vehicles/{const.PHEV_VEHICLE_ID}/battery",
            token=token,
        )
        assert after.status == 401
        config = await call(session, "PATCH", f"{admin}/config", json={"nope": 1})
        assert config.status == 400
        cleared = await call(session, "DELETE", f"{admin}/requests")
        assert cleared.body["removed"] >= 1
        reset = await call(session, "POST", f"{admin}/reset")
        assert reset.body["connections"] == 0
        assert sim.vehicle(const.PHEV_VEHICLE_ID).plugged_in is False


async def test_state_file_round_trip(
    tmp_path: Path,
    socket_enabled: None,
) -> None:
    """Tokens, connections, car state and billing survive a restart through the state file."""
    state = tmp_path / "simulator.json"
    first = Simulator(state_file=state)
    tokens = first.connect_account()
    first.set_vehicle_state(const.BEV_VEHICLE_ID, soc=61.5, locked=False)
    first.billing.set(const.BEV_VEHICLE_ID, first.clock.now(), 12)
    first.save()
    assert state.exists()

    async with run_simulator(state_file=state) as running:
        sim = running.simulator
        assert sim.vehicles[const.BEV_VEHICLE_ID].soc == pytest.approx(61.5)
        assert sim.vehicles[const.BEV_VEHICLE_ID].locked is False
        assert sim.billing.count(const.BEV_VEHICLE_ID, sim.clock.now()) == 12
        async with aiohttp.ClientSession() as session:
            reply = await call(
                session, "GET", f"{running.origin}/v2.0/user", token=tokens.access_token
            )
            assert reply.body == {"id": const.DEMO_USER_ID}
        sim.set_vehicle_state(const.BEV_VEHICLE_ID, soc=70)
    assert '"soc": 70' in state.read_text(encoding="utf-8")
