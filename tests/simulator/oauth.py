"""The token endpoints: v2 `POST /oauth/token` and v3 `POST /oauth2/token` (§2.3, §4.1).

Codes are single-use and live 10 minutes, access tokens 2 hours, refresh tokens 60 days and
rotate on every use with a configurable grace window; application tokens live one hour.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from . import const
from .errors import OAuthError, json_response
from .httputil import basic_credentials, read_form
from .simulator import simulator_of

if TYPE_CHECKING:
    from aiohttp import web


async def _read_body(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        raw = await request.read()
        try:
            data = json.loads(raw or b"{}")
        except ValueError as err:
            raise OAuthError("invalid_request", "The request body is not valid.") from err
        if not isinstance(data, dict):
            raise OAuthError("invalid_request", "The request body is not valid.")
        return {str(key): str(value) for key, value in data.items()}
    form = await read_form(request)
    return {key: values[-1] for key, values in form.items()}


def _client(request: web.Request, body: dict[str, str]) -> tuple[str, str] | None:
    basic = basic_credentials(request)
    if basic is not None:
        return basic
    if "client_id" in body or "client_secret" in body:
        return body.get("client_id", ""), body.get("client_secret", "")
    return None


def _same(given: tuple[str, str], expected: tuple[str, str]) -> bool:
    return hmac.compare_digest(given[0], expected[0]) and hmac.compare_digest(given[1], expected[1])


def _token_response(body: dict[str, Any]) -> web.Response:
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def token(request: web.Request) -> web.Response:
    """Exchange an authorization code or a refresh token (v2 Connect tokens)."""
    sim = simulator_of(request)
    body = await _read_body(request)
    client = _client(request, body)
    if client is None:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    if not _same(client, (const.APPLICATION_ID, const.CLIENT_SECRET)):
        raise OAuthError("invalid_client", "Invalid client credentials.", 401)
    grant_type = body.get("grant_type")
    now = sim.clock.now()
    if not grant_type:
        raise OAuthError("invalid_request", "Missing grant_type.")
    if grant_type == "authorization_code":
        code = body.get("code")
        if not code:
            raise OAuthError("invalid_request", "Missing code.")
        record = sim.tokens.codes.get(code)
        if (
            record is None
            or record.used
            or (now - record.issued_at).total_seconds() > const.AUTH_CODE_LIFETIME_S
        ):
            raise OAuthError("invalid_grant", f"Invalid code: {code}.")
        redirect_uri = body.get("redirect_uri")
        if redirect_uri and record.redirect_uri and redirect_uri != record.redirect_uri:
            raise OAuthError("invalid_grant", "Unauthorized redirect_uri")
        grant = sim.tokens.grants[record.grant_id]
        if grant.revoked:
            raise OAuthError("invalid_grant", f"Invalid code: {code}.")
        record.used = True
    elif grant_type == "refresh_token":
        presented = body.get("refresh_token")
        if not presented:
            raise OAuthError("invalid_request", "Missing refresh_token.")
        refresh = sim.tokens.refresh.get(presented)
        refreshed = sim.tokens.grants.get(refresh.grant_id) if refresh is not None else None
        if (
            refresh is None
            or refreshed is None
            or refresh.revoked
            or refreshed.revoked
            or refresh.expires_at <= now
            or (
                refresh.used_at is not None
                and (now - refresh.used_at).total_seconds() >= sim.config.refresh_grace_seconds
            )
        ):
            raise OAuthError("invalid_grant", f"Invalid refresh_token: {presented}.")
        if refresh.used_at is None:
            refresh.used_at = now
        grant = refreshed
    else:
        raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant_type}.")
    access, new_refresh = sim.tokens.issue_pair(grant, now)
    return _token_response(
        {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": const.ACCESS_TOKEN_LIFETIME_S,
            "refresh_token": new_refresh.token,
        }
    )


async def application_token(request: web.Request) -> web.Response:
    """Issue a v3 application token (client_credentials with the API credentials)."""
    sim = simulator_of(request)
    body = await _read_body(request)
    grant_type = body.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "Missing grant_type.")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant_type}.")
    client = _client(request, body)
    if client is None or not client[0] or not client[1]:
        raise OAuthError("invalid_request", "Missing client_id or client_secret.")
    if not _same(client, (const.API_CLIENT_ID, const.API_CLIENT_SECRET)):
        raise OAuthError("invalid_client", "Invalid client credentials.", 401)
    issued = sim.tokens.issue_app_token(sim.clock.now())
    return _token_response(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": const.APP_TOKEN_LIFETIME_S,
        }
    )


def register(app: web.Application) -> None:
    """Add the token endpoints."""
    app.router.add_route("POST", "/oauth/token", token)
    app.router.add_route("POST", "/oauth2/token", application_token)
