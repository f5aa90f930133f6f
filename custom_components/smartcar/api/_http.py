"""One HTTP exchange with Smartcar: timeout, error mapping, JSON decoding, safe logging.

Every request of the client and of the token helpers goes through :func:`request`, so timeouts,
connection failures and error bodies are handled the same way everywhere and nothing secret is
ever logged (only the method, the URL path and the status).
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientSession, ClientTimeout
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .const import USER_AGENT
from .errors import (
    SmartcarConnectionError,
    SmartcarResponseError,
    SmartcarTimeoutError,
    error_from_response,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__package__)


@dataclass(frozen=True)
class Response:
    """A successful answer: status, headers and the decoded JSON body (``None`` when empty)."""

    status: int
    headers: CIMultiDictProxy[str]
    body: Any


async def request(
    session: ClientSession,
    method: str,
    url: str | URL,
    *,
    request_timeout: float,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    """Send one request and return the decoded answer; raise a ``SmartcarError`` on failure."""
    target = URL(url) if isinstance(url, str) else url
    all_headers: CIMultiDict[str] = CIMultiDict(
        {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
    )
    all_headers.update(headers or {})
    try:
        async with session.request(
            method,
            target,
            headers=all_headers,
            params=params,
            json=json_body,
            data=form,
            timeout=ClientTimeout(total=request_timeout),
        ) as response:
            raw = await response.read()
            status = response.status
            response_headers = response.headers
    except TimeoutError as err:
        _LOGGER.debug("%s %s timed out after %s s", method, target.path, request_timeout)
        raise SmartcarTimeoutError(
            f"No answer from Smartcar within {request_timeout:g} s", status=None
        ) from err
    except ClientError as err:
        _LOGGER.debug("%s %s failed: %s", method, target.path, type(err).__name__)
        raise SmartcarConnectionError(
            f"Cannot reach Smartcar: {type(err).__name__}", status=None
        ) from err
    _LOGGER.debug("%s %s -> %s", method, target.path, status)
    if not 200 <= status < 300:
        raise error_from_response(status, response_headers, raw)
    return Response(status, response_headers, _decode(raw, status, response_headers))


def _decode(raw: bytes, status: int, headers: Mapping[str, str]) -> Any:
    """Decode a successful body as JSON; an empty body is ``None``."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as err:
        raise SmartcarResponseError(
            "Smartcar answered with a body that is not JSON",
            status=status,
            request_id=headers.get("sc-request-id"),
        ) from err
