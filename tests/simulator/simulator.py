"""The simulated Smartcar platform: one object holding the world and one aiohttp app serving it.

`Simulator` owns the clock, accounts, cars, tokens, connections, limits, faults, webhooks and
the request log; `run_simulator()` serves it on a loopback port for tests and scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
import json
import logging
from pathlib import Path
import random
import re
from typing import TYPE_CHECKING, Any, Final
import uuid

from aiohttp import web

from . import const
from .clock import SimClock, parse_iso
from .errors import OAuthError, SimError, v2_error_response, v3_error_response
from .httputil import REQUEST_ID_KEY, ConnectionDroppedError
from .store import SignalStore, StoredSignals
from .vehicles import SimVehicle, demo_vehicles, generated_vehicle, incompatible_vehicle
from .webhooks import WebhookService
from .world import (
    Account,
    AuthCode,
    Billing,
    Connection,
    Fault,
    FaultRegistry,
    Grant,
    LoggedRequest,
    RateBucket,
    TokenStore,
    VehicleThrottle,
    decode_record,
    encode_record,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp.typedefs import Handler

_LOGGER = logging.getLogger(__name__)

_N_VEHICLES = re.compile(r"^(\d{1,3})-vehicles@smartcar\.com$")
_ID_NAMESPACE: Final = uuid.UUID("2e2d5775-2b98-40c9-a0da-d939ca2ef1a8")

COMMANDS: Final = (
    "security/lock",
    "security/unlock",
    "charge/start",
    "charge/stop",
    "charge/set-limit",
    "navigation/set-destination",
)


@dataclass(kw_only=True)
class SimulatorConfig:
    """Knobs tests and the admin API turn (limits, grace windows, timing)."""

    billing_limit: int | None = const.DEFAULT_BILLING_LIMIT
    rate_bucket_capacity: int | None = const.DEFAULT_BUCKET_CAPACITY
    rate_bucket_refill_per_minute: float = const.DEFAULT_BUCKET_REFILL_PER_MINUTE
    vehicle_throttle_limit: int | None = const.DEFAULT_VEHICLE_THROTTLE_LIMIT
    vehicle_throttle_window: float = const.DEFAULT_VEHICLE_THROTTLE_WINDOW_S
    refresh_grace_seconds: float = const.DEFAULT_REFRESH_GRACE_S
    webhook_retry_scale: float = 1.0
    webhook_timeout: float = const.WEBHOOK_TIMEOUT_S
    default_redirect_uri: str | None = None
    allowed_redirect_uris: list[str] | None = None
    slow_commands: dict[str, float] = field(default_factory=dict)
    """`"<vehicle id or *> <command>"` → seconds a v3 command takes (answered with 202)."""
    execution_links: bool = False
    """Whether a 202 carries `links.self` to its execution (an invention: no source shows a
    lookup path); without it the 202 body is all a client gets."""
    tick_seconds: float = 30.0
    """How often a real-time clock re-checks the cars for webhook triggers."""
    auto_enroll: bool = False
    """The dashboard's auto-enrollment: connected cars (existing and new) are subscribed to
    the default webhook, so their v3 signal store fills. Off, a car's store stays empty until
    it is subscribed (Management API v3 or the dashboard)."""
    store_refresh_seconds: float | None = const.DEFAULT_STORE_REFRESH_S
    """How often Smartcar retrieves a subscribed car's data on its own (`None`: never)."""
    signals_page_size: int | None = None
    """Signals per `/signals` page (`None`: all on one page, as live; else `links.next`)."""


@dataclass(kw_only=True)
class Execution:
    """A v3 command execution (sync ones finish at once; slow ones stay PENDING a while)."""

    id: str
    vehicle_id: str
    command: str
    parameters: dict[str, Any]
    mode: str
    execution_mode: str
    executed_at: datetime
    due_at: datetime
    status: str = "PENDING"
    error: SimError | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class TokenSet:
    """Tokens handed to a test that skipped the Connect page (`Simulator.connect_account`)."""

    access_token: str
    refresh_token: str
    user_id: str
    vehicle_ids: tuple[str, ...]
    grant_id: str


class Simulator:
    """The simulated Smartcar: apps, users, cars, tokens, clock, limits, faults and logs.

    Everything is reachable from Python (tests) and through the admin API under `/_simulator/`
    (scripts and browsers); both routes change the same state.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        fleet: str = "demo",
        vehicles: int | None = None,
        clock_start: datetime | None = None,
        realtime: bool = False,
        time_scale: float = 1.0,
        state_file: str | Path | None = None,
        **config: Any,
    ) -> None:
        """Build the world.

        Args:
            seed: makes generated ids, VINs and test accounts reproducible.
            fleet: `demo` (the demo cars) or `generated` (cars filled with documented values).
            vehicles: how many cars the demo account owns (default: the four demo cars, or 3).
            clock_start: the simulated time at start (default: now).
            realtime: whether the clock moves by itself (standalone server).
            time_scale: simulated seconds per real second for a real-time clock.
            state_file: JSON file loaded at start (if present) and written by `save()`.
            **config: any `SimulatorConfig` field.
        """
        if fleet not in ("demo", "generated"):
            raise ValueError(f"unknown fleet {fleet!r} (demo or generated)")
        self.seed = seed
        self.fleet = fleet
        self.vehicle_count = vehicles
        self.config = SimulatorConfig(**config)
        self.clock = SimClock(clock_start, realtime=realtime, time_scale=time_scale)
        self.clock.add_listener(self._on_clock)
        self.state_file = Path(state_file) if state_file is not None else None
        self.origin = "http://127.0.0.1"
        self.webhooks = WebhookService(self)
        self.store = SignalStore()
        self._ticker: asyncio.Task[None] | None = None
        self._build_world()
        if self.state_file is not None and self.state_file.exists():
            self.load(self.state_file)
        if self.config.auto_enroll:
            self.enroll_connected()  # cars connected in a loaded state file
        self.app = self._build_app()

    # ----------------------------------------------------------------- world

    def _build_world(self) -> None:
        now = self.clock.now()
        self.accounts: dict[str, Account] = {}
        self.vehicles: dict[str, SimVehicle] = {}
        self.tokens = TokenStore()
        self.connections: dict[str, Connection] = {}
        self.billing = Billing(self.config.billing_limit)
        self.bucket = RateBucket(
            self.config.rate_bucket_capacity, self.config.rate_bucket_refill_per_minute
        )
        self.throttle = VehicleThrottle(
            self.config.vehicle_throttle_limit, self.config.vehicle_throttle_window
        )
        self.faults = FaultRegistry()
        self.request_log: list[LoggedRequest] = []
        self.executions: dict[str, Execution] = {}
        self.next_connect_error: dict[str, str] | None = None
        self.webhooks.reset()
        self.store.reset()

        demo = demo_vehicles(now)
        bev, phev, ice, tesla, nissan = demo
        if self.fleet == "demo":
            owned = [bev, phev, ice, tesla]
            count = self.vehicle_count if self.vehicle_count is not None else len(owned)
            fleet = owned[:count]
            rng = random.Random(f"{self.seed}:{const.DEMO_USER_EMAIL}")
            fleet += [generated_vehicle(rng, now, i) for i in range(max(0, count - len(owned)))]
        else:
            count = self.vehicle_count if self.vehicle_count is not None else 3
            rng = random.Random(f"{self.seed}:{const.DEMO_USER_EMAIL}")
            fleet = [generated_vehicle(rng, now, i) for i in range(count)]
        self._add_account(const.DEMO_USER_EMAIL, const.DEMO_USER_ID, fleet)
        self._add_account(const.SECOND_USER_EMAIL, const.SECOND_USER_ID, [nissan])
        self._add_account(
            const.INCOMPATIBLE_EMAIL,
            self._user_id(const.INCOMPATIBLE_EMAIL),
            [incompatible_vehicle(now)],
            connect_error="vehicle_incompatible",
        )
        rng = random.Random(f"{self.seed}:{const.INVALID_SUBSCRIPTION_EMAIL}")
        self._add_account(
            const.INVALID_SUBSCRIPTION_EMAIL,
            self._user_id(const.INVALID_SUBSCRIPTION_EMAIL),
            [generated_vehicle(rng, now, 0)],
            connect_error="invalid_subscription",
        )
        self._add_account(
            const.SERVER_ERROR_EMAIL,
            self._user_id(const.SERVER_ERROR_EMAIL),
            [],
            connect_error="server_error",
        )
        self._add_account(const.NO_VEHICLES_EMAIL, self._user_id(const.NO_VEHICLES_EMAIL), [])

    def _user_id(self, email: str) -> str:
        return str(uuid.uuid5(_ID_NAMESPACE, f"{self.seed}:{email.lower()}"))

    def _add_account(
        self,
        email: str,
        user_id: str,
        vehicles: list[SimVehicle],
        *,
        connect_error: str | None = None,
    ) -> Account:
        for vehicle in vehicles:
            self.vehicles[vehicle.id] = vehicle
        account = Account(
            email=email,
            user_id=user_id,
            vehicle_ids=[vehicle.id for vehicle in vehicles],
            connect_error=connect_error,
        )
        self.accounts[email.lower()] = account
        return account

    def account(self, email: str) -> Account | None:
        """Return the Connect account for an email (creating `<n>-vehicles@smartcar.com`)."""
        email = email.strip().lower()
        account = self.accounts.get(email)
        if account is not None:
            return account
        match = _N_VEHICLES.match(email)
        if match is None:
            return None
        count = min(int(match.group(1)), 50)
        rng = random.Random(f"{self.seed}:{email}")
        now = self.clock.now()
        return self._add_account(
            email, self._user_id(email), [generated_vehicle(rng, now, i) for i in range(count)]
        )

    def account_for_user(self, user_id: str) -> Account | None:
        """Return the account of a Smartcar user id."""
        for account in self.accounts.values():
            if account.user_id == user_id:
                return account
        return None

    def vehicle(self, vehicle_id: str) -> SimVehicle:
        """Return a car, synced to the clock (KeyError if unknown)."""
        vehicle = self.vehicles[vehicle_id]
        self.sync(vehicle)
        return vehicle

    def user_id_for(self, vehicle_id: str) -> str | None:
        """The user a car is connected to (or, unconnected, the account that owns it)."""
        for connection in self.connections.values():
            if connection.vehicle_id == vehicle_id:
                return connection.user_id
        for account in self.accounts.values():
            if vehicle_id in account.vehicle_ids:
                return account.user_id
        return None

    def mode_for(self, vehicle_id: str) -> str:
        """The Connect mode of the car's connection (`live` when unconnected)."""
        for connection in self.connections.values():
            if connection.vehicle_id == vehicle_id:
                return connection.mode
        return "live"

    def app_name(self) -> str:
        """The developer app's name as Connect and error messages show it."""
        return const.APP_NAME

    # ----------------------------------------------------------------- time and physics

    def sync(self, vehicle: SimVehicle) -> None:
        """Bring a car up to the clock: due slow commands first, then charging physics."""
        now = self.clock.now()
        due = sorted(
            (
                execution
                for execution in self.executions.values()
                if execution.vehicle_id == vehicle.id
                and execution.status == "PENDING"
                and execution.due_at <= now
            ),
            key=lambda execution: execution.due_at,
        )
        for execution in due:
            vehicle.advance(execution.due_at)
            try:
                self._apply_command(
                    vehicle,
                    execution.command,
                    execution.parameters,
                    execution.mode,
                    execution.due_at,
                )
            except SimError as err:
                execution.status = "FAILED"
                execution.error = err
            else:
                execution.status = "SUCCESS"
            execution.completed_at = execution.due_at
        vehicle.advance(now)

    def advance(self, seconds: float) -> datetime:
        """Move the clock; charging progresses and subscribed webhooks hear about changes."""
        return self.clock.advance(seconds)

    def _on_clock(self, _before: datetime, _after: datetime) -> None:
        now = self.clock.now()
        for vehicle in self.vehicles.values():
            self.sync(vehicle)
            self.webhooks.vehicle_changed(vehicle)
            if self.webhooks.is_subscribed(vehicle.id) and self.store.due(
                vehicle.id, now, self.config.store_refresh_seconds
            ):
                self.retrieve(vehicle)

    # ----------------------------------------------------------------- signal store

    def retrieve(self, vehicle: SimVehicle) -> StoredSignals:
        """Smartcar retrieves the car's data now; the v3 signal store then serves it."""
        self.sync(vehicle)
        return self.store.retrieve(vehicle, self.clock.now())

    def enroll(self, vehicle_id: str) -> bool:
        """Subscribe a connected car to the default webhook unless it already is (auto-enroll)."""
        if self.webhooks.is_subscribed(vehicle_id, const.WEBHOOK_ID):
            return False
        self.webhooks.subscribe(const.WEBHOOK_ID, vehicle_id)
        return True

    def enroll_connected(self) -> list[str]:
        """Subscribe every connected car that is not yet (auto-enrollment switched on)."""
        connected = dict.fromkeys(c.vehicle_id for c in self.connections.values())
        return [vehicle_id for vehicle_id in connected if self.enroll(vehicle_id)]

    def changed(self, vehicle: SimVehicle) -> None:
        """Tell the webhooks a car's state may have changed."""
        self.webhooks.vehicle_changed(vehicle)

    def set_vehicle_state(self, vehicle_id: str, **changes: Any) -> list[str]:
        """Set state attributes of a car (see `SimVehicle`); return those that changed."""
        vehicle = self.vehicle(vehicle_id)
        changed = vehicle.apply(self.clock.now(), changes)
        self.changed(vehicle)
        return changed

    def drive(self, vehicle_id: str, distance_km: float, heading: float | None = None) -> None:
        """Drive a car a distance (odometer, location, battery, fuel and oil follow)."""
        vehicle = self.vehicle(vehicle_id)
        vehicle.drive(self.clock.now(), distance_km, heading)
        self.changed(vehicle)

    def pair_virtual_key(self, vehicle_id: str, *, paired: bool = True) -> None:
        """Pair (or unpair) a Tesla's virtual key; unpaired Teslas refuse commands."""
        self.set_vehicle_state(vehicle_id, virtual_key_paired=paired)

    # ----------------------------------------------------------------- commands

    def slow_seconds(self, vehicle_id: str, command: str) -> float:
        """How long a v3 command runs before it completes (0: synchronous)."""
        slow = self.config.slow_commands
        for key in (f"{vehicle_id} {command}", f"{vehicle_id} *", f"* {command}", "* *"):
            if key in slow:
                return slow[key]
        return 0.0

    def set_slow_command(
        self, seconds: float, *, vehicle_id: str | None = None, command: str | None = None
    ) -> None:
        """Make a v3 command answer 202 and complete `seconds` later (0 removes the rule)."""
        if command is not None and command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}")
        key = f"{vehicle_id or '*'} {command or '*'}"
        if seconds <= 0:
            self.config.slow_commands.pop(key, None)
        else:
            self.config.slow_commands[key] = seconds

    def run_command(
        self, vehicle: SimVehicle, command: str, parameters: dict[str, Any], mode: str
    ) -> None:
        """Run a command now (raises `SimError` when the car refuses)."""
        self._apply_command(vehicle, command, parameters, mode, self.clock.now())
        self.changed(vehicle)

    def _apply_command(
        self,
        vehicle: SimVehicle,
        command: str,
        parameters: dict[str, Any],
        mode: str,
        when: datetime,
    ) -> None:
        if command == "security/lock":
            vehicle.lock(when)
        elif command == "security/unlock":
            vehicle.unlock(when)
        elif command == "charge/start":
            vehicle.start_charge(when)
        elif command == "charge/stop":
            vehicle.stop_charge(when)
        elif command == "charge/set-limit":
            if mode == "simulated" and vehicle.charging:
                raise SimError("COMPATIBILITY", "SMARTCAR_NOT_CAPABLE")
            vehicle.set_charge_limit(when, float(parameters["percent"]))
        elif command == "navigation/set-destination":
            vehicle.check_command()
        else:
            raise SimError("RESOURCE_NOT_FOUND", "PATH")

    def start_execution(
        self,
        vehicle: SimVehicle,
        command: str,
        parameters: dict[str, Any],
        mode: str,
    ) -> Execution:
        """Run a v3 command: synchronously, or PENDING when it is marked slow."""
        now = self.clock.now()
        seconds = self.slow_seconds(vehicle.id, command)
        execution = Execution(
            id=f"exec_{uuid.uuid4().hex[:16]}",
            vehicle_id=vehicle.id,
            command=command,
            parameters=parameters,
            mode=mode,
            execution_mode="async" if seconds > 0 else "sync",
            executed_at=now,
            due_at=now + timedelta(seconds=seconds),
        )
        if seconds <= 0:
            self.run_command(vehicle, command, parameters, mode)
            execution.status = "SUCCESS"
            execution.completed_at = now
        else:
            vehicle.check_command()
        self.executions[execution.id] = execution
        return execution

    # ----------------------------------------------------------------- Connect and tokens

    def approve(
        self,
        account: Account,
        vehicle_ids: list[str],
        permissions: list[str],
        *,
        mode: str = "live",
        redirect_uri: str | None = None,
    ) -> AuthCode:
        """Record a Connect approval: a grant, a code and the user's connections."""
        now = self.clock.now()
        grant = self.tokens.create_grant(
            user_id=account.user_id,
            vehicle_ids=vehicle_ids,
            permissions=permissions,
            mode=mode,
            now=now,
        )
        for vehicle_id in vehicle_ids:
            existing = self.connection_for(account.user_id, vehicle_id)
            if existing is None:
                connection = Connection(
                    id=str(uuid.uuid4()),
                    user_id=account.user_id,
                    vehicle_id=vehicle_id,
                    mode=mode,
                    permissions=list(permissions),
                    connected_at=now,
                    updated_at=now,
                )
                self.connections[connection.id] = connection
            else:
                existing.permissions = list(permissions)
                existing.mode = mode
                existing.updated_at = now
            self.faults.clear_resolvable(vehicle_id)
            if self.config.auto_enroll:
                self.enroll(vehicle_id)
        return self.tokens.issue_code(grant, redirect_uri, now)

    def connect_account(
        self,
        email: str = const.DEMO_USER_EMAIL,
        *,
        vehicle_ids: list[str] | None = None,
        permissions: list[str] | tuple[str, ...] = const.DEFAULT_SCOPES,
        mode: str = "live",
    ) -> TokenSet:
        """Approve Connect and exchange the code in one step (for tests that skip the page)."""
        account = self.account(email)
        if account is None:
            raise KeyError(email)
        chosen = list(vehicle_ids) if vehicle_ids is not None else list(account.vehicle_ids)
        code = self.approve(account, chosen, list(permissions), mode=mode)
        code.used = True
        grant = self.tokens.grants[code.grant_id]
        access, refresh = self.tokens.issue_pair(grant, self.clock.now())
        return TokenSet(
            access_token=access.token,
            refresh_token=refresh.token,
            user_id=account.user_id,
            vehicle_ids=tuple(chosen),
            grant_id=grant.id,
        )

    def app_token(self) -> str:
        """Issue a v3 application token without calling `/oauth2/token`."""
        return self.tokens.issue_app_token(self.clock.now()).token

    def connection_for(self, user_id: str, vehicle_id: str) -> Connection | None:
        """Return the connection of a user's car, if any."""
        for connection in self.connections.values():
            if connection.user_id == user_id and connection.vehicle_id == vehicle_id:
                return connection
        return None

    def delete_connection(self, connection: Connection) -> None:
        """Remove a connection: v2 tokens lose the car and its webhooks stop."""
        self.connections.pop(connection.id, None)
        self.tokens.remove_vehicle(connection.user_id, connection.vehicle_id)
        if not any(c.vehicle_id == connection.vehicle_id for c in self.connections.values()):
            self.webhooks.forget_vehicle(connection.vehicle_id)
            self.store.forget(connection.vehicle_id)

    def revoke_tokens(
        self,
        *,
        user_id: str | None = None,
        vehicle_id: str | None = None,
        token: str | None = None,
        kind: str = "all",
    ) -> int:
        """Revoke tokens (see `TokenStore.revoke`); return how many."""
        return self.tokens.revoke(user_id=user_id, vehicle_id=vehicle_id, token=token, kind=kind)

    def grant_for(self, access_token: str) -> Grant | None:
        """Return the grant behind a valid v2 access token."""
        access = self.tokens.valid_access(access_token, self.clock.now())
        if access is None or access.grant_id is None:
            return None
        return self.tokens.grants[access.grant_id]

    # ----------------------------------------------------------------- faults and limits

    def inject_fault(self, **fields: Any) -> Fault:
        """Add a fault (see `Fault` for the fields); returns it."""
        return self.faults.add(Fault(**fields))

    def clear_faults(self, fault_id: str | None = None) -> int:
        """Remove one or all faults."""
        return self.faults.clear(fault_id)

    def configure(self, **changes: Any) -> SimulatorConfig:
        """Change configuration at run time (limits follow at once)."""
        for name, value in changes.items():
            if not hasattr(self.config, name):
                raise ValueError(f"unknown setting {name!r}")
            setattr(self.config, name, value)
        self.billing.limit = self.config.billing_limit
        if {"rate_bucket_capacity", "rate_bucket_refill_per_minute"} & changes.keys():
            self.bucket.configure(
                self.config.rate_bucket_capacity, self.config.rate_bucket_refill_per_minute
            )
        self.throttle.limit = self.config.vehicle_throttle_limit
        self.throttle.window_s = self.config.vehicle_throttle_window
        if changes.get("auto_enroll"):
            self.enroll_connected()
        return self.config

    def reset(self) -> None:
        """Rebuild the world from the seed (the clock and configuration stay)."""
        self._build_world()

    # ----------------------------------------------------------------- persistence

    def state(self) -> dict[str, Any]:
        """Return everything the state file keeps."""
        return {
            "version": 1,
            "clock": self.clock.state(),
            "accounts": [asdict(account) for account in self.accounts.values()],
            "vehicles": [vehicle.snapshot() for vehicle in self.vehicles.values()],
            "tokens": self.tokens.state(),
            "connections": [encode_record(asdict(c)) for c in self.connections.values()],
            "billing": self.billing.counts,
            "webhooks": self.webhooks.state(),
            "store": self.store.state(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load what `state()` returned."""
        saved_now = parse_iso(data["clock"]["now"])
        if saved_now > self.clock.now():
            self.clock.set(saved_now)
        self.accounts = {item["email"].lower(): Account(**item) for item in data["accounts"]}
        self.vehicles = {item["id"]: SimVehicle.restore(item) for item in data["vehicles"]}
        self.tokens.restore(data["tokens"])
        self.connections = {
            item["id"]: Connection(**decode_record(item, "connected_at", "updated_at"))
            for item in data["connections"]
        }
        self.billing.counts = {
            period: dict(counts) for period, counts in data.get("billing", {}).items()
        }
        self.webhooks.restore(data.get("webhooks", {}))
        self.store.restore(data.get("store", {}))

    def save(self, path: str | Path | None = None) -> Path:
        """Write the state file (default: the one given at construction)."""
        target = Path(path) if path is not None else self.state_file
        if target is None:
            raise ValueError("no state file configured")
        temporary = target.with_suffix(target.suffix + ".tmp")
        temporary.write_text(json.dumps(self.state(), indent=1), encoding="utf-8")
        temporary.replace(target)
        return target

    def load(self, path: str | Path) -> None:
        """Read a state file written by `save()`."""
        self.restore(json.loads(Path(path).read_text(encoding="utf-8")))

    # ----------------------------------------------------------------- HTTP app

    def _build_app(self) -> web.Application:
        from . import admin, connect, oauth, v2, v3

        app = web.Application(middlewares=[_middleware])
        app[SIMULATOR_KEY] = self
        connect.register(app)
        oauth.register(app)
        admin.register(app)
        v3.register(app)
        v2.register(app)
        app.router.add_route("*", "/{tail:.*}", _unknown_path)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        await self.webhooks.start()
        if self.clock.realtime:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _on_cleanup(self, _app: web.Application) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.webhooks.close()
        if self.state_file is not None:
            self.save()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.config.tick_seconds)
            self._on_clock(self.clock.now(), self.clock.now())


SIMULATOR_KEY: Final = web.AppKey("simulator", Simulator)


def simulator_of(request: web.Request) -> Simulator:
    """The simulator serving a request."""
    return request.app[SIMULATOR_KEY]


async def _unknown_path(_request: web.Request) -> web.StreamResponse:
    raise SimError("RESOURCE_NOT_FOUND", "PATH")


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = request.app[SIMULATOR_KEY]
    rid = str(uuid.uuid4())
    request[REQUEST_ID_KEY] = rid
    raw = await request.read()
    is_v3 = request.path.startswith("/v3/") or request.path == "/v3"
    dropped = False
    try:
        response = await handler(request)
    except SimError as err:
        response = v3_error_response(err) if is_v3 else v2_error_response(err, rid, sim.app_name())
    except OAuthError as err:
        response = err.response()
    except ConnectionDroppedError:
        dropped = True
        response = web.Response(status=599)
    except web.HTTPNotFound, web.HTTPMethodNotAllowed:
        missing = SimError("RESOURCE_NOT_FOUND", "PATH")
        response = (
            v3_error_response(missing) if is_v3 else v2_error_response(missing, rid, sim.app_name())
        )
    response.headers["SC-Request-Id"] = rid
    if not request.path.startswith("/_simulator"):
        sim.request_log.append(
            _log_entry(request, raw, rid, 0 if dropped else response.status, sim)
        )
    return response


def _log_entry(
    request: web.Request, raw: bytes, rid: str, status: int, sim: Simulator
) -> LoggedRequest:
    body: Any = None
    form: dict[str, str] | None = None
    content_type = request.content_type
    if raw and body is None:
        if content_type == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qsl

            form = dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
        else:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                body = json.loads(raw)
    return LoggedRequest(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers={key.lower(): value for key, value in request.headers.items()},
        json=body,
        status=status,
        at=sim.clock.now(),
        request_id=rid,
        form=form,
    )


@dataclass(frozen=True, kw_only=True)
class RunningSimulator:
    """A simulator served on a loopback port."""

    origin: str
    host: str
    port: int
    simulator: Simulator

    def url(self, path: str) -> str:
        """Absolute URL of a path on the simulator."""
        return f"{self.origin}{path}"


@asynccontextmanager
async def run_simulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    simulator: Simulator | None = None,
    **simulator_kwargs: Any,
) -> AsyncIterator[RunningSimulator]:
    """Serve a simulator on `host:port` (port 0: a free one) until the block exits."""
    sim = simulator if simulator is not None else Simulator(**simulator_kwargs)
    runner = web.AppRunner(sim.app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        sim.origin = f"http://{host}:{bound_port}"
        _LOGGER.debug("Smartcar simulator listening on %s:%s", bound_host, bound_port)
        yield RunningSimulator(origin=sim.origin, host=host, port=bound_port, simulator=sim)
    finally:
        await runner.cleanup()


__all__ = [
    "COMMANDS",
    "SIMULATOR_KEY",
    "ConnectionDroppedError",
    "Execution",
    "RunningSimulator",
    "Simulator",
    "SimulatorConfig",
    "TokenSet",
    "run_simulator",
    "simulator_of",
]
