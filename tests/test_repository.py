"""What hassfest and the HACS action would check, run as tests on every change.

Each test reads the repository as it is: files that do not exist yet are not required, but
what exists must be consistent (manifest, hacs.json, translations, icons, services, brand images,
quality scale), so that drift fails the build.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
from PIL import Image
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "smartcar"
TRANSLATIONS = INTEGRATION / "translations"
LANGUAGES = ("en", "es", "fr")
MINIMUM_HA = "2026.3.0"

# hassfest's manifest schema for custom integrations (the keys we may use and their types).
MANIFEST_TYPES: dict[str, type | tuple[type, ...]] = {
    "domain": str,
    "name": str,
    "after_dependencies": list,
    "codeowners": list,
    "config_flow": bool,
    "dependencies": list,
    "documentation": str,
    "integration_type": str,
    "iot_class": str,
    "issue_tracker": str,
    "loggers": list,
    "quality_scale": str,
    "requirements": list,
    "single_config_entry": bool,
    "version": str,
}
MANIFEST_REQUIRED = {
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "dependencies",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "requirements",
    "version",
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
# The keys HACS' hacs.json schema knows (it rejects any other key).
HACS_KEYS: dict[str, type] = {
    "name": str,
    "content_in_root": bool,
    "zip_release": bool,
    "filename": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "hacs": str,
    "persistent_directory": str,
    "country": str,
    "render_readme": bool,
}
QUALITY_RULES = {
    # Bronze
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow-test-coverage",
    "config-flow",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-triggers",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices",
    "diagnostics",
    "discovery-update-info",
    "discovery",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    # Platinum
    "async-dependency",
    "inject-websession",
    "strict-typing",
}
ENTITY_PLATFORMS = {
    "binary_sensor",
    "button",
    "climate",
    "device_tracker",
    "lock",
    "number",
    "select",
    "sensor",
    "switch",
}


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """Flatten nested translation dictionaries into dotted keys."""
    if not isinstance(data, dict):
        return {prefix: data}
    flat: dict[str, str] = {}
    for key, value in data.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
    return flat


def _translations() -> dict[str, dict[str, Any]]:
    return {path.stem: _load_json(path) for path in sorted(TRANSLATIONS.glob("*.json"))}


def _python_sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in sorted(INTEGRATION.rglob("*.py"))
        if "api" not in path.relative_to(INTEGRATION).parts
    }


def _string_keyword_values(keyword: str) -> set[str]:
    """Return every string literal passed as `keyword=` in the integration's code."""
    found: set[str] = set()
    for source in _python_sources().values():
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.keyword)
                and node.arg == keyword
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
    return found


# --- manifest -------------------------------------------------------------------------------


def test_manifest_keys_order_and_types() -> None:
    """The manifest has the keys hassfest and HACS need, in hassfest's order, with their types."""
    manifest = _load_json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "after domain and name, keys are alphabetical"
    assert set(keys) >= MANIFEST_REQUIRED, f"missing: {MANIFEST_REQUIRED - set(keys)}"
    assert set(keys) <= set(MANIFEST_TYPES), f"unknown: {set(keys) - set(MANIFEST_TYPES)}"
    for key, value in manifest.items():
        assert isinstance(value, MANIFEST_TYPES[key]), key
    for key in ("codeowners", "dependencies", "loggers", "requirements"):
        assert all(isinstance(item, str) for item in manifest[key]), key


def test_manifest_values() -> None:
    """The manifest's values describe this integration."""
    manifest = _load_json(INTEGRATION / "manifest.json")
    assert manifest["domain"] == INTEGRATION.name == "smartcar"
    assert manifest["config_flow"] is True
    assert "application_credentials" in manifest["dependencies"]
    assert manifest["integration_type"] == "hub"
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["requirements"] == []
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert manifest["codeowners"]
    for key in ("documentation", "issue_tracker"):
        assert manifest[key].startswith("https://"), key
    version = AwesomeVersion(manifest["version"])
    assert version.valid
    assert version.strategy != "unknown"


# --- HACS -----------------------------------------------------------------------------------


def test_hacs_json() -> None:
    """hacs.json holds only keys HACS knows, and the minimum Home Assistant we test on."""
    hacs = _load_json(ROOT / "hacs.json")
    assert set(hacs) <= set(HACS_KEYS), f"unknown keys: {set(hacs) - set(HACS_KEYS)}"
    for key, value in hacs.items():
        assert isinstance(value, HACS_KEYS[key]), key
    assert hacs["name"]
    assert hacs["homeassistant"] == MINIMUM_HA
    if hacs.get("zip_release"):
        assert hacs.get("filename"), "zip_release needs filename"
    assert AwesomeVersion(ha_version) >= AwesomeVersion(hacs["homeassistant"])


def test_license_is_present() -> None:
    """HACS requires a licence GitHub can detect."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


# --- brand images -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("icon.png", (256, 256)),
        ("icon@2x.png", (512, 512)),
        ("dark_icon.png", (256, 256)),
        ("dark_icon@2x.png", (512, 512)),
    ],
)
def test_brand_icons(name: str, size: tuple[int, int]) -> None:
    """Icons are square PNGs of the documented size with transparency."""
    path = INTEGRATION / "brand" / name
    if not path.exists() and name.startswith("dark_"):
        pytest.skip("dark variants are optional")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == size
        assert image.mode == "RGBA"
        assert image.getchannel("A").getextrema()[0] == 0, "background is transparent"


@pytest.mark.parametrize(
    ("name", "shortest"),
    [
        ("logo.png", (128, 256)),
        ("logo@2x.png", (256, 512)),
        ("dark_logo.png", (128, 256)),
        ("dark_logo@2x.png", (256, 512)),
    ],
)
def test_brand_logos(name: str, shortest: tuple[int, int]) -> None:
    """Logos are trimmed PNGs whose shortest side is within the brands guidelines."""
    path = INTEGRATION / "brand" / name
    if not path.exists() and name != "logo.png":
        pytest.skip("optional variant")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert shortest[0] <= min(image.size) <= shortest[1]
        assert image.getbbox() == (0, 0, *image.size), "logo is trimmed"


# --- translations ---------------------------------------------------------------------------


def test_translation_languages_match() -> None:
    """English, Spanish and French exist together and have exactly the same keys and placeholders."""
    translations = _translations()
    if not translations:
        assert not _string_keyword_values("translation_key"), "code uses translations; add them"
        return
    assert set(translations) == set(LANGUAGES)
    english = _flatten(translations["en"])
    for language in LANGUAGES[1:]:
        other = _flatten(translations[language])
        assert set(other) == set(english), (
            f"{language}: missing {sorted(set(english) - set(other))}, "
            f"extra {sorted(set(other) - set(english))}"
        )
        for key, text in english.items():
            placeholders = set(re.findall(r"\{(\w+)\}", str(text)))
            assert set(re.findall(r"\{(\w+)\}", str(other[key]))) == placeholders, (
                f"{language}: {key} placeholders"
            )
            assert str(other[key]).strip(), f"{language}: {key} is empty"


def test_config_fields_are_described() -> None:
    """Every config, reconfigure and options field has a data_description (quality rule config-flow)."""
    translations = _translations()
    if not translations:
        pytest.skip("no translations yet")
    for section in ("config", "options"):
        for step_id, step in translations["en"].get(section, {}).get("step", {}).items():
            data = step.get("data", {})
            assert set(step.get("data_description", {})) == set(data), f"{section}.{step_id}"


def test_translation_keys_used_in_code_exist() -> None:
    """Every translation_key and abort reason written in the code has English text."""
    translations = _translations()
    if not translations:
        assert not _string_keyword_values("translation_key")
        return
    english = translations["en"]
    known: set[str] = (
        set(english.get("exceptions", {}))
        | set(english.get("issues", {}))
        | set(english.get("selector", {}))
        | _nameless_entity_keys()
    )
    for platform in english.get("entity", {}).values():
        known |= set(platform)
    missing = _string_keyword_values("translation_key") - known
    assert not missing, f"translation keys without text: {sorted(missing)}"
    aborts = set(english.get("config", {}).get("abort", {})) | set(
        english.get("options", {}).get("abort", {})
    )
    missing_aborts = _string_keyword_values("reason") - aborts
    assert not missing_aborts, f"abort reasons without text: {sorted(missing_aborts)}"


def _nameless_entity_keys() -> set[str]:
    """Translation keys of entities that take their device's name (`_attr_name = None`).

    Such a key only selects icons: a translated name would override the device's name (the
    lock is named after its car, so that "lock <car>" works in Assist). It must have icons,
    and its platform's entity class must set `_attr_name = None`.
    """
    path = INTEGRATION / "icons.json"
    if not path.exists():
        return set()
    icon_keys = {
        key for entities in _load_json(path).get("entity", {}).values() for key in entities
    }
    nameless: set[str] = set()
    for source in _python_sources().values():
        tree = ast.parse(source)
        takes_device_name = any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_attr_name" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and node.value.value is None
            for node in ast.walk(tree)
        )
        if not takes_device_name:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "translation_key"
                and isinstance(node.value, ast.Constant)
                and node.value.value in icon_keys
            ):
                nameless.add(node.value.value)
    return nameless


# --- icons and services -----------------------------------------------------------------------


def test_icons_match_entity_translations() -> None:
    """icons.json names only entities that have translations, with mdi icons."""
    path = INTEGRATION / "icons.json"
    if not path.exists():
        pytest.skip("no icons.json yet")
    icons = _load_json(path)
    english = _translations().get("en", {})
    for platform, entities in icons.get("entity", {}).items():
        assert platform in ENTITY_PLATFORMS, platform
        translated = set(english.get("entity", {}).get(platform, {})) | _nameless_entity_keys()
        assert set(entities) <= translated, (
            f"{platform}: icons without translation {sorted(set(entities) - translated)}"
        )
        for key, icon in entities.items():
            assert icon.get("default", "").startswith("mdi:"), f"{platform}.{key}"
            for state_icon in icon.get("state", {}).values():
                assert state_icon.startswith("mdi:"), f"{platform}.{key}"
    services = icons.get("services", {})
    declared = _declared_services()
    assert set(services) <= declared, f"icons for unknown services {set(services) - declared}"


def _declared_services() -> set[str]:
    path = INTEGRATION / "services.yaml"
    if not path.exists():
        return set()
    return set(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def _registered_services() -> set[str]:
    """Service names the code registers with a literal name."""
    registered: set[str] = set()
    for source in _python_sources().values():
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in {"async_register", "register"}
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "services"
                and len(node.args) >= 2
            ):
                arg = node.args[1]
            elif name in {
                "async_register_entity_service",
                "async_register_platform_entity_service",
                "register_entity_service",
            }:
                arg = (
                    node.args[1]
                    if name == "async_register_platform_entity_service"
                    else node.args[0]
                )
            else:
                continue
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                registered.add(arg.value)
            elif isinstance(arg, ast.Name):
                registered.add(_resolve_constant(arg.id))
    return registered


def _resolve_constant(name: str) -> str:
    """Resolve a module-level string constant used as a service name."""
    for source in _python_sources().values():
        for node in ast.parse(source).body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                return str(node.value.value)
    return name


def test_services_match_registered_actions() -> None:
    """services.yaml describes exactly the actions the code registers, each translated."""
    declared = _declared_services()
    registered = _registered_services()
    assert declared == registered, f"services.yaml {sorted(declared)} vs code {sorted(registered)}"
    if not declared:
        return
    english = _translations().get("en", {}).get("services", {})
    spec = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    for service in declared:
        assert english.get(service, {}).get("name"), f"services.{service}.name"
        assert english[service].get("description"), f"services.{service}.description"
        for field in (spec.get(service) or {}).get("fields", {}):
            assert english[service].get("fields", {}).get(field, {}).get("name"), (
                f"services.{service}.fields.{field}"
            )


# --- quality scale ----------------------------------------------------------------------------


def test_quality_scale() -> None:
    """quality_scale.yaml lists every rule once: done, todo, or exempt with a reason."""
    path = INTEGRATION / "quality_scale.yaml"
    if not path.exists():
        pytest.skip("no quality_scale.yaml yet")
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    assert set(rules) >= QUALITY_RULES, f"missing rules: {sorted(QUALITY_RULES - set(rules))}"
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, rule
        if status == "exempt":
            assert isinstance(value, dict), rule
            assert value.get("comment"), f"{rule}: exempt needs a comment"
