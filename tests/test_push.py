"""Push health rules, with plain datetimes: the window, the streak, silence and changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.smartcar.api import Reading, VehicleState
from custom_components.smartcar.push import (
    MAX_UNKNOWN_CODES,
    PUSH_SILENCE,
    VERIFY_WINDOW,
    PushHealth,
    Rejection,
    values_changed,
)

START = datetime(2026, 11, 14, 12, tzinfo=UTC)


def test_verification_window_opens_for_its_length() -> None:
    health = PushHealth(watching_since=START)
    assert not health.verification_open(START)
    health.open_verification(START)
    assert health.verification_open(START + VERIFY_WINDOW - timedelta(seconds=1))
    assert not health.verification_open(START + VERIFY_WINDOW)
    assert timedelta(minutes=15) == VERIFY_WINDOW


def test_signature_streak_and_silence() -> None:
    health = PushHealth(watching_since=START)
    calls: list[int] = []
    remove = health.add_listener(lambda: calls.append(health.rejected_total))
    for _ in range(2):
        health.record_rejected(Rejection.BAD_SIGNATURE)
    health.record_rejected(Rejection.OVERSIZE)
    assert not health.signature_failing
    health.record_rejected(Rejection.BAD_SIGNATURE)
    assert health.signature_failing
    health.record_signed()
    assert not health.signature_failing
    assert calls == [1, 2, 3, 4]
    remove()
    health.record_rejected(Rejection.MALFORMED)
    assert calls == [1, 2, 3, 4]

    assert not health.silent(START + PUSH_SILENCE - timedelta(seconds=1))
    assert health.silent(START + PUSH_SILENCE)
    health.record_valid(START + PUSH_SILENCE, ["v1"])
    assert not health.silent(START + PUSH_SILENCE * 2 - timedelta(seconds=1))
    health.restart_watch(START + PUSH_SILENCE * 3)
    assert health.silent(START + PUSH_SILENCE * 3)  # the last delivery is older still
    assert health.as_dict(START)["rejected"] == {
        "bad_signature": 3,
        "oversize": 1,
        "malformed": 1,
    }


def test_unknown_signal_codes_are_bounded() -> None:
    health = PushHealth(watching_since=START)
    health.record_unknown_signals(f"code-{index}" for index in range(MAX_UNKNOWN_CODES + 5))
    health.record_unknown_signals(["code-0", "code-999"])
    assert health.unknown_signals == MAX_UNKNOWN_CODES + 7
    assert len(health.unknown_signal_codes) == MAX_UNKNOWN_CODES
    assert health.unknown_signal_codes["code-0"] == 2


def test_values_changed_ignores_times_and_new_fields() -> None:
    before = VehicleState(battery_level=Reading(50.0, START))
    assert not values_changed(before, VehicleState(battery_level=Reading(50.0, START)))
    assert not values_changed(
        before, VehicleState(battery_level=Reading(50.0, START + timedelta(hours=1)))
    )
    assert not values_changed(before, VehicleState(odometer=Reading(100.0)))
    assert not values_changed(
        before, VehicleState(battery_level=Reading(50.0), odometer=Reading(1.0))
    )
    assert values_changed(before, VehicleState(battery_level=Reading(51.0)))
