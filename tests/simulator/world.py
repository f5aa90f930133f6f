"""The bookkeeping of the simulated Smartcar platform.

Accounts, grants, tokens, connections, limits, faults and the request log: each piece is a small class that follows the simulator's clock, so the route modules only ask
questions ("is this token valid now?", "may this vehicle be called again?") and never keep
state of their own.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
import math
import secrets
from typing import Any
import uuid

from . import const
from .clock import parse_iso
from .errors import SimError


def new_token() -> str:
    """Return an opaque UUID token, the form Smartcar's tokens take."""
    return str(uuid.uuid4())


# --------------------------------------------------------------------- accounts


@dataclass(kw_only=True)
class Account:
    """A Connect login: an email, its Smartcar user id and the cars in its OEM account."""

    email: str
    user_id: str
    vehicle_ids: list[str] = field(default_factory=list)
    connect_error: str | None = None
    """A Connect error this account always produces (test accounts)."""


# --------------------------------------------------------------------- OAuth state


@dataclass(kw_only=True)
class Grant:
    """One approved Connect flow: a user, the approved cars and the granted permissions."""

    id: str
    user_id: str
    client_id: str
    vehicle_ids: list[str]
    permissions: list[str]
    mode: str
    created_at: datetime
    removed_vehicle_ids: list[str] = field(default_factory=list)
    revoked: bool = False

    def covers(self, vehicle_id: str) -> bool:
        """Whether the grant still reaches the car."""
        return vehicle_id in self.vehicle_ids and vehicle_id not in self.removed_vehicle_ids

    def active_vehicle_ids(self) -> list[str]:
        """The cars the grant still reaches, in approval order."""
        return [vid for vid in self.vehicle_ids if vid not in self.removed_vehicle_ids]


@dataclass(kw_only=True)
class AuthCode:
    """A single-use authorization code (10 minutes)."""

    code: str
    grant_id: str
    redirect_uri: str | None
    issued_at: datetime
    used: bool = False


@dataclass(kw_only=True)
class AccessToken:
    """A v2 access token (2 hours) or a v3 application token (1 hour, no grant)."""

    token: str
    grant_id: str | None
    expires_at: datetime
    revoked: bool = False

    @property
    def is_app_token(self) -> bool:
        """Whether this is a v3 client-credentials token."""
        return self.grant_id is None


@dataclass(kw_only=True)
class RefreshToken:
    """A rotating refresh token (60 days; reusable for a grace window after its first use)."""

    token: str
    grant_id: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked: bool = False


class TokenStore:
    """All grants, codes and tokens of the simulated app."""

    def __init__(self) -> None:
        """Start empty."""
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}

    def create_grant(
        self,
        *,
        user_id: str,
        vehicle_ids: list[str],
        permissions: list[str],
        mode: str,
        now: datetime,
    ) -> Grant:
        """Record an approval."""
        grant = Grant(
            id=new_token(),
            user_id=user_id,
            client_id=const.APPLICATION_ID,
            vehicle_ids=list(vehicle_ids),
            permissions=list(permissions),
            mode=mode,
            created_at=now,
        )
        self.grants[grant.id] = grant
        return grant

    def issue_code(self, grant: Grant, redirect_uri: str | None, now: datetime) -> AuthCode:
        """Issue an authorization code for a grant."""
        code = AuthCode(
            code=new_token(), grant_id=grant.id, redirect_uri=redirect_uri, issued_at=now
        )
        self.codes[code.code] = code
        return code

    def issue_pair(self, grant: Grant, now: datetime) -> tuple[AccessToken, RefreshToken]:
        """Issue an access token and a refresh token for a grant."""
        access = AccessToken(
            token=new_token(),
            grant_id=grant.id,
            expires_at=now + timedelta(seconds=const.ACCESS_TOKEN_LIFETIME_S),
        )
        refresh = RefreshToken(
            token=new_token(),
            grant_id=grant.id,
            issued_at=now,
            expires_at=now + timedelta(seconds=const.REFRESH_TOKEN_LIFETIME_S),
        )
        self.access[access.token] = access
        self.refresh[refresh.token] = refresh
        return access, refresh

    def issue_app_token(self, now: datetime) -> AccessToken:
        """Issue a v3 application token."""
        token = AccessToken(
            token=new_token(),
            grant_id=None,
            expires_at=now + timedelta(seconds=const.APP_TOKEN_LIFETIME_S),
        )
        self.access[token.token] = token
        return token

    def valid_access(self, token: str, now: datetime) -> AccessToken | None:
        """Return the token if it is known, unexpired and not revoked (grant included)."""
        access = self.access.get(token)
        if access is None or access.revoked or access.expires_at <= now:
            return None
        if access.grant_id is not None and self.grants[access.grant_id].revoked:
            return None
        return access

    def revoke(
        self,
        *,
        user_id: str | None = None,
        vehicle_id: str | None = None,
        token: str | None = None,
        kind: str = "all",
    ) -> int:
        """Revoke tokens; return how many.

        `token` revokes exactly that token. Otherwise `kind` picks v2 `access`, `refresh`, v3
        `app` tokens or `all`, narrowed to the grants of `user_id`/`vehicle_id` when given.
        """
        filtered = user_id is not None or vehicle_id is not None
        grant_ids = {
            grant.id
            for grant in self.grants.values()
            if (user_id is None or grant.user_id == user_id)
            and (vehicle_id is None or vehicle_id in grant.vehicle_ids)
        }
        count = 0
        for access in self.access.values():
            if access.revoked:
                continue
            if token is not None:
                if access.token != token:
                    continue
            elif access.is_app_token:
                if kind not in ("app", "all") or filtered:
                    continue
            elif kind not in ("access", "all") or (filtered and access.grant_id not in grant_ids):
                continue
            access.revoked = True
            count += 1
        for refresh in self.refresh.values():
            if refresh.revoked:
                continue
            if token is not None:
                if refresh.token != token:
                    continue
            elif kind not in ("refresh", "all") or (filtered and refresh.grant_id not in grant_ids):
                continue
            refresh.revoked = True
            count += 1
        return count

    def remove_vehicle(self, user_id: str, vehicle_id: str) -> None:
        """Cut a car out of every grant of a user (disconnect, deleted connection)."""
        for grant in self.grants.values():
            if grant.user_id == user_id and vehicle_id in grant.vehicle_ids:
                if vehicle_id not in grant.removed_vehicle_ids:
                    grant.removed_vehicle_ids.append(vehicle_id)
                if not grant.active_vehicle_ids():
                    grant.revoked = True

    def state(self) -> dict[str, Any]:
        """Return JSON-ready state for the state file."""
        return {
            "grants": [_encode(asdict(item)) for item in self.grants.values()],
            "codes": [_encode(asdict(item)) for item in self.codes.values()],
            "access": [_encode(asdict(item)) for item in self.access.values()],
            "refresh": [_encode(asdict(item)) for item in self.refresh.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load what `state()` returned."""
        self.grants = {
            item["id"]: Grant(**_decode(item, "created_at")) for item in data.get("grants", [])
        }
        self.codes = {
            item["code"]: AuthCode(**_decode(item, "issued_at")) for item in data.get("codes", [])
        }
        self.access = {
            item["token"]: AccessToken(**_decode(item, "expires_at"))
            for item in data.get("access", [])
        }
        self.refresh = {
            item["token"]: RefreshToken(**_decode(item, "issued_at", "expires_at", "used_at"))
            for item in data.get("refresh", [])
        }


# --------------------------------------------------------------------- connections


@dataclass(kw_only=True)
class Connection:
    """A user's car connected to the app (management v2 and v3 `/connections`)."""

    id: str
    user_id: str
    vehicle_id: str
    mode: str
    permissions: list[str]
    connected_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------- limits


class Billing:
    """Per-vehicle request counters for the current billing month."""

    def __init__(self, limit: int | None) -> None:
        """Cap each car at `limit` billable requests a month (None: no cap)."""
        self.limit = limit
        self.counts: dict[str, dict[str, int]] = {}

    @staticmethod
    def period(now: datetime) -> str:
        """The billing period key, one per calendar month (UTC)."""
        return now.strftime("%Y-%m")

    def count(self, vehicle_id: str, now: datetime) -> int:
        """Billable requests of the car this month."""
        return self.counts.get(self.period(now), {}).get(vehicle_id, 0)

    def exhausted(self, vehicle_id: str, now: datetime) -> bool:
        """Whether the car has used up this month's requests."""
        return self.limit is not None and self.count(vehicle_id, now) >= self.limit

    def check(self, vehicle_id: str, now: datetime) -> None:
        """Raise 430 BILLING/VEHICLE_REQUEST_LIMIT once the cap is reached."""
        if self.exhausted(vehicle_id, now):
            raise SimError("BILLING", "VEHICLE_REQUEST_LIMIT")

    def charge(self, vehicle_id: str, now: datetime, requests: int = 1) -> None:
        """Count billable requests."""
        month = self.counts.setdefault(self.period(now), {})
        month[vehicle_id] = month.get(vehicle_id, 0) + requests

    def set(self, vehicle_id: str, now: datetime, count: int) -> None:
        """Overwrite a car's counter for this month (admin API)."""
        self.counts.setdefault(self.period(now), {})[vehicle_id] = count


class RateBucket:
    """The app-wide token bucket (120 requests, refilling 2 per minute by default)."""

    def __init__(self, capacity: int | None, refill_per_minute: float) -> None:
        """Size the bucket; `capacity=None` switches the limit off."""
        self.configure(capacity, refill_per_minute)
        self._last: datetime | None = None

    def configure(self, capacity: int | None, refill_per_minute: float) -> None:
        """Resize (and refill) the bucket."""
        self.capacity = capacity
        self.refill_per_minute = refill_per_minute
        self.tokens = float(capacity or 0)

    def _refill(self, now: datetime) -> None:
        if self._last is not None and self.capacity is not None:
            elapsed = max(0.0, (now - self._last).total_seconds())
            self.tokens = min(
                float(self.capacity), self.tokens + elapsed * self.refill_per_minute / 60
            )
        self._last = now

    def take(self, now: datetime) -> None:
        """Take one request from the bucket or raise 429 RATE_LIMIT/SMARTCAR_API."""
        if self.capacity is None:
            return
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return
        wait = (
            math.ceil((1 - self.tokens) * 60 / self.refill_per_minute)
            if self.refill_per_minute > 0
            else 3600
        )
        raise SimError("RATE_LIMIT", "SMARTCAR_API", retry_after=max(1, wait))


class VehicleThrottle:
    """A sliding-window throttle per car (429 RATE_LIMIT/VEHICLE with Retry-After)."""

    def __init__(self, limit: int | None, window_s: float) -> None:
        """Allow `limit` requests per `window_s` seconds per car (None: no throttle)."""
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[datetime]] = {}

    def hit(self, vehicle_id: str, now: datetime) -> None:
        """Count a request to the car or raise when the window is full."""
        if self.limit is None:
            return
        hits = self._hits.setdefault(vehicle_id, deque())
        horizon = now - timedelta(seconds=self.window_s)
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.limit:
            wait = (hits[0] - horizon).total_seconds()
            raise SimError("RATE_LIMIT", "VEHICLE", retry_after=max(1, math.ceil(wait)))
        hits.append(now)

    def clear(self) -> None:
        """Forget all recorded requests."""
        self._hits.clear()


# --------------------------------------------------------------------- faults


@dataclass(kw_only=True)
class Fault:
    """An injected failure: which requests it hits and what happens to them.

    `path` is relative to the vehicle (`/battery`, `/charge/limit`, `/batch`, `/signals`,
    `/commands/security/lock`); a trailing `*` matches a prefix. `signal` marks one v3 signal
    as failed inside signal lists and webhooks. `times=None` keeps the fault until cleared.
    """

    id: str = field(default_factory=lambda: secrets.token_hex(6))
    vehicle_id: str | None = None
    path: str | None = None
    method: str | None = None
    api: str | None = None
    signal: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    retry_after: int | None = None
    resolution_url: str | None = None
    description: str | None = None
    status: int | None = None
    latency: float = 0.0
    drop: bool = False
    raw_status: int | None = None
    raw_body: str | None = None
    raw_content_type: str = "text/html"
    legacy_v1: bool = False
    command_status: bool = False
    times: int | None = 1
    hits: int = 0

    def matches(self, *, vehicle_id: str | None, api: str, method: str, path: str) -> bool:
        """Whether this request-level fault applies."""
        if self.signal is not None:
            return False
        if self.vehicle_id is not None and self.vehicle_id != vehicle_id:
            return False
        if self.api is not None and self.api != api:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is None:
            return True
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return _norm(self.path) == _norm(path)

    def error(self) -> SimError | None:
        """The Smartcar error this fault answers with, if any."""
        if self.error_type is None:
            return None
        return SimError(
            self.error_type,
            self.error_code,
            retry_after=self.retry_after,
            resolution_url=self.resolution_url,
            status=self.status,
            description=self.description,
        )


def _norm(path: str) -> str:
    return "/" + path.strip("/")


class FaultRegistry:
    """The active faults, consumed in the order they were injected."""

    def __init__(self) -> None:
        """Start without faults."""
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Activate a fault (validates its error name)."""
        if fault.error_type is not None:
            fault.error()  # raises ValueError for an unknown type/code
        self.faults.append(fault)
        return fault

    def clear(self, fault_id: str | None = None) -> int:
        """Remove one fault or all; return how many were removed."""
        before = len(self.faults)
        if fault_id is None:
            self.faults.clear()
        else:
            self.faults = [fault for fault in self.faults if fault.id != fault_id]
        return before - len(self.faults)

    def _consume(self, fault: Fault) -> Fault:
        fault.hits += 1
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
        return fault

    def take(self, *, vehicle_id: str | None, api: str, method: str, path: str) -> Fault | None:
        """Return (and consume) the first fault for this request."""
        for fault in self.faults:
            if fault.matches(vehicle_id=vehicle_id, api=api, method=method, path=path):
                return self._consume(fault)
        return None

    def take_signal(self, vehicle_id: str, code: str) -> SimError | None:
        """Return (and consume) the error of a fault on one v3 signal."""
        for fault in self.faults:
            if fault.signal == code and fault.vehicle_id in (None, vehicle_id):
                error = fault.error() or SimError("UPSTREAM", "UNKNOWN_ISSUE")
                self._consume(fault)
                return error
        return None

    def clear_resolvable(self, vehicle_id: str) -> None:
        """Drop the account faults a re-authentication resolves for a car."""
        self.faults = [
            fault
            for fault in self.faults
            if not (
                fault.vehicle_id in (None, vehicle_id)
                and fault.error_type == "CONNECTED_SERVICES_ACCOUNT"
                and fault.error_code in ("AUTHENTICATION_FAILED", "PERMISSION", "ACCOUNT_ISSUE")
            )
        ]


# --------------------------------------------------------------------- request log


@dataclass(kw_only=True)
class LoggedRequest:
    """One request the simulator answered (tests inspect these)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int
    at: datetime
    request_id: str
    form: dict[str, str] | None = None

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready view with credentials masked (admin API)."""
        headers = dict(self.headers)
        if "authorization" in headers:
            scheme = headers["authorization"].split(" ", 1)[0]
            headers["authorization"] = f"{scheme} <redacted>"
        form = None
        if self.form is not None:
            form = {
                key: ("<redacted>" if key in _SECRET_FIELDS else value)
                for key, value in self.form.items()
            }
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "json": self.json,
            "form": form,
            "status": self.status,
            "at": self.at.isoformat(),
            "request_id": self.request_id,
        }


_SECRET_FIELDS = frozenset({"client_secret", "code", "refresh_token"})


# --------------------------------------------------------------------- encoding helpers


def _encode(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in data.items()
    }


def _decode(data: dict[str, Any], *datetime_keys: str) -> dict[str, Any]:
    decoded = dict(data)
    for key in datetime_keys:
        if decoded.get(key) is not None:
            decoded[key] = parse_iso(decoded[key])
    return decoded


def encode_record(data: dict[str, Any]) -> dict[str, Any]:
    """Encode a dataclass dict with datetimes for the state file."""
    return _encode(data)


def decode_record(data: dict[str, Any], *datetime_keys: str) -> dict[str, Any]:
    """Decode a state-file record, turning the named keys back into datetimes."""
    return _decode(data, *datetime_keys)
