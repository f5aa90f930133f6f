"""The polling settings, the month's budget and the application bucket: plain datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.smartcar.polling import (
    APP_BUCKET_KEEP,
    MIN_FIXED_INTERVAL,
    RULES,
    AppBucket,
    CallBudget,
    PollingMode,
    PollingSettings,
    month_bounds,
    month_key,
    profile_for_legacy_mode,
    settings_from_options,
    transient_retry,
)

MID_MONTH = datetime(2026, 11, 16, tzinfo=UTC)


def test_month_helpers_roll_over_december() -> None:
    assert month_key(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-12"
    start, end = month_bounds(datetime(2026, 12, 15, tzinfo=UTC))
    assert start == datetime(2026, 12, 1, tzinfo=UTC)
    assert end == datetime(2027, 1, 1, tzinfo=UTC)
    start, end = month_bounds(MID_MONTH)
    assert (start.month, end.month) == (11, 12)


def test_budget_counts_and_resets_with_the_month() -> None:
    budget = CallBudget.start(MID_MONTH).record(5, MID_MONTH).record(-3, MID_MONTH)
    assert budget == CallBudget(month="2026-11", used=5)
    december = datetime(2026, 12, 1, 0, 1, tzinfo=UTC)
    assert budget.current(december) == CallBudget(month="2026-12", used=0)
    assert budget.record(2, december).used == 2


def test_commands_draw_on_the_reserve_first() -> None:
    """Commands within the reserve leave polling's share whole; beyond it they reduce it."""
    budget = CallBudget.start(MID_MONTH).record(40, MID_MONTH, reserved=True)
    budget = budget.record(200, MID_MONTH)
    assert (budget.used, budget.reserved, budget.reads) == (240, 40, 200)
    assert budget.polling_share(500, 60) == 440
    assert budget.record(40, MID_MONTH, reserved=True).polling_share(500, 60) == 420


@pytest.mark.parametrize(
    ("mode", "push", "expected"),
    [
        ("automatic", False, PollingMode.BALANCED),
        ("fixed", True, PollingMode.CUSTOM),
        ("manual", True, PollingMode.PUSH_ONLY),
        ("manual", False, PollingMode.CUSTOM),
        ("balanced", False, None),
    ],
)
def test_legacy_modes_map_onto_profiles(mode: str, push: bool, expected: PollingMode) -> None:
    assert profile_for_legacy_mode(mode, push=push) is expected


@pytest.mark.parametrize(
    ("options", "push", "expected"),
    [
        ({}, False, PollingSettings()),
        (
            {"polling_mode": "custom", "interval_minutes": 60, "monthly_budget": 1000},
            False,
            PollingSettings(
                mode=PollingMode.CUSTOM, fixed_interval=timedelta(hours=1), monthly_budget=1000
            ),
        ),
        (
            {"polling_mode": "custom", "interval_minutes": 0},
            False,
            PollingSettings(mode=PollingMode.CUSTOM, fixed_interval=None),
        ),
        (
            {"polling_mode": "custom", "interval_minutes": 5},
            False,
            PollingSettings(mode=PollingMode.CUSTOM, fixed_interval=MIN_FIXED_INTERVAL),
        ),
        # Written before the profiles existed: read as the migration writes them.
        ({"polling_mode": "automatic"}, False, PollingSettings()),
        (
            {"polling_mode": "fixed", "interval_minutes": 60},
            False,
            PollingSettings(mode=PollingMode.CUSTOM, fixed_interval=timedelta(hours=1)),
        ),
        (
            {"polling_mode": "manual", "interval_minutes": 60},
            False,
            PollingSettings(mode=PollingMode.CUSTOM, fixed_interval=None),
        ),
        ({"polling_mode": "manual"}, True, PollingSettings(mode=PollingMode.PUSH_ONLY)),
        ({"polling_mode": "bogus"}, False, PollingSettings()),
        # A small allowance keeps a fifth for commands, so that polling still gets most of it.
        ({"monthly_budget": 50}, False, PollingSettings(monthly_budget=50, reserve=10)),
    ],
)
def test_settings_from_options(
    options: dict[str, object], push: bool, expected: PollingSettings
) -> None:
    assert settings_from_options(options, push=push) == expected


def test_profiles_keep_calls_in_hand() -> None:
    """Only responsive may spend all but the reserve; the others leave part unspent."""
    assert RULES[PollingMode.ECONOMY].share < RULES[PollingMode.BALANCED].share < 1
    assert RULES[PollingMode.BALANCED].share * 500 <= 300
    assert RULES[PollingMode.RESPONSIVE].share == 1
    for rules in RULES.values():
        assert rules.charging < rules.plugged < rules.parked


def test_transient_retry_doubles_with_a_spread() -> None:
    assert transient_retry(1, 0.5) == timedelta(minutes=1)
    assert transient_retry(3, 0.5) == timedelta(minutes=4)
    assert transient_retry(40, 0.5) == timedelta(minutes=15)
    assert transient_retry(1, 0.0) == timedelta(minutes=1) * 0.8
    assert transient_retry(0, 0.999) < timedelta(minutes=1) * 1.2


def test_app_bucket_refills_and_keeps_room_for_commands() -> None:
    now = MID_MONTH
    bucket = AppBucket()
    assert bucket.tokens(now) == 120
    assert bucket.ready_at(now) == now
    bucket.take(now, 115)
    assert bucket.tokens(now) == 5
    # One read needs 1 + APP_BUCKET_KEEP tokens: 6 more at 2 a minute is 3 minutes.
    assert bucket.ready_at(now) == now + timedelta(minutes=(1 + APP_BUCKET_KEEP - 5) / 2)
    assert bucket.tokens(now + timedelta(minutes=10)) == 25
    # Time never runs backwards for the bucket, and it never holds more than it can.
    assert bucket.tokens(now) == 25
    assert bucket.tokens(now + timedelta(days=1)) == 120
    bucket.take(now + timedelta(days=1), 500)
    assert bucket.tokens(now + timedelta(days=1)) == 0


def test_app_bucket_blocks_after_a_429_about_the_application() -> None:
    now = MID_MONTH
    bucket = AppBucket()
    bucket.block(now, 600)
    assert bucket.tokens(now) == 0
    assert bucket.ready_at(now) == now + timedelta(minutes=10)
    # A shorter block later does not shorten the first one.
    bucket.block(now + timedelta(minutes=1), 60)
    assert bucket.ready_at(now + timedelta(minutes=1)) == now + timedelta(minutes=10)
    later = now + timedelta(hours=2)
    assert bucket.ready_at(later) == later


def test_app_bucket_shares_its_refill_between_vehicles() -> None:
    bucket = AppBucket()
    assert bucket.vehicles == 1
    single = bucket.round_floor()
    for index in range(50):
        bucket.register(f"car-{index}")
    bucket.register("car-0")
    assert bucket.vehicles == 50
    # 50 reads need 50 tokens; the bucket refills 2 a minute, a twelfth kept for commands.
    expected = timedelta(minutes=50 / (2 * (1 - APP_BUCKET_KEEP / 120)))
    assert abs(bucket.round_floor() - expected) < timedelta(seconds=1)
    assert bucket.round_floor() > single
    bucket.unregister("car-0")
    bucket.unregister("unknown")
    assert bucket.vehicles == 49
