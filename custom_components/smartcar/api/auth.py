"""Access tokens for the client: v2 per-vehicle OAuth grants and the v3 application token.

The client never stores credentials itself; it asks an :class:`AbstractAuth` for a valid token
before each request. Home Assistant adapts its ``OAuth2Session`` to it for v2, while v3 uses
:class:`ApplicationTokenAuth`, which obtains and caches the application token from Smartcar IAM.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterable, Mapping
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import _http
from .const import TOKEN_TIMEOUT, Origins
from .errors import SmartcarError, SmartcarResponseError
from .models import TokenResponse

if TYPE_CHECKING:
    from aiohttp import ClientSession

#: An application token is renewed this many seconds before it expires.
REFRESH_MARGIN = 60.0


class AbstractAuth(ABC):
    """Something that yields a valid Smartcar access token on demand."""

    @abstractmethod
    async def async_get_access_token(self) -> str:
        """Return an access token that is valid now."""

    async def async_invalidate(self, token: str) -> bool:
        """Forget ``token`` after Smartcar rejected it; ``True`` when a fresh one can be had."""
        del token
        return False


class StaticTokenAuth(AbstractAuth):
    """A fixed token, for scripts and tests."""

    def __init__(self, token: str) -> None:
        """Remember the token."""
        self._token = token

    async def async_get_access_token(self) -> str:
        """Return the fixed token."""
        return self._token


class CallbackAuth(AbstractAuth):
    """Tokens from an async callable, e.g. Home Assistant's ``OAuth2Session``."""

    def __init__(self, get_token: Callable[[], Awaitable[str]]) -> None:
        """Remember the callable that yields a valid token."""
        self._get_token = get_token

    async def async_get_access_token(self) -> str:
        """Return what the callable yields."""
        return await self._get_token()


class ApplicationTokenAuth(AbstractAuth):
    """The v3 application token from Smartcar IAM's client credentials grant, cached.

    The token is renewed shortly before it expires. Renewal is single-flight: callers that
    arrive while a renewal is under way wait for it and share its token.
    """

    def __init__(
        self,
        session: ClientSession,
        client_id: str,
        client_secret: str,
        *,
        origins: Origins | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = TOKEN_TIMEOUT,
    ) -> None:
        """Store the credentials; no request is made until a token is needed."""
        self._session = session
        self._client_id = client_id
        self._client_secret = client_secret
        self._origins = origins or Origins.from_env()
        self._clock = clock
        self._timeout = timeout
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self._finished = 0
        self._failure: SmartcarError | None = None

    def _cached(self) -> str | None:
        """Return the cached token while it is comfortably valid."""
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        return None

    async def async_get_access_token(self) -> str:
        """Return the cached token, renewing it (once for all waiting callers) when due."""
        if (token := self._cached()) is not None:
            return token
        finished = self._finished
        async with self._lock:
            if (token := self._cached()) is not None:
                return token
            if self._finished != finished and self._failure is not None:
                # The renewal this caller waited for failed: share its outcome, spare IAM.
                raise self._failure
            started = self._clock()
            self._failure = None
            try:
                response = await async_request_application_token(
                    self._session,
                    self._origins,
                    self._client_id,
                    self._client_secret,
                    request_timeout=self._timeout,
                )
            except SmartcarError as err:
                self._failure = err
                raise
            finally:
                self._finished += 1
            margin = min(REFRESH_MARGIN, response.expires_in / 2)
            self._token = response.access_token
            self._renew_at = started + response.expires_in - margin
            return response.access_token

    async def async_invalidate(self, token: str) -> bool:
        """Drop ``token`` if it is the cached one, so the next call requests a new one."""
        if token == self._token:
            self._token = None
        return True


def _basic_auth(client_id: str, client_secret: str) -> str:
    """HTTP Basic credentials, built as the official SDKs build them (no form-encoding)."""
    pair = f"{client_id}:{client_secret}".encode()
    return f"Basic {base64.b64encode(pair).decode('ascii')}"


def _token_response(body: Any) -> TokenResponse:
    """Read a token endpoint's JSON answer."""
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
        raise SmartcarResponseError("The token endpoint answered without an access token")
    expires_in = body.get("expires_in")
    refresh_token = body.get("refresh_token")
    token_type = body.get("token_type")
    return TokenResponse(
        access_token=body["access_token"],
        token_type=token_type if isinstance(token_type, str) else "Bearer",
        expires_in=int(expires_in) if isinstance(expires_in, (int, float)) else 3600,
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
    )


async def _token_request(
    session: ClientSession,
    url: str,
    form: Mapping[str, str],
    *,
    basic: str | None,
    secrets: tuple[str, ...],
    request_timeout: float,
) -> TokenResponse:
    """POST a form to a token endpoint and read the granted token.

    Token endpoints echo the rejected code or refresh token in ``error_description``; those
    ``secrets`` are blanked out of the raised error so it can be logged safely.
    """
    headers = {"Authorization": basic} if basic is not None else None
    try:
        response = await _http.request(
            session, "POST", url, request_timeout=request_timeout, headers=headers, form=form
        )
    except SmartcarError as err:
        raise err.redact(*secrets) from None
    return _token_response(response.body)


async def async_exchange_code(  # noqa: PLR0917 (the contract's positional signature)
    session: ClientSession,
    origins: Origins,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str | None,
    *,
    request_timeout: float = TOKEN_TIMEOUT,
) -> TokenResponse:
    """Exchange a Connect authorization code for v2 access and refresh tokens."""
    form = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        form["redirect_uri"] = redirect_uri
    return await _token_request(
        session,
        origins.auth_token_url,
        form,
        basic=_basic_auth(client_id, client_secret),
        secrets=(code, client_secret),
        request_timeout=request_timeout,
    )


async def async_refresh_token(
    session: ClientSession,
    origins: Origins,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    request_timeout: float = TOKEN_TIMEOUT,
) -> TokenResponse:
    """Trade a v2 refresh token for new tokens (the refresh token rotates)."""
    return await _token_request(
        session,
        origins.auth_token_url,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        basic=_basic_auth(client_id, client_secret),
        secrets=(refresh_token, client_secret),
        request_timeout=request_timeout,
    )


async def async_request_application_token(
    session: ClientSession,
    origins: Origins,
    client_id: str,
    client_secret: str,
    *,
    request_timeout: float = TOKEN_TIMEOUT,
) -> TokenResponse:
    """Request a v3 application token with the client credentials grant."""
    return await _token_request(
        session,
        origins.iam_token_url,
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
        basic=None,
        secrets=(client_secret,),
        request_timeout=request_timeout,
    )


def build_authorize_url(
    origins: Origins,
    client_id: str,
    *,
    redirect_uri: str | None = None,
    scope: Iterable[str] = (),
    state: str | None = None,
    mode: str | None = None,
    approval_prompt: str | None = None,
    make: str | None = None,
    single_select: bool | None = None,
    user: str | None = None,
) -> str:
    """Build a Smartcar Connect consent URL; ``scope`` items may carry ``required:``."""
    query: dict[str, str] = {"response_type": "code", "client_id": client_id}
    optional = {
        "redirect_uri": redirect_uri,
        "scope": " ".join(scope) or None,
        "approval_prompt": approval_prompt,
        "mode": mode,
        "state": state,
        "make": make,
        "single_select": None if single_select is None else str(single_select).lower(),
        "user": user,
    }
    query.update({key: value for key, value in optional.items() if value is not None})
    return f"{origins.authorize_url}?{urlencode(query)}"
