"""v3 commands: sync answers, 202 long-running answers, "sent, not confirmed" (§4.0 item 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.smartcar.api import (
    ApiVersion,
    CommandResult,
    SmartcarAuthenticationError,
    SmartcarClient,
    SmartcarCommandError,
    SmartcarCompatibilityError,
    SmartcarError,
    SmartcarResponseError,
    SmartcarVehicleStateError,
    StaticTokenAuth,
)

from .conftest import APP_TOKEN, USER_ID, VEHICLE_ID, FakeSmartcar, Reply, load

if TYPE_CHECKING:
    from aiohttp import ClientSession

VEHICLE = f"/v3/vehicles/{VEHICLE_ID}"


@pytest.mark.parametrize(
    ("method", "path", "fixture"),
    [
        ("async_lock", "/commands/security/lock", "v3_command_unlock.json"),
        ("async_unlock", "/commands/security/unlock", "v3_command_unlock.json"),
        ("async_start_charge", "/commands/charge/start", "v3_command_long_running.json"),
        ("async_stop_charge", "/commands/charge/stop", "v3_command_unlock.json"),
    ],
)
async def test_commands(
    fake: FakeSmartcar, v3_client: SmartcarClient, method: str, path: str, fixture: str
) -> None:
    fake.add("POST", f"{VEHICLE}{path}", Reply(load(fixture)))
    result = await getattr(v3_client, method)(VEHICLE_ID)
    assert result.status == "SUCCESS"
    assert result.confirmed is True
    (call,) = fake.calls()
    assert call.body == b""
    assert call.headers["sc-user-id"] == USER_ID
    assert call.headers["Authorization"] == f"Bearer {APP_TOKEN}"


async def test_set_charge_limit_sends_percent(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    fake.add("POST", f"{VEHICLE}/commands/charge/set-limit", Reply(load("v3_command_sync.json")))
    result = await v3_client.async_set_charge_limit(VEHICLE_ID, 80.0)
    assert result == CommandResult("SUCCESS", None, "exec_9876543210")
    await v3_client.async_set_charge_limit(VEHICLE_ID, 57.5)
    assert [call.json() for call in fake.calls()] == [
        {"data": {"attributes": {"percent": 80}}},
        {"data": {"attributes": {"percent": 57.5}}},
    ]
    with pytest.raises(ValueError, match="finite"):
        await v3_client.async_set_charge_limit(VEHICLE_ID, float("nan"))


async def test_long_running_command_reads_the_202_body(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    """The final body of a 202 that arrives late on the same response is the outcome."""
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/start",
        Reply(load("v3_command_long_running.json"), status=202, delay=0.1),
        Reply(load("v3_command_failed.json"), status=202),
    )
    result = await v3_client.async_start_charge(VEHICLE_ID)
    assert result.command_id == "exec_5555555555"
    assert result.confirmed is True
    with pytest.raises(SmartcarVehicleStateError) as caught:
        await v3_client.async_start_charge(VEHICLE_ID)
    assert caught.value.code == "DOOR_OPEN"
    assert caught.value.status == 202


async def test_pending_202_without_a_link_is_sent_not_confirmed(
    fake: FakeSmartcar, v3_client: SmartcarClient
) -> None:
    """§4.0 item 10: a 202 that stays PENDING is neither a failure nor an endless wait."""
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/start",
        Reply(load("v3_command_pending.json"), status=202),
    )
    result = await v3_client.async_start_charge(VEHICLE_ID)
    assert result == CommandResult(
        status="PENDING", message=None, command_id="exec_7c1f2a9be0d34f51", confirmed=False
    )
    assert len(fake.calls()) == 1


async def test_failed_commands(fake: FakeSmartcar, v3_client: SmartcarClient) -> None:
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/stop",
        Reply(load("v3_command_failed_plain.json"), headers={"SC-Request-Id": "r-9"}),
        Reply({"data": {"type": "command-execution", "attributes": {"status": "PENDING"}}}),
        Reply({"data": {"attributes": {}}}),
        Reply(),
        Reply(load("error_v2_compatibility.json"), status=501),
        Reply(load("error_v3_unauthorized.json"), status=401),
    )
    with pytest.raises(SmartcarCommandError) as caught:
        await v3_client.async_stop_charge(VEHICLE_ID)
    assert (caught.value.code, caught.value.description) == ("FAILED", "Vehicle did not respond")
    assert caught.value.request_id == "r-9"
    pending = await v3_client.async_stop_charge(VEHICLE_ID)
    assert (pending.status, pending.confirmed, pending.command_id) == ("PENDING", False, None)
    for _ in range(2):
        with pytest.raises(SmartcarResponseError):
            await v3_client.async_stop_charge(VEHICLE_ID)
    with pytest.raises(SmartcarCompatibilityError):
        await v3_client.async_stop_charge(VEHICLE_ID)
    with pytest.raises(SmartcarAuthenticationError):
        await v3_client.async_stop_charge(VEHICLE_ID)


def _running(link: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": "exec_1",
        "type": "command-execution",
        "attributes": {"status": {"value": "PENDING"}, "executionMode": "async"},
    }
    if link is not None:
        resource["links"] = {"self": link}
    return {"data": resource}


@pytest.fixture
def patient_client(fake: FakeSmartcar, session: ClientSession) -> SmartcarClient:
    """A v3 client that re-reads a running command quickly and gives up after a second."""
    return SmartcarClient(
        session,
        StaticTokenAuth(APP_TOKEN),
        api_version=ApiVersion.V3,
        user_id=USER_ID,
        origins=fake.origins,
        timeout=1.0,
        command_poll_interval=0.01,
    )


async def test_long_running_command_is_followed(
    fake: FakeSmartcar, patient_client: SmartcarClient
) -> None:
    """A 202 with a PENDING execution and a link is re-read through it until it succeeds."""
    execution = f"/vehicles/{VEHICLE_ID}/commands/executions/exec_1"
    fake.add("POST", f"{VEHICLE}/commands/charge/start", Reply(_running(execution), status=202))
    fake.add(
        "GET",
        f"/v3{execution}",
        Reply(_running(execution)),
        Reply(load("v3_command_long_running.json")),
    )
    result = await patient_client.async_start_charge(VEHICLE_ID)
    assert (result.status, result.confirmed) == ("SUCCESS", True)
    polls = fake.calls("GET", f"/v3{execution}")
    assert len(polls) == 2
    assert all(call.headers.get("sc-user-id") == USER_ID for call in polls)


async def test_long_running_command_failure_and_time_limit(
    fake: FakeSmartcar, patient_client: SmartcarClient
) -> None:
    """A followed command that fails raises; one still running at the time limit is unconfirmed."""
    execution = f"/v3/vehicles/{VEHICLE_ID}/commands/executions/exec_1"
    fake.add("POST", f"{VEHICLE}/commands/security/lock", Reply(_running(execution), status=202))
    fake.add("GET", execution, Reply(load("v3_command_failed.json")))
    with pytest.raises(SmartcarError) as failed:
        await patient_client.async_lock(VEHICLE_ID)
    assert failed.value.code not in (None, "PENDING")

    fake.add("GET", execution, Reply(_running(execution)))
    slow = await patient_client.async_lock(VEHICLE_ID)
    assert (slow.status, slow.confirmed, slow.command_id) == ("PENDING", False, "exec_1")
    assert len(fake.calls("GET", execution)) > 2


async def test_long_running_command_link_elsewhere_is_not_followed(
    fake: FakeSmartcar, patient_client: SmartcarClient
) -> None:
    """The token never goes to a host other than Smartcar's v3 origin."""
    fake.add(
        "POST",
        f"{VEHICLE}/commands/charge/stop",
        Reply(_running("https://elsewhere.example/executions/1"), status=202),
    )
    result = await patient_client.async_stop_charge(VEHICLE_ID)
    assert result.confirmed is False
    assert [call.method for call in fake.calls()] == ["POST"]
