"""Shared fixtures for the Smartcar tests."""

from __future__ import annotations

pytest_plugins = ["tests.simulator.fixtures"]
