"""The one merge rule, the capability bookkeeping and the device helpers, without Home Assistant.

The integration tests show the rule at work (reads, pushes and commands racing); these pin
down the corner cases: readings without times, optimistic readings, ties, refusals learned
twice, and devices of the older device registry that several entries shared.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from custom_components.smartcar.api import (
    Field,
    Reading,
    SmartcarCompatibilityError,
    SmartcarPermissionError,
    SmartcarServerError,
    VehicleState,
)
from custom_components.smartcar.capabilities import VehicleCapabilities
from custom_components.smartcar.devices import device_entries as _device_entries

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_newer_reading_wins_and_ties_go_to_the_arrival() -> None:
    """Ordered by the car's time, then Smartcar's; equal times: the arriving one wins."""
    old = Reading(50.0, T0, T0)
    new = Reading(60.0, T0 + MINUTE, T0 + MINUTE)
    assert new.supersedes(old)
    assert not old.supersedes(new)
    assert Reading(51.0, T0, T0).supersedes(old)
    # Same recorded time, retrieved again later: the later retrieval wins.
    assert Reading(50.0, T0, T0 + MINUTE).supersedes(old)
    assert not Reading(50.0, T0, T0 - MINUTE).supersedes(old)


def test_readings_without_times_win_by_arriving() -> None:
    """Nothing to order by: the one that arrives replaces the other, both ways."""
    assert Reading(1.0).supersedes(Reading(2.0, T0, T0))
    assert Reading(1.0, T0, T0).supersedes(Reading(2.0))


def test_optimistic_reading_yields_only_to_a_newer_real_one() -> None:
    """A command's expected value stays until a real reading at or after the command."""
    command = Reading(True, T0, optimistic=True)
    assert not Reading(False, T0 - MINUTE, T0 - MINUTE).supersedes(command)
    assert Reading(False, T0 - MINUTE, T0 + MINUTE).supersedes(command)  # retrieved after
    assert Reading(False, T0, None).supersedes(command)
    assert Reading(False).supersedes(command)  # no time at all: cannot be ordered
    undated = Reading(True, optimistic=True)
    assert Reading(False, T0 - MINUTE, T0 - MINUTE).supersedes(undated)
    # An optimistic value replaces an older real one, and a later command an earlier one.
    assert command.supersedes(Reading(False, T0 - MINUTE, T0 - MINUTE))
    assert Reading(False, T0 + MINUTE, optimistic=True).supersedes(command)


def test_merge_keeps_the_newer_field_by_field() -> None:
    """Each field is decided on its own; errors and the empty flag come from the newer."""
    current = VehicleState.from_readings(
        {Field.BATTERY_LEVEL: Reading(80.0, T0 + MINUTE), Field.ODOMETER: Reading(10.0, T0)}
    )
    err = SmartcarServerError("later", code="INTERNAL")
    newer = VehicleState.from_readings(
        {Field.BATTERY_LEVEL: Reading(70.0, T0), Field.ODOMETER: Reading(11.0, T0 + MINUTE)},
        {Field.LOCATION: err},
    )
    merged = current.merged(newer)
    assert merged.battery_level == Reading(80.0, T0 + MINUTE)
    assert merged.odometer == Reading(11.0, T0 + MINUTE)
    assert merged.errors == {Field.LOCATION: err}
    assert merged.without([Field.ODOMETER, Field.FUEL_LEVEL]).odometer is None
    assert merged.without([Field.FUEL_LEVEL]) is merged


def test_capabilities_learn_each_refusal_once_and_persist() -> None:
    """A refusal already known is not new; transient failures mark the field as existing."""
    capabilities = VehicleCapabilities(
        supported=frozenset({Field.ODOMETER, Field.LOCATION, Field.TIRE_PRESSURE}),
        permissions=frozenset({"read_odometer", "read_location", "read_tires"}),
    )
    incompatible = SmartcarCompatibilityError("no", code="VEHICLE_NOT_CAPABLE")
    forbidden = SmartcarPermissionError("no")
    first = capabilities.learn(
        [Field.ODOMETER],
        {
            Field.TIRE_PRESSURE: incompatible,
            Field.LOCATION: forbidden,
        },
    )
    assert first.removed == {Field.TIRE_PRESSURE, Field.LOCATION}
    again = capabilities.learn([], {Field.TIRE_PRESSURE: incompatible, Field.LOCATION: forbidden})
    assert again.removed == set()
    assert capabilities.readable() == {Field.ODOMETER}
    assert capabilities.withdrawn([Field.LOCATION])
    assert not capabilities.capable([Field.LOCATION])

    record = capabilities.as_record()
    restored = VehicleCapabilities.from_record(
        {**record, "seen": [*record["seen"], "no_such_field"]},
        supported=capabilities.supported,
        permissions=capabilities.permissions,
    )
    assert restored.as_record() == record
    assert restored.capable([Field.ODOMETER])


def test_devices_of_either_registry_generation_name_their_entries() -> None:
    """A device has one entry since Home Assistant 2026.4, and a set of them before."""
    assert _device_entries(SimpleNamespace(config_entry_id="a")) == {"a"}  # type: ignore[arg-type]
    shared = SimpleNamespace(config_entries={"a", "b"})
    assert _device_entries(shared) == {"a", "b"}  # type: ignore[arg-type]
