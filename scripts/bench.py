"""Benchmarks of the parts that run on every poll and every push (run through scripts/bench).

The machines are shared and noisy, so every timing is the median of several rounds, and the
figures that matter most are not timings at all: the month simulation counts the calls each
polling profile spends per vehicle against Smartcar's allowance of 500, and ``freshness``
(``bench_freshness.py``) plays thirty days against the simulator and measures calls, wasted
reads and how old the charging state shown was. The webhook and set-up parts start a real Home
Assistant (``bench_webhook.py``, ``bench_setup.py``) and print one line each.
"""

from __future__ import annotations

import argparse
import asyncio
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession  # noqa: E402
import bench_freshness  # noqa: E402
import bench_setup  # noqa: E402
import bench_webhook  # noqa: E402

from custom_components.smartcar.api import (  # noqa: E402
    ApiVersion,
    ApplicationTokenAuth,
    ChargingState,
    Field,
    Origins,
    Reading,
    SmartcarClient,
    StaticTokenAuth,
    VehicleState,
    parse_webhook,
)
from custom_components.smartcar.planner import VehiclePlanner  # noqa: E402
from custom_components.smartcar.polling import (  # noqa: E402
    CallBudget,
    PollingMode,
    PollingSettings,
)
from tests.simulator import const as sim  # noqa: E402
from tests.simulator.simulator import run_simulator  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

FIXTURES = ROOT / "tests" / "api" / "fixtures"
ROUNDS = 7


def median_us(function: Callable[[], object], repeat: int) -> float:
    """Median over ROUNDS of the mean time of one call, in microseconds."""
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        samples.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(samples)


def _state(now: datetime, *, charging: bool) -> VehicleState:
    """A car's state as read at ``now``: charging or parked, with the time it was retrieved."""
    status = ChargingState.CHARGING if charging else ChargingState.NOT_CHARGING
    return VehicleState.from_readings(
        {
            Field.CHARGING_STATE: Reading(status, now, now),
            Field.PLUGGED_IN: Reading(charging, now, now),
            Field.BATTERY_LEVEL: Reading(60.0, now, now),
        }
    )


def bench_policy() -> dict[str, float]:
    """How long one planning decision takes."""
    now = datetime(2026, 11, 14, 12, tzinfo=UTC)
    planner = VehiclePlanner(PollingSettings())
    parked = _state(now, charging=False)
    planner.note_read(now, parked)
    charging = _state(now, charging=True)
    budget = CallBudget(month="2026-11", used=120)
    return {
        "plan_parked_us": median_us(
            lambda: planner.plan(now, state=parked, budget=budget, calls_per_read=7), 20_000
        ),
        "plan_charging_us": median_us(
            lambda: planner.plan(now, state=charging, budget=budget, calls_per_read=1), 20_000
        ),
    }


def simulate_month(
    profile: PollingMode, calls_per_read: int, *, charging_hours: tuple[int, int] | None
) -> dict[str, float]:
    """Read one car through November 2026 whenever the planner says; count Smartcar calls.

    No simulator here: every read brings a new retrieval (as a v2 read does), two commands a
    day are paid from the reserve, and the car charges during ``charging_hours`` each night.
    """
    planner = VehiclePlanner(PollingSettings(mode=profile))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    budget = CallBudget.start(now)
    intervals: list[float] = []
    command_day = -1
    while now < end:
        charging = charging_hours is not None and charging_hours[0] <= now.hour < charging_hours[1]
        if now.day != command_day:  # the day's commands, spent at the first read of a day
            budget = budget.record(2, now, reserved=True)
            command_day = now.day
        budget = budget.record(calls_per_read, now)
        state = _state(now, charging=charging)
        planner.note_read(now, state)
        plan = planner.plan(now, state=state, budget=budget, calls_per_read=calls_per_read)
        if plan.at is None:
            raise RuntimeError("every profile but custom schedules a read")
        intervals.append((plan.at - now) / timedelta(hours=1))
        now = plan.at
    return {
        "calls": budget.used if budget.month == "2026-11" else float("nan"),
        "reads": len(intervals),
        "median_interval_h": statistics.median(intervals),
    }


def bench_parsing() -> dict[str, float]:
    """How long turning a pushed payload into a VehicleState takes."""
    results: dict[str, float] = {}
    for name in ("webhook_state_a.json", "webhook_state_b.json", "webhook_legacy_scheduled.json"):
        body = (FIXTURES / name).read_bytes()
        results[f"parse_{name.removesuffix('.json')}_us"] = median_us(
            lambda body=body: parse_webhook(body), 2_000
        )
    return results


async def bench_reads() -> dict[str, float]:
    """A full state read through the client against the simulator over loopback, v2 and v3."""
    fields = tuple(Field)
    results: dict[str, float] = {}
    async with (
        run_simulator(host="127.0.0.1", port=0, auto_enroll=True) as running,
        ClientSession() as session,
    ):
        world = running.simulator
        world.configure(billing_limit=None, rate_bucket_capacity=None, vehicle_throttle_limit=None)
        tokens = world.connect_account(sim.DEMO_USER_EMAIL)
        origins = Origins.from_env(
            {
                "SMARTCAR_API_ORIGIN": running.origin,
                "SMARTCAR_AUTH_ORIGIN": f"{running.origin}/oauth/token",
                "SMARTCAR_VEHICLE_API_V3_ORIGIN": running.origin,
                "SMARTCAR_IAM_ORIGIN": running.origin,
            }
        )
        clients = {
            "v2": SmartcarClient(
                session,
                StaticTokenAuth(tokens.access_token),
                api_version=ApiVersion.V2,
                origins=origins,
            ),
            "v3": SmartcarClient(
                session,
                ApplicationTokenAuth(
                    session, sim.API_CLIENT_ID, sim.API_CLIENT_SECRET, origins=origins
                ),
                api_version=ApiVersion.V3,
                user_id=tokens.user_id,
                origins=origins,
            ),
        }
        for name, client in clients.items():
            await client.async_get_state(sim.BEV_VEHICLE_ID, fields)  # warm up (token, caches)
            samples = []
            for _ in range(ROUNDS * 5):
                start = time.perf_counter()
                await client.async_get_state(sim.BEV_VEHICLE_ID, fields)
                samples.append((time.perf_counter() - start) * 1000)
            results[f"state_read_{name}_ms"] = statistics.median(samples)
    results["state_read_v2_over_v3"] = results["state_read_v2_ms"] / results["state_read_v3_ms"]
    return results


PARTS = ("policy", "parsing", "reads", "month", "webhook", "freshness", "setup50")


def bench_freshness_runs() -> dict[tuple[str, str, bool], dict[str, Any]]:
    """Every freshness run, two at a time (the machine has two cores)."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(bench_freshness.run_one, bench_freshness.jobs()))


def main() -> None:
    """Run the chosen benchmarks (all by default) once and print one table (or JSON)."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "parts", nargs="*", metavar="PART", help=f"what to run: {', '.join(PARTS)} (all)"
    )
    args = parser.parse_args()
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    parts = args.parts or PARTS
    report: dict[str, Any] = {}
    if "policy" in parts:
        report["policy"] = bench_policy()
    if "parsing" in parts:
        report["parsing"] = bench_parsing()
    if "reads" in parts:
        report["reads"] = asyncio.run(bench_reads())
    if "month" in parts:
        report["month"] = {
            f"{profile}_{name}": simulate_month(profile, calls, charging_hours=hours)
            for profile in (PollingMode.ECONOMY, PollingMode.BALANCED, PollingMode.RESPONSIVE)
            for name, calls, hours in (
                ("v2_bev_7_paths", 7, None),
                ("v2_bev_7_paths_charging_nightly", 7, (0, 6)),
                ("v3_signals", 1, None),
                ("v3_signals_charging_nightly", 1, (0, 6)),
            )
        }
    webhook = asyncio.run(bench_webhook.run()) if "webhook" in parts else None
    freshness = bench_freshness_runs() if "freshness" in parts else None
    setup50 = asyncio.run(bench_setup.run()) if {"freshness", "setup50"} & set(parts) else None
    if args.json:
        extra: dict[str, Any] = {}
        if webhook:
            extra["webhook"] = webhook
        if freshness:
            extra["freshness"] = {
                "/".join(map(str, key)): value for key, value in freshness.items()
            }
        if setup50:
            extra["setup50"] = setup50
        print(json.dumps({**report, **extra}, indent=2))
        return
    for section, figures in report.items():
        print(f"[{section}]")
        for name, value in figures.items():
            if isinstance(value, dict):
                row = ", ".join(f"{key} {item:.2f}" for key, item in value.items())
                print(f"  {name:<36} {row}")
            else:
                print(f"  {name:<36} {value:.3f}")
    if webhook is not None:
        print(bench_webhook.report(webhook))
    if freshness is not None:
        print("\n".join(bench_freshness.report(freshness)))
    if setup50 is not None:
        print(bench_setup.report(setup50))


if __name__ == "__main__":
    main()
