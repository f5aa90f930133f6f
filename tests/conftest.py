"""Shared fixtures for the Smartcar tests."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import PropertyMock, patch

from aiohttp import ClientSession
from homeassistant.components.application_credentials import (
    DOMAIN as APPLICATION_CREDENTIALS_DOMAIN,
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.const import Platform
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.extensions.amber import AmberSnapshotExtension
from yarl import URL

from custom_components.smartcar.const import DOMAIN
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion
    from syrupy.location import PyTestLocation

    from tests.simulator.simulator import RunningSimulator, Simulator

pytest_plugins = ["tests.simulator.fixtures"]

REDIRECT_URI = "https://example.com/auth/external/callback"

ALL_PERMISSIONS = (
    "read_vehicle_info",
    "read_vin",
    "read_battery",
    "read_charge",
    "read_security",
    "read_location",
    "read_odometer",
    "read_fuel",
    "read_tires",
    "read_engine_oil",
    "control_charge",
    "control_security",
)


def pytest_configure(config: pytest.Config) -> None:
    """Tolerate a warning Home Assistant's own HTTP server raises with newer aiohttp."""
    # homeassistant/components/http/server.py stores the app under a plain string key; with
    # `filterwarnings = error` that would fail every test that loads `http`.
    config.addinivalue_line(
        "filterwarnings", "ignore:It is recommended to use web.AppKey instances for keys"
    )
    config.addinivalue_line(
        "filterwarnings", "ignore:It is recommended to use web.RequestKey instances for keys"
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load the integration from custom_components in every test that runs Home Assistant.

    Tests without ``hass`` (the client library's, the simulator's) are left alone.
    """
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


class SmartcarSnapshotExtension(AmberSnapshotExtension):
    """Amber snapshots in ``tests/snapshots``, the same with syrupy 5 and 6.

    The Home Assistant test plugin's extension is not applied with the newest syrupy, so the
    directory (and the serialiser) would differ between the two supported releases.
    """

    snapshot_dirname = "snapshots"

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Keep snapshot files in ``snapshots`` beside the tests."""
        return str(Path(test_location.filepath).parent / "snapshots")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Syrupy's snapshot, stored in ``tests/snapshots`` whatever the syrupy version."""
    return snapshot.use_extension(SmartcarSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create every entity enabled, also those disabled by default (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def origin(
    socket_enabled: None, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Point every Smartcar origin at the simulator, as the official SDK's variables do.

    Sockets stay limited to 127.0.0.1 (Home Assistant's test plugin); ``socket_enabled`` lets
    the simulator bind its loopback port.
    """
    for variable in (
        "SMARTCAR_API_ORIGIN",
        "SMARTCAR_CONNECT_ORIGIN",
        "SMARTCAR_MANAGEMENT_API_ORIGIN",
        "SMARTCAR_VEHICLE_API_V3_ORIGIN",
        "SMARTCAR_IAM_ORIGIN",
        "SMARTCAR_MANAGEMENT_API_V3_ORIGIN",
    ):
        monkeypatch.setenv(variable, simulator.origin)
    monkeypatch.setenv("SMARTCAR_AUTH_ORIGIN", f"{simulator.origin}/oauth/token")
    return simulator.origin


@pytest.fixture
def sim(origin: str, simulator: RunningSimulator) -> Simulator:
    """The simulated Smartcar, with the integration pointed at it."""
    return simulator.simulator


async def _import_credential(hass: HomeAssistant, client_id: str, secret: str) -> None:
    assert await async_setup_component(hass, APPLICATION_CREDENTIALS_DOMAIN, {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(client_id, secret, "Smartcar app"), DOMAIN
    )


@pytest.fixture
async def v2_credentials(hass: HomeAssistant) -> None:
    """The simulated app's v2 client ID and secret as application credentials."""
    await _import_credential(hass, sim_const.APPLICATION_ID, sim_const.CLIENT_SECRET)


@pytest.fixture
async def v3_credentials(hass: HomeAssistant) -> None:
    """The simulated app's v3 API client ID and secret as application credentials."""
    await _import_credential(hass, sim_const.API_CLIENT_ID, sim_const.API_CLIENT_SECRET)


def _entry(
    sim: Simulator,
    api_version: str,
    *,
    vehicle_ids: Iterable[str] | None,
    permissions: Iterable[str],
    email: str,
    options: dict[str, Any] | None,
) -> MockConfigEntry:
    """An entry for ``email``'s cars after the simulator approved Connect for them.

    v2 holds the user's access and refresh tokens; v3 an application token and the
    Application ID.
    """
    tokens = sim.connect_account(
        email,
        vehicle_ids=None if vehicle_ids is None else list(vehicle_ids),
        permissions=list(permissions),
    )
    if api_version == "2.0":
        token = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}
        lifetime = 7200
        extra: dict[str, Any] = {}
    else:
        token = {"access_token": sim.app_token()}
        lifetime = 3600
        extra = {"application_id": sim_const.APPLICATION_ID}
    return MockConfigEntry(
        domain=DOMAIN,
        version=3,
        minor_version=1,
        title="Smartcar",
        unique_id=tokens.user_id,
        data={
            "auth_implementation": DOMAIN,
            "token": {
                **token,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "expires_at": time.time() + lifetime,
            },
            "api_version": api_version,
            "user_id": tokens.user_id,
            "permissions": list(permissions),
            "mode": "live",
            **extra,
            "consent": "consent-1",
        },
        options=options or {},
    )


def v2_entry(
    sim: Simulator,
    *,
    vehicle_ids: Iterable[str] | None = None,
    permissions: Iterable[str] = ALL_PERMISSIONS,
    email: str = sim_const.DEMO_USER_EMAIL,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A v2 entry whose tokens the simulator issued for ``vehicle_ids``."""
    return _entry(
        sim, "2.0", vehicle_ids=vehicle_ids, permissions=permissions, email=email, options=options
    )


def v3_entry(
    sim: Simulator,
    *,
    vehicle_ids: Iterable[str] | None = None,
    permissions: Iterable[str] = ALL_PERMISSIONS,
    email: str = sim_const.DEMO_USER_EMAIL,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A v3 entry: the user's connections exist and the entry holds an application token."""
    return _entry(
        sim, "3", vehicle_ids=vehicle_ids, permissions=permissions, email=email, options=options
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add an entry and set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def consent(
    authorize_url: str,
    *,
    email: str = sim_const.DEMO_USER_EMAIL,
    vehicle_ids: Iterable[str] | None = None,
    action: str = "approve",
) -> URL:
    """Fill in the simulator's Connect page as a user would; return where it redirects."""
    form: list[tuple[str, str]] = [("email", email), ("action", action)]
    form += [("vehicle_id", vehicle_id) for vehicle_id in vehicle_ids or ()]
    async with (
        ClientSession() as session,
        session.post(authorize_url, data=form, allow_redirects=False) as response,
    ):
        assert response.status == 302, await response.text()
        return URL(response.headers["Location"])


def vehicle_device(
    device_registry: dr.DeviceRegistry, entry_id: str, vehicle_id: str
) -> dr.DeviceEntry | None:
    """The device of a vehicle (looked up in a way both supported releases allow)."""
    for device in dr.async_entries_for_config_entry(device_registry, entry_id):
        if (DOMAIN, vehicle_id) in device.identifiers:
            return device
    return None


def requests_to(sim: Simulator, path_part: str, method: str | None = None) -> list[Any]:
    """The simulator's logged requests whose path contains ``path_part``."""
    return [
        entry
        for entry in sim.request_log
        if path_part in entry.path and (method is None or entry.method == method)
    ]


async def setup_platform(hass: HomeAssistant, entry: MockConfigEntry, platform: str) -> None:
    """Set up an entry with one platform only (entity snapshots take one at a time)."""
    with patch("custom_components.smartcar.PLATFORMS", [Platform(platform)]):
        await setup_entry(hass, entry)


#: State attributes Home Assistant itself adds in newer releases only.
_RELEASE_DEPENDENT_ATTRIBUTES = frozenset({"in_zones", "tracking_type"})


def entity_snapshot(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, entry_id: str
) -> dict[str, dict[str, Any]]:
    """The entities of an entry as plain data, stable across Home Assistant releases.

    ``snapshot_platform`` serialises registry entries as a whole, and their fields (and the
    test plugin's serialiser) differ between the oldest and newest supported releases, so the
    snapshots keep what this integration decides: ids, names, classes, units, categories,
    states and attributes.
    """
    result: dict[str, dict[str, Any]] = {}
    for entry in sorted(
        er.async_entries_for_config_entry(entity_registry, entry_id),
        key=lambda item: item.entity_id,
    ):
        state = hass.states.get(entry.entity_id)
        result[entry.entity_id] = {
            "unique_id": entry.unique_id,
            "translation_key": entry.translation_key,
            "original_name": entry.original_name,
            "device_class": _plain(entry.original_device_class),
            "unit_of_measurement": _plain(entry.unit_of_measurement),
            "entity_category": _plain(entry.entity_category),
            "disabled_by": _plain(entry.disabled_by),
            "capabilities": _plain(
                {
                    key: value
                    for key, value in (entry.capabilities or {}).items()
                    if key not in _RELEASE_DEPENDENT_ATTRIBUTES
                }
            ),
            "state": None if state is None else state.state,
            "attributes": None
            if state is None
            else _plain(
                {
                    key: value
                    for key, value in state.attributes.items()
                    if key not in _RELEASE_DEPENDENT_ATTRIBUTES
                }
            ),
        }
    return result


def _plain(value: Any) -> Any:
    """Enums and nested containers as plain, sorted JSON-like data."""
    if isinstance(value, dict):
        return {str(_plain(key)): _plain(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple, set)):
        return [_plain(item) for item in value]
    if isinstance(value, StrEnum):
        return str(value)
    return value
