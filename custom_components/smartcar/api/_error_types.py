"""The exception hierarchy of the Smartcar client, one class per Smartcar error ``type``.

Callers branch on these classes and on ``code``, never on description text, which Smartcar
rewords from time to time. ``errors`` builds them from the bodies Smartcar answers with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final, Self

if TYPE_CHECKING:
    from collections.abc import Mapping

#: ``code`` of :class:`SmartcarSignalNotIngestedError`.
SIGNAL_NOT_INGESTED: Final = "SIGNAL_NOT_INGESTED"


class SmartcarError(Exception):
    """Base of every failure the Smartcar client reports, carrying Smartcar's identifiers."""

    #: The ``type`` a subclass stands for; ``error_from_response`` picks classes by it.
    error_type: ClassVar[str | None] = None

    def __init__(
        self,
        description: str = "",
        *,
        error_type: str | None = None,
        code: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        resolution_type: str | None = None,
        resolution_url: str | None = None,
        retry_after: float | None = None,
        detail: Any = None,
        suggested_user_message: str | None = None,
        doc_url: str | None = None,
    ) -> None:
        """Keep Smartcar's identifiers; ``error_type`` defaults to the class's own type."""
        self.type: str = error_type or self.error_type or "UNKNOWN"
        self.code = code
        self.status = status
        self.description = description
        self.request_id = request_id
        self.resolution_type = resolution_type
        self.resolution_url = resolution_url
        self.retry_after = retry_after
        self.detail = detail
        self.suggested_user_message = suggested_user_message
        self.doc_url = doc_url
        super().__init__(self._message())

    def _message(self) -> str:
        """Build the ``TYPE:CODE - description`` text the official SDKs use."""
        head = self.type if self.code is None else f"{self.type}:{self.code}"
        return f"{head} - {self.description}" if self.description else head

    @property
    def requires_reauth(self) -> bool:
        """Whether only a new consent through Smartcar Connect can clear this error."""
        if self.type == "AUTHENTICATION":
            return True
        return self.type == "CONNECTED_SERVICES_ACCOUNT" and self.code == "AUTHENTICATION_FAILED"

    def redact(self, *secrets: str) -> Self:
        """Blank out secrets a server echoed into the description (token endpoints do)."""
        for secret in secrets:
            if secret:
                self.description = self.description.replace(secret, "***")
        self.args = (self._message(),)
        return self


class SmartcarAuthenticationError(SmartcarError):
    """The access token is missing, malformed, expired or revoked (HTTP 401)."""

    error_type = "AUTHENTICATION"


class SmartcarPermissionError(SmartcarError):
    """The token lacks the scope the request needs (HTTP 403)."""

    error_type = "PERMISSION"


class SmartcarValidationError(SmartcarError):
    """Smartcar rejected the request's parameters or body (HTTP 400)."""

    error_type = "VALIDATION"


class SmartcarResourceNotFoundError(SmartcarError):
    """The path, version or resource does not exist (HTTP 404)."""

    error_type = "RESOURCE_NOT_FOUND"


class SmartcarSignalNotIngestedError(SmartcarResourceNotFoundError):
    """Smartcar holds no value of this v3 signal yet (404 on ``GET /signals/{code}``).

    A vehicle that is not subscribed to a webhook has an empty signal store; its signals answer
    404 until Smartcar first retrieves them. ``code`` is :data:`SIGNAL_NOT_INGESTED`.
    """


class SmartcarRateLimitError(SmartcarError):
    """The application or the vehicle is throttled (HTTP 429); see ``retry_after``."""

    error_type = "RATE_LIMIT"


class SmartcarBillingError(SmartcarError):
    """The plan forbids the request, e.g. the monthly request cap per vehicle (HTTP 430)."""

    error_type = "BILLING"


class SmartcarCompatibilityError(SmartcarError):
    """The vehicle, make or platform cannot serve this request (HTTP 501)."""

    error_type = "COMPATIBILITY"


class SmartcarConnectedServicesAccountError(SmartcarError):
    """The owner's account at the manufacturer needs attention (HTTP 400)."""

    error_type = "CONNECTED_SERVICES_ACCOUNT"


class SmartcarVehicleStateError(SmartcarError):
    """The vehicle's current state prevents the request: asleep, unplugged, door open (HTTP 409)."""

    error_type = "VEHICLE_STATE"


class SmartcarServerError(SmartcarError):
    """Smartcar itself failed (HTTP 500)."""

    error_type = "SERVER"


class SmartcarUpstreamError(SmartcarError):
    """The manufacturer's service failed or throttled Smartcar (HTTP 502)."""

    error_type = "UPSTREAM"


class SmartcarOAuthError(SmartcarError):
    """The token endpoint refused a grant; ``type`` holds the OAuth ``error`` value."""

    error_type = "OAUTH"

    @property
    def requires_reauth(self) -> bool:
        """Whether the grant itself is dead (``invalid_grant``), so the user must consent again."""
        return self.type == "invalid_grant"


class SmartcarCommandError(SmartcarError):
    """A command was answered with a status other than success; ``code`` holds that status."""

    error_type = "COMMAND"


class SmartcarResponseError(SmartcarError):
    """A successful HTTP answer whose body the client could not understand."""

    error_type = "INVALID_RESPONSE"


class SmartcarConnectionError(SmartcarError):
    """Smartcar could not be reached: DNS, refused connection, reset, broken body."""

    error_type = "CONNECTION"


class SmartcarTimeoutError(SmartcarConnectionError):
    """Smartcar did not answer within the request timeout."""

    error_type = "TIMEOUT"


_CLASSES: Mapping[str, type[SmartcarError]] = {
    cls.error_type: cls
    for cls in (
        SmartcarAuthenticationError,
        SmartcarPermissionError,
        SmartcarValidationError,
        SmartcarResourceNotFoundError,
        SmartcarRateLimitError,
        SmartcarBillingError,
        SmartcarCompatibilityError,
        SmartcarConnectedServicesAccountError,
        SmartcarVehicleStateError,
        SmartcarServerError,
        SmartcarUpstreamError,
    )
    if cls.error_type is not None
}


def error_class(error_type: str) -> type[SmartcarError]:
    """Return the exception class for a Smartcar error ``type``."""
    return _CLASSES.get(error_type, SmartcarError)
