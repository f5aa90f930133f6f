"""Entity descriptions cope with readings that are missing or partial."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from custom_components.smartcar.api import Field, Opening, Reading, VehicleState
from custom_components.smartcar.binary_sensor import BINARY_SENSORS
from custom_components.smartcar.lock import LOCKS
from custom_components.smartcar.number import NUMBERS
from custom_components.smartcar.sensor import SENSORS
from custom_components.smartcar.switch import SWITCHES


def _coordinator(state: VehicleState) -> Any:
    return SimpleNamespace(data=state, reading_time=lambda: None, calls_this_month=0)


def test_every_value_is_none_without_readings() -> None:
    """Before a field was ever read, every getter answers None instead of failing."""
    empty = VehicleState()
    for sensor in SENSORS:
        if sensor.needs_fields:
            assert sensor.value_fn(_coordinator(empty)) is None, sensor.key
    for binary in BINARY_SENSORS:
        assert binary.is_on_fn(empty) is None, binary.key
    for lock in LOCKS:
        assert lock.is_locked_fn(empty) is None
    for switch in SWITCHES:
        assert switch.is_on_fn(empty) is None
    for number in NUMBERS:
        assert number.value_fn(empty) is None


def test_doors_of_unknown_state_are_unknown() -> None:
    """Openings that only say "unknown" give no answer; one open door is enough for on."""
    doors = next(binary for binary in BINARY_SENSORS if binary.key == "doors")
    unknown = VehicleState.from_readings(
        {Field.DOORS: Reading((Opening("front_left", None), Opening("front_right", None)))}
    )
    assert doors.is_on_fn(unknown) is None
    one_open = VehicleState.from_readings(
        {Field.DOORS: Reading((Opening("front_left", None), Opening("back_left", True)))}
    )
    assert doors.is_on_fn(one_open) is True
