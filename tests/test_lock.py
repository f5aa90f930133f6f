"""Locking and unlocking through Home Assistant, against the simulated cars."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest

from custom_components.smartcar.api import (
    CommandResult,
    SmartcarClient,
    SmartcarError,
    SmartcarTimeoutError,
)
from custom_components.smartcar.const import DOMAIN
from tests.conftest import (
    entity_snapshot,
    requests_to,
    setup_entry,
    setup_platform,
    v2_entry,
    v3_entry,
)
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
LOCK = "lock.volkswagen_id_4"


async def _call(hass: HomeAssistant, service: str, entity_id: str = LOCK) -> None:
    await hass.services.async_call(LOCK_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True)


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_lock_and_unlock(hass: HomeAssistant, sim: Simulator) -> None:
    """The lock is named after the car and sends LOCK/UNLOCK to /security."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    state = hass.states.get(LOCK)
    assert state.state == "locked"
    assert state.attributes["friendly_name"] == "Volkswagen ID.4"

    await _call(hass, SERVICE_UNLOCK)
    assert hass.states.get(LOCK).state == "unlocked"
    await _call(hass, SERVICE_LOCK)
    assert hass.states.get(LOCK).state == "locked"
    commands = [r.json for r in requests_to(sim, f"/vehicles/{BEV}/security", "POST")]
    assert commands == [{"action": "UNLOCK"}, {"action": "LOCK"}]
    assert sim.vehicle(BEV).locked is True
    # Two commands counted on top of the setup reads.
    assert int(hass.states.get("sensor.volkswagen_id_4_requests_this_month").state) == 15


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_lock_and_unlock(hass: HomeAssistant, sim: Simulator) -> None:
    """v3 commands go to /commands/security/... with the user's id."""
    await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    await _call(hass, SERVICE_UNLOCK)
    assert hass.states.get(LOCK).state == "unlocked"
    (command,) = requests_to(sim, "/commands/security/unlock", "POST")
    assert command.headers["sc-user-id"] == sim_const.DEMO_USER_ID
    assert sim.vehicle(BEV).locked is False


@pytest.mark.usefixtures("v2_credentials")
async def test_locking_state_while_the_car_responds(hass: HomeAssistant, sim: Simulator) -> None:
    """Commands take seconds to minutes: the lock shows locking/unlocking meanwhile."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow(*_args: Any) -> CommandResult:
        entered.set()
        await release.wait()
        return CommandResult(status="success", message=None, command_id=None)

    for service, transitional, final in (
        (SERVICE_UNLOCK, "unlocking", "unlocked"),
        (SERVICE_LOCK, "locking", "locked"),
    ):
        release.clear()
        entered.clear()
        method = "async_unlock" if service == SERVICE_UNLOCK else "async_lock"
        with patch.object(SmartcarClient, method, side_effect=slow):
            task = hass.async_create_task(_call(hass, service))
            await asyncio.wait_for(entered.wait(), 5)
            assert hass.states.get(LOCK).state == transitional
            release.set()
            await task
        assert hass.states.get(LOCK).state == final


@pytest.mark.parametrize(
    ("fault", "key", "message"),
    [
        (
            {"error_type": "VEHICLE_STATE", "error_code": "DOOR_OPEN"},
            "vehicle_open",
            "Volkswagen ID.4 refused because a door, the trunk or the hood is open",
        ),
        (
            {"error_type": "VEHICLE_STATE", "error_code": "ASLEEP"},
            "vehicle_asleep",
            "Volkswagen ID.4 is asleep and did not respond.",
        ),
        ({"error_type": "VEHICLE_STATE", "error_code": "IN_MOTION"}, "vehicle_in_use", "moving"),
        (
            {"error_type": "VEHICLE_STATE", "error_code": "UNREACHABLE"},
            "vehicle_unreachable",
            "cannot be reached",
        ),
        (
            {"error_type": "VEHICLE_STATE", "error_code": "REMOTE_ACCESS_DISABLED"},
            "remote_access_disabled",
            "Remote access is turned off",
        ),
        (
            {"error_type": "VEHICLE_STATE", "error_code": "UNKNOWN"},
            "vehicle_state_unknown",
            "(VEHICLE_STATE:UNKNOWN, HTTP 409",
        ),
        (
            {"error_type": "RATE_LIMIT", "error_code": "VEHICLE", "retry_after": 90},
            "rate_limited",
            "Try again in 90 seconds",
        ),
        (
            {"error_type": "RATE_LIMIT", "error_code": "SMARTCAR_API"},
            "rate_limited",
            "Try again in 300 seconds",
        ),
        (
            {"error_type": "SERVER", "error_code": "INTERNAL"},
            "command_failed",
            "Smartcar could not carry out the command for Volkswagen ID.4 (SERVER, INTERNAL)",
        ),
        (
            {"error_type": "UPSTREAM", "error_code": "NO_RESPONSE"},
            "command_failed",
            "(UPSTREAM, NO_RESPONSE)",
        ),
        (
            {"error_type": "COMPATIBILITY", "error_code": "VEHICLE_NOT_CAPABLE"},
            "not_capable",
            "does not support this command",
        ),
        ({"error_type": "PERMISSION"}, "permission_missing", "control_security"),
        (
            {"error_type": "CONNECTED_SERVICES_ACCOUNT", "error_code": "ACCOUNT_ISSUE"},
            "account_issue",
            "(ACCOUNT_ISSUE)",
        ),
        ({"drop": True}, "cannot_connect", "Could not reach Smartcar"),
    ],
)
@pytest.mark.usefixtures("v2_credentials")
async def test_refused_commands_name_smartcars_reason(
    hass: HomeAssistant, sim: Simulator, fault: dict[str, Any], key: str, message: str
) -> None:
    """No command failure is silent: each class has its own translated message."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(vehicle_id=BEV, path="/security", method="POST", **fault)
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, SERVICE_UNLOCK)
    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert message in str(raised.value)
    # The lock did not change and is not stuck in "unlocking".
    assert hass.states.get(LOCK).state == "locked"


@pytest.mark.usefixtures("v2_credentials")
async def test_billing_limit_on_a_command_raises_the_issue(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """430 on a command: translated error and the billing repair issue."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(
        vehicle_id=BEV,
        path="/security",
        method="POST",
        error_type="BILLING",
        error_code="VEHICLE_REQUEST_LIMIT",
    )
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, SERVICE_LOCK)
    assert raised.value.translation_key == "billing_limit"
    assert "(VEHICLE_REQUEST_LIMIT)" in str(raised.value)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"billing_limit_{BEV}") is not None


@pytest.mark.usefixtures("v2_credentials")
async def test_connected_services_login_failure_starts_reauth(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The manufacturer account rejects Smartcar: reauthentication is started."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    sim.inject_fault(
        vehicle_id=BEV,
        path="/security",
        method="POST",
        error_type="CONNECTED_SERVICES_ACCOUNT",
        error_code="AUTHENTICATION_FAILED",
    )
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, SERVICE_LOCK)
    assert raised.value.translation_key == "reauth_required"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("v2_credentials")
async def test_tesla_without_virtual_key(hass: HomeAssistant, sim: Simulator) -> None:
    """The Tesla refuses until its virtual key is paired; the issue links Tesla's page."""
    tesla = sim_const.TESLA_VEHICLE_ID
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[tesla]))
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, SERVICE_UNLOCK, "lock.tesla_model_3")
    assert raised.value.translation_key == "virtual_key_required"
    assert sim_const.TESLA_VIRTUAL_KEY_URL in str(raised.value)
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(DOMAIN, f"virtual_key_{tesla}")
    assert issue is not None
    assert issue.learn_more_url == sim_const.TESLA_VIRTUAL_KEY_URL

    sim.pair_virtual_key(tesla)
    await _call(hass, SERVICE_UNLOCK, "lock.tesla_model_3")
    assert hass.states.get("lock.tesla_model_3").state == "unlocked"
    assert issues.async_get_issue(DOMAIN, f"virtual_key_{tesla}") is None


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (SmartcarTimeoutError("slow"), "command_timeout"),
        (SmartcarError("strange", error_type="COMMAND", code="FAILED"), "command_failed"),
    ],
)
@pytest.mark.usefixtures("v2_credentials")
async def test_client_side_failures(
    hass: HomeAssistant, sim: Simulator, error: Exception, key: str
) -> None:
    """A timeout or an unsuccessful command status is reported too."""
    await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    with (
        patch.object(SmartcarClient, "async_lock", side_effect=error),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await _call(hass, SERVICE_LOCK)
    assert raised.value.translation_key == key


@pytest.mark.usefixtures("v2_credentials")
async def test_lock_exists_without_read_security(hass: HomeAssistant, sim: Simulator) -> None:
    """Locking permitted but the lock state not readable: the lock is still offered."""
    await setup_entry(
        hass,
        v2_entry(
            sim,
            vehicle_ids=[BEV],
            permissions=["read_vehicle_info", "read_vin", "control_security"],
        ),
    )
    assert hass.states.get(LOCK).state == "unknown"
    await _call(hass, SERVICE_LOCK)
    assert hass.states.get(LOCK).state == "locked"


@pytest.mark.freeze_time("2026-11-16T12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "v2_credentials", "v3_credentials")
@pytest.mark.parametrize("generation", ["v2", "v3"])
async def test_lock_snapshots(
    hass: HomeAssistant,
    sim: Simulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    generation: str,
) -> None:
    """BEV, PHEV, combustion car and Tesla: which cars get this entity, and its state."""
    entry = v2_entry(sim) if generation == "v2" else v3_entry(sim)
    await setup_platform(hass, entry, "lock")
    assert entity_snapshot(hass, entity_registry, entry.entry_id) == snapshot
