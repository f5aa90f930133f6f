"""The read planner on its own: simulated time, no Home Assistant, no simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.smartcar.api import ChargingState, Field, Location, Reading, VehicleState
from custom_components.smartcar.planner import (
    ACTIVITY_HOLD,
    CHARGE_END_MARGIN,
    CONFIRM_WAIT,
    HABIT_MARGIN,
    MIN_GAP,
    SAFETY_INTERVAL,
    WAITING_ON_THE_HOUR,
    WASTED_BACKOFF,
    VehiclePlanner,
)
from custom_components.smartcar.polling import (
    MONTH_ROLLOVER_GRACE,
    RULES,
    AppBucket,
    CallBudget,
    PlanReason,
    PollingMode,
    PollingSettings,
)
from custom_components.smartcar.rhythm import (
    MAX_HABIT_WINDOW,
    REFRESH_MARGIN,
    ChargeHabit,
    StoreRhythm,
    latest_retrieval,
)

T0 = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
BALANCED = RULES[PollingMode.BALANCED]
HOME = Location(52.52, 13.40)
AWAY = Location(52.70, 13.40)


def car(
    at: datetime,
    *,
    charging: ChargingState = ChargingState.NOT_CHARGING,
    plugged: bool = False,
    level: float = 60.0,
    limit: float = 80.0,
    odometer: float = 1000.0,
    where: Location = HOME,
    locked: bool = True,
    **extra: Any,
) -> VehicleState:
    """What a read (or push) retrieved by Smartcar at ``at`` holds."""
    values: dict[Field, Any] = {
        Field.CHARGING_STATE: charging,
        Field.PLUGGED_IN: plugged,
        Field.BATTERY_LEVEL: level,
        Field.CHARGE_LIMIT: limit,
        Field.ODOMETER: odometer,
        Field.LOCATION: where,
        Field.LOCKED: locked,
        **extra,
    }
    return VehicleState.from_readings({f: Reading(v, at, at) for f, v in values.items()})


def budget(used: int = 0, reserved: int = 0) -> CallBudget:
    return CallBudget(month="2026-11", used=used, reserved=reserved)


def plan(
    planner: VehiclePlanner, now: datetime, state: VehicleState, **kwargs: Any
) -> tuple[datetime | None, PlanReason]:
    result = planner.plan(
        now,
        state=state,
        budget=kwargs.pop("budget", budget()),
        calls_per_read=kwargs.pop("calls_per_read", 1),
        **kwargs,
    )
    return result.at, result.reason


def planner_for(mode: PollingMode = PollingMode.BALANCED, **settings: Any) -> VehiclePlanner:
    return VehiclePlanner(PollingSettings(mode=mode, **settings))


def test_learns_the_store_period_and_reads_just_after_a_refresh() -> None:
    """Two quiet retrievals an hour apart: a parked car is read just after a refresh."""
    planner = planner_for()
    assert not planner.note_read(T0 + timedelta(minutes=10), car(T0))
    assert planner.rhythm.period is None
    assert not planner.note_read(T0 + HOUR + timedelta(minutes=10), car(T0 + HOUR))
    assert planner.rhythm.period == HOUR
    now = T0 + HOUR + timedelta(minutes=10)
    at, reason = plan(planner, now, car(T0 + HOUR))
    # Six hours after the read (16:10 + 6 h) lands between refreshes: the nearest one wins.
    assert at == T0 + 7 * HOUR + REFRESH_MARGIN
    assert reason is PlanReason.PARKED


def test_a_read_without_a_newer_retrieval_is_wasted_and_never_repeated_soon() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    assert planner.note_read(T0 + timedelta(minutes=20), car(T0))
    assert planner.wasted == 1
    # No rhythm known: the next read waits at least the back-off, doubling with each waste.
    now = T0 + timedelta(minutes=20)
    state = car(T0, plugged=True)  # plugged in and waiting: reads on the hour
    at, reason = plan(planner, now, state)
    assert (at, reason) == (T0 + HOUR + HABIT_MARGIN, PlanReason.WAITING)
    planner.note_read(now + timedelta(minutes=5), car(T0))
    parked = plan(planner, now + timedelta(minutes=5), car(T0))
    assert parked == (now + timedelta(minutes=5) + BALANCED.parked, PlanReason.PARKED)
    assert planner.wasted == 2


def test_a_wasted_read_corrects_a_period_learned_too_short() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    planner.note_read(T0 + timedelta(minutes=20), car(T0 + timedelta(minutes=20)))
    assert planner.rhythm.period == timedelta(minutes=20)
    # 40 minutes after the last retrieval the store still had nothing new.
    planner.note_read(T0 + timedelta(minutes=60), car(T0 + timedelta(minutes=20)))
    assert planner.rhythm.period is None
    # With no rhythm left, wastes back the next ordinary read off (doubling each time).
    charging = car(T0, charging=ChargingState.CHARGING, plugged=True)
    fresh = planner_for()
    fresh.note_read(T0, charging)
    fresh.note_read(T0 + timedelta(minutes=30), charging)
    fresh.note_read(T0 + HOUR, charging)
    at, reason = plan(fresh, T0 + HOUR, charging)
    assert (at, reason) == (T0 + HOUR + WASTED_BACKOFF * 2, PlanReason.STORE_REFRESH)


def test_a_refresh_far_from_the_wanted_moment_is_probed_not_awaited() -> None:
    """Reads every six hours teach a six-hour 'period'; a plugged-in car still reads sooner."""
    planner = planner_for()
    planner.note_read(T0, car(T0, plugged=True))
    planner.note_read(T0 + 6 * HOUR, car(T0 + 6 * HOUR, plugged=True))
    assert planner.rhythm.period == 6 * HOUR
    # The car is plugged in and a charging habit is expected (after the next read): every
    # four hours.
    planner.habit.observe(T0 - 26 * HOUR, T0 - 25 * HOUR)
    planner.habit.observe(T0 - 2 * HOUR, T0 - HOUR)
    at, reason = plan(planner, T0 + 6 * HOUR, car(T0 + 6 * HOUR, plugged=True))
    assert (at, reason) == (T0 + 10 * HOUR, PlanReason.PLUGGED_IN)
    # The probe found a retrieval four hours on: the period is learned shorter.
    planner.note_read(T0 + 10 * HOUR, car(T0 + 10 * HOUR, plugged=True))
    assert planner.rhythm.period == 4 * HOUR


def test_a_refresh_a_little_later_is_waited_for() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    planner.note_read(T0 + HOUR, car(T0 + HOUR))
    planner.note_read(T0 + 2 * HOUR + timedelta(minutes=40), car(T0 + 2 * HOUR))
    # Six hours on is 08:40; the store refreshes at 08:00 and 09:00 (plus margin).
    at, reason = plan(planner, T0 + 3 * HOUR, car(T0 + 2 * HOUR))
    assert (at, reason) == (T0 + 9 * HOUR + REFRESH_MARGIN, PlanReason.STORE_REFRESH)


def test_charging_reads_often_and_once_after_the_expected_end() -> None:
    planner = planner_for()
    now = T0 + 2 * HOUR
    state = car(
        now,
        charging=ChargingState.CHARGING,
        plugged=True,
        **{Field.TIME_TO_COMPLETE: 20.0},
    )
    planner.note_read(now, state)
    assert plan(planner, now, state) == (
        now + timedelta(minutes=20) + CHARGE_END_MARGIN,
        PlanReason.CHARGE_END,
    )
    long_charge = car(
        now, charging=ChargingState.CHARGING, plugged=True, **{Field.TIME_TO_COMPLETE: 300.0}
    )
    assert plan(planner, now, long_charge) == (now + BALANCED.charging, PlanReason.CHARGING)
    # A charge end already behind the last read is no reason to read.
    done = car(now, charging=ChargingState.CHARGING, **{Field.TIME_TO_COMPLETE: 0.0})
    assert plan(planner, now, done) == (now + BALANCED.charging, PlanReason.CHARGING)


def test_charging_reads_wait_for_the_store_when_charging_does_not_refresh_it() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    planner.note_read(T0 + HOUR, car(T0 + HOUR))
    charging = car(T0 + 2 * HOUR, charging=ChargingState.CHARGING, plugged=True)
    planner.note_read(T0 + 2 * HOUR + timedelta(minutes=5), charging)
    assert not planner.note_read(
        T0 + 2 * HOUR + timedelta(minutes=35),
        car(T0 + 2 * HOUR + timedelta(minutes=30), charging=ChargingState.CHARGING, plugged=True),
    )
    # The same retrieval again while charging: charging does not refresh this store.
    assert planner.note_read(T0 + 2 * HOUR + timedelta(minutes=50), charging)
    now = T0 + 2 * HOUR + timedelta(minutes=50)
    at, _reason = plan(planner, now, charging)
    assert at == T0 + 3 * HOUR + timedelta(minutes=30) + REFRESH_MARGIN
    # A charging read that brings something new trusts charging to refresh the store again.
    planner.note_read(now + HOUR, car(now + HOUR, charging=ChargingState.CHARGING, plugged=True))
    assert plan(planner, now + HOUR, charging) == (
        now + HOUR + BALANCED.charging,
        PlanReason.CHARGING,
    )


def test_a_car_waiting_to_charge_is_read_on_the_hour_then_less_often() -> None:
    planner = planner_for()
    now = T0 + 18 * HOUR + timedelta(minutes=10)
    waiting = car(now, plugged=True)
    planner.note_read(now, waiting)
    assert plan(planner, now, waiting) == (T0 + 19 * HOUR + HABIT_MARGIN, PlanReason.WAITING)
    # Half a day of waiting without a change: every four hours.
    later = now + WAITING_ON_THE_HOUR + HOUR
    planner.note_read(later, car(later, plugged=True))
    assert plan(planner, later, waiting) == (later + BALANCED.plugged, PlanReason.PLUGGED_IN)
    # Full: nothing will charge; unplugged: parked.
    full = car(later, plugged=True, level=80.0)
    assert plan(planner, later, full) == (later + BALANCED.parked, PlanReason.PARKED)
    fully = car(later, plugged=True, charging=ChargingState.FULLY_CHARGED, level=79.0)
    assert plan(planner, later, fully)[1] is PlanReason.PARKED


def _charge_night(planner: VehiclePlanner, day: int) -> None:
    """The car is seen waiting at 00:45 and charging at 01:01 on ``day``."""
    night = T0 + timedelta(days=day)
    waiting = night + timedelta(minutes=45)
    planner.note_read(waiting, car(waiting, plugged=True))
    planner.note_read(
        night + HOUR + timedelta(minutes=1),
        car(night + HOUR + timedelta(minutes=1), charging=ChargingState.CHARGING, plugged=True),
    )
    end = night + 2 * HOUR
    planner.note_read(end, car(end, charging=ChargingState.FULLY_CHARGED, plugged=True, level=80))


def test_a_charging_habit_is_learned_and_read_just_as_charging_begins() -> None:
    planner = planner_for()
    _charge_night(planner, 0)
    evening = T0 + 20 * HOUR
    waiting = car(evening, plugged=True, level=70.0)
    planner.note_read(evening, waiting)
    # One night seen: next week at that time; meanwhile the car is read on the hour.
    assert planner.habit.window(evening) == (
        T0 + timedelta(days=7, minutes=45),
        T0 + timedelta(days=7, hours=1, minutes=1),
    )
    assert plan(planner, evening, waiting)[1] is PlanReason.WAITING
    _charge_night(planner, 1)
    evening += timedelta(days=1)
    planner.note_read(evening, car(evening, plugged=True, level=70.0))
    # Two nights: daily, and read once when charging was seen to have begun (before that
    # every four hours, unless the usual time comes first).
    tonight = T0 + timedelta(days=2, hours=1, minutes=1)
    assert planner.habit.window(evening) == (tonight - timedelta(minutes=16), tonight)
    waiting = car(evening, plugged=True, level=70.0)
    assert plan(planner, evening, waiting) == (evening + BALANCED.plugged, PlanReason.PLUGGED_IN)
    late = evening + 2 * HOUR
    planner.note_read(late, car(late, plugged=True, level=70.0))
    assert plan(planner, late, waiting) == (tonight, PlanReason.CHARGE_HABIT)
    # Unplugged it still looks then (the car may come home and charge); plugged in and full
    # it does not.
    assert plan(planner, late, car(late, level=70.0))[1] is PlanReason.CHARGE_HABIT
    assert plan(planner, late, car(late, plugged=True, level=80.0))[1] is PlanReason.PARKED


def test_a_wide_habit_window_is_read_through() -> None:
    """From just after its start, then just after the store's refreshes, and at its end."""
    planner = planner_for()
    planner.habit.observe(T0 + 20 * HOUR, T0 + 23 * HOUR)
    planner.habit.observe(T0 + timedelta(days=1, hours=20), T0 + timedelta(days=1, hours=23))
    start = T0 + timedelta(days=2, hours=20)
    before = start - 3 * HOUR
    planner.note_read(before, car(before))
    assert plan(planner, before, car(before)) == (start + HABIT_MARGIN, PlanReason.CHARGE_HABIT)
    planner.note_read(start + HABIT_MARGIN, car(start))
    # The store seems to refresh every three hours: the window's end comes first.
    assert planner.rhythm.period == 3 * HOUR
    assert plan(planner, start + HABIT_MARGIN, car(start)) == (
        start + 3 * HOUR,
        PlanReason.CHARGE_HABIT,
    )
    # Near its end: the last read at the end.
    near_end = start + 3 * HOUR - timedelta(minutes=10)
    planner.note_read(near_end, car(near_end))
    assert plan(planner, near_end, car(near_end)) == (start + 3 * HOUR, PlanReason.CHARGE_HABIT)


def test_a_wide_habit_window_follows_the_store_refreshes() -> None:
    planner = planner_for()
    planner.habit.observe(T0 + 20 * HOUR, T0 + 23 * HOUR)
    planner.habit.observe(T0 + timedelta(days=1, hours=20), T0 + timedelta(days=1, hours=23))
    start = T0 + timedelta(days=2, hours=20)
    planner.note_read(start - HOUR + timedelta(minutes=5), car(start - HOUR))
    planner.note_read(start + HABIT_MARGIN, car(start))
    assert planner.rhythm.period == HOUR
    assert plan(planner, start + HABIT_MARGIN, car(start)) == (
        start + HOUR + REFRESH_MARGIN,
        PlanReason.CHARGE_HABIT,
    )


def test_charge_habit_windows_narrow_and_forget() -> None:
    habit = ChargeHabit()
    habit.observe(T0, T0)  # empty: nothing learned
    habit.observe(T0, T0 + MAX_HABIT_WINDOW + HOUR)  # too wide to teach anything
    assert habit.window(T0) is None
    habit.observe(T0 + HOUR, T0 + 3 * HOUR)
    habit.observe(T0 + timedelta(days=1, hours=2), T0 + timedelta(days=1, hours=4))
    assert habit.window(T0 + timedelta(days=1, hours=5)) == (
        T0 + timedelta(days=2, hours=2),
        T0 + timedelta(days=2, hours=3),
    )
    # A different time of day is another window; the earliest upcoming one comes first.
    habit.observe(T0 + timedelta(days=1, hours=10), T0 + timedelta(days=1, hours=11))
    assert habit.window(T0 + timedelta(days=1, hours=5))[0] == T0 + timedelta(days=1, hours=10)
    assert habit.window(T0 + timedelta(days=30)) is None


def test_a_car_that_just_arrived_home_is_read_again_soon() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0, plugged=True, level=80.0, where=HOME))
    planner.note_read(T0 + HOUR, car(T0 + HOUR, where=AWAY, odometer=1030.0))
    # Arrived elsewhere: nothing special.
    assert plan(planner, T0 + HOUR, car(T0 + HOUR, where=AWAY))[1] is PlanReason.PARKED
    back = T0 + 9 * HOUR
    planner.note_read(back + timedelta(minutes=5), car(back, where=HOME, odometer=1060.0))
    now = back + timedelta(minutes=5)
    assert plan(planner, now, car(back, where=HOME)) == (now + BALANCED.active, PlanReason.ACTIVE)
    # Plugged in already, or an hour after arriving: no longer.
    assert plan(planner, now, car(back, plugged=True))[1] is not PlanReason.ACTIVE
    late = back + ACTIVITY_HOLD + timedelta(minutes=1)
    planner.note_read(late, car(late, where=HOME, odometer=1060.0))
    assert plan(planner, late, car(late))[1] in (PlanReason.PARKED, PlanReason.STORE_REFRESH)
    # Economy never reads for that.
    economy = planner_for(PollingMode.ECONOMY)
    economy.note_read(T0, car(T0))
    economy.note_read(T0 + HOUR, car(T0 + HOUR, odometer=1030.0))
    assert plan(economy, T0 + HOUR, car(T0 + HOUR))[1] is PlanReason.PARKED


def test_while_pushes_arrive_only_a_daily_safety_read() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    planner.note_push(T0 + HOUR, car(T0 + HOUR, charging=ChargingState.CHARGING, plugged=True))
    assert planner.push_healthy()
    charging = car(T0 + HOUR, charging=ChargingState.CHARGING, plugged=True)
    assert plan(planner, T0 + HOUR, charging) == (T0 + SAFETY_INTERVAL, PlanReason.PUSH)
    # The safety read finds the car driven although no push said so: pushes are not trusted.
    planner.note_read(T0 + SAFETY_INTERVAL, car(T0 + 23 * HOUR, odometer=1200.0))
    assert not planner.push_healthy()
    assert plan(planner, T0 + SAFETY_INTERVAL, car(T0 + 23 * HOUR))[1] is PlanReason.PARKED
    # The next push restores them.
    planner.note_push(T0 + 25 * HOUR, car(T0 + 25 * HOUR, odometer=1200.0))
    assert planner.push_healthy()


def test_push_only_reads_once_a_day_and_custom_as_told() -> None:
    push_only = planner_for(PollingMode.PUSH_ONLY)
    push_only.note_read(T0, car(T0))
    assert plan(push_only, T0, car(T0)) == (T0 + SAFETY_INTERVAL, PlanReason.PUSH)
    custom = planner_for(PollingMode.CUSTOM, fixed_interval=timedelta(minutes=15))
    custom.note_read(T0, car(T0))
    assert plan(custom, T0, car(T0)) == (T0 + timedelta(minutes=15), PlanReason.FIXED)
    manual = planner_for(PollingMode.CUSTOM, fixed_interval=None)
    manual.note_command({Field.LOCKED: True}, T0)
    assert plan(manual, T0, car(T0)) == (None, PlanReason.MANUAL)


def test_a_command_is_confirmed_by_one_read_unless_a_push_does() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    sent = T0 + HOUR
    planner.note_command({Field.LOCKED: True}, sent)
    assert plan(planner, sent, car(T0)) == (sent + CONFIRM_WAIT, PlanReason.CONFIRMATION)
    # A read before the wait that does not show the result leaves it; the read after the
    # wait is the confirmation, whatever it shows.
    unlocked = car(sent - timedelta(minutes=5), locked=False)
    planner.note_read(sent + timedelta(seconds=30), unlocked)
    assert plan(planner, sent, unlocked)[1] is PlanReason.CONFIRMATION
    planner.note_read(sent + CONFIRM_WAIT, car(sent + CONFIRM_WAIT, locked=False))
    assert plan(planner, sent + CONFIRM_WAIT, unlocked)[1] is not PlanReason.CONFIRMATION
    # A read that shows the result, even early, is the confirmation.
    planner.note_command({Field.LOCKED: True}, sent + CONFIRM_WAIT)
    planner.note_read(sent + CONFIRM_WAIT, car(sent + CONFIRM_WAIT, locked=True))
    assert plan(planner, sent + CONFIRM_WAIT, unlocked)[1] is not PlanReason.CONFIRMATION

    # A push showing the expected value confirms it; one showing another value does not.
    planner.note_command({Field.LOCKED: True}, sent + HOUR)
    planner.note_push(sent + HOUR, car(sent + HOUR, locked=False))
    assert plan(planner, sent + HOUR, car(sent))[1] is PlanReason.CONFIRMATION
    planner.note_push(sent + HOUR, car(sent + HOUR - timedelta(minutes=1), locked=True))
    assert plan(planner, sent + HOUR, car(sent))[1] is PlanReason.CONFIRMATION
    planner.note_push(sent + HOUR, car(sent + HOUR - timedelta(seconds=1), locked=True))
    assert plan(planner, sent + HOUR, car(sent))[1] is not PlanReason.CONFIRMATION
    # A push that came before the command's answer confirms it at once.
    planner.note_push(sent + 2 * HOUR, car(sent + 2 * HOUR, locked=False))
    planner.note_command({Field.LOCKED: False}, sent + 2 * HOUR)
    assert plan(planner, sent + 2 * HOUR, car(sent))[1] is not PlanReason.CONFIRMATION


def test_the_profile_share_and_the_reserve_bound_the_month() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    # 300 calls (balanced's share of 500) spent: no more reads until the month ends.
    at, reason = plan(planner, T0, car(T0), budget=budget(used=300, reserved=20))
    assert reason is PlanReason.BUDGET_EXHAUSTED
    assert at == datetime(2026, 12, 1, tzinfo=UTC) + MONTH_ROLLOVER_GRACE
    # Custom is bounded by the allowance less the reserve (commands beyond it count too).
    custom = planner_for(PollingMode.CUSTOM, fixed_interval=timedelta(minutes=15))
    custom.note_read(T0, car(T0))
    assert plan(custom, T0, car(T0), budget=budget(used=439))[1] is PlanReason.FIXED
    assert plan(custom, T0, car(T0), budget=budget(used=440))[1] is PlanReason.BUDGET_EXHAUSTED
    assert plan(custom, T0, car(T0), budget=budget(used=420, reserved=80))[1] is PlanReason.FIXED
    assert plan(custom, T0, car(T0), budget=budget(used=500, reserved=80))[1] is (
        PlanReason.BUDGET_EXHAUSTED
    )
    # Seven calls a read: 296 of 300 spent leaves no read.
    assert plan(planner, T0, car(T0), budget=budget(used=296), calls_per_read=7)[1] is (
        PlanReason.BUDGET_EXHAUSTED
    )


def test_a_profile_ahead_of_its_pace_slows_down() -> None:
    planner = planner_for()
    now = T0  # half the month gone
    planner.note_read(now, car(now, charging=ChargingState.CHARGING, plugged=True))
    charging = car(now, charging=ChargingState.CHARGING, plugged=True)
    assert plan(planner, now, charging, budget=budget(used=150)) == (
        now + BALANCED.charging,
        PlanReason.CHARGING,
    )
    # 200 of 300 spent in half the month: the 100 left are spread over the rest.
    at, reason = plan(planner, now, charging, budget=budget(used=200))
    assert reason is PlanReason.PACING
    assert at == now + (datetime(2026, 12, 1, tzinfo=UTC) - now) / 100


def test_the_application_bucket_and_retry_after_delay_reads() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    bucket = AppBucket()
    for index in range(50):
        bucket.register(f"car-{index}")
    charging = car(T0, charging=ChargingState.CHARGING, plugged=True)
    planner.note_read(T0, charging)
    at, reason = plan(planner, T0, charging, bucket=bucket, budget=budget())
    assert reason is PlanReason.CHARGING  # 27 minutes of refill per round, 30 wanted
    responsive = planner_for(PollingMode.RESPONSIVE)
    responsive.note_read(T0, charging)
    at, reason = plan(responsive, T0, charging, bucket=bucket)
    assert reason is PlanReason.APP_RATE_LIMIT
    assert at == T0 + bucket.round_floor()
    # A confirmation only waits for the bucket itself.
    responsive.note_command({Field.LOCKED: True}, T0)
    assert plan(responsive, T0, charging, bucket=bucket)[1] is PlanReason.CONFIRMATION
    bucket.block(T0, 3600)
    assert plan(responsive, T0, charging, bucket=bucket) == (
        T0 + HOUR,
        PlanReason.APP_RATE_LIMIT,
    )
    # Retry-After from the vehicle's own limit wins, until a read succeeds.
    planner.note_failure(T0, transient=False, retry_after=7200, jitter=0.5)
    assert plan(planner, T0, charging) == (T0 + 2 * HOUR, PlanReason.RETRY_AFTER)
    planner.note_read(T0 + 2 * HOUR, car(T0 + 2 * HOUR))
    assert plan(planner, T0 + 2 * HOUR, car(T0 + 2 * HOUR))[1] is not PlanReason.RETRY_AFTER


def test_transient_failures_retry_within_minutes_and_never_too_soon() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    planner.note_failure(T0, transient=True, retry_after=None, jitter=0.5)
    planner.note_failure(T0, transient=True, retry_after=None, jitter=0.5)
    assert planner.failures == 2
    assert plan(planner, T0, car(T0)) == (T0 + timedelta(minutes=2), PlanReason.TRANSIENT_FAILURE)
    planner.note_failure(T0, transient=False, retry_after=None, jitter=0.5)
    assert planner.failures == 0
    # Nothing is planned in the past or right now.
    late = T0 + 30 * HOUR
    assert plan(planner, late, car(T0))[0] == late + MIN_GAP


def test_only_real_readings_date_a_retrieval() -> None:
    state = VehicleState.from_readings(
        {
            Field.LOCKED: Reading(True, T0 + HOUR, T0 + HOUR, optimistic=True),
            Field.ODOMETER: Reading(1.0, T0, T0),
            Field.BATTERY_LEVEL: Reading(50.0),
        }
    )
    assert latest_retrieval(state) == T0
    assert latest_retrieval(VehicleState()) is None


def test_store_rhythm_edges() -> None:
    rhythm = StoreRhythm()
    rhythm.missed(T0)  # nothing known: nothing to correct
    assert rhythm.after(T0, T0) is None
    assert rhythm.observe(T0, quiet=True)
    assert not rhythm.observe(T0, quiet=True)
    assert rhythm.observe(T0 + timedelta(minutes=2), quiet=True)  # too close for a period
    assert rhythm.period is None
    rhythm.observe(T0 + HOUR, quiet=True)
    # Long after the last retrieval the next refresh is counted from there.
    assert (
        rhythm.after(T0, T0 + 10 * HOUR) == T0 + 10 * HOUR + REFRESH_MARGIN + timedelta(minutes=2)
        or rhythm.after(T0, T0 + 10 * HOUR) > T0 + 10 * HOUR
    )


@pytest.mark.parametrize(
    "mode", [PollingMode.ECONOMY, PollingMode.BALANCED, PollingMode.RESPONSIVE]
)
def test_a_month_of_a_parked_car_keeps_calls_in_hand(mode: PollingMode) -> None:
    """Read a parked car whenever the planner says, with an hourly store: count the calls."""
    planner = planner_for(mode)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    month = CallBudget.start(now)
    while now < datetime(2026, 12, 1, tzinfo=UTC):
        retrieved = now.replace(minute=0, second=0, microsecond=0)
        month = month.record(1, now)
        assert not planner.note_read(now, car(retrieved))
        result = planner.plan(now, state=car(retrieved), budget=month, calls_per_read=1)
        assert result.at is not None
        now = result.at
    assert month.used <= RULES[mode].share * 500
    assert planner.wasted == 0


def test_edges_of_pushes_pacing_and_the_hour() -> None:
    planner = planner_for()
    planner.note_read(T0, car(T0))
    # A push without any time (a legacy delivery) still counts as a push.
    planner.note_push(T0, VehicleState.from_readings({Field.LOCKED: Reading(True)}))
    assert planner.push_healthy()
    # Ahead of pace, but the wanted read is later than the paced one anyway.
    early = datetime(2026, 11, 2, tzinfo=UTC)
    parked = planner_for()
    parked.note_read(early, car(early))
    assert plan(parked, early, car(early), budget=budget(used=50))[1] is PlanReason.PARKED
    # Waiting to charge, half an hour after the read falls exactly on the hour.
    waiting = planner_for()
    now = T0 + timedelta(minutes=30)
    waiting.note_read(now, car(now, plugged=True))
    assert plan(waiting, now, car(now, plugged=True)) == (
        T0 + HOUR + HABIT_MARGIN,
        PlanReason.WAITING,
    )


def test_a_first_read_that_had_to_wait_comes_as_soon_as_allowed() -> None:
    planner = planner_for()
    bucket = AppBucket()
    bucket.take(T0, 120)
    at, reason = plan(planner, T0, VehicleState(), bucket=bucket)
    assert reason is PlanReason.APP_RATE_LIMIT
    assert at == bucket.ready_at(T0)
    assert plan(planner, T0, VehicleState())[0] == T0 + MIN_GAP
