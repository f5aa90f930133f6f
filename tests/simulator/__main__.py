"""Run the Smartcar simulator as a standalone server: `python -m tests.simulator --port N`.

`scripts/develop` and manual testing point Home Assistant (or the official SDKs) at it through
the `SMARTCAR_*_ORIGIN` variables printed at start. Ctrl-C stops it cleanly (and saves the state
file when one is given).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from .simulator import run_simulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator",
        description="A local, wire-faithful Smartcar (Connect, OAuth, API v2 and v3, "
        "management, webhooks) with simulated cars and an admin API under /_simulator/.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (0: any free port)")
    parser.add_argument(
        "--fleet",
        choices=("demo", "generated"),
        default="demo",
        help="demo: BEV charging, PHEV, ICE and a Tesla without virtual key for the demo "
        "account; generated: cars filled with Smartcar's documented example values",
    )
    parser.add_argument(
        "--vehicles",
        type=int,
        default=None,
        help="how many cars the demo account owns (demo fleet: first N demo cars, more are "
        "generated; generated fleet: default 3)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for generated ids, VINs and test accounts"
    )
    parser.add_argument(
        "--state-file",
        default=None,
        help="JSON file to load at start (if it exists) and to save at exit and on "
        "POST /_simulator/save (cars, accounts, tokens, connections, billing, webhooks)",
    )
    parser.add_argument(
        "--frozen-clock",
        action="store_true",
        help="freeze the simulated clock (move it with POST /_simulator/clock/advance)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per real second (e.g. 60 makes an hour of charging a minute)",
    )
    parser.add_argument(
        "--billing-limit",
        type=int,
        default=500,
        help="billable requests per car per month before 430 (0: no cap)",
    )
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="switch off the app bucket (120, 2/min)"
    )
    parser.add_argument(
        "--no-throttle", action="store_true", help="switch off the per-vehicle throttle"
    )
    parser.add_argument(
        "--redirect-uri",
        default=None,
        help="redirect URI Connect uses when the authorize URL has none",
    )
    parser.add_argument(
        "--auto-enroll",
        action="store_true",
        help="the dashboard's auto-enrollment: connected cars are subscribed to the default "
        "webhook, so their v3 signal store fills (without it a car's store stays empty until "
        'it is subscribed; switch with PATCH /_simulator/config {"auto_enroll": true})',
    )
    parser.add_argument(
        "--store-refresh",
        type=float,
        default=3600.0,
        help="simulated seconds between Smartcar's own retrievals of a subscribed car "
        "(0: only on subscription and triggers)",
    )
    parser.add_argument(
        "--tick",
        type=float,
        default=30.0,
        help="real seconds between checks of the cars for webhook triggers",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    options: dict[str, Any] = {
        "seed": args.seed,
        "fleet": args.fleet,
        "vehicles": args.vehicles,
        "state_file": args.state_file,
        "realtime": not args.frozen_clock,
        "time_scale": args.time_scale,
        "billing_limit": args.billing_limit or None,
        "default_redirect_uri": args.redirect_uri,
        "tick_seconds": args.tick,
        "auto_enroll": args.auto_enroll,
        "store_refresh_seconds": args.store_refresh or None,
    }
    if args.no_rate_limit:
        options["rate_bucket_capacity"] = None
    if args.no_throttle:
        options["vehicle_throttle_limit"] = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with run_simulator(host=args.host, port=args.port, **options) as running:
        origin = running.origin
        sys.stdout.write(
            f"Smartcar simulator on {origin}\n"
            f"  SMARTCAR_API_ORIGIN={origin}\n"
            f"  SMARTCAR_AUTH_ORIGIN={origin}/oauth/token\n"
            f"  SMARTCAR_CONNECT_ORIGIN={origin}\n"
            f"  SMARTCAR_MANAGEMENT_API_ORIGIN={origin}\n"
            f"  SMARTCAR_VEHICLE_API_V3_ORIGIN={origin}\n"
            f"  SMARTCAR_IAM_ORIGIN={origin}\n"
            f"  SMARTCAR_MANAGEMENT_API_V3_ORIGIN={origin}\n"
            f"  admin API: {origin}/_simulator/  (credentials: tests/simulator/const.py)\n"
            "Press Ctrl-C to stop.\n"
        )
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Parse the options and serve until interrupted."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    sys.stdout.write("Smartcar simulator stopped.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
