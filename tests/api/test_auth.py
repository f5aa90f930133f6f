"""Token sources: the v2 OAuth grants, the cached single-flight v3 application token."""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from custom_components.smartcar.api import (
    ApplicationTokenAuth,
    CallbackAuth,
    Origins,
    SmartcarOAuthError,
    SmartcarResponseError,
    StaticTokenAuth,
    TokenResponse,
    async_exchange_code,
    async_refresh_token,
    async_request_application_token,
    build_authorize_url,
)

from .conftest import FakeSmartcar, Reply, load

if TYPE_CHECKING:
    from aiohttp import ClientSession, web

CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
CLIENT_SECRET = "s3cr3t-value"
API_CLIENT_ID = "client_abc123"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at 1000 s."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current time."""
        return self.now


def _basic(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


async def test_exchange_code(fake: FakeSmartcar, session: ClientSession) -> None:
    fake.add("POST", "/oauth/token", Reply(load("v2_token.json")))
    token = await async_exchange_code(
        session, fake.origins, CLIENT_ID, CLIENT_SECRET, "the-code", "https://example.test/cb"
    )
    assert token == TokenResponse(
        access_token="cf7ba7e9-8c5d-417d-a99f-c386cfc235cc",
        token_type="Bearer",
        expires_in=7200,
        refresh_token="3e565aed-d4b2-4296-9b4c-aec35825a6aa",
    )
    (call,) = fake.calls("POST", "/oauth/token")
    assert _basic(call.headers["Authorization"]) == (CLIENT_ID, CLIENT_SECRET)
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.form() == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://example.test/cb",
    }
    assert call.headers["User-Agent"].startswith("smartcar-home-assistant/")


async def test_exchange_code_without_redirect_uri(
    fake: FakeSmartcar, session: ClientSession
) -> None:
    fake.add("POST", "/oauth/token", Reply(load("v2_token.json")))
    await async_exchange_code(session, fake.origins, CLIENT_ID, CLIENT_SECRET, "c", None)
    assert fake.calls()[0].form() == {"grant_type": "authorization_code", "code": "c"}


async def test_refresh_token(fake: FakeSmartcar, session: ClientSession) -> None:
    fake.add("POST", "/oauth/token", Reply(load("v2_token.json")))
    token = await async_refresh_token(session, fake.origins, CLIENT_ID, CLIENT_SECRET, "old")
    assert token.refresh_token == "3e565aed-d4b2-4296-9b4c-aec35825a6aa"
    assert fake.calls()[0].form() == {"grant_type": "refresh_token", "refresh_token": "old"}


async def test_refresh_rejected_hides_the_token(fake: FakeSmartcar, session: ClientSession) -> None:
    refresh = "3e565aed-d4b2-4296-9b4c-aec35825a6aa"
    fake.add("POST", "/oauth/token", Reply(load("error_oauth_invalid_grant.json"), status=400))
    with pytest.raises(SmartcarOAuthError) as caught:
        await async_refresh_token(session, fake.origins, CLIENT_ID, CLIENT_SECRET, refresh)
    assert caught.value.type == "invalid_grant"
    assert caught.value.requires_reauth
    assert caught.value.status == 400
    assert refresh not in str(caught.value)
    assert refresh not in caught.value.description


async def test_application_token_request(fake: FakeSmartcar, session: ClientSession) -> None:
    fake.add("POST", "/oauth2/token", Reply(load("iam_token.json")))
    token = await async_request_application_token(
        session, fake.origins, API_CLIENT_ID, CLIENT_SECRET
    )
    assert token.access_token == "eyJhbGciOiJSUzI1NiJ9.app.token"
    assert token.expires_in == 3600
    assert token.refresh_token is None
    (call,) = fake.calls()
    assert "Authorization" not in call.headers
    assert call.form() == {
        "grant_type": "client_credentials",
        "client_id": API_CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


async def test_token_response_defaults_and_garbage(
    fake: FakeSmartcar, session: ClientSession
) -> None:
    fake.add(
        "POST",
        "/oauth2/token",
        Reply({"access_token": "a", "refresh_token": 5, "expires_in": "soon"}),
        Reply({"token_type": "Bearer"}),
        Reply(["not", "an", "object"]),
    )
    token = await async_request_application_token(session, fake.origins, "id", "secret")
    assert token == TokenResponse("a", "Bearer", 3600, None)
    for _ in range(2):
        with pytest.raises(SmartcarResponseError):
            await async_request_application_token(session, fake.origins, "id", "secret")


async def test_invalid_client_hides_the_secret(fake: FakeSmartcar, session: ClientSession) -> None:
    fake.add(
        "POST",
        "/oauth2/token",
        Reply(
            {"error": "invalid_client", "error_description": f"bad secret {CLIENT_SECRET}"},
            status=401,
        ),
    )
    with pytest.raises(SmartcarOAuthError) as caught:
        await async_request_application_token(session, fake.origins, "id", CLIENT_SECRET)
    assert caught.value.type == "invalid_client"
    assert not caught.value.requires_reauth
    assert CLIENT_SECRET not in str(caught.value)


async def test_application_token_is_cached_and_renewed_before_expiry(
    fake: FakeSmartcar, session: ClientSession
) -> None:
    fake.add(
        "POST",
        "/oauth2/token",
        Reply({"access_token": "first", "token_type": "Bearer", "expires_in": 3600}),
        Reply({"access_token": "second", "token_type": "Bearer", "expires_in": 60}),
        Reply({"access_token": "third", "token_type": "Bearer", "expires_in": 60}),
    )
    clock = Clock()
    auth = ApplicationTokenAuth(
        session, API_CLIENT_ID, CLIENT_SECRET, origins=fake.origins, clock=clock
    )
    assert await auth.async_get_access_token() == "first"
    clock.now += 3539
    assert await auth.async_get_access_token() == "first"
    clock.now += 1  # 60 s before expiry: renew
    assert await auth.async_get_access_token() == "second"
    # A 60 s token is renewed at half its life, not immediately.
    clock.now += 29
    assert await auth.async_get_access_token() == "second"
    clock.now += 1
    assert await auth.async_get_access_token() == "third"
    assert len(fake.calls("POST", "/oauth2/token")) == 3


async def test_application_token_single_flight(fake: FakeSmartcar, session: ClientSession) -> None:
    gate = asyncio.Event()

    async def slow_token(request: web.Request) -> Reply:
        await gate.wait()
        return Reply(load("iam_token.json"))

    fake.add("POST", "/oauth2/token", slow_token)
    auth = ApplicationTokenAuth(session, API_CLIENT_ID, CLIENT_SECRET, origins=fake.origins)
    callers = [asyncio.create_task(auth.async_get_access_token()) for _ in range(5)]
    for _ in range(20):
        await asyncio.sleep(0)
        if fake.calls():
            break
    await asyncio.sleep(0.05)
    gate.set()
    tokens = await asyncio.gather(*callers)
    assert set(tokens) == {"eyJhbGciOiJSUzI1NiJ9.app.token"}
    assert len(fake.calls("POST", "/oauth2/token")) == 1


async def test_application_token_failure_is_shared_then_retried(
    fake: FakeSmartcar, session: ClientSession
) -> None:
    gate = asyncio.Event()

    async def refused(request: web.Request) -> Reply:
        await gate.wait()
        return Reply(load("error_oauth_invalid_client.json"), status=401)

    fake.add("POST", "/oauth2/token", refused, Reply(load("iam_token.json")))
    auth = ApplicationTokenAuth(session, API_CLIENT_ID, CLIENT_SECRET, origins=fake.origins)
    callers = [asyncio.create_task(auth.async_get_access_token()) for _ in range(3)]
    await asyncio.sleep(0.05)
    gate.set()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(result, SmartcarOAuthError) for result in results)
    assert len(fake.calls()) == 1
    # The next caller tries again and succeeds.
    assert await auth.async_get_access_token() == "eyJhbGciOiJSUzI1NiJ9.app.token"
    assert len(fake.calls()) == 2


async def test_application_token_invalidate(fake: FakeSmartcar, session: ClientSession) -> None:
    fake.add(
        "POST",
        "/oauth2/token",
        Reply({"access_token": "one", "expires_in": 3600}),
        Reply({"access_token": "two", "expires_in": 3600}),
    )
    auth = ApplicationTokenAuth(session, API_CLIENT_ID, CLIENT_SECRET, origins=fake.origins)
    assert await auth.async_get_access_token() == "one"
    assert await auth.async_invalidate("someone-elses") is True
    assert await auth.async_get_access_token() == "one"
    assert await auth.async_invalidate("one") is True
    assert await auth.async_get_access_token() == "two"


async def test_application_token_uses_environment_origins(
    fake: FakeSmartcar, session: ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTCAR_IAM_ORIGIN", fake.origin)
    fake.add("POST", "/oauth2/token", Reply(load("iam_token.json")))
    auth = ApplicationTokenAuth(session, API_CLIENT_ID, CLIENT_SECRET)
    assert await auth.async_get_access_token() == "eyJhbGciOiJSUzI1NiJ9.app.token"


async def test_static_and_callback_auth() -> None:
    static = StaticTokenAuth("fixed")
    assert await static.async_get_access_token() == "fixed"
    assert await static.async_invalidate("fixed") is False

    async def get_token() -> str:
        return "from-callback"

    callback = CallbackAuth(get_token)
    assert await callback.async_get_access_token() == "from-callback"


def test_build_authorize_url() -> None:
    url = build_authorize_url(
        Origins(connect="http://127.0.0.1:9"),
        CLIENT_ID,
        redirect_uri="https://example.test/cb",
        scope=["required:read_vehicle_info", "read_battery"],
        state="xyz",
        mode="simulated",
        approval_prompt="force",
        make="TESLA",
        single_select=True,
        user="u-1",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:9/oauth/authorize"
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "redirect_uri": ["https://example.test/cb"],
        "scope": ["required:read_vehicle_info read_battery"],
        "state": ["xyz"],
        "mode": ["simulated"],
        "approval_prompt": ["force"],
        "make": ["TESLA"],
        "single_select": ["true"],
        "user": ["u-1"],
    }
    minimal = build_authorize_url(Origins(), CLIENT_ID)
    assert minimal == (
        "https://connect.smartcar.com/oauth/authorize?response_type=code&client_id=" + CLIENT_ID
    )
