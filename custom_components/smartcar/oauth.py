"""Home Assistant OAuth2 implementations for Smartcar's two API generations.

Both generations keep their access token in ``entry.data["token"]`` and let Home Assistant's
``OAuth2Session`` renew it, so token storage, locking and reauthentication work the same way:

* v2 applications (a bare UUID client ID) use the authorization-code grant. The refresh token
  rotates on every renewal; Home Assistant stores the new one only after a successful renewal,
  so a failed renewal never loses the stored refresh token.
* v3 applications (an API client ID starting ``client_``) send the user through Connect only to
  create the connection; the code is never exchanged. Data is read with an application token
  from Smartcar IAM's client credentials grant (no refresh token), which "renewing" simply
  requests again.

The token requests go through the Smartcar client library, not Home Assistant's generic token
request, because Smartcar prefers HTTP Basic client authentication and because Smartcar echoes
the rejected refresh token in its error description, which must never reach a log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, cast, override

from aiohttp import ClientConnectionError, RequestInfo
from homeassistant.components.application_credentials import (
    AuthImplementation,
    AuthorizationServer,
    ClientCredential,
)
from homeassistant.exceptions import (
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
    OAuth2TokenRequestTransientError,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .api import (
    AbstractAuth,
    ApiVersion,
    Origins,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarTimeoutError,
    TokenResponse,
    async_exchange_code,
    async_refresh_token,
    async_request_application_token,
)
from .const import DOMAIN, V3_CLIENT_ID_PREFIX

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import config_entry_oauth2_flow


def api_version_for_client_id(client_id: str) -> ApiVersion:
    """Return the API generation an application credential belongs to."""
    return ApiVersion.V3 if client_id.strip().startswith(V3_CLIENT_ID_PREFIX) else ApiVersion.V2


def _token_dict(response: TokenResponse) -> dict[str, Any]:
    """Turn a granted token into the dict Home Assistant stores as ``entry.data["token"]``."""
    token: dict[str, Any] = {
        "access_token": response.access_token,
        "token_type": response.token_type,
        "expires_in": response.expires_in,
    }
    if response.refresh_token is not None:
        token["refresh_token"] = response.refresh_token
    return token


def _raise_token_error(err: SmartcarError, url: str) -> NoReturn:
    """Re-raise a failed token request as the error type Home Assistant's helpers expect."""
    if isinstance(err, SmartcarTimeoutError):
        raise TimeoutError("Smartcar's token endpoint did not answer in time") from err
    if isinstance(err, SmartcarConnectionError) or err.status is None:
        raise ClientConnectionError("Smartcar's token endpoint could not be reached") from err
    target = URL(url)
    kwargs: dict[str, Any] = {
        "request_info": RequestInfo(target, "POST", CIMultiDictProxy(CIMultiDict()), target),
        "status": err.status,
        # Only the OAuth error code: Smartcar's description can contain the rejected token.
        "message": err.type,
        "domain": DOMAIN,
    }
    if err.status == 429 or err.status >= 500:
        raise OAuth2TokenRequestTransientError(**kwargs) from err
    if 400 <= err.status < 500:
        raise OAuth2TokenRequestReauthError(**kwargs) from err
    raise OAuth2TokenRequestError(**kwargs) from err


class SmartcarImplementation(AuthImplementation):
    """What both generations share: the Connect page, the credentials and the origins."""

    api_version: ApiVersion

    def __init__(
        self,
        hass: HomeAssistant,
        auth_domain: str,
        credential: ClientCredential,
        origins: Origins,
    ) -> None:
        """Point the implementation at Smartcar Connect and the generation's token endpoint."""
        token_url = (
            origins.iam_token_url if self.api_version is ApiVersion.V3 else origins.auth_token_url
        )
        super().__init__(
            hass,
            auth_domain,
            credential,
            AuthorizationServer(authorize_url=origins.authorize_url, token_url=token_url),
        )
        self.origins = origins

    async def async_application_token(self) -> dict[str, Any]:
        """Request an application token with the client credentials grant (v3 only)."""
        try:
            response = await async_request_application_token(
                async_get_clientsession(self.hass),
                self.origins,
                self.client_id,
                self.client_secret,
            )
        except SmartcarError as err:
            _raise_token_error(err, self.token_url)
        return _token_dict(response)


class SmartcarV2Implementation(SmartcarImplementation):
    """Authorization-code grant with rotating refresh tokens (Smartcar API v2)."""

    api_version = ApiVersion.V2

    @override
    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        """Exchange Connect's authorization code for access and refresh tokens."""
        data = cast("dict[str, Any]", external_data)
        try:
            response = await async_exchange_code(
                async_get_clientsession(self.hass),
                self.origins,
                self.client_id,
                self.client_secret,
                data["code"],
                data["state"]["redirect_uri"],
            )
        except SmartcarError as err:
            _raise_token_error(err, self.token_url)
        return _token_dict(response)

    @override
    async def _async_refresh_token(self, token: dict[str, Any]) -> dict[str, Any]:
        """Trade the refresh token for new tokens; the old refresh token stops working."""
        try:
            response = await async_refresh_token(
                async_get_clientsession(self.hass),
                self.origins,
                self.client_id,
                self.client_secret,
                token["refresh_token"],
            )
        except SmartcarError as err:
            _raise_token_error(err, self.token_url)
        return {**token, **_token_dict(response)}


class SmartcarV3Implementation(SmartcarImplementation):
    """Connect for consent, then the IAM application token (Smartcar API v3)."""

    api_version = ApiVersion.V3

    @override
    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        """Get the application token; Connect's code only proved the user's consent."""
        return await self.async_application_token()

    @override
    async def _async_refresh_token(self, token: dict[str, Any]) -> dict[str, Any]:
        """Request a new application token (the grant has no refresh token)."""
        return {**token, **await self.async_application_token()}


class OAuth2SessionAuth(AbstractAuth):
    """Hands the client library the entry's token, renewed by Home Assistant when due."""

    def __init__(self, session: config_entry_oauth2_flow.OAuth2Session) -> None:
        """Wrap the entry's OAuth2 session."""
        self._session = session

    @override
    async def async_get_access_token(self) -> str:
        """Return a valid access token, renewing it first when it is about to expire."""
        await self._session.async_ensure_token_valid()
        return cast("str", self._session.token["access_token"])

    @override
    async def async_invalidate(self, token: str) -> bool:
        """Mark a rejected token as expired so the next request renews it first.

        When another request already renewed it (or marked it), retrying is right as well;
        the client retries only once, so a token Smartcar keeps rejecting still fails.
        """
        current = self._session.token
        if current.get("access_token") == token and current.get("expires_at", 0) > 0:
            entry = self._session.config_entry
            self._session.hass.config_entries.async_update_entry(
                entry, data={**entry.data, "token": {**current, "expires_at": 0}}
            )
        return True
