"""Smartcar's error catalogue and the three wire formats the simulator answers errors in.

Every failure inside the simulator is a `SimError` naming a catalogue `type`/`code`; the
routes render it as a v2 body (§5.1 of the reference), a v3 JSON:API body (§4.4) or, for the
token endpoints, an OAuth body (§2.3), so a client sees exactly one shape per API.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
import json
from typing import Any

from aiohttp import web

_RETRY = "RETRY_LATER"
_REAUTH = "REAUTHENTICATE"
_SUPPORT = "CONTACT_SUPPORT"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One row of the reference's error catalogue (§5.2)."""

    status: int
    type: str
    code: str | None
    description: str
    resolution: str | None


_ROWS: list[tuple[int, str, str | None, str | None, str]] = [
    (401, "AUTHENTICATION", None, None, "The authorization header is missing or malformed, or it contains invalid or expired authentication credentials. Please check for missing parameters, spelling and casing mistakes, and other syntax issues."),
    (403, "PERMISSION", None, _REAUTH, "Your application has insufficient permissions to access the requested resource. Please prompt the user to re-authenticate using Smartcar Connect."),
    (400, "VALIDATION", None, None, "Request invalid or malformed. Please check for missing parameters, spelling and casing mistakes, and other syntax issues."),
    (400, "VALIDATION", "PARAMETER", None, "Your request is formatted correctly, but one or more of the provided parameters is incorrect."),
    (404, "RESOURCE_NOT_FOUND", "PATH", None, "The requested resource does not exist. Please check the URL and try again."),
    (404, "RESOURCE_NOT_FOUND", "VERSION", None, "The requested resource does not exist. Please check your specified version number and try again."),
    (429, "RATE_LIMIT", "SMARTCAR_API", _RETRY, "Your application has exceeded its rate limit. Please retry your request in a few minutes."),
    (429, "RATE_LIMIT", "VEHICLE", _RETRY, "You have reached the throttling rate limit for this vehicle. Please see the retry-after header for when to retry the request."),
    (430, "BILLING", "INVALID_PLAN", _SUPPORT, "The feature you are trying to use is not included in your current pricing plan. Please visit our pricing page to learn more about our plans and features."),
    (430, "BILLING", "VEHICLE_LIMIT", _SUPPORT, "You\u2019ve reached the limit of vehicles in your plan. Please upgrade to unlock access to more vehicles."),
    (430, "BILLING", "VEHICLE_REQUEST_LIMIT", _SUPPORT, "You have exceeded the number of API requests that are allowed for this vehicle in the current billing period. Please log into the Smartcar dashboard and visit the Billing tab to learn more."),
    (430, "BILLING", "ACCOUNT_SUSPENDED", "FINANCE", "Your Smartcar account is past due and has been suspended. Please reach out to our finance team to resolve this issue."),
    (501, "COMPATIBILITY", "MAKE_NOT_COMPATIBLE", None, "Smartcar is not yet compatible with this vehicle\u2019s make in the country you specified."),
    (501, "COMPATIBILITY", "SMARTCAR_NOT_CAPABLE", None, "Smartcar does not yet support this feature for this vehicle."),
    (501, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE", None, "The vehicle is incapable of performing your request."),
    (501, "COMPATIBILITY", "PLATFORM_NOT_CAPABLE", _REAUTH, "You're connected to the vehicle using an OEM integration that does not support this endpoint."),
    (400, "CONNECTED_SERVICES_ACCOUNT", "ACCOUNT_ISSUE", None, "Action needed in the user\u2019s connected services account. Please prompt the user to log into their connected services account and complete any outstanding tasks."),
    (400, "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", _REAUTH, "Smartcar was unable to authenticate with the user\u2019s connected services account. Please prompt the user to re-authenticate using Smartcar Connect."),
    (400, "CONNECTED_SERVICES_ACCOUNT", "NO_VEHICLES", None, "There are no vehicles in the user\u2019s connected services account."),
    (400, "CONNECTED_SERVICES_ACCOUNT", "PERMISSION", _REAUTH, "The vehicle owner has revoked Smartcar\u2019s access to their OEM account."),
    (400, "CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION", None, "The vehicle\u2019s connected services subscription is inactive or does not support the requested API endpoint."),
    (400, "CONNECTED_SERVICES_ACCOUNT", "VEHICLE_MISSING", None, "This vehicle is no longer associated with the user\u2019s connected services account. Please prompt the user to re-add the vehicle to their account."),
    (400, "CONNECTED_SERVICES_ACCOUNT", "VIRTUAL_KEY_REQUIRED", "ACTION_REQUIRED", "The vehicle owner needs to grant additional access to Smartcar in order to perform this request."),
    (409, "VEHICLE_STATE", "ASLEEP", None, "The vehicle is in a sleep state and temporarily unable to perform your request."),
    (409, "VEHICLE_STATE", "CHARGING_IN_PROGRESS", None, "The vehicle is currently charging and unable to perform your request."),
    (409, "VEHICLE_STATE", "CHARGING_PLUG_CONNECTED", None, "The vehicle is connected to an EV charger and unable to perform your request."),
    (409, "VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED", None, "The vehicle is not connected to an EV charger and unable to perform your request."),
    (409, "VEHICLE_STATE", "DOOR_OPEN", None, "The vehicle could not perform your request because one or more of its doors are open."),
    (409, "VEHICLE_STATE", "FULLY_CHARGED", None, "The vehicle is unable to perform your request because its EV battery is fully charged."),
    (409, "VEHICLE_STATE", "NOT_CHARGING", None, "The vehicle is unable to perform your request because it is not currently charging."),
    (409, "VEHICLE_STATE", "CHARGE_FAULT", None, "The vehicle could not perform your request because its charger reported a fault."),
    (409, "VEHICLE_STATE", "HOOD_OPEN", None, "The vehicle could not perform your request because its hood is open."),
    (409, "VEHICLE_STATE", "IGNITION_ON", None, "The vehicle was unable to perform your request because its engine is running."),
    (409, "VEHICLE_STATE", "IN_MOTION", None, "The vehicle is currently in motion and unable to perform your request."),
    (409, "VEHICLE_STATE", "REMOTE_ACCESS_DISABLED", None, "The vehicle could not perform your request because remote access is disabled in the vehicle."),
    (409, "VEHICLE_STATE", "TRUNK_OPEN", None, "The vehicle could not perform your request because its trunk is open."),
    (409, "VEHICLE_STATE", "UNKNOWN", _RETRY, "The vehicle was unable to perform your request due to an unknown issue."),
    (409, "VEHICLE_STATE", "UNREACHABLE", None, "The vehicle was unable to perform your request because it is currently unreachable."),
    (409, "VEHICLE_STATE", "VEHICLE_OFFLINE_FOR_SERVICE", None, "The vehicle could not perform your request because it is in service mode."),
    (409, "VEHICLE_STATE", "LOW_BATTERY", _RETRY, "The vehicle could not perform your request because its battery is too low."),
    (500, "SERVER", "INTERNAL", _RETRY, "An internal Smartcar error has occurred. Our team has been notified and is working to resolve this issue."),
    (500, "SERVER", "RECORD_NOT_FOUND", _SUPPORT, "Smartcar was unable to locate a battery capacity record for this vehicle."),
    (500, "SERVER", "MULTIPLE_RECORDS_FOUND", _SUPPORT, "Smartcar found multiple battery capacity records for this vehicle."),
    (502, "UPSTREAM", "INVALID_DATA", _RETRY, "Smartcar received invalid data from an upstream source. Please retry your request at a later time."),
    (502, "UPSTREAM", "KNOWN_ISSUE", _RETRY, "Smartcar received an error from an upstream source. Please retry your request at a later time."),
    (502, "UPSTREAM", "NO_RESPONSE", _RETRY, "One of Smartcar\u2019s upstream sources failed to respond. Please retry your request at a later time."),
    (502, "UPSTREAM", "RATE_LIMIT", _RETRY, "The vehicle\u2019s manufacturer has rate limited Smartcar. Please retry your request at a later time."),
    (502, "UPSTREAM", "UNKNOWN_ISSUE", _RETRY, "Smartcar received an unknown error from an upstream source. Please retry your request at a later time and contact us if the issue persists."),
]  # fmt: skip
"""(HTTP status, type, code, resolution type, description) as in §5.2 of the reference."""

CATALOGUE: dict[tuple[str, str | None], CatalogueEntry] = {
    (etype, code): CatalogueEntry(status, etype, code, description, resolution)
    for status, etype, code, resolution, description in _ROWS
}

_SUGGESTED_USER_MESSAGES: dict[str, str] = {
    "RATE_LIMIT": "Your vehicle is temporarily unable to connect to {app}. Please be patient while we\u2019re working to resolve this issue.",
    "VEHICLE_STATE": "Your car is unable to perform this request right now. Please try again later.",
    "COMPATIBILITY": "Your car is unable to perform this request.",
    "CONNECTED_SERVICES_ACCOUNT": "Please log in to your car\u2019s connected services account and reconnect it to {app}.",
    "UPSTREAM": "Your car\u2019s manufacturer is not responding. Please try again later.",
    "SERVER": "{app} is temporarily unable to reach your car. Please try again later.",
}

_V3_GENERIC: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    500: "internal_error",
}


def lookup(error_type: str, code: str | None) -> CatalogueEntry:
    """Return the catalogue row for `type`/`code` (raises KeyError for unknown pairs)."""
    return CATALOGUE[(error_type, code)]


def doc_url(error_type: str, code: str | None) -> str:
    """Build the current `docURL` form, e.g. `…/permission-errors#null`."""
    type_slug = error_type.lower().replace("_", "-")
    code_slug = code.lower().replace("_", "-") if code else "null"
    return f"https://smartcar.com/docs/errors/api-errors/{type_slug}-errors#{code_slug}"


class SimError(Exception):
    """A Smartcar error raised anywhere in the simulator and rendered by the route's API."""

    def __init__(
        self,
        error_type: str,
        code: str | None = None,
        *,
        detail: list[Any] | None = None,
        retry_after: int | None = None,
        resolution_url: str | None = None,
        status: int | None = None,
        description: str | None = None,
    ) -> None:
        """Name a catalogue entry; `status`/`description` override it for custom errors."""
        entry = CATALOGUE.get((error_type, code))
        if entry is None:
            if status is None or description is None:
                raise ValueError(f"unknown Smartcar error {error_type}/{code}")
            entry = CatalogueEntry(status, error_type, code, description, None)
        self.type = error_type
        self.code = code
        self.status = status if status is not None else entry.status
        self.description = description if description is not None else entry.description
        self.resolution = entry.resolution
        self.detail = detail
        self.retry_after = retry_after
        self.resolution_url = resolution_url
        super().__init__(f"{error_type}:{code}")

    def resolution_object(self) -> dict[str, Any]:
        """Return `resolution` as the v2 body carries it: an object with `type` (and `url`)."""
        resolution: dict[str, Any] = {"type": self.resolution}
        if self.resolution_url is not None:
            resolution["url"] = self.resolution_url
        return resolution

    def v2_body(self, request_id: str, app_name: str) -> dict[str, Any]:
        """Return the v2 error body with every key the SDKs index (§5.1)."""
        body: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "description": self.description,
            "docURL": doc_url(self.type, self.code),
            "statusCode": self.status,
            "requestId": request_id,
            "resolution": self.resolution_object(),
        }
        suggested = _SUGGESTED_USER_MESSAGES.get(self.type)
        if suggested is not None:
            body["suggestedUserMessage"] = suggested.format(app=app_name)
        if self.detail is not None:
            body["detail"] = self.detail
        return body

    def v1_body(self) -> dict[str, Any]:
        """Return the legacy v1 body (`error`, `message`, `code`) that the SDKs still parse."""
        return {
            "error": f"{self.type.lower()}_error",
            "message": self.description,
            "code": self.code,
        }

    def v3_item(self) -> dict[str, Any]:
        """Return one JSON:API error object (§4.4) carrying the v2 type/code as extras."""
        generic = _V3_GENERIC.get(self.status)
        if generic is not None and (
            self.code is None
            or self.type in _V3_GENERIC_TYPES
            or (self.type, self.code) == ("SERVER", "INTERNAL")
        ):
            code = generic
        else:
            code = self.code or self.type.lower()
        try:
            title = HTTPStatus(self.status).phrase
        except ValueError:
            title = self.type.replace("_", " ").title()
        item: dict[str, Any] = {
            "status": str(self.status),
            "code": code,
            "title": title,
            "detail": self.description,
            "type": self.type,
            "resolution": self.resolution_object(),
            "links": {"about": doc_url(self.type, self.code)},
        }
        if self.detail is not None:
            item["meta"] = {"detail": self.detail}
        return item

    def v3_body(self) -> dict[str, Any]:
        """Return the JSON:API error document."""
        return {"errors": [self.v3_item()]}

    def headers(self) -> dict[str, str]:
        """Return the extra response headers (Retry-After for rate limits)."""
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(self.retry_after)}


_V3_GENERIC_TYPES = frozenset({"AUTHENTICATION", "PERMISSION", "VALIDATION", "RESOURCE_NOT_FOUND"})


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Serialise compactly, as Smartcar does, with `application/json; charset=utf-8`."""
    return web.Response(
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def v2_error_response(error: SimError, request_id: str, app_name: str) -> web.Response:
    """Render a `SimError` in the v2 format."""
    return json_response(
        error.v2_body(request_id, app_name), status=error.status, headers=error.headers()
    )


def v3_error_response(error: SimError) -> web.Response:
    """Render a `SimError` in the v3 JSON:API format."""
    return json_response(error.v3_body(), status=error.status, headers=error.headers())


def validation(message: str, field: list[str | int], *, code: str | None = None) -> SimError:
    """Build a VALIDATION error whose `detail` names the offending field, Joi style."""
    return SimError("VALIDATION", code, detail=[{"field": field, "message": message}])


class OAuthError(Exception):
    """An RFC 6749 token-endpoint error (`{"error", "error_description"}`)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        """Name the OAuth `error` code, its description and the HTTP status."""
        self.error = error
        self.description = description
        self.status = status
        super().__init__(error)

    def response(self) -> web.Response:
        """Render the standard OAuth error body."""
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="smartcar"'
        return json_response(
            {"error": self.error, "error_description": self.description},
            status=self.status,
            headers=headers,
        )
