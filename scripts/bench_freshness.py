"""Freshness benchmark: 30 simulated days of reading cars, per polling profile and peer strategy.

What is real and what is simulated:

* **Real**: the planner (``custom_components/smartcar/planner.py`` and ``polling.py``: the same
  ``VehiclePlanner`` and ``AppBucket`` objects the coordinator uses, fed the same way), the API
  client (``custom_components/smartcar/api``, over loopback HTTP), the simulator's HTTP API and
  its store, billing, application bucket (120, +2/min) and per-vehicle throttle, webhook
  deliveries (signed HTTP POSTs to a local receiver, parsed by the integration's
  ``parse_webhook`` after its signature check), and the merge rule of ``VehicleState``.
* **Simulated**: time. The simulator's clock starts at 2026-11-01 00:00 UTC and is advanced in
  ticks (``TICK``, 5 minutes; ``FLEET_TICK``, 10 minutes, for the 50 cars) up to 2026-12-01;
  nothing sleeps. The cars report once per tick: what drivers do happens on the tick, and a
  charging car's state of charge (a trigger signal) refreshes the store each tick. Reads happen
  at their planned moment to the second, between ticks, against the store as the last tick
  left it. Smartcar's store follows the simulator's model: retrieval on subscription, on every
  change of a trigger signal (driving, charging, plugging, locking) and
  ``store_refresh_seconds`` (3600) after the last retrieval. Home Assistant is not running here:
  a small driver plays the coordinator (first read at set-up, one read per plan, pushes and
  commands applied through the same planner calls, the bucket checked before each planned
  read), and the month's calls are Smartcar's own billing counters.
* **The drivers** (people and cars) follow a fixed schedule with seeded jitter, see
  ``_commuter``, ``_weekend`` and ``_fleet``.

Charging age: at the end of every tick while the simulated car is charging (after that tick's
reads and pushes), the
age is the tick time minus the moment the shown charging state became true (the reading's
``oemUpdatedAt``; the simulator stamps it at every change, and while charging at every sync).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import random
from typing import Any

from aiohttp import ClientSession, web

from custom_components.smartcar.api import (
    V2_FIELD_PATHS,
    V3_FIELDS,
    AbstractAuth,
    ApiVersion,
    ApplicationTokenAuth,
    Field,
    Origins,
    Reading,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarRateLimitError,
    SmartcarServerError,
    SmartcarUpstreamError,
    VehicleState,
    VehicleStateEvent,
    async_refresh_token,
    parse_webhook,
    verify_signature,
)
from custom_components.smartcar.planner import VehiclePlanner
from custom_components.smartcar.polling import (
    AppBucket,
    CallBudget,
    PollingMode,
    settings_from_options,
)
from custom_components.smartcar.rhythm import latest_retrieval
from tests.simulator import const as sim
from tests.simulator.simulator import Simulator, run_simulator

START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
END = START + timedelta(days=DAYS)
TICK = timedelta(minutes=5)
#: The fleet's 53 simulated cars make each tick cost ~2.5 ms, so its clock steps 10 minutes.
FLEET_TICK = timedelta(minutes=10)
STORE_REFRESH_S = 3600.0
PROFILES = (
    PollingMode.ECONOMY,
    PollingMode.BALANCED,
    PollingMode.RESPONSIVE,
    PollingMode.PUSH_ONLY,
)
PEERS = {"peer_batch_6h": timedelta(hours=6), "peer_v3_12h": timedelta(hours=12)}
STRATEGIES = (*(str(profile) for profile in PROFILES), *PEERS)
SCENARIOS = ("commuter", "weekend", "fleet50")
#: The eight v2 paths of the batch peer (an electric car with every entity enabled).
PEER_PATHS = (
    "/battery",
    "/battery/nominal_capacity",
    "/charge",
    "/charge/limit",
    "/security",
    "/odometer",
    "/location",
    "/tires/pressure",
)
#: Failures the coordinator retries within minutes (a timeout is a SmartcarConnectionError).
_TRANSIENT = (SmartcarServerError, SmartcarUpstreamError, SmartcarConnectionError)


@dataclass
class Event:
    """Something a driver does at a moment: drive, plug in, a timer, a command."""

    at: datetime
    vehicle_id: str
    action: str
    value: Any = None


@dataclass
class Metrics:
    """What one run measured for one vehicle."""

    reads: int = 0
    wasted: int = 0
    #: (age in minutes, minutes) pieces of the time the car spent charging.
    ages_min: list[tuple[float, float]] = field(default_factory=list)
    commands: int = 0
    refused: int = 0
    rate_limited: int = 0
    pushes: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


class V2Auth(AbstractAuth):
    """The v2 user token, renewed by its refresh token on the simulator's clock."""

    def __init__(self, session: ClientSession, origins: Origins, world: Simulator, tokens: Any):
        """Start from the tokens Connect issued."""
        self._session, self._origins, self._world = session, origins, world
        self._access, self._refresh = tokens.access_token, tokens.refresh_token
        self._renew_at = world.clock.now() + timedelta(minutes=100)

    async def async_get_access_token(self) -> str:
        """The access token, renewed shortly before its two hours are up."""
        if self._world.clock.now() >= self._renew_at:
            answer = await async_refresh_token(
                self._session, self._origins, sim.APPLICATION_ID, sim.CLIENT_SECRET, self._refresh
            )
            self._access = answer.access_token
            self._refresh = answer.refresh_token or self._refresh
            self._renew_at = self._world.clock.now() + timedelta(minutes=100)
        return self._access


class Driver:
    """Plays the coordinator of one vehicle: reads on plan, takes pushes, sends commands."""

    def __init__(
        self,
        vehicle_id: str,
        client: SmartcarClient,
        fields: frozenset[Field],
        bucket: AppBucket,
        *,
        planner: VehiclePlanner | None,
        interval: timedelta | None = None,
    ) -> None:
        """A driver with its planner (profiles) or fixed interval (peers)."""
        self.vehicle_id = vehicle_id
        self.client = client
        self.fields = fields
        self.bucket = bucket
        self.planner = planner
        self.interval = interval
        self.state = VehicleState()
        self.budget = CallBudget.start(START)
        self.next_at: datetime | None = START
        self.reason = "setup"
        self.last_read: datetime | None = None
        self.last_retrieval: datetime | None = None
        self.metrics = Metrics()
        self._jitter = random.Random(vehicle_id)  # noqa: S311 - spreads retries, not a secret

    def replan(self, now: datetime) -> None:
        """Ask the planner (or the peer's interval) for the next read."""
        if self.planner is None:
            self.next_at = (self.last_read or now) + (self.interval or timedelta(hours=12))
            return
        plan = self.planner.plan(
            now,
            state=self.state,
            budget=self.budget,
            calls_per_read=self.client.calls_per_read(self.fields),
            bucket=self.bucket,
        )
        self.next_at, self.reason = plan.at, str(plan.reason)

    async def read(self, now: datetime) -> None:
        """One read, as the coordinator makes it."""
        if self.planner is not None and self.bucket.ready_at(now) > now:
            self.replan(now)
            return
        self.bucket.take(now, 1)
        try:
            state = await self.client.async_get_state(self.vehicle_id, self.fields)
        except SmartcarError as err:
            self._failed(now, err)
            return
        self.budget = self.budget.record(self.client.calls_per_read(self.fields), now)
        self.metrics.reads += 1
        self.metrics.reasons[self.reason] += 1
        retrieved = latest_retrieval(state)
        if retrieved is not None and self.last_retrieval is not None:
            self.metrics.wasted += retrieved <= self.last_retrieval
        self.last_retrieval = max(filter(None, (retrieved, self.last_retrieval)), default=None)
        self.state = self.state.merged(state)
        self.last_read = now
        if self.planner is not None:
            self.planner.note_read(now, state)
        self.replan(now)

    def _failed(self, now: datetime, err: SmartcarError) -> None:
        retry_after: float | None = err.retry_after
        if isinstance(err, SmartcarRateLimitError):
            self.metrics.rate_limited += 1
            retry_after = retry_after or 300.0
            if err.code == "SMARTCAR_API":
                self.bucket.block(now, retry_after)
        if isinstance(err, SmartcarBillingError):
            retry_after = 86400.0
        if self.planner is None:
            self.last_read = now
        else:
            self.planner.note_failure(
                now,
                transient=isinstance(err, _TRANSIENT),
                retry_after=retry_after,
                jitter=self._jitter.random(),
            )
        self.replan(now)

    def push(self, now: datetime, state: VehicleState) -> None:
        """Pushed data, merged by the one rule; the planner hears of it."""
        self.metrics.pushes += 1
        self.state = self.state.merged(state)
        if self.planner is not None:
            self.planner.note_push(now, state)
            self.replan(now)

    async def lock(self, now: datetime) -> None:
        """The owner locks the car from Home Assistant."""
        self.metrics.commands += 1
        try:
            await self.client.async_lock(self.vehicle_id)
        except SmartcarBillingError:
            self.metrics.refused += 1
        except SmartcarRateLimitError:
            self.metrics.rate_limited += 1
        except SmartcarError:
            pass
        else:
            self.state = self.state.merged(
                VehicleState.from_readings({Field.LOCKED: Reading(True, now, optimistic=True)})
            )
            if self.planner is not None:
                self.planner.note_command({Field.LOCKED: True}, now)
        finally:
            self.budget = self.budget.record(1, now, reserved=True)
            self.bucket.take(now, 1)
        self.replan(now)

    def sample(self, now: datetime, until: datetime) -> None:
        """The age of the charging state shown from ``now`` to ``until`` (the car charges)."""
        shown = self.state.charging_state
        moment = (None if shown is None else shown.moment) or START
        start = (now - moment).total_seconds() / 60
        length = (until - now).total_seconds() / 60
        offset = 0.0
        while offset < length:
            piece = min(1.0, length - offset)
            self.metrics.ages_min.append((start + offset, piece))
            offset += piece


def _at(day: datetime, hour: float, jitter: float = 0.0) -> datetime:
    return day + timedelta(hours=hour, minutes=jitter)


def _trip_home(vid: str, at: datetime, km: float, *, plug: bool, lock: bool) -> list[Event]:
    """Drive home, leave the car unlocked, plug in, lock it from Home Assistant."""
    events = [Event(at, vid, "drive", (km, 180.0)), Event(at + timedelta(minutes=2), vid, "unlock")]
    if plug:
        events.append(Event(at + timedelta(minutes=10), vid, "plug"))
    if lock:
        events.append(Event(at + timedelta(minutes=5), vid, "lock"))
    return events


def _commuter(vid: str, rng: random.Random) -> list[Event]:
    """Weekdays 25 km to work and back, plugged in at home, the car's timer charges at 01:00."""
    events: list[Event] = []
    for day_index in range(DAYS):
        day = START + timedelta(days=day_index)
        events.append(Event(_at(day, 1), vid, "timer"))
        if day.weekday() < 5:
            events.append(Event(_at(day, 7.75, rng.uniform(-10, 10)), vid, "drive", (25.0, 0.0)))
            home = _at(day, 17.5, rng.uniform(-20, 20))
            events += _trip_home(vid, home, 25.0, plug=True, lock=True)
        elif day.weekday() == 5:
            events.append(Event(_at(day, 10.5, rng.uniform(-30, 30)), vid, "drive", (15.0, 0.0)))
            events += _trip_home(
                vid, _at(day, 12, rng.uniform(-30, 30)), 15.0, plug=True, lock=True
            )
    return events


def _weekend(vid: str, rng: random.Random) -> list[Event]:
    """Parked and plugged in all week; a day trip on Saturday, an errand on Sunday."""
    events: list[Event] = []
    for day_index in range(DAYS):
        day = START + timedelta(days=day_index)
        if day.weekday() == 5:
            events.append(Event(_at(day, 10, rng.uniform(-30, 30)), vid, "drive", (45.0, 0.0)))
            back = _at(day, 16.5, rng.uniform(-45, 45))
            events += _trip_home(vid, back, 45.0, plug=True, lock=True)
        elif day.weekday() == 6:
            events.append(Event(_at(day, 14, rng.uniform(-30, 30)), vid, "drive", (10.0, 0.0)))
            events += _trip_home(
                vid, _at(day, 15, rng.uniform(-20, 20)), 10.0, plug=True, lock=True
            )
    return events


def _fleet(vids: list[str], rng: random.Random, electric: set[str]) -> list[Event]:
    """A delivery fleet: weekday shifts from staggered starts; electric vans charge at the depot."""
    events: list[Event] = []
    for vid in vids:
        start_hour = 6 + rng.uniform(0, 3)
        km = rng.uniform(20, 40)
        for day_index in range(DAYS):
            day = START + timedelta(days=day_index)
            if day.weekday() >= 5:
                continue
            events.append(
                Event(_at(day, start_hour, rng.uniform(-10, 10)), vid, "drive", (km, 0.0))
            )
            back = _at(day, start_hour + 9, rng.uniform(-30, 30))
            events += _trip_home(vid, back, km, plug=vid in electric, lock=True)
    return events


class Run:
    """One scenario for one strategy, push on or off, against a fresh simulator."""

    def __init__(self, scenario: str, strategy: str, *, push: bool) -> None:
        """Describe the run; ``execute`` does it."""
        self.scenario, self.strategy, self.push = scenario, strategy, push
        self.drivers: dict[str, Driver] = {}
        self.world: Simulator | None = None

    def _world(self) -> tuple[Simulator, str | None, list[str]]:
        if self.scenario == "commuter":
            world = Simulator(fleet="demo", vehicles=1, clock_start=START, auto_enroll=True)
            return world, None, [sim.BEV_VEHICLE_ID]
        if self.scenario == "weekend":
            world = Simulator(fleet="demo", vehicles=2, clock_start=START, auto_enroll=True)
            return world, None, [sim.PHEV_VEHICLE_ID]
        world = Simulator(fleet="generated", vehicles=50, clock_start=START, auto_enroll=True)
        return world, None, list(world.account(sim.DEMO_USER_EMAIL).vehicle_ids)  # type: ignore[union-attr]

    def _prepare(self, world: Simulator, vids: list[str]) -> list[Event]:
        rng = random.Random(f"{self.scenario}:seed")  # noqa: S311 - a reproducible schedule
        if self.scenario == "commuter":
            (vid,) = vids
            world.set_vehicle_state(
                vid, soc=62.0, plugged_in=True, charging=False, start_charge_on_plug=False
            )
            return _commuter(vid, rng)
        if self.scenario == "weekend":
            (vid,) = vids
            world.set_vehicle_state(vid, soc=100.0, plugged_in=True)
            return _weekend(vid, rng)
        electric = {vid for vid in vids if world.vehicles[vid].is_ev}
        for vid in electric:
            world.set_vehicle_state(vid, soc=80.0, plugged_in=True)
        return _fleet(vids, rng, electric)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify_signature(sim.MANAGEMENT_TOKEN, body, request.headers.get("SC-Signature")):
            return web.Response(status=401)
        event = parse_webhook(body)
        driver = self.drivers.get(getattr(event, "vehicle_id", ""))
        if isinstance(event, VehicleStateEvent) and driver is not None and self.world is not None:
            driver.push(self.world.clock.now(), event.state)
        return web.json_response({})

    async def execute(self) -> dict[str, Any]:
        """Run thirty days; return the figures per vehicle."""
        world, _unused, vids = self._world()
        self.world = world
        world.configure(store_refresh_seconds=STORE_REFRESH_S)
        events = sorted(self._prepare(world, vids), key=lambda event: event.at)
        receiver = web.Application()
        receiver.router.add_post("/hook", self._receive)
        runner = web.AppRunner(receiver, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with run_simulator(simulator=world) as running, ClientSession() as session:
                if self.push and (hook := world.webhooks.get(sim.WEBHOOK_ID)) is not None:
                    hook.url, hook.verified = f"http://127.0.0.1:{port}/hook", True
                tokens = world.connect_account(sim.DEMO_USER_EMAIL, vehicle_ids=vids)
                self._drivers(session, running.origin, world, tokens, vids)
                await world.webhooks.drain()
                await self._loop(world, events)
                billed = {vid: world.billing.count(vid, END - timedelta(seconds=1)) for vid in vids}
        finally:
            await runner.cleanup()
        return self._figures(billed)

    def _drivers(
        self, session: ClientSession, origin: str, world: Simulator, tokens: Any, vids: list[str]
    ) -> None:
        origins = Origins.from_env(
            {
                "SMARTCAR_API_ORIGIN": origin,
                "SMARTCAR_AUTH_ORIGIN": f"{origin}/oauth/token",
                "SMARTCAR_VEHICLE_API_V3_ORIGIN": origin,
                "SMARTCAR_IAM_ORIGIN": origin,
            }
        )
        bucket = AppBucket()
        if self.strategy == "peer_batch_6h":
            client = SmartcarClient(
                session,
                V2Auth(session, origins, world, tokens),
                api_version=ApiVersion.V2,
                origins=origins,
            )
            fields = frozenset(f for f, path in V2_FIELD_PATHS.items() if path in PEER_PATHS)
        else:
            auth = ApplicationTokenAuth(
                session,
                sim.API_CLIENT_ID,
                sim.API_CLIENT_SECRET,
                origins=origins,
                clock=world.clock.timestamp,
            )
            client = SmartcarClient(
                session, auth, api_version=ApiVersion.V3, user_id=tokens.user_id, origins=origins
            )
            fields = V3_FIELDS
        for vid in vids:
            if self.strategy in PEERS:
                driver = Driver(
                    vid, client, fields, bucket, planner=None, interval=PEERS[self.strategy]
                )
            else:
                settings = settings_from_options({"polling_mode": self.strategy})
                driver = Driver(vid, client, fields, bucket, planner=VehiclePlanner(settings))
            bucket.register(vid)
            self.drivers[vid] = driver

    async def _loop(self, world: Simulator, events: list[Event]) -> None:
        """Move the simulator tick by tick; read at each planned moment in between.

        The simulated cars report once per tick (events happen on the tick, and a charging
        car's state of charge, a trigger, refreshes the store each tick). Reads happen at their
        planned moment, to the second, without moving the simulator's clock: between ticks the
        store holds what the last tick retrieved.
        """
        tick = TICK if self.scenario != "fleet50" else FLEET_TICK
        next_tick = now = START
        index = 0
        while now < END:
            if now >= next_tick:
                world.clock.set(now)
                while index < len(events) and events[index].at <= now:
                    await self._apply(world, events[index], now)
                    index += 1
                await world.webhooks.drain()
                next_tick = now + tick
            for driver in self.drivers.values():
                if driver.next_at is not None and driver.next_at <= now:
                    await driver.read(now)
            await world.webhooks.drain()
            upcoming = [d.next_at for d in self.drivers.values() if d.next_at is not None]
            later = min([next_tick, END, *(moment for moment in upcoming if moment > now)])
            for driver in self.drivers.values():
                if world.vehicles[driver.vehicle_id].charging:
                    driver.sample(now, later)
            world.webhooks.deliveries.clear()
            world.request_log.clear()
            now = later

    async def _apply(self, world: Simulator, event: Event, now: datetime) -> None:
        vid = event.vehicle_id
        car = world.vehicles[vid]
        if event.action == "drive":
            distance, heading = event.value
            world.drive(vid, distance, heading)
        elif event.action == "unlock":
            world.set_vehicle_state(vid, locked=False)
        elif event.action == "plug":
            world.set_vehicle_state(vid, plugged_in=True)
        elif event.action == "timer":
            if car.plugged_in and not car.charging and car.soc < car.charge_limit - 0.05:
                world.set_vehicle_state(vid, charging=True)
        elif event.action == "lock":
            await world.webhooks.drain()
            await self.drivers[vid].lock(now)

    def _figures(self, billed: dict[str, int]) -> dict[str, Any]:
        drivers = list(self.drivers.values())
        ages = sorted(piece for driver in drivers for piece in driver.metrics.ages_min)
        reads = sum(d.metrics.reads for d in drivers)
        return {
            "vehicles": len(drivers),
            "calls": sum(billed.values()) / len(drivers),
            "reads": reads / len(drivers),
            "wasted": sum(d.metrics.wasted for d in drivers) / len(drivers),
            "wasted_share": sum(d.metrics.wasted for d in drivers) / max(reads, 1),
            "p50_age_min": _percentile(ages, 0.5),
            "p95_age_min": _percentile(ages, 0.95),
            "charging_hours": sum(piece for _age, piece in ages) / 60 / len(drivers),
            "refused": sum(d.metrics.refused for d in drivers),
            "rate_limited": sum(d.metrics.rate_limited for d in drivers),
            "pushes": sum(d.metrics.pushes for d in drivers) / len(drivers),
            "reasons": dict(sum((d.metrics.reasons for d in drivers), Counter())),
        }


def _percentile(pieces: list[tuple[float, float]], share: float) -> float:
    """The age below which ``share`` of the charging time was spent (pieces sorted by age)."""
    total = sum(piece for _age, piece in pieces)
    reached = 0.0
    for age, piece in pieces:
        reached += piece
        if reached >= share * total:
            return age
    return 0.0


def run_one(job: tuple[str, str, bool]) -> tuple[tuple[str, str, bool], dict[str, Any]]:
    """Run one job in its own event loop (a worker process runs several in turn)."""
    scenario, strategy, push = job
    return job, asyncio.run(Run(scenario, strategy, push=push).execute())


def jobs(scenarios: tuple[str, ...] = SCENARIOS) -> list[tuple[str, str, bool]]:
    """Every (scenario, strategy, push) combination, the slow fleet runs first.

    While pushes arrive every profile plans the same daily safety read, and the peers read on
    their fixed schedule whatever is pushed; so with push on the fleet (the slow runs) is played
    for the balanced profile only, to keep the benchmark within a few minutes on two cores.
    """
    ordered = sorted(scenarios, key=lambda scenario: scenario != "fleet50")
    return [
        (scenario, strategy, push)
        for scenario in ordered
        for push in (False, True)
        for strategy in STRATEGIES
        if not (scenario == "fleet50" and push and strategy != str(PollingMode.BALANCED))
    ]


def report(results: dict[tuple[str, str, bool], dict[str, Any]]) -> list[str]:
    """One plain line per strategy and push setting."""
    lines = [
        (
            f"freshness: {DAYS} simulated days from {START:%Y-%m-%d}, "
            f"{int(TICK.total_seconds() // 60)}-min ticks "
            f"({int(FLEET_TICK.total_seconds() // 60)} for the fleet), store refresh "
            f"{int(STORE_REFRESH_S)} s, app bucket 120 (+2/min), allowance 500 calls/vehicle"
        ),
        (
            "  p95 charging age target: 60 min applies (the store refreshes every "
            f"{int(STORE_REFRESH_S // 60)} min, not more slowly)"
        ),
    ]
    for push in (False, True):
        for strategy in STRATEGIES:
            parts = []
            for scenario in SCENARIOS:
                figures = results.get((scenario, strategy, push))
                if figures is None:
                    continue
                part = (
                    f"{scenario} calls={figures['calls']:.0f} reads={figures['reads']:.0f} "
                    f"wasted={figures['wasted']:.0f} ({figures['wasted_share']:.0%}) "
                    f"p50_charging_age_min={figures['p50_age_min']:.0f} "
                    f"p95_charging_age_min={figures['p95_age_min']:.0f} "
                    f"refused={figures['refused']}"
                )
                if scenario == "fleet50":
                    part += f" fleet_429={figures['rate_limited']}"
                else:
                    part += f" 429={figures['rate_limited']}"
                parts.append(part)
            if parts:
                lines.append(f"{strategy} push={'on' if push else 'off'}: " + " | ".join(parts))
    return lines
