"""The standalone server: `python -m tests.simulator` serves, answers and stops cleanly."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import sys

import aiohttp
import pytest

from tests.simulator.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_help_documents_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    """--help lists fleet/vehicles, seed, state file, host and port."""
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in ("--port", "--host", "--fleet", "--vehicles", "--seed", "--state-file"):
        assert option in text


async def test_serves_and_stops_on_ctrl_c(tmp_path: Path, socket_enabled: None) -> None:
    """The process prints its origin, serves the demo fleet and saves its state on SIGINT."""
    state = tmp_path / "state.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        "--port",
        "0",
        "--frozen-clock",
        "--seed",
        "7",
        "--state-file",
        str(state),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert first.startswith("Smartcar simulator on http://127.0.0.1:")
        origin = first.rsplit(" ", 1)[1].strip()
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{origin}/_simulator/vehicles") as response:
                vehicles = await response.json()
            assert {vehicle["make"] for vehicle in vehicles} >= {"VOLKSWAGEN", "TESLA", "FORD"}
            async with session.get(f"{origin}/v2.0/user") as response:
                assert response.status == 401
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        rest = (await process.stdout.read()).decode()
        assert "Smartcar simulator stopped." in rest
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert saved["version"] == 1
    assert len(saved["vehicles"]) >= 5
