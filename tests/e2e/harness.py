"""Run the Smartcar simulator and a real Home Assistant side by side.

The end-to-end tests and `scripts/develop` share this module: it starts both as child processes
on loopback ports, writes a Home Assistant configuration that loads this work tree's integration
with every Smartcar origin pointed at the simulator, onboards a user over Home Assistant's REST
API and stores application credentials, with bounded waits and the processes' logs at hand.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import importlib.util
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import IO, TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "smartcar"
CLIENT_ID = "http://127.0.0.1/"  # any URL works as the OAuth client of Home Assistant's own auth


class HarnessError(RuntimeError):
    """A process did not start or answer in time; the message carries its log's tail."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def smartcar_environment(origin: str) -> dict[str, str]:
    """Environment variables that point every Smartcar origin at one simulator."""
    return {
        "SMARTCAR_API_ORIGIN": origin,
        "SMARTCAR_AUTH_ORIGIN": f"{origin}/oauth/token",
        "SMARTCAR_CONNECT_ORIGIN": origin,
        "SMARTCAR_MANAGEMENT_API_ORIGIN": origin,
        "SMARTCAR_VEHICLE_API_V3_ORIGIN": origin,
        "SMARTCAR_IAM_ORIGIN": origin,
        "SMARTCAR_MANAGEMENT_API_V3_ORIGIN": origin,
    }


@dataclass
class ManagedProcess:
    """A child process whose output goes to a log file, stopped with SIGTERM then SIGKILL."""

    name: str
    args: list[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        """Start the process in its own process group."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.args,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def running(self) -> bool:
        """Return whether the process is still alive."""
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 60) -> str:
        """Return the last lines of the process's log."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30) -> None:
        """Ask the process to stop (SIGTERM), then kill it if it does not."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


async def wait_for_http(
    url: str, process: ManagedProcess, *, within: float, expect: int = 200
) -> None:
    """Poll `url` until it answers `expect`; fail early if the process dies."""
    deadline = time.monotonic() + within
    last_error = "no answer"
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if not process.running():
                raise HarnessError(f"{process.name} exited early:\n{process.tail()}")
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                    if response.status == expect:
                        return
                    last_error = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as err:
                last_error = repr(err)
            await asyncio.sleep(0.5)
    raise HarnessError(
        f"{process.name} did not answer {url} within {within:.0f} s ({last_error}):\n"
        f"{process.tail()}"
    )


def simulator_process(port: int, log_dir: Path, *extra: str) -> ManagedProcess:
    """Describe the simulator serving the demo fleet on `port` (auto-enrollment on)."""
    extra = ("--auto-enroll", *extra)
    return ManagedProcess(
        name="simulator",
        args=[sys.executable, "-m", "tests.simulator", "--port", str(port), *extra],
        log_path=log_dir / "simulator.log",
    )


def write_hass_config(config_dir: Path, port: int, *, debug: bool = True) -> None:
    """Write a Home Assistant configuration that loads this work tree's integration.

    `my` (and so `default_config`) is left out on purpose: with it, OAuth redirects go through
    my.home-assistant.io, which a loopback setup cannot reach; without it Home Assistant uses
    its own /auth/external/callback.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    components = config_dir / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / "smartcar"
    if link.is_symlink() or link.exists():
        if link.is_symlink():
            link.unlink()
        else:
            shutil.rmtree(link)
    link.symlink_to(INTEGRATION, target_is_directory=True)
    level = "debug" if debug else "info"
    http_yaml = (
        []
        if _seed_http_store(config_dir, port)
        else [
            "http:",
            "  server_host: 127.0.0.1",
            f"  server_port: {port}",
        ]
    )
    (config_dir / "configuration.yaml").write_text(
        "\n".join(
            [
                "homeassistant:",
                "  name: Smartcar demo home",
                "  unit_system: metric",
                "  time_zone: UTC",
                "  country: US",
                "  currency: USD",
                "  latitude: 37.4292",
                "  longitude: -122.1381",
                "  elevation: 10",
                f"  internal_url: http://127.0.0.1:{port}",
                *http_yaml,
                "frontend:",
                "config:",
                "conversation:",
                # Where the automation editor saves, as in Home Assistant's default setup.
                "automation: !include automations.yaml",
                "logger:",
                "  default: warning",
                "  logs:",
                f"    custom_components.smartcar: {level}",
                "    homeassistant.setup: info",
                "",
            ]
        ),
        encoding="utf-8",
    )
    automations = config_dir / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n", encoding="utf-8")


def _seed_http_store(config_dir: Path, port: int) -> bool:
    """Store the HTTP settings where Home Assistant 2026.10 keeps them; False on older versions.

    From 2026.10 Home Assistant migrates `http:` from YAML into storage as a trial that the
    owner must confirm in the UI; a stored, confirmed configuration avoids that dialog.
    """
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or spec.origin is None:
        return False
    if not (Path(spec.origin).parent / "components" / "http" / "config.py").exists():
        return False
    # The schema's defaults of homeassistant.components.http.config (storage version 2.2),
    # written out so that this process need not import Home Assistant.
    stable = {
        "server_host": ["127.0.0.1"],
        "server_port": port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "http").write_text(
        json.dumps(
            {
                "version": 2,
                "minor_version": 2,
                "key": "http",
                "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
            }
        ),
        encoding="utf-8",
    )
    return True


def install_custom_sentences(config_dir: Path) -> None:
    """Copy the shipped sentences for the charge limit into `<config>/custom_sentences/`."""
    shutil.copytree(
        ROOT / "docs" / "voice" / "custom_sentences",
        config_dir / "custom_sentences",
        dirs_exist_ok=True,
    )


def seed_onboarding(config_dir: Path) -> None:
    """Mark every onboarding step but the owner's account as done.

    The skipped steps would only create Home Assistant's own default integrations (weather,
    radio, text-to-speech), which need packages and programs these tests do not use.
    """
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config", "analytics", "integration"]},
            }
        ),
        encoding="utf-8",
    )


def seed_application_credentials(config_dir: Path, credentials: list[dict[str, str]]) -> None:
    """Store application credentials before Home Assistant starts (its storage format v1)."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    items = [
        {
            "id": f"smartcar_{item['client_id']}".lower().replace("-", "_"),
            "domain": "smartcar",
            "client_id": item["client_id"],
            "client_secret": item["client_secret"],
            "name": item["name"],
        }
        for item in credentials
    ]
    (storage / "application_credentials").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,
                "key": "application_credentials",
                "data": {"items": items},
            },
            indent=2,
        ),
        encoding="utf-8",
    )


def simulator_credentials() -> list[dict[str, str]]:
    """Application credentials of the simulated Smartcar app: a v3 API client and a v2 app."""
    from tests.simulator import const

    return [
        {
            "client_id": const.API_CLIENT_ID,
            "client_secret": const.API_CLIENT_SECRET,
            "name": "Smartcar simulator (API v3)",
        },
        {
            "client_id": const.APPLICATION_ID,
            "client_secret": const.CLIENT_SECRET,
            "name": "Smartcar simulator (API v2)",
        },
    ]


def hass_process(config_dir: Path, log_dir: Path, env: Mapping[str, str]) -> ManagedProcess:
    """Describe a real `hass` process on `config_dir` that installs nothing at run time."""
    hass = Path(sys.executable).with_name("hass")
    return ManagedProcess(
        name="home-assistant",
        args=[str(hass), "-c", str(config_dir), "--skip-pip", "--log-no-color"],
        log_path=log_dir / "home-assistant.log",
        env={**env, "PYTHONPATH": str(ROOT)},
    )


async def onboard(
    base_url: str,
    *,
    username: str,
    password: str,
    name: str = "Smartcar Tester",
    language: str = "en",
) -> str:
    """Create the owner over the onboarding REST API; return the owner's access token.

    Call `seed_onboarding` before Home Assistant starts, so that this is the only step left.
    """
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base_url}/api/onboarding/users",
            json={
                "client_id": CLIENT_ID,
                "name": name,
                "username": username,
                "password": password,
                "language": language,
            },
        ) as response:
            if response.status != 200:
                raise HarnessError(
                    f"onboarding user: HTTP {response.status} {await response.text()}"
                )
            auth_code = (await response.json())["auth_code"]
        async with session.post(
            f"{base_url}/auth/token",
            data={"grant_type": "authorization_code", "code": auth_code, "client_id": CLIENT_ID},
        ) as response:
            if response.status != 200:
                raise HarnessError(f"token: HTTP {response.status} {await response.text()}")
            return str((await response.json())["access_token"])


async def websocket_command(base_url: str, token: str, command: dict[str, Any]) -> Any:
    """Send one command over Home Assistant's websocket API and return its result."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{base_url.replace('http', 'ws', 1)}/api/websocket") as socket_,
    ):
        await socket_.receive_json()  # auth_required
        await socket_.send_json({"type": "auth", "access_token": token})
        if (await socket_.receive_json())["type"] != "auth_ok":
            raise HarnessError("websocket authentication failed")
        await socket_.send_json({"id": 1, **command})
        while True:
            message = await socket_.receive_json()
            if message.get("id") == 1 and message.get("type") == "result":
                if not message["success"]:
                    raise HarnessError(f"{command['type']}: {message['error']}")
                return message["result"]
