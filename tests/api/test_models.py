"""The domain model, the origins, the scope tables and the lenient conversions."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from custom_components.smartcar.api import (
    COMMAND_PERMISSIONS,
    FIELD_PERMISSIONS,
    USER_AGENT,
    V2_FIELD_PATHS,
    V3_FIELDS,
    V3_SIGNAL_FIELDS,
    ChargingState,
    Command,
    Field,
    Origins,
    Reading,
    SmartcarError,
    VehicleState,
    _convert,
)

API = Path(__file__).resolve().parents[2] / "custom_components" / "smartcar" / "api"


def test_library_never_imports_homeassistant() -> None:
    for path in API.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "homeassistant" for name in names), path


def test_user_agent_names_the_library() -> None:
    assert USER_AGENT.startswith("smartcar-home-assistant/")
    assert "aiohttp/" in USER_AGENT


def test_field_values_are_attribute_names() -> None:
    state = VehicleState()
    for item in Field:
        assert hasattr(state, item.value)
        assert state.get(item) is None
    assert set(FIELD_PERMISSIONS) == set(Field)
    assert set(COMMAND_PERMISSIONS) == set(Command)
    assert COMMAND_PERMISSIONS[Command.LOCK] == "control_security"
    assert COMMAND_PERMISSIONS[Command.SET_CHARGE_LIMIT] == "control_charge"
    assert frozenset(Field) == V3_FIELDS
    assert set(V2_FIELD_PATHS) < set(Field)
    assert all(code == code.lower() for code in V3_SIGNAL_FIELDS)


def test_state_get_readings_and_merge() -> None:
    old_time = datetime(2025, 1, 1, tzinfo=UTC)
    new_time = datetime(2025, 1, 2, tzinfo=UTC)
    old = VehicleState(
        battery_level=Reading(50.0, old_time),
        locked=Reading(True, old_time),
        errors={Field.ODOMETER: SmartcarError("old")},
    )
    newer = VehicleState(
        battery_level=Reading(55.0, new_time),
        charging_state=Reading(ChargingState.CHARGING, new_time),
        errors={Field.LOCKED: SmartcarError("new")},
    )
    merged = old.merged(newer)
    assert merged.battery_level == Reading(55.0, new_time)
    assert merged.locked == Reading(True, old_time)
    assert merged.charging_state == Reading(ChargingState.CHARGING, new_time)
    assert set(merged.errors) == {Field.LOCKED}
    assert dict(merged.readings()) == {
        Field.BATTERY_LEVEL: Reading(55.0, new_time),
        Field.CHARGING_STATE: Reading(ChargingState.CHARGING, new_time),
        Field.LOCKED: Reading(True, old_time),
    }
    assert merged.get(Field.LOCKED) == Reading(True, old_time)
    built = VehicleState.from_readings({Field.ODOMETER: Reading(1.0)})
    assert built.odometer == Reading(1.0)
    assert built.errors == {}


def test_origins_defaults_and_helpers() -> None:
    origins = Origins()
    assert origins.authorize_url == "https://connect.smartcar.com/oauth/authorize"
    assert origins.v2_base == "https://api.smartcar.com/v2.0"
    assert origins.management_v2_base == "https://management.smartcar.com/v2.0"
    assert origins.v3_base == "https://vehicle.api.smartcar.com/v3"
    assert origins.iam_token_url == "https://iam.smartcar.com/oauth2/token"
    assert origins.auth_token_url == "https://auth.smartcar.com/oauth/token"
    assert origins.management_v3_base == "https://management.api.smartcar.com/v3"
    assert Origins.from_env({}) == origins


def test_origins_from_env_points_everything_at_one_server() -> None:
    local = "http://127.0.0.1:8123"
    env = {
        "SMARTCAR_API_ORIGIN": local + "/",
        "SMARTCAR_AUTH_ORIGIN": f"{local}/oauth/token",
        "SMARTCAR_CONNECT_ORIGIN": local,
        "SMARTCAR_MANAGEMENT_API_ORIGIN": local,
        "SMARTCAR_VEHICLE_API_V3_ORIGIN": local,
        "SMARTCAR_IAM_ORIGIN": local,
        "SMARTCAR_MANAGEMENT_API_V3_ORIGIN": local,
        "UNRELATED": "x",
    }
    origins = Origins.from_env(env)
    assert origins.v2_base == f"{local}/v2.0"
    assert origins.auth_token_url == f"{local}/oauth/token"
    assert origins.authorize_url == f"{local}/oauth/authorize"
    assert origins.management_v2_base == f"{local}/v2.0"
    assert origins.v3_base == f"{local}/v3"
    assert origins.iam_token_url == f"{local}/oauth2/token"
    assert origins.management_v3_base == f"{local}/v3"
    # The SDK's management variable is the v2 host only; v3 keeps Smartcar's own.
    v2_only = Origins.from_env({"SMARTCAR_MANAGEMENT_API_ORIGIN": local})
    assert v2_only.management_v3_base == "https://management.api.smartcar.com/v3"
    partial = Origins.from_env({"SMARTCAR_IAM_ORIGIN": "  ", "SMARTCAR_API_ORIGIN": local})
    assert partial.iam == "https://iam.smartcar.com"
    assert partial.api == local


def test_origins_from_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTCAR_VEHICLE_API_V3_ORIGIN", "http://127.0.0.1:1")
    assert Origins.from_env().v3_base == "http://127.0.0.1:1/v3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), ("2.5", 2.5), (" 3 ", 3.0), (True, None), ("x", None), (None, None), ([], None)],
)
def test_number(value: object, expected: float | None) -> None:
    assert _convert.number(value) == expected


def test_number_rejects_non_finite() -> None:
    assert _convert.number(float("inf")) is None
    assert _convert.number("nan") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("TRUE", True), ("off", False), ("0", False), ("maybe", None), (1, None)],
)
def test_boolean(value: object, expected: bool | None) -> None:
    assert _convert.boolean(value) is expected


def test_percent_scales() -> None:
    assert _convert.fraction_to_percent(0.8) == pytest.approx(80)
    assert _convert.fraction_to_percent(1) == 100
    assert _convert.fraction_to_percent(80) == 80
    assert _convert.fraction_to_percent(None) is None
    assert _convert.percent(75, "percent") == 75
    assert _convert.percent(0.75, "percentage") == 75
    assert _convert.percent(1, "fraction") == 100
    assert _convert.percent(0, None) == 0
    assert _convert.percent(1, None) == 1
    assert _convert.percent("x") is None


def test_units() -> None:
    assert _convert.distance_km(100, "miles") == pytest.approx(160.9344)
    assert _convert.distance_km(1500, "m") == 1.5
    assert _convert.distance_km(10, "KM") == 10
    assert _convert.distance_km(10, 5) == 10
    assert _convert.distance_km(None) is None
    assert _convert.volume_liters(1, "gallons") == pytest.approx(3.785411784)
    assert _convert.volume_liters(1, "liters") == 1
    assert _convert.volume_liters(None) is None
    assert _convert.pressure_kpa(2.5, "bar") == 250
    assert _convert.pressure_kpa(1, "psi") == pytest.approx(6.894757)
    assert _convert.pressure_kpa(230, "kPa") == 230
    assert _convert.pressure_kpa(None) is None
    # v3 tyres (§4.0 item 9): the unit when sent; without one, below 10 is bar, else kPa.
    assert _convert.tire_pressure_kpa(2.4) == pytest.approx(240)
    assert _convert.tire_pressure_kpa(9.9, "") == pytest.approx(990)
    assert _convert.tire_pressure_kpa(10) == 10
    assert _convert.tire_pressure_kpa(245) == 245
    assert _convert.tire_pressure_kpa(2.4, "bar") == pytest.approx(240)
    assert _convert.tire_pressure_kpa(36, "psi") == pytest.approx(248.2112626)
    assert _convert.tire_pressure_kpa(5, "kPa") == 5
    assert _convert.tire_pressure_kpa("x") is None
    assert _convert.power_kw(7400, "watts") == 7.4
    assert _convert.power_kw(7.4, "kW") == 7.4
    assert _convert.power_kw(None) is None
    assert _convert.duration_minutes(120, "seconds") == 2
    assert _convert.duration_minutes(2, "hours") == 120
    assert _convert.duration_minutes(5) == 5
    assert _convert.duration_minutes(None) is None


def test_timestamps() -> None:
    expected = datetime(2025, 7, 9, 23, 36, 58, 549000, tzinfo=UTC)
    assert _convert.timestamp(1752104218549) == expected
    assert _convert.timestamp(1752104218) == expected.replace(microsecond=0)
    assert _convert.timestamp("1752104218549") == expected
    assert _convert.timestamp("2025-05-09T15:40:57.000Z") == datetime(
        2025, 5, 9, 15, 40, 57, tzinfo=UTC
    )
    assert _convert.timestamp("2025-05-09T17:40:57+02:00") == datetime(
        2025, 5, 9, 15, 40, 57, tzinfo=UTC
    )
    assert _convert.timestamp("2025-05-09T15:40:57") == datetime(2025, 5, 9, 15, 40, 57, tzinfo=UTC)
    assert _convert.timestamp("") is None
    assert _convert.timestamp("yesterday") is None
    assert _convert.timestamp(None) is None
    assert _convert.timestamp(1e300) is None
