"""Try the integration in one command: the Smartcar simulator beside a real Home Assistant.

Run through `scripts/develop` (which sets the project up first). Home Assistant loads this work
tree's integration, every Smartcar origin points at the simulator, and application credentials
for the simulated Smartcar app are already stored. With `--demo` it also creates an onboarded
user and a configured entry, so the dashboard shows the demo cars at once. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
import shutil
import signal
import sys

from tests.e2e import harness
from tests.e2e.flows import add_entry_headless
from tests.simulator import const as sim

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "smartcar-demo"  # a throwaway account of a loopback-only development server


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run the Smartcar simulator and Home Assistant with this integration.",
    )
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port (8123)")
    parser.add_argument(
        "--simulator-port", type=int, default=8124, help="the simulator's port (8124)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=harness.ROOT / "config",
        help="Home Assistant's configuration directory (./config, kept between runs)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start from an empty configuration directory"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="also create an onboarded user and a Smartcar entry for the demo account",
    )
    return parser.parse_args(argv)


def prepare(args: argparse.Namespace) -> tuple[Path, bool]:
    """Write Home Assistant's configuration; return it and whether it is new."""
    config: Path = args.config.resolve()
    if args.fresh and config.exists():
        shutil.rmtree(config)
    new_config = not (config / ".storage" / "onboarding").exists()
    harness.write_hass_config(config, args.port)
    if new_config:
        harness.seed_onboarding(config)
        harness.seed_application_credentials(config, harness.simulator_credentials())
    harness.install_custom_sentences(config)
    return config, new_config


async def run(args: argparse.Namespace, config: Path, new_config: bool) -> None:
    """Start both processes, finish preparing Home Assistant, print what to do, wait for Ctrl-C."""
    logs = config / "logs"
    simulator_origin = f"http://127.0.0.1:{args.simulator_port}"
    base_url = f"http://127.0.0.1:{args.port}"

    simulator = harness.simulator_process(
        args.simulator_port, logs, "--state-file", str(config / "simulator-state.json")
    )
    hass = harness.hass_process(config, logs, harness.smartcar_environment(simulator_origin))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        simulator.start()
        await harness.wait_for_http(f"{simulator_origin}/_simulator/config", simulator, within=60)
        hass.start()
        print(f"Starting Home Assistant on {base_url} (log: {hass.log_path}) …", flush=True)
        await harness.wait_for_http(f"{base_url}/manifest.json", hass, within=300)
        if args.demo and new_config:
            token = await harness.onboard(
                base_url, username=DEMO_USERNAME, password=DEMO_PASSWORD, name="Demo"
            )
            await add_entry_headless(base_url, token, simulator_origin)
        print(instructions(args, base_url, simulator_origin, new_config), flush=True)
        waiter = asyncio.ensure_future(stop.wait())
        while not stop.is_set():
            await asyncio.wait({waiter}, timeout=1)
            for process in (simulator, hass):
                if not process.running():
                    print(f"{process.name} stopped:\n{process.tail(30)}", file=sys.stderr)
                    stop.set()
    finally:
        print("Stopping Home Assistant and the simulator …", flush=True)
        hass.stop()
        simulator.stop()


def instructions(
    args: argparse.Namespace, base_url: str, simulator_origin: str, new_config: bool
) -> str:
    """Tell the developer what to open and what to click."""
    lines = ["", f"Home Assistant: {base_url}", f"Smartcar simulator: {simulator_origin}", ""]
    if args.demo and new_config:
        lines += [
            f"Log in as '{DEMO_USERNAME}' with the password '{DEMO_PASSWORD}'.",
            "The demo cars are under Settings → Devices & services → Smartcar.",
        ]
    else:
        if new_config:
            lines.append("1. Open Home Assistant and create your account.")
        lines += [
            "2. Settings → Devices & services → Add integration → Smartcar.",
            "3. Pick the credentials 'Smartcar simulator (API v3)' (or '(API v2)').",
            f"4. For API v3 the Application ID is {sim.APPLICATION_ID}.",
            "5. On the simulator's consent page keep the demo account, tick the cars, Approve.",
        ]
    lines += ["", "Press Ctrl-C to stop both."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Entry point of scripts/develop."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config, new_config = prepare(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args, config, new_config))


if __name__ == "__main__":
    main()
