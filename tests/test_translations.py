"""Every translation key the code uses exists, in English, Spanish and French alike."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.smartcar.binary_sensor import BINARY_SENSORS
from custom_components.smartcar.config_flow import CONNECT_ERRORS
from custom_components.smartcar.const import OPTIONAL_PERMISSIONS
from custom_components.smartcar.device_tracker import TRACKERS
from custom_components.smartcar.lock import LOCKS
from custom_components.smartcar.number import NUMBERS
from custom_components.smartcar.polling import PollingMode
from custom_components.smartcar.sensor import CHARGING_STATES, SENSORS
from custom_components.smartcar.switch import SWITCHES

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "smartcar"
LANGUAGES = ("en", "es", "fr")


def _load(language: str) -> dict[str, Any]:
    return json.loads((INTEGRATION / "translations" / f"{language}.json").read_text("utf-8"))


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def _translation_keys_in_code() -> set[str]:
    """Every ``translation_key="..."`` passed to an exception, issue or update failure."""
    keys: set[str] = set()
    for path in INTEGRATION.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "translation_key"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                keys.add(node.value.value)
    return keys


@pytest.mark.parametrize("language", ["es", "fr"])
def test_languages_have_the_same_keys_and_placeholders(language: str) -> None:
    """Spanish and French translate every string, keeping the placeholders."""
    english = _flatten(_load("en"))
    other = _flatten(_load(language))
    assert set(other) == set(english)
    for key, text in english.items():
        assert set(re.findall(r"\{(\w+)\}", other[key])) == set(re.findall(r"\{(\w+)\}", text))
        assert other[key] != text or key.endswith(("application_id", "implementation")), key


def test_every_key_the_code_uses_is_translated() -> None:
    """Exceptions, issues, entities, selectors and abort reasons all have English text."""
    english = _load("en")
    exceptions = set(english["exceptions"])
    issues = set(english["issues"])
    code_keys = _translation_keys_in_code()
    entity_keys = {key for key in code_keys if key not in exceptions | issues}
    assert code_keys - entity_keys - exceptions - issues == set()
    # Dynamic exception keys: one per VEHICLE_STATE family.
    from custom_components.smartcar.helpers import VEHICLE_STATE_KEYS as _VEHICLE_STATE_KEYS

    assert set(_VEHICLE_STATE_KEYS.values()) | {"vehicle_state_unknown"} <= exceptions
    for key in ("update_failed", "update_billing", "update_rate_limited", "update_timeout"):
        assert key in exceptions

    for platform, descriptions in (
        ("binary_sensor", BINARY_SENSORS),
        ("device_tracker", TRACKERS),
        ("number", NUMBERS),
        ("sensor", SENSORS),
        ("switch", SWITCHES),
    ):
        for description in descriptions:
            if description.translation_key is not None:
                assert "name" in english["entity"][platform][description.translation_key]
    assert all(description.name is None for description in LOCKS)
    assert set(english["entity"]["sensor"]["charging_state"]["state"]) == set(CHARGING_STATES)

    abort = english["config"]["abort"]
    assert CONNECT_ERRORS | {"connect_error", "no_vehicles", "invalid_credentials"} <= set(abort)
    selectors = english["selector"]
    assert set(selectors["permissions"]["options"]) == {str(p) for p in OPTIONAL_PERMISSIONS}
    assert set(selectors["polling_mode"]["options"]) == {str(mode) for mode in PollingMode}


def test_icons_cover_every_translated_entity() -> None:
    """Icons come from icons.json for every entity with a translation key."""
    icons = json.loads((INTEGRATION / "icons.json").read_text("utf-8"))["entity"]
    for platform, descriptions in (
        ("binary_sensor", BINARY_SENSORS),
        ("device_tracker", TRACKERS),
        ("lock", LOCKS),
        ("number", NUMBERS),
        ("sensor", SENSORS),
        ("switch", SWITCHES),
    ):
        for description in descriptions:
            if description.translation_key is not None:
                assert "default" in icons[platform][description.translation_key]
