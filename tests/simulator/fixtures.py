"""Pytest fixture serving the simulator on a free loopback port for one test.

Register with `pytest_plugins = ["tests.simulator.fixtures"]` in the root conftest, or import
`simulator` into a test module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .simulator import RunningSimulator, run_simulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """A running simulator (demo fleet, seed 0, frozen clock) on 127.0.0.1:<free port>.

    Auto-enrollment is on, so connected cars have data in their v3 signal store as most tests
    expect; a test of the empty store calls `configure(auto_enroll=False)` before connecting.
    Depends on pytest-socket's `socket_enabled`: Home Assistant's test plugin blocks socket
    creation and allows connections to 127.0.0.1 only, which is all the simulator needs.
    """
    async with run_simulator(host="127.0.0.1", port=0, auto_enroll=True) as running:
        yield running
