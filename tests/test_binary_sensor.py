"""Binary sensors of the four demo cars, over API v2 and v3, as entity snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.conftest import entity_snapshot, setup_platform, v2_entry, v3_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from syrupy.assertion import SnapshotAssertion

    from tests.simulator.simulator import Simulator


@pytest.mark.freeze_time("2026-11-16T12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "v2_credentials", "v3_credentials")
@pytest.mark.parametrize("generation", ["v2", "v3"])
async def test_binary_sensors(
    hass: HomeAssistant,
    sim: Simulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    generation: str,
) -> None:
    """BEV, PHEV, combustion car and Tesla: what each can report."""
    entry = v2_entry(sim) if generation == "v2" else v3_entry(sim)
    await setup_platform(hass, entry, "binary_sensor")
    assert entity_snapshot(hass, entity_registry, entry.entry_id) == snapshot
