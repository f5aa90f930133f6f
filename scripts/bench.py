"""Benchmarks of the parts that run on every poll and every push (run through scripts/bench).

The machines are shared and noisy, so every timing is the median of several rounds, and the
figures that matter most are not timings at all: the month simulation counts the calls the
polling policy spends per vehicle against Smartcar's allowance of 500. The webhook part starts
a real Home Assistant (see ``bench_webhook.py``) and prints one line of its own.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import json
from pathlib import Path
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession  # noqa: E402
import bench_webhook  # noqa: E402

from custom_components.smartcar.api import (  # noqa: E402
    ApiVersion,
    ApplicationTokenAuth,
    Field,
    Origins,
    SmartcarClient,
    StaticTokenAuth,
    parse_webhook,
)
from custom_components.smartcar.polling import (  # noqa: E402
    CallBudget,
    PollingInputs,
    PollingSettings,
    default_interval,
    next_interval,
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


def bench_policy() -> dict[str, float]:
    """How long one polling decision takes."""
    settings = PollingSettings()
    now = datetime(2026, 11, 14, 12, tzinfo=UTC)
    inputs = PollingInputs(now=now, calls_per_read=7, budget=CallBudget(month="2026-11", used=120))
    charging = PollingInputs(
        now=now, calls_per_read=1, budget=CallBudget(month="2026-11", used=40), charging=True
    )
    return {
        "next_interval_us": median_us(lambda: next_interval(settings, inputs), 20_000),
        "next_interval_charging_us": median_us(lambda: next_interval(settings, charging), 20_000),
    }


def simulate_month(
    calls_per_read: int, *, charging_hours: tuple[int, int] | None, commands_per_day: int
) -> dict[str, float]:
    """Poll one vehicle through November 2026 as the policy says; count Smartcar calls."""
    settings = PollingSettings()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    now = start
    budget = CallBudget.start(now)
    intervals: list[float] = []
    next_command_day = -1
    while now < end:
        charging = charging_hours is not None and charging_hours[0] <= now.hour < charging_hours[1]
        if now.day != next_command_day:  # the day's commands, spent at the first read of a day
            budget = budget.record(commands_per_day, now, reserved=True)
            next_command_day = now.day
        budget = budget.record(calls_per_read, now)
        decision = next_interval(
            settings,
            PollingInputs(now=now, calls_per_read=calls_per_read, budget=budget, charging=charging),
        )
        if decision.interval is None:
            raise RuntimeError("the automatic policy always schedules a read")
        intervals.append(decision.interval.total_seconds() / 3600)
        now += decision.interval
    return {
        "calls": budget.used if budget.month == "2026-11" else float("nan"),
        "reads": len(intervals),
        "median_interval_h": statistics.median(intervals),
        "default_interval_h": default_interval(calls_per_read).total_seconds() / 3600,
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


PARTS = ("policy", "parsing", "reads", "month", "webhook")


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
            "v2_bev_7_paths": simulate_month(7, charging_hours=None, commands_per_day=2),
            "v2_bev_7_paths_charging_nightly": simulate_month(
                7, charging_hours=(0, 6), commands_per_day=2
            ),
            "v2_ice_5_paths": simulate_month(5, charging_hours=None, commands_per_day=2),
            "v3_signals": simulate_month(1, charging_hours=None, commands_per_day=2),
            "v3_signals_charging_nightly": simulate_month(
                1, charging_hours=(0, 6), commands_per_day=2
            ),
        }
    webhook = asyncio.run(bench_webhook.run()) if "webhook" in parts else None
    if args.json:
        print(json.dumps({**report, **({"webhook": webhook} if webhook else {})}, indent=2))
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


if __name__ == "__main__":
    main()
