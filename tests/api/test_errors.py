"""Every error body Smartcar has used becomes the right exception, keyed on type and code."""

from __future__ import annotations

from datetime import UTC, datetime
import json

import pytest

from custom_components.smartcar.api import (
    SmartcarAuthenticationError,
    SmartcarBillingError,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarOAuthError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarResourceNotFoundError,
    SmartcarServerError,
    SmartcarTimeoutError,
    SmartcarUpstreamError,
    SmartcarValidationError,
    SmartcarVehicleStateError,
    error_from_payload,
    error_from_response,
    parse_retry_after,
)

from .conftest import load


def _body(name: str) -> bytes:
    return json.dumps(load(name)).encode()


@pytest.mark.parametrize(
    ("fixture", "status", "cls", "error_type", "code", "resolution"),
    [
        (
            "error_v2_authentication.json",
            401,
            SmartcarAuthenticationError,
            "AUTHENTICATION",
            None,
            None,
        ),
        (
            "error_v2_permission.json",
            403,
            SmartcarPermissionError,
            "PERMISSION",
            None,
            "REAUTHENTICATE",
        ),
        ("error_v2_validation_detail.json", 400, SmartcarValidationError, "VALIDATION", None, None),
        (
            "error_v2_resource_not_found.json",
            404,
            SmartcarResourceNotFoundError,
            "RESOURCE_NOT_FOUND",
            "PATH",
            None,
        ),
        (
            "error_v2_rate_limit_vehicle.json",
            429,
            SmartcarRateLimitError,
            "RATE_LIMIT",
            "VEHICLE",
            "RETRY_LATER",
        ),
        (
            "error_v2_rate_limit_app.json",
            429,
            SmartcarRateLimitError,
            "RATE_LIMIT",
            "SMARTCAR_API",
            "RETRY_LATER",
        ),
        (
            "error_v2_billing_request_limit.json",
            430,
            SmartcarBillingError,
            "BILLING",
            "VEHICLE_REQUEST_LIMIT",
            "CONTACT_SUPPORT",
        ),
        (
            "error_v2_compatibility.json",
            501,
            SmartcarCompatibilityError,
            "COMPATIBILITY",
            "VEHICLE_NOT_CAPABLE",
            None,
        ),
        (
            "error_v2_csa_authentication_failed.json",
            400,
            SmartcarConnectedServicesAccountError,
            "CONNECTED_SERVICES_ACCOUNT",
            "AUTHENTICATION_FAILED",
            "REAUTHENTICATE",
        ),
        (
            "error_v2_virtual_key.json",
            400,
            SmartcarConnectedServicesAccountError,
            "CONNECTED_SERVICES_ACCOUNT",
            "VIRTUAL_KEY_REQUIRED",
            "ACTION_REQUIRED",
        ),
        (
            "error_v2_vehicle_state_asleep.json",
            409,
            SmartcarVehicleStateError,
            "VEHICLE_STATE",
            "ASLEEP",
            None,
        ),
        (
            "error_v2_multiple_records.json",
            500,
            SmartcarServerError,
            "SERVER",
            "MULTIPLE_RECORDS_FOUND",
            "CONTACT_SUPPORT",
        ),
        (
            "error_v2_resolution_string.json",
            502,
            SmartcarUpstreamError,
            "UPSTREAM",
            "NO_RESPONSE",
            "RETRY_LATER",
        ),
    ],
)
def test_v2_bodies(
    *,
    fixture: str,
    status: int,
    cls: type[SmartcarError],
    error_type: str,
    code: str | None,
    resolution: str | None,
) -> None:
    body = load(fixture)
    error = error_from_response(status, {"SC-Request-Id": "header-id"}, _body(fixture))
    assert type(error) is cls
    assert error.type == error_type
    assert error.code == code
    assert error.status == status
    assert error.description == body["description"]
    assert error.request_id == body["requestId"]
    assert error.resolution_type == resolution
    assert error.doc_url == body["docURL"]
    assert error.detail == body.get("detail")
    assert error.suggested_user_message == body.get("suggestedUserMessage")


def test_v2_message_and_reauth() -> None:
    auth = error_from_response(401, {}, _body("error_v2_authentication.json"))
    assert str(auth).startswith("AUTHENTICATION - The authorization header")
    assert auth.requires_reauth
    csa = error_from_response(400, {}, _body("error_v2_csa_authentication_failed.json"))
    assert str(csa).startswith("CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED - ")
    assert csa.requires_reauth
    assert csa.resolution_url is not None
    assert csa.resolution_url.startswith("https://connect.smartcar.com/oauth/reauthenticate")
    for name in ("error_v2_permission.json", "error_v2_virtual_key.json"):
        assert not error_from_response(400, {}, _body(name)).requires_reauth


def test_v2_retry_after_header_seconds() -> None:
    error = error_from_response(
        429, {"Retry-After": "37", "SC-Request-Id": "x"}, _body("error_v2_rate_limit_vehicle.json")
    )
    assert error.retry_after == 37.0


def test_v2_missing_keys_and_status_from_body() -> None:
    error = error_from_payload(None, None, {"type": "RATE_LIMIT", "statusCode": 429})
    assert isinstance(error, SmartcarRateLimitError)
    assert error.status == 429
    assert error.description == ""
    assert str(error) == "RATE_LIMIT"
    assert error.resolution_type is None


def test_status_code_must_be_a_number() -> None:
    assert error_from_payload(None, None, {"type": "SERVER", "statusCode": True}).status is None
    assert error_from_payload(None, None, {"type": "SERVER", "statusCode": "x"}).status is None
    assert error_from_payload(None, None, {"type": "SERVER", "statusCode": 1.5}).status is None
    assert error_from_payload(None, None, {"type": "SERVER", "statusCode": "502"}).status == 502


def test_unknown_type_keeps_its_name() -> None:
    error = error_from_payload(418, {}, {"type": "TEAPOT", "code": "SHORT", "description": "Stout"})
    assert type(error) is SmartcarError
    assert error.type == "TEAPOT"
    assert str(error) == "TEAPOT:SHORT - Stout"


@pytest.mark.parametrize(
    ("fixture", "cls", "error_type", "code", "message"),
    [
        (
            "error_v1_permission.json",
            SmartcarPermissionError,
            "PERMISSION",
            None,
            "Insufficient permissions to access requested resource.",
        ),
        (
            "error_v1_vehicle_state.json",
            SmartcarVehicleStateError,
            "VEHICLE_STATE",
            "VS_000",
            "Vehicle state cannot be determined.",
        ),
    ],
)
def test_v1_bodies(
    fixture: str, cls: type[SmartcarError], error_type: str, code: str | None, message: str
) -> None:
    error = error_from_response(409, {"sc-request-id": "req-1"}, _body(fixture))
    assert type(error) is cls
    assert (error.type, error.code, error.description) == (error_type, code, message)
    assert error.request_id == "req-1"
    assert error.status == 409


def test_v1_unknown_error_is_upper_cased() -> None:
    error = error_from_payload(
        None, None, {"error": "odd_error", "message": "x", "statusCode": 418}
    )
    assert error.type == "ODD_ERROR"
    assert error.status == 418


def test_v3_jsonapi_plain() -> None:
    error = error_from_response(401, {}, _body("error_v3_unauthorized.json"))
    assert isinstance(error, SmartcarAuthenticationError)
    assert error.code == "unauthorized"
    assert error.description == "The Authorization token is missing or invalid."
    assert error.status == 401
    assert error.requires_reauth
    not_found = error_from_response(404, {}, _body("error_v3_not_found.json"))
    assert isinstance(not_found, SmartcarResourceNotFoundError)
    assert not_found.description == "Not Found"
    assert not_found.doc_url == (
        "https://smartcar.com/docs/errors/api-errors/resource-not-found-errors"
    )


def test_v3_jsonapi_rich_item() -> None:
    error = error_from_response(409, {"Retry-After": "5"}, _body("error_v3_rich.json"))
    assert isinstance(error, SmartcarVehicleStateError)
    assert (error.type, error.code) == ("VEHICLE_STATE", "ASLEEP")
    assert error.resolution_type == "RETRY_LATER"
    assert error.request_id == "d4a8f6bc-9e0c-4abd-9b3f-4c5d6e7f8a9b"
    assert error.suggested_user_message == "Your car is asleep. Please try again later."
    assert error.retry_after == 5.0


def test_v3_jsonapi_status_from_item_and_fallbacks() -> None:
    error = error_from_payload(None, None, {"errors": [{"status": "429", "code": "whatever"}]})
    assert isinstance(error, SmartcarRateLimitError)
    assert error.status == 429
    unknown = error_from_payload(None, None, {"errors": [{"status": "nope"}]})
    assert unknown.type == "UNKNOWN"
    detailed = error_from_payload(400, None, {"errors": [{"detail": [{"field": "x"}]}]})
    assert detailed.detail == [{"field": "x"}]
    assert isinstance(detailed, SmartcarValidationError)


@pytest.mark.parametrize(
    ("fixture", "status", "error_type", "description", "reauth"),
    [
        (
            "error_oauth_invalid_grant.json",
            400,
            "invalid_grant",
            "Invalid refresh_token: 3e565aed-d4b2-4296-9b4c-aec35825a6aa.",
            True,
        ),
        ("error_oauth_invalid_client.json", 401, "invalid_client", "", False),
    ],
)
def test_oauth_bodies(
    fixture: str, status: int, error_type: str, description: str, reauth: bool
) -> None:
    error = error_from_response(status, {}, _body(fixture))
    assert isinstance(error, SmartcarOAuthError)
    assert error.type == error_type
    assert error.description == description
    assert error.requires_reauth is reauth
    assert error.status == status


@pytest.mark.parametrize(
    ("status", "cls", "error_type"),
    [
        (400, SmartcarValidationError, "VALIDATION"),
        (401, SmartcarAuthenticationError, "AUTHENTICATION"),
        (403, SmartcarPermissionError, "PERMISSION"),
        (404, SmartcarResourceNotFoundError, "RESOURCE_NOT_FOUND"),
        (409, SmartcarVehicleStateError, "VEHICLE_STATE"),
        (429, SmartcarRateLimitError, "RATE_LIMIT"),
        (430, SmartcarBillingError, "BILLING"),
        (500, SmartcarServerError, "SERVER"),
        (501, SmartcarCompatibilityError, "COMPATIBILITY"),
        (502, SmartcarUpstreamError, "UPSTREAM"),
        (504, SmartcarUpstreamError, "UPSTREAM"),
        (599, SmartcarServerError, "SERVER"),
        (418, SmartcarError, "UNKNOWN"),
    ],
)
def test_non_json_bodies_use_the_status(
    status: int, cls: type[SmartcarError], error_type: str
) -> None:
    error = error_from_response(
        status, {"sc-request-id": "r"}, b"<html>\n <body>Bad   Gateway</body>\n</html>"
    )
    assert type(error) is cls
    assert error.type == error_type
    assert error.description == "<html> <body>Bad Gateway</body> </html>"
    assert error.request_id == "r"


def test_odd_bodies() -> None:
    assert error_from_response(500, {}, "").description == ""
    assert error_from_response(500, {}, b"\xff\xfe").type == "SERVER"
    assert error_from_response(500, {}, "[1, 2]").description == "[1, 2]"
    assert error_from_response(500, {}, "x" * 1000).description == "x" * 300
    assert error_from_payload(None, None, None).type == "UNKNOWN"
    assert error_from_payload(None, None, {"errors": []}).type == "UNKNOWN"
    # A resolution that is neither an object nor a string is ignored.
    odd = error_from_payload(400, None, {"type": "VALIDATION", "resolution": ["x"], "code": 7})
    assert odd.resolution_type is None
    assert odd.code == "7"


def test_retry_after_http_date_and_garbage() -> None:
    now = datetime(2025, 5, 9, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Fri, 09 May 2025 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Fri, 09 May 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("2025-05-09T12:00:10", now=now) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("nan") is None
    assert parse_retry_after("9" * 400) is None
    assert parse_retry_after(" 1.5 ") == 1.5
    # Without an explicit clock the wall clock is used; a date in the past gives zero.
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 -0000") == 0.0


def test_network_errors_are_their_own_kind() -> None:
    timeout = SmartcarTimeoutError("slow")
    assert isinstance(timeout, SmartcarConnectionError)
    assert timeout.type == "TIMEOUT"
    assert SmartcarConnectionError("down").type == "CONNECTION"
    assert not timeout.requires_reauth


def test_redact() -> None:
    error = error_from_response(400, {}, _body("error_oauth_invalid_grant.json"))
    error.redact("3e565aed-d4b2-4296-9b4c-aec35825a6aa", "")
    assert "3e565aed" not in str(error)
    assert error.description == "Invalid refresh_token: ***."
