"""Setting up, reloading and removing entries against the simulated Smartcar."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.helpers import (
    config_entry_oauth2_flow,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smartcar.api import (
    SmartcarAuthenticationError,
    SmartcarConnectionError,
    SmartcarOAuthError,
    SmartcarServerError,
    SmartcarTimeoutError,
)
from custom_components.smartcar.const import DOMAIN
from tests.conftest import requests_to, setup_entry, v2_entry, v3_entry, vehicle_device
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

    from tests.simulator.simulator import Simulator


def _reauth_flows(hass: HomeAssistant) -> list[object]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


@pytest.mark.freeze_time("2026-11-16T12:00:00+00:00")
@pytest.mark.usefixtures("v2_credentials")
async def test_v2_setup_and_unload(hass: HomeAssistant, sim: Simulator) -> None:
    """A v2 entry loads its vehicles, warns about v2's end, and unloads cleanly."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[sim_const.BEV_VEHICLE_ID]))
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("lock.volkswagen_id_4").state == "locked"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"v2_shutdown_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"title": "Smartcar", "date": "2026-12-01"}
    assert issue.severity is ir.IssueSeverity.WARNING
    # It leads to the way out that keeps everything: Reconfigure with v3 credentials.
    assert issue.learn_more_url is not None
    assert issue.learn_more_url.endswith("#moving-from-api-v2-to-v3")

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


@pytest.mark.freeze_time("2026-12-02T08:00:00+00:00")
@pytest.mark.usefixtures("v2_credentials")
async def test_v2_issue_is_an_error_once_v2_is_off(hass: HomeAssistant, sim: Simulator) -> None:
    """After Smartcar's shutdown date the v2 issue is no longer a mere warning."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID]))
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"v2_shutdown_{entry.entry_id}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_setup_has_no_v2_issue(hass: HomeAssistant, sim: Simulator) -> None:
    """v3 entries read with the application token and sc-user-id."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[sim_const.TESLA_VEHICLE_ID]))
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"v2_shutdown_{entry.entry_id}") is None
    signals = requests_to(sim, "/signals")
    assert signals
    assert all(r.headers["sc-user-id"] == sim_const.DEMO_USER_ID for r in signals)


@pytest.mark.usefixtures("v2_credentials")
async def test_restart_reuses_stored_metadata(hass: HomeAssistant, sim: Simulator) -> None:
    """A reload does not read make, VIN and permissions again: they cost billed calls."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[sim_const.BEV_VEHICLE_ID]))
    assert len(requests_to(sim, "/vin")) == 1
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(requests_to(sim, "/vin")) == 1
    assert len(requests_to(sim, "/permissions")) == 1
    assert hass.states.get("lock.volkswagen_id_4") is not None


# ---------------------------------------------------------------------------- foreign entries


@pytest.mark.parametrize("version", [1, 2])
async def test_other_integrations_entry_gets_a_repair_not_a_traceback(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, version: int
) -> None:
    """Entries of the other HACS `smartcar` integration (versions 1, 2) fail migration cleanly."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=version,
        title="Old Smartcar",
        data={"auth_implementation": "smartcar", "token": {"access_token": "x"}},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"foreign_entry_{entry.entry_id}")
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"title": "Old Smartcar"}
    assert "Traceback" not in caplog.text


async def test_foreign_layout_with_our_version_is_refused_at_setup(hass: HomeAssistant) -> None:
    """An older foreign entry with version 1 still never reaches the code that would crash."""
    entry = MockConfigEntry(
        domain=DOMAIN, version=3, title="Old", data={"vehicles": {}, "token": {}}
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"foreign_entry_{entry.entry_id}")


async def test_migration_keeps_our_own_entries(hass: HomeAssistant) -> None:
    """An entry of ours with another minor version migrates without change."""
    from custom_components.smartcar import async_migrate_entry

    entry = MockConfigEntry(
        domain=DOMAIN,
        version=3,
        minor_version=2,
        data={"api_version": "3", "user_id": "u", "token": {}},
    )
    assert await async_migrate_entry(hass, entry)


# ---------------------------------------------------------------------------- tokens


@pytest.mark.usefixtures("v2_credentials")
async def test_expired_v2_token_is_refreshed_and_the_new_refresh_token_kept(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Refresh tokens rotate: the new one must replace the old one in the entry."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID])
    old = entry.data["token"]
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=3,
        unique_id=entry.unique_id,
        data={**entry.data, "token": {**old, "expires_at": time.time() - 10}},
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["token"]["refresh_token"] != old["refresh_token"]
    assert entry.data["token"]["access_token"] != old["access_token"]
    (refresh,) = requests_to(sim, "/oauth/token")
    assert refresh.form["grant_type"] == "refresh_token"
    assert refresh.headers["authorization"].startswith("Basic ")


@pytest.mark.usefixtures("v2_credentials")
async def test_rejected_refresh_starts_reauth_and_keeps_the_token(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """invalid_grant: reauthentication, and the stored refresh token is not lost."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID])
    sim.revoke_tokens(user_id=sim_const.DEMO_USER_ID, kind="refresh")
    token = {**entry.data["token"], "expires_at": time.time() - 10}
    entry = MockConfigEntry(
        domain=DOMAIN, version=3, unique_id=entry.unique_id, data={**entry.data, "token": token}
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.data["token"]["refresh_token"] == token["refresh_token"]
    assert _reauth_flows(hass)


@pytest.mark.parametrize(
    "error",
    [
        SmartcarOAuthError("busy", error_type="temporarily_unavailable", status=503),
        SmartcarConnectionError("unreachable"),
        SmartcarTimeoutError("slow"),
        SmartcarOAuthError("odd", error_type="odd", status=302),
    ],
)
@pytest.mark.usefixtures("v2_credentials")
async def test_transient_refresh_failures_retry_setup(
    hass: HomeAssistant, sim: Simulator, error: Exception
) -> None:
    """A token endpoint that is down or slow means "try again", never reauth."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID])
    token = {**entry.data["token"], "expires_at": time.time() - 10}
    entry = MockConfigEntry(
        domain=DOMAIN, version=3, unique_id=entry.unique_id, data={**entry.data, "token": token}
    )
    with patch("custom_components.smartcar.oauth.async_refresh_token", side_effect=error):
        await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.data["token"]["refresh_token"] == token["refresh_token"]
    assert not _reauth_flows(hass)


@pytest.mark.usefixtures("v3_credentials")
async def test_expired_v3_application_token_is_requested_again(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The IAM token has no refresh token; renewing it is a new client credentials grant."""
    entry = v3_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID])
    token = {**entry.data["token"], "expires_at": time.time() - 10}
    entry = MockConfigEntry(
        domain=DOMAIN, version=3, unique_id=entry.unique_id, data={**entry.data, "token": token}
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["token"]["access_token"] != token["access_token"]
    (grant,) = requests_to(sim, "/oauth2/token")
    assert grant.form["grant_type"] == "client_credentials"


@pytest.mark.usefixtures("v2_credentials")
async def test_revoked_access_token_is_renewed_once(hass: HomeAssistant, sim: Simulator) -> None:
    """Smartcar rejects a not-yet-expired access token: renew it and send again."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID])
    sim.revoke_tokens(user_id=sim_const.DEMO_USER_ID, kind="access")
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert len(requests_to(sim, "/oauth/token")) == 1


@pytest.mark.usefixtures("v2_credentials")
async def test_fully_revoked_grant_starts_reauth(hass: HomeAssistant, sim: Simulator) -> None:
    """Access and refresh tokens revoked: setup asks for reauthentication."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID])
    sim.revoke_tokens(user_id=sim_const.DEMO_USER_ID)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _reauth_flows(hass)


@pytest.mark.usefixtures("v2_credentials")
async def test_deleted_credentials_ask_to_sign_in_again(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The entry's application credentials were removed."""
    entry = v2_entry(sim)
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=3,
        unique_id=entry.unique_id,
        data={**entry.data, "auth_implementation": "deleted"},
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _reauth_flows(hass)


@pytest.mark.usefixtures("v2_credentials")
async def test_unavailable_implementation_retries(hass: HomeAssistant, sim: Simulator) -> None:
    """A credentials provider that is down means "try again later"."""
    entry = v2_entry(sim)
    with patch.object(
        config_entry_oauth2_flow,
        "async_get_config_entry_implementation",
        side_effect=config_entry_oauth2_flow.ImplementationUnavailableError,
    ):
        await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY


# ---------------------------------------------------------------------------- vehicles


@pytest.mark.usefixtures("v2_credentials")
async def test_vehicle_list_authentication_failure_reauths(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Smartcar rejects the credential while listing vehicles: reauthentication."""
    entry = v2_entry(sim)
    with patch(
        "custom_components.smartcar.SmartcarClient.async_get_vehicle_ids",
        side_effect=SmartcarAuthenticationError("no", status=401),
    ):
        await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _reauth_flows(hass)


@pytest.mark.usefixtures("v2_credentials")
async def test_vehicle_list_check_with_token_endpoint_down(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """The token cannot be renewed for the check: nothing changes, no reauth."""
    entry = await setup_entry(
        hass,
        v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID], options={"polling_mode": "manual"}),
    )
    with patch(
        "custom_components.smartcar.oauth.async_refresh_token",
        side_effect=SmartcarServerError("down", code="INTERNAL", status=500),
    ):
        freezer.tick(timedelta(hours=12))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert not _reauth_flows(hass)


@pytest.mark.usefixtures("v2_credentials")
async def test_vehicle_list_failure_retries(hass: HomeAssistant, sim: Simulator) -> None:
    """Smartcar cannot list the vehicles: setup is retried."""
    entry = v2_entry(sim)
    with patch(
        "custom_components.smartcar.SmartcarClient.async_get_vehicle_ids",
        side_effect=SmartcarServerError("down", code="INTERNAL", status=500),
    ):
        await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "SERVER:INTERNAL" in entry.reason


@pytest.mark.usefixtures("v2_credentials")
async def test_stale_devices_are_removed_and_removal_is_guarded(
    hass: HomeAssistant,
    sim: Simulator,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A disconnected vehicle's device goes; a connected one's can't be removed by hand."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID])
    entry.add_to_hass(hass)
    stale = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "gone-vehicle")}, name="Old car"
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert device_registry.async_get(stale.id) is None
    current = vehicle_device(device_registry, entry.entry_id, sim_const.ICE_VEHICLE_ID)
    assert current is not None
    assert current.serial_number == sim_const.ICE_VIN
    assert current.manufacturer == "Ford"
    assert current.model == "Escape (2021)"
    assert current.name == "Ford Escape"

    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": current.id,
        }
    )
    response = await client.receive_json()
    assert not response["success"]

    orphan = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "other-gone")}, name="Older car"
    )
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": orphan.id,
        }
    )
    response = await client.receive_json()
    assert response["success"]


@pytest.mark.usefixtures("v3_credentials")
async def test_new_and_removed_vehicles_follow_without_readding(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The vehicle list is checked twice a day; changes reload the entry."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID]))
    assert vehicle_device(device_registry, entry.entry_id, sim_const.BEV_VEHICLE_ID) is None

    # Nothing changed: no reload.
    freezer.tick(timedelta(hours=12))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED

    sim.connect_account(vehicle_ids=[sim_const.BEV_VEHICLE_ID])
    freezer.tick(timedelta(hours=12))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert vehicle_device(device_registry, entry.entry_id, sim_const.BEV_VEHICLE_ID)
    assert hass.states.get("lock.volkswagen_id_4") is not None

    sim.delete_connection(sim.connection_for(sim_const.DEMO_USER_ID, sim_const.ICE_VEHICLE_ID))
    freezer.tick(timedelta(hours=12))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert vehicle_device(device_registry, entry.entry_id, sim_const.ICE_VEHICLE_ID) is None
    assert entity_registry.async_get("lock.ford_escape") is None


@pytest.mark.usefixtures("v3_credentials")
async def test_vehicle_list_check_failures(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A failing check changes nothing; a rejected credential starts reauth."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID]))
    with patch(
        "custom_components.smartcar.SmartcarClient.async_get_connections",
        side_effect=SmartcarServerError("down", code="INTERNAL", status=500),
    ):
        freezer.tick(timedelta(hours=12))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert not _reauth_flows(hass)

    sim.revoke_tokens(kind="app")
    with patch(
        "custom_components.smartcar.oauth.async_request_application_token",
        side_effect=SmartcarOAuthError("no", error_type="invalid_client", status=401),
    ):
        freezer.tick(timedelta(hours=12))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert _reauth_flows(hass)


@pytest.mark.usefixtures("v2_credentials")
async def test_remove_entry_forgets_everything(hass: HomeAssistant, sim: Simulator) -> None:
    """Removing the entry removes its stored file and its repair issues."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID]))
    issues = ir.async_get(hass)
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"billing_limit_{sim_const.ICE_VEHICLE_ID}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="billing_limit",
    )
    await hass.config_entries.async_unload(entry.entry_id)
    with patch("homeassistant.helpers.storage.Store.async_remove") as remove:
        await hass.config_entries.async_remove(entry.entry_id)
    assert remove.called
    assert issues.async_get_issue(DOMAIN, f"v2_shutdown_{entry.entry_id}") is None
    assert issues.async_get_issue(DOMAIN, f"billing_limit_{sim_const.ICE_VEHICLE_ID}") is None


@pytest.mark.usefixtures("v2_credentials")
async def test_stored_metadata_expires_after_a_week(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Make, VIN and permissions are read again once they are a week old."""
    entry = await setup_entry(
        hass,
        v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID], options={"polling_mode": "manual"}),
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(days=8))
    sim.advance(8 * 24 * 3600)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert len(requests_to(sim, "/vin")) == 2


@pytest.mark.usefixtures("v2_credentials")
async def test_vehicle_list_check_with_a_dead_grant_starts_reauth(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """The twice-daily check renews the token; a revoked grant leads to reauthentication."""
    await setup_entry(
        hass,
        v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID], options={"polling_mode": "manual"}),
    )
    sim.revoke_tokens(user_id=sim_const.DEMO_USER_ID)
    freezer.tick(timedelta(hours=12))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _reauth_flows(hass)


@pytest.mark.usefixtures("v2_credentials")
async def test_concurrent_rejections_renew_the_token_once(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Two vehicles hitting a revoked token at once share one renewal."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.ICE_VEHICLE_ID, sim_const.BEV_VEHICLE_ID])
    sim.revoke_tokens(user_id=sim_const.DEMO_USER_ID, kind="access")
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert len(requests_to(sim, "/oauth/token")) == 1


@pytest.mark.usefixtures("v2_credentials")
async def test_credentials_dialog_tells_where_to_find_them(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """The application credentials dialog links the dashboard and names the redirect URI."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "application_credentials/config"})
    response = await client.receive_json()
    placeholders = response["result"]["integrations"][DOMAIN]["description_placeholders"]
    assert placeholders == {
        "dashboard_url": "https://dashboard.smartcar.com",
        "redirect_uri": "https://my.home-assistant.io/redirect/oauth",
    }
