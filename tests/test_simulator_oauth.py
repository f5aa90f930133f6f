"""Token endpoints: code exchange, rotation with its grace window, lifetimes, v3 app tokens."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp

from tests.simulator import RunningSimulator, const

REDIRECT = "https://example.test/callback"


def _basic(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


APP_AUTH = _basic(const.APPLICATION_ID, const.CLIENT_SECRET)


async def _post(
    origin: str, path: str, form: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{origin}{path}", data=form, headers=headers) as response,
    ):
        return response.status, await response.json(), dict(response.headers)


async def _get_user(origin: str, token: str) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{origin}/v2.0/user", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        return response.status


def _code(running: RunningSimulator) -> str:
    sim = running.simulator
    account = sim.account(const.DEMO_USER_EMAIL)
    assert account is not None
    return sim.approve(
        account, [const.BEV_VEHICLE_ID], ["read_vehicle_info"], redirect_uri=REDIRECT
    ).code


async def test_code_exchange_basic_and_form_credentials(
    simulator: RunningSimulator,
) -> None:
    """Basic auth or form credentials; the exact documented body; single-use codes."""
    code = _code(simulator)
    status, body, headers = await _post(
        simulator.origin,
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        APP_AUTH,
    )
    assert status == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 7200
    assert headers["Cache-Control"] == "no-store"
    assert await _get_user(simulator.origin, body["access_token"]) == 200

    status, body, _ = await _post(
        simulator.origin,
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        APP_AUTH,
    )
    assert status == 400
    assert body == {"error": "invalid_grant", "error_description": f"Invalid code: {code}."}

    second = _code(simulator)
    status, body, _ = await _post(
        simulator.origin,
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": second,
            "client_id": const.APPLICATION_ID,
            "client_secret": const.CLIENT_SECRET,
        },
    )
    assert status == 200


async def test_code_errors(simulator: RunningSimulator) -> None:
    """Expired codes, redirect mismatch, bad client, missing fields, unknown grant."""
    sim = simulator.simulator
    origin = simulator.origin
    code = _code(simulator)
    status, body, _ = await _post(
        origin,
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://evil.test"},
        APP_AUTH,
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    assert body["error_description"] == "Unauthorized redirect_uri"
    sim.advance(601)
    status, body, _ = await _post(
        origin, "/oauth/token", {"grant_type": "authorization_code", "code": code}, APP_AUTH
    )
    assert (status, body["error"]) == (400, "invalid_grant")

    status, body, headers = await _post(
        origin,
        "/oauth/token",
        {"grant_type": "authorization_code", "code": _code(simulator)},
        _basic(const.APPLICATION_ID, "wrong"),
    )
    assert (status, body["error"]) == (401, "invalid_client")
    assert headers["Content-Type"].startswith("application/json")
    status, body, _ = await _post(origin, "/oauth/token", {"grant_type": "authorization_code"})
    assert (status, body["error"]) == (401, "invalid_client")
    status, body, _ = await _post(origin, "/oauth/token", {}, APP_AUTH)
    assert (status, body["error"]) == (400, "invalid_request")
    status, body, _ = await _post(origin, "/oauth/token", {"grant_type": "password"}, APP_AUTH)
    assert (status, body["error"]) == (400, "unsupported_grant_type")


async def test_refresh_rotation_and_grace_window(simulator: RunningSimulator) -> None:
    """Each refresh rotates; the old token works again only inside the grace window."""
    sim = simulator.simulator
    origin = simulator.origin
    first = sim.connect_account()

    async def refresh(token: str) -> tuple[int, dict[str, Any]]:
        status, body, _ = await _post(
            origin,
            "/oauth/token",
            {"grant_type": "refresh_token", "refresh_token": token},
            APP_AUTH,
        )
        return status, body

    status, second = await refresh(first.refresh_token)
    assert status == 200
    assert second["refresh_token"] != first.refresh_token
    assert await _get_user(origin, second["access_token"]) == 200

    sim.advance(9 * 60)
    status, retried = await refresh(first.refresh_token)
    assert status == 200, "reuse within the 10-minute grace window works"
    sim.advance(2 * 60)
    status, body = await refresh(first.refresh_token)
    assert status == 400
    assert body == {
        "error": "invalid_grant",
        "error_description": f"Invalid refresh_token: {first.refresh_token}.",
    }
    status, _ = await refresh(second["refresh_token"])
    assert status == 200
    status, _ = await refresh(retried["refresh_token"])
    assert status == 200

    sim.configure(refresh_grace_seconds=0)
    status, third = await refresh(sim.connect_account().refresh_token)
    assert status == 200
    sim.advance(1)
    status, _ = await refresh(third["refresh_token"])
    assert status == 200
    status, _ = await refresh(third["refresh_token"])
    assert status == 400


async def test_lifetimes_and_revocation(simulator: RunningSimulator) -> None:
    """Access tokens last 2 h, refresh tokens 60 days; revocation ends both."""
    sim = simulator.simulator
    origin = simulator.origin
    tokens = sim.connect_account()
    sim.advance(7199)
    assert await _get_user(origin, tokens.access_token) == 200
    sim.advance(1)
    assert await _get_user(origin, tokens.access_token) == 401

    fresh = sim.connect_account()
    sim.advance(60 * 24 * 3600)
    status, body, _ = await _post(
        origin,
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": fresh.refresh_token},
        APP_AUTH,
    )
    assert (status, body["error"]) == (400, "invalid_grant")

    latest = sim.connect_account()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{origin}/_simulator/tokens/revoke", json={"user_id": const.DEMO_USER_ID}
        ) as response,
    ):
        assert (await response.json())["revoked"] >= 2
    assert await _get_user(origin, latest.access_token) == 401
    status, body, _ = await _post(
        origin,
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": latest.refresh_token},
        APP_AUTH,
    )
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_application_token(simulator: RunningSimulator) -> None:
    """client_credentials with the API credentials: 1 h tokens, no refresh token."""
    origin = simulator.origin
    form = {
        "grant_type": "client_credentials",
        "client_id": const.API_CLIENT_ID,
        "client_secret": const.API_CLIENT_SECRET,
    }
    status, body, _ = await _post(origin, "/oauth2/token", form)
    assert status == 200
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{origin}/v3/connections", headers=headers) as response:
            assert response.status == 200
        simulator.simulator.advance(3600)
        async with session.get(f"{origin}/v3/connections", headers=headers) as response:
            assert response.status == 401
            assert (await response.json())["errors"][0]["code"] == "unauthorized"

    basic = _basic(const.API_CLIENT_ID, const.API_CLIENT_SECRET)
    status, _, _ = await _post(origin, "/oauth2/token", {"grant_type": "client_credentials"}, basic)
    assert status == 200
    status, body, _ = await _post(
        origin, "/oauth2/token", {**form, "client_id": const.APPLICATION_ID}
    )
    assert (status, body["error"]) == (401, "invalid_client")
    status, body, _ = await _post(origin, "/oauth2/token", {"grant_type": "client_credentials"})
    assert (status, body["error"]) == (400, "invalid_request")
    status, body, _ = await _post(origin, "/oauth2/token", {**form, "grant_type": "password"})
    assert (status, body["error"]) == (400, "unsupported_grant_type")
