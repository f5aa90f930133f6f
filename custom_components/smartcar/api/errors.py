"""Smartcar failures as one exception hierarchy keyed on Smartcar's ``type`` and ``code``.

Smartcar has answered errors in four shapes over time (v2 bodies, legacy v1 bodies, v3 JSON:API
``errors`` lists and OAuth token-endpoint bodies) and proxies sometimes answer with plain text.
Everything is turned into a :class:`SmartcarError` subclass chosen by ``type`` so callers branch on
stable identifiers and never on description text, which Smartcar rewords from time to time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
import math
import re
from typing import Any

from ._error_types import (
    SIGNAL_NOT_INGESTED,
    SmartcarAuthenticationError,
    SmartcarBillingError,
    SmartcarCommandError,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarOAuthError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarResourceNotFoundError,
    SmartcarResponseError,
    SmartcarServerError,
    SmartcarSignalNotIngestedError,
    SmartcarTimeoutError,
    SmartcarUpstreamError,
    SmartcarValidationError,
    SmartcarVehicleStateError,
    error_class,
)

__all__ = [
    "SIGNAL_NOT_INGESTED",
    "SmartcarAuthenticationError",
    "SmartcarBillingError",
    "SmartcarCommandError",
    "SmartcarCompatibilityError",
    "SmartcarConnectedServicesAccountError",
    "SmartcarConnectionError",
    "SmartcarError",
    "SmartcarOAuthError",
    "SmartcarPermissionError",
    "SmartcarRateLimitError",
    "SmartcarResourceNotFoundError",
    "SmartcarResponseError",
    "SmartcarServerError",
    "SmartcarSignalNotIngestedError",
    "SmartcarTimeoutError",
    "SmartcarUpstreamError",
    "SmartcarValidationError",
    "SmartcarVehicleStateError",
    "error_class",
    "error_from_payload",
    "error_from_response",
    "parse_retry_after",
]

# Delta-seconds as sent by Smartcar; a fraction or a sign is tolerated.
_DELTA_SECONDS = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

# Longest piece of a non-JSON body kept as the description of an error.
_MAX_TEXT = 300

# Legacy v1 ``error`` values and the v2 ``type`` each one became.
_V1_TYPES: Mapping[str, str] = {
    "authentication_error": "AUTHENTICATION",
    "permission_error": "PERMISSION",
    "validation_error": "VALIDATION",
    "resource_not_found_error": "RESOURCE_NOT_FOUND",
    "not_found_error": "RESOURCE_NOT_FOUND",
    "rate_limit_error": "RATE_LIMIT",
    "monthly_limit_exceeded": "BILLING",
    "billing_error": "BILLING",
    "vehicle_state_error": "VEHICLE_STATE",
    "compatibility_error": "COMPATIBILITY",
    "vehicle_not_capable_error": "COMPATIBILITY",
    "smartcar_not_capable_error": "COMPATIBILITY",
    "server_error": "SERVER",
    "gateway_timeout_error": "UPSTREAM",
}

# v3 JSON:API ``code`` values (lower-case HTTP names) and the v2 ``type`` they correspond to.
_V3_CODES: Mapping[str, str] = {
    "unauthorized": "AUTHENTICATION",
    "forbidden": "PERMISSION",
    "bad_request": "VALIDATION",
    "validation_error": "VALIDATION",
    "not_found": "RESOURCE_NOT_FOUND",
    "too_many_requests": "RATE_LIMIT",
    "rate_limited": "RATE_LIMIT",
    "internal_error": "SERVER",
    "internal_server_error": "SERVER",
    "bad_gateway": "UPSTREAM",
    "service_unavailable": "UPSTREAM",
    "gateway_timeout": "UPSTREAM",
}

# The ``type`` implied by an HTTP status when a body does not name one.
_STATUS_TYPES: Mapping[int, str] = {
    400: "VALIDATION",
    401: "AUTHENTICATION",
    403: "PERMISSION",
    404: "RESOURCE_NOT_FOUND",
    409: "VEHICLE_STATE",
    422: "VALIDATION",
    429: "RATE_LIMIT",
    430: "BILLING",
    500: "SERVER",
    501: "COMPATIBILITY",
    502: "UPSTREAM",
    503: "UPSTREAM",
    504: "UPSTREAM",
}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` value as seconds; accepts delta-seconds or an HTTP date."""
    if value is None or not (text := value.strip()):
        return None
    if _DELTA_SECONDS.fullmatch(text):
        seconds = float(text)
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except TypeError, ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _text(value: Any) -> str | None:
    """Return ``value`` as a string when it is a non-empty scalar, else ``None``."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return text or None


def _resolution(value: Any) -> tuple[str | None, str | None]:
    """Normalise ``resolution`` (object, bare string or null) to ``(type, url)``."""
    if isinstance(value, Mapping):
        return _text(value.get("type")), _text(value.get("url"))
    return _text(value), None


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy header names in lower case so plain dicts behave like HTTP headers."""
    return {str(key).lower(): str(value) for key, value in headers.items()}


def error_from_payload(
    status: int | None,
    headers: Mapping[str, str] | None,
    payload: Any,
    *,
    raw_text: str | None = None,
) -> SmartcarError:
    """Build the error for an already decoded body (also used for batch items and webhooks)."""
    lowered = _lower_keys(headers or {})
    retry_after = parse_retry_after(lowered.get("retry-after"))
    header_request_id = lowered.get("sc-request-id")
    if isinstance(payload, Mapping):
        if isinstance(payload.get("type"), str):
            return _from_v2(payload, status, retry_after, header_request_id)
        errors = payload.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
            return _from_v3(errors[0], status, retry_after, header_request_id)
        error = payload.get("error")
        if isinstance(error, str) and error:
            if "message" in payload:
                return _from_v1(payload, error, status, retry_after, header_request_id)
            return SmartcarOAuthError(
                _text(payload.get("error_description")) or "",
                error_type=error,
                status=status,
                request_id=header_request_id,
                retry_after=retry_after,
                doc_url=_text(payload.get("error_uri")),
            )
    if raw_text is None:
        raw_text = "" if payload is None else json.dumps(payload)
    return _from_status(status, raw_text, retry_after, header_request_id)


def _from_v2(
    body: Mapping[str, Any],
    status: int | None,
    retry_after: float | None,
    header_request_id: str | None,
) -> SmartcarError:
    """Build the error for a v2 body (``type``, ``code``, ``description``, ``resolution``…)."""
    error_type = str(body["type"])
    resolution_type, resolution_url = _resolution(body.get("resolution"))
    return error_class(error_type)(
        _text(body.get("description")) or "",
        error_type=error_type,
        code=_text(body.get("code")),
        status=status if status is not None else _int(body.get("statusCode")),
        request_id=_text(body.get("requestId")) or header_request_id,
        resolution_type=resolution_type,
        resolution_url=resolution_url,
        retry_after=retry_after,
        detail=body.get("detail"),
        suggested_user_message=_text(body.get("suggestedUserMessage")),
        doc_url=_text(body.get("docURL")),
    )


def _from_v1(
    body: Mapping[str, Any],
    error: str,
    status: int | None,
    retry_after: float | None,
    header_request_id: str | None,
) -> SmartcarError:
    """Build the error for a legacy v1 body (``error``, ``message``, ``code``)."""
    error_type = _V1_TYPES.get(error.lower(), error.upper())
    return error_class(error_type)(
        _text(body.get("message")) or "",
        error_type=error_type,
        code=_text(body.get("code")),
        status=status if status is not None else _int(body.get("statusCode")),
        request_id=_text(body.get("requestId")) or header_request_id,
        retry_after=retry_after,
    )


def _from_v3(
    item: Mapping[str, Any],
    status: int | None,
    retry_after: float | None,
    header_request_id: str | None,
) -> SmartcarError:
    """Build the error for the first item of a v3 JSON:API ``errors`` list."""
    code = _text(item.get("code"))
    item_status = _int(item.get("status"))
    if status is None:
        status = item_status
    error_type = _text(item.get("type"))
    if error_type is None:
        error_type = _V3_CODES.get((code or "").lower()) or _STATUS_TYPES.get(
            status or 0, "UNKNOWN"
        )
    resolution_type, resolution_url = _resolution(item.get("resolution"))
    links = item.get("links")
    meta = item.get("meta")
    request_id = _text(meta.get("requestId")) if isinstance(meta, Mapping) else None
    detail = item.get("detail")
    return error_class(error_type)(
        _text(detail) or _text(item.get("title")) or _text(item.get("description")) or "",
        error_type=error_type,
        code=code,
        status=status,
        request_id=request_id or header_request_id,
        resolution_type=resolution_type,
        resolution_url=resolution_url,
        retry_after=retry_after,
        detail=detail if isinstance(detail, (list, dict)) else None,
        suggested_user_message=_text(item.get("suggestedUserMessage")),
        doc_url=_text(links.get("about")) if isinstance(links, Mapping) else None,
    )


def _from_status(
    status: int | None,
    text: str,
    retry_after: float | None,
    header_request_id: str | None,
) -> SmartcarError:
    """Build the error for a body that names no type: the HTTP status decides."""
    if status is None:
        error_type = "UNKNOWN"
    else:
        error_type = _STATUS_TYPES.get(status) or ("SERVER" if status >= 500 else "UNKNOWN")
    description = " ".join(text.split())[:_MAX_TEXT]
    return error_class(error_type)(
        description,
        error_type=error_type,
        status=status,
        request_id=header_request_id,
        retry_after=retry_after,
    )


def _int(value: Any) -> int | None:
    """Return ``value`` as an int when it is an integer or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes | str
) -> SmartcarError:
    """Build the error for a failed HTTP answer from its status, headers and raw body."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        payload: Any = json.loads(text) if text.strip() else None
    except ValueError:
        payload = None
    return error_from_payload(status, headers, payload, raw_text=text)
