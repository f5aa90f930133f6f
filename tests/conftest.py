"""Shared fixtures for the Smartcar tests."""

from __future__ import annotations
