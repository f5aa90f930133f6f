"""The polling policy on its own: plain datetimes, no Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.smartcar.polling import (
    MAX_INTERVAL,
    MIN_FIXED_INTERVAL,
    MIN_INTERVAL,
    MONTH_ROLLOVER_GRACE,
    CallBudget,
    PollingInputs,
    PollingMode,
    PollingSettings,
    default_interval,
    month_bounds,
    month_key,
    next_interval,
    settings_from_options,
)

MID_MONTH = datetime(2026, 11, 16, tzinfo=UTC)


def inputs(**changes: object) -> PollingInputs:
    values: dict[str, object] = {
        "now": MID_MONTH,
        "calls_per_read": 7,
        "budget": CallBudget(month="2026-11", used=0),
    }
    values.update(changes)
    return PollingInputs(**values)  # type: ignore[arg-type]


def test_default_interval_matches_the_documented_arithmetic() -> None:
    # 440 calls / 7 paths = 62 reads in 30 days -> 11.6 hours.
    assert default_interval(7) == timedelta(days=30) / 62
    assert round(default_interval(7) / timedelta(hours=1), 1) == 11.6
    # v3: one call per read, 440 reads -> 1.6 hours.
    assert round(default_interval(1) / timedelta(hours=1), 1) == 1.6
    # Never below the floor, never above a day.
    assert default_interval(1, monthly_budget=100_000) == MIN_INTERVAL
    assert default_interval(400) == MAX_INTERVAL


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


def test_automatic_spreads_what_is_left_over_the_rest_of_the_month() -> None:
    decision = next_interval(PollingSettings(), inputs())
    # 440 calls left / 7 = 62 reads over the 15 days left.
    assert decision.interval == timedelta(days=15) / 62
    assert decision.reason == "budget"
    assert decision.calls_left == 500


def test_automatic_slows_down_after_heavy_use() -> None:
    light = next_interval(PollingSettings(), inputs()).interval
    heavy = next_interval(PollingSettings(), inputs(budget=CallBudget("2026-11", 300))).interval
    assert light is not None
    assert heavy is not None
    assert heavy > light


def test_spent_polling_share_waits_for_the_next_month() -> None:
    decision = next_interval(PollingSettings(), inputs(budget=CallBudget("2026-11", 440)))
    assert decision.reason == "budget_exhausted"
    assert decision.interval == timedelta(days=15) + MONTH_ROLLOVER_GRACE
    assert decision.calls_left == 60


def test_a_budget_of_last_month_counts_as_empty() -> None:
    decision = next_interval(PollingSettings(), inputs(budget=CallBudget("2026-10", 499)))
    assert decision.reason == "budget"
    assert decision.calls_left == 500


def test_charging_reads_twice_as_often_only_while_under_pace() -> None:
    settings = PollingSettings()
    normal = next_interval(settings, inputs()).interval
    charging = next_interval(settings, inputs(charging=True))
    assert charging.reason == "charging"
    assert normal is not None
    assert charging.interval == normal / 2
    # Half the month gone but 90 % of the polling share spent: no boost.
    over = next_interval(settings, inputs(charging=True, budget=CallBudget("2026-11", 400)))
    assert over.reason == "budget"


def test_push_falls_back_to_a_daily_safety_read() -> None:
    decision = next_interval(PollingSettings(), inputs(push_active=True))
    assert decision == next_interval(PollingSettings(), inputs(push_active=True))
    assert decision.interval == MAX_INTERVAL
    assert decision.reason == "push"


def test_interval_is_clamped() -> None:
    short = next_interval(
        PollingSettings(monthly_budget=100_000), inputs(calls_per_read=1)
    ).interval
    assert short == MIN_INTERVAL
    late = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert next_interval(PollingSettings(), inputs(now=late)).interval == MIN_INTERVAL
    early = datetime(2026, 11, 1, tzinfo=UTC)
    long = next_interval(PollingSettings(), inputs(now=early, calls_per_read=200)).interval
    assert long == MAX_INTERVAL


def test_fixed_and_manual_modes() -> None:
    fixed = PollingSettings(mode=PollingMode.FIXED, fixed_interval=timedelta(minutes=5))
    assert next_interval(fixed, inputs()).interval == MIN_FIXED_INTERVAL
    assert next_interval(fixed, inputs()).reason == "fixed"
    manual = next_interval(PollingSettings(mode=PollingMode.MANUAL), inputs())
    assert manual.interval is None
    assert manual.reason == "manual"


def test_retry_after_and_app_bucket_win_over_shorter_intervals() -> None:
    fixed = PollingSettings(mode=PollingMode.FIXED, fixed_interval=timedelta(minutes=15))
    assert next_interval(fixed, inputs(retry_after=3600)).interval == timedelta(hours=1)
    assert next_interval(fixed, inputs(retry_after=3600)).reason == "retry_after"
    assert next_interval(fixed, inputs(retry_after=60)).interval == timedelta(minutes=15)
    # 10 cars with 7 paths each: 70 calls per round, the bucket refills 2 a minute.
    bucket = next_interval(fixed, inputs(fleet_calls_per_round=70))
    assert bucket.interval == timedelta(minutes=35)
    assert bucket.reason == "app_rate_limit"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, PollingSettings()),
        (
            {"polling_mode": "fixed", "interval_minutes": 60, "monthly_budget": 1000},
            PollingSettings(
                mode=PollingMode.FIXED, fixed_interval=timedelta(hours=1), monthly_budget=1000
            ),
        ),
        (
            {"polling_mode": "bogus", "interval_minutes": 1},
            PollingSettings(fixed_interval=MIN_FIXED_INTERVAL),
        ),
    ],
)
def test_settings_from_options(options: dict[str, object], expected: PollingSettings) -> None:
    assert settings_from_options(options) == expected


def test_a_month_of_automatic_polling_stays_inside_the_allowance() -> None:
    """Simulate November: read whenever the policy says, count the calls."""
    settings = PollingSettings()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    budget = CallBudget.start(now)
    reads = 0
    while now < datetime(2026, 12, 1, tzinfo=UTC):
        budget = budget.record(7, now)
        reads += 1
        decision = next_interval(settings, inputs(now=now, budget=budget))
        assert decision.interval is not None
        now += decision.interval
    assert budget.used <= settings.monthly_budget - settings.reserve
    assert reads >= 60


def test_small_allowance_keeps_polling() -> None:
    """A monthly allowance below the default reserve still leaves most of it for polling."""
    settings = settings_from_options({"monthly_budget": 50})
    assert settings.reserve == 10
    decision = next_interval(
        settings,
        PollingInputs(
            now=datetime(2026, 11, 1, tzinfo=UTC),
            calls_per_read=1,
            budget=CallBudget(month="2026-11"),
        ),
    )
    assert decision.reason == "budget"
    assert decision.interval is not None
    assert decision.interval < timedelta(days=1)


def test_commands_draw_on_the_reserve_first() -> None:
    """Commands within the reserve leave polling's share whole; beyond it they reduce it."""
    now = datetime(2026, 11, 16, tzinfo=UTC)
    settings = PollingSettings()
    budget = CallBudget.start(now).record(40, now, reserved=True).record(200, now)
    assert (budget.used, budget.reserved, budget.reads) == (240, 40, 200)
    assert budget.polling_share(500, 60) == 440
    beyond = budget.record(40, now, reserved=True)
    assert beyond.polling_share(500, 60) == 420

    def interval(of: CallBudget) -> timedelta | None:
        return next_interval(settings, PollingInputs(now=now, calls_per_read=1, budget=of)).interval

    # 240 reads left over 15 days either way: the 40 commands cost polling nothing.
    assert interval(budget) == interval(CallBudget(month="2026-11", used=200))
    first = interval(beyond)
    second = interval(budget)
    assert first is not None
    assert second is not None
    assert first > second
