"""The automation blueprints: Home Assistant's own blueprint schema, their inputs, the README.

Each blueprint is loaded the way Home Assistant loads an imported one (from
``<config>/blueprints/automation/<author>/``, through the automation integration's blueprint
schema), its inputs are checked, and an automation made from it with only the cars chosen must
pass Home Assistant's automation validation. The README must offer each one with a
my.home-assistant.io import badge pointing at the file on GitHub, and describe every input in
English, Spanish and French. What the blueprints do is shown against the simulator in
``tests/e2e/test_e2e_blueprints.py`` and ``tests/test_blueprint_behaviour.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import shutil
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint import importer
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import pytest

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "smartcar"
README = (ROOT / "README.md").read_text(encoding="utf-8")
REPOSITORY = json.loads(
    (ROOT / "custom_components" / "smartcar" / "manifest.json").read_text(encoding="utf-8")
)["documentation"]
GITHUB = f"{REPOSITORY}/blob/main/blueprints/automation/smartcar/"
#: Each blueprint's car input: its name, the entities' domain and device class, an example.
CARS: dict[str, tuple[str, str, str | None, str]] = {
    "lock_left_unlocked": ("locks", "lock", None, "lock.volkswagen_id_4"),
    "plug_in_reminder": ("batteries", "sensor", "battery", "sensor.volkswagen_id_4_battery"),
    "charge_when_cheap_or_sunny": ("switches", "switch", None, "switch.volkswagen_id_4_charging"),
    "charging_finished_or_interrupted": (
        "charging_states",
        "sensor",
        "enum",
        "sensor.volkswagen_id_4_charging_state",
    ),
}
NAMES = sorted(CARS)


def _inputs(name: str) -> dict[str, dict[str, Any]]:
    data = load_yaml(BLUEPRINTS / f"{name}.yaml")
    assert isinstance(data, dict)
    inputs: dict[str, dict[str, Any]] = data["blueprint"]["input"]
    return inputs


def test_the_blueprints_in_the_folder() -> None:
    """The folder holds these four blueprints and nothing else."""
    assert sorted(path.name for path in BLUEPRINTS.iterdir()) == [f"{name}.yaml" for name in NAMES]


def _copy(name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINTS / f"{name}.yaml", folder)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of the test's own, for the imported blueprints."""
    return hass_tmp_config_dir


@pytest.mark.parametrize("name", NAMES)
async def test_valid_for_home_assistant(hass: HomeAssistant, name: str) -> None:
    """Home Assistant's automation blueprint schema accepts it, and so the automation."""
    assert await async_setup_component(hass, "automation", {})
    # Where importing the GitHub URL puts it: <config>/blueprints/automation/ha-smartcar/.
    folder = Path(hass.config.path("blueprints", "automation", "ha-smartcar"))
    await hass.async_add_executor_job(_copy, name, folder)

    blueprint = await async_get_blueprints(hass).async_get_blueprint(f"ha-smartcar/{name}.yaml")

    assert blueprint.domain == "automation"
    assert blueprint.metadata["source_url"] == f"{GITHUB}{name}.yaml"
    assert blueprint.metadata["homeassistant"]["min_version"] == "2026.3.0"
    assert blueprint.validate() is None
    car, domain, device_class, example = CARS[name]
    inputs: dict[str, Any] = blueprint.inputs
    assert "default" not in inputs[car]
    entity = inputs[car]["selector"]["entity"]
    assert entity["multiple"] is True
    # As Home Assistant's selector schema normalises it.
    wanted: dict[str, Any] = {"integration": "smartcar", "domain": [domain]}
    if device_class:
        wanted["device_class"] = [device_class]
    assert entity["filter"] == [wanted]
    for key, spec in inputs.items():
        assert spec["name"], key
        assert spec["description"], key
        if key == car:
            continue
        assert "default" in spec, key
        if spec["default"] == "" and "entity" in spec["selector"]:
            continue  # an optional entity left empty
        selector.selector(spec["selector"])(spec["default"])

    config = await async_validate_config_item(
        hass,
        "smartcar_test",
        {
            "id": "smartcar_test",
            "alias": name,
            "use_blueprint": {"path": f"ha-smartcar/{name}.yaml", "input": {car: [example]}},
        },
    )
    assert config is not None
    assert config["triggers"]


def test_repository_is_the_documented_one() -> None:
    """The blueprints' GitHub address is the repository the manifest and README name."""
    assert REPOSITORY == "https://github.com/ha-smartcar/smartcar"
    assert f"Add `{REPOSITORY}` with the type **Integration**" in README


@pytest.mark.parametrize("name", NAMES)
def test_readme_badge_imports_the_file(name: str) -> None:
    """The badge opens Home Assistant's import dialog with the file's GitHub address."""
    url = f"{GITHUB}{name}.yaml"
    link = (
        "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="
        f"{quote(url, safe='')}"
    )
    assert f"(https://my.home-assistant.io/badges/blueprint_import.svg)]({link})" in README
    # What Home Assistant's importer then downloads is this very file.
    raw = importer._get_github_import_url(url)
    assert raw == (
        "https://raw.githubusercontent.com/ha-smartcar/smartcar/main/"
        f"blueprints/automation/smartcar/{name}.yaml"
    )


def _readme_section(name: str) -> str:
    """The README text from the blueprint's badge to the next heading."""
    start = README.index(quote(f"{GITHUB}{name}.yaml", safe=""))
    end = re.compile(r"^#{2,3} ", re.MULTILINE).search(README, start)
    assert end is not None
    return README[start : end.start()]


@pytest.mark.parametrize("name", NAMES)
def test_readme_describes_every_input_in_three_languages(name: str) -> None:
    """One table row per input: its name, default, and English, Spanish and French text."""
    section = _readme_section(name)
    assert "| Input | Default | English | Español | Français |" in section
    rows = {
        cells[0]: cells[1:]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
        for cells in [[cell.strip() for cell in line.strip("|").split(" | ")]]
    }
    for spec in _inputs(name).values():
        cells = rows[spec["name"]]
        assert len(cells) == 4, spec["name"]
        assert all(cells), spec["name"]
    assert len(rows) == len(_inputs(name)) + 1  # and the header
