"""The client against the simulator over real loopback HTTP, for API v2 and v3.

The client and the simulator were both written from the API reference, independently; these
tests show they agree on the wire: consent, token exchange and rotation, reads, commands and
Smartcar's error answers.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import ClientSession
import pytest
from yarl import URL

from custom_components.smartcar.api import (
    ApiVersion,
    ApplicationTokenAuth,
    ChargingState,
    Field,
    Origins,
    SmartcarAuthenticationError,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarOAuthError,
    SmartcarRateLimitError,
    SmartcarServerError,
    SmartcarValidationError,
    SmartcarVehicleStateError,
    StaticTokenAuth,
    async_exchange_code,
    async_refresh_token,
    build_authorize_url,
)
from tests.simulator import const as sim

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.simulator.simulator import RunningSimulator

REDIRECT_URI = "http://127.0.0.1/callback"
ALL_FIELDS = tuple(Field)


def origins_for(running: RunningSimulator) -> Origins:
    """Every origin on the one simulator, as the SDK's variables would set them."""
    return Origins.from_env(
        {
            "SMARTCAR_API_ORIGIN": running.origin,
            "SMARTCAR_AUTH_ORIGIN": f"{running.origin}/oauth/token",
            "SMARTCAR_CONNECT_ORIGIN": running.origin,
            "SMARTCAR_MANAGEMENT_API_ORIGIN": running.origin,
            "SMARTCAR_VEHICLE_API_V3_ORIGIN": running.origin,
            "SMARTCAR_IAM_ORIGIN": running.origin,
        }
    )


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    """A plain aiohttp session, closed after the test."""
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
def v2_client(simulator: RunningSimulator, session: ClientSession) -> SmartcarClient:
    """A v2 client holding the demo user's access token."""
    tokens = simulator.simulator.connect_account(sim.DEMO_USER_EMAIL)
    return SmartcarClient(
        session,
        StaticTokenAuth(tokens.access_token),
        api_version=ApiVersion.V2,
        origins=origins_for(simulator),
    )


@pytest.fixture
def v3_client(simulator: RunningSimulator, session: ClientSession) -> SmartcarClient:
    """A v3 client: the application token from IAM plus the demo user's id."""
    simulator.simulator.connect_account(sim.DEMO_USER_EMAIL)
    origins = origins_for(simulator)
    return SmartcarClient(
        session,
        ApplicationTokenAuth(session, sim.API_CLIENT_ID, sim.API_CLIENT_SECRET, origins=origins),
        api_version=ApiVersion.V3,
        user_id=sim.DEMO_USER_ID,
        origins=origins,
    )


async def approve_on_connect(session: ClientSession, authorize_url: str) -> URL:
    """Submit the simulator's consent form as the demo user; return the redirect."""
    async with session.post(
        authorize_url,
        data=[
            ("email", sim.DEMO_USER_EMAIL),
            ("vehicle_id", sim.BEV_VEHICLE_ID),
            ("action", "approve"),
        ],
        allow_redirects=False,
    ) as response:
        assert response.status == 302, await response.text()
        return URL(response.headers["Location"])


# --- v2 -------------------------------------------------------------------------------------


async def test_v2_consent_exchange_and_rotation(
    simulator: RunningSimulator,
    session: ClientSession,
) -> None:
    """Connect → code → tokens → refresh; the old refresh token then stops working."""
    origins = origins_for(simulator)
    url = build_authorize_url(
        origins,
        sim.APPLICATION_ID,
        redirect_uri=REDIRECT_URI,
        scope=("required:read_vehicle_info", "read_battery", "control_security"),
        state="xyz",
        mode="simulated",
    )
    redirect = await approve_on_connect(session, url)
    assert redirect.query["state"] == "xyz"
    assert redirect.query["user_id"] == sim.DEMO_USER_ID
    tokens = await async_exchange_code(
        session,
        origins,
        sim.APPLICATION_ID,
        sim.CLIENT_SECRET,
        redirect.query["code"],
        REDIRECT_URI,
    )
    assert tokens.expires_in == 7200
    assert tokens.refresh_token

    client = SmartcarClient(
        session, StaticTokenAuth(tokens.access_token), api_version=ApiVersion.V2, origins=origins
    )
    assert await client.async_get_vehicle_ids() == [sim.BEV_VEHICLE_ID]
    assert set(await client.async_get_permissions(sim.BEV_VEHICLE_ID)) == {
        "read_vehicle_info",
        "read_battery",
        "control_security",
    }

    with pytest.raises(SmartcarOAuthError) as reused:
        await async_exchange_code(
            session,
            origins,
            sim.APPLICATION_ID,
            sim.CLIENT_SECRET,
            redirect.query["code"],
            REDIRECT_URI,
        )
    assert reused.value.type == "invalid_grant"
    assert reused.value.requires_reauth

    assert tokens.refresh_token is not None
    rotated = await async_refresh_token(
        session, origins, sim.APPLICATION_ID, sim.CLIENT_SECRET, tokens.refresh_token
    )
    assert rotated.refresh_token not in (None, tokens.refresh_token)
    simulator.simulator.advance(11 * 60)  # past the grace window of the used refresh token
    assert rotated.refresh_token is not None
    with pytest.raises(SmartcarOAuthError) as stale:
        await async_refresh_token(
            session, origins, sim.APPLICATION_ID, sim.CLIENT_SECRET, tokens.refresh_token
        )
    assert stale.value.type == "invalid_grant"

    with pytest.raises(SmartcarOAuthError) as bad_client:
        await async_refresh_token(
            session, origins, sim.APPLICATION_ID, "wrong", rotated.refresh_token
        )
    assert bad_client.value.type == "invalid_client"


async def test_v2_reads(v2_client: SmartcarClient) -> None:
    """User, vehicles, attributes, VIN and one batch per state read, in percent and metric."""
    assert await v2_client.async_get_user_id() == sim.DEMO_USER_ID
    assert set(await v2_client.async_get_vehicle_ids()) >= {
        sim.BEV_VEHICLE_ID,
        sim.PHEV_VEHICLE_ID,
        sim.ICE_VEHICLE_ID,
        sim.TESLA_VEHICLE_ID,
    }
    vehicle = await v2_client.async_get_vehicle(sim.BEV_VEHICLE_ID)
    assert (vehicle.id, vehicle.make.upper(), vehicle.year > 2014) == (
        sim.BEV_VEHICLE_ID,
        "VOLKSWAGEN",
        True,
    )
    assert await v2_client.async_get_vin(sim.BEV_VEHICLE_ID) == sim.BEV_VIN

    state = await v2_client.async_get_state(sim.BEV_VEHICLE_ID, ALL_FIELDS)
    assert state.battery_level is not None
    assert 0 <= state.battery_level.value <= 100
    assert state.battery_level.data_age is not None
    assert state.charging_state is not None
    assert state.charging_state.value is ChargingState.CHARGING
    assert state.plugged_in is not None
    assert state.plugged_in.value is True
    assert state.charge_limit is not None
    assert 50 <= state.charge_limit.value <= 100
    assert state.locked is not None
    assert state.location is not None
    assert state.odometer is not None
    assert state.odometer.value > 0
    assert not {Field.BATTERY_LEVEL, Field.LOCKED} & set(state.errors)


async def test_v2_partial_results_keep_per_field_errors(
    simulator: RunningSimulator,
    v2_client: SmartcarClient,
) -> None:
    """An ICE car's battery paths fail with COMPATIBILITY while its fuel reads succeed."""
    state = await v2_client.async_get_state(
        sim.ICE_VEHICLE_ID, (Field.BATTERY_LEVEL, Field.FUEL_LEVEL, Field.ODOMETER)
    )
    assert isinstance(state.errors[Field.BATTERY_LEVEL], SmartcarCompatibilityError)
    assert state.fuel_level is not None
    assert 0 <= state.fuel_level.value <= 100
    assert state.odometer is not None
    batches = [r for r in simulator.simulator.request_log if r.path.endswith("/batch")]
    assert len(batches) == 1


async def test_v2_commands_change_the_car(
    simulator: RunningSimulator,
    v2_client: SmartcarClient,
) -> None:
    """Lock, unlock, charge and charge limit reach the simulated car."""
    car = simulator.simulator.vehicle(sim.BEV_VEHICLE_ID)
    await v2_client.async_unlock(sim.BEV_VEHICLE_ID)
    assert car.locked is False
    await v2_client.async_lock(sim.BEV_VEHICLE_ID)
    assert car.locked is True
    await v2_client.async_stop_charge(sim.BEV_VEHICLE_ID)
    assert car.charging is False
    await v2_client.async_start_charge(sim.BEV_VEHICLE_ID)
    assert car.charging is True
    await v2_client.async_set_charge_limit(sim.BEV_VEHICLE_ID, 72)
    assert car.charge_limit == pytest.approx(72)
    state = await v2_client.async_get_state(sim.BEV_VEHICLE_ID, (Field.CHARGE_LIMIT,))
    assert state.charge_limit is not None
    assert state.charge_limit.value == pytest.approx(72)


async def test_v2_error_answers(
    simulator: RunningSimulator,
    v2_client: SmartcarClient,
    session: ClientSession,
) -> None:
    """Smartcar's error answers arrive as the matching errors, with their details."""
    world = simulator.simulator
    with pytest.raises(SmartcarValidationError):
        await v2_client.async_set_charge_limit(sim.BEV_VEHICLE_ID, 30)

    world.inject_fault(
        vehicle_id=sim.BEV_VEHICLE_ID,
        path="/security",
        error_type="VEHICLE_STATE",
        error_code="DOOR_OPEN",
    )
    with pytest.raises(SmartcarVehicleStateError) as door:
        await v2_client.async_lock(sim.BEV_VEHICLE_ID)
    assert (door.value.code, door.value.status) == ("DOOR_OPEN", 409)
    assert door.value.request_id

    with pytest.raises(SmartcarConnectedServicesAccountError) as key:
        await v2_client.async_lock(sim.TESLA_VEHICLE_ID)
    assert key.value.code == "VIRTUAL_KEY_REQUIRED"
    assert key.value.resolution_url == sim.TESLA_VIRTUAL_KEY_URL

    world.inject_fault(
        vehicle_id=sim.BEV_VEHICLE_ID,
        path="/batch",
        error_type="RATE_LIMIT",
        error_code="VEHICLE",
        retry_after=120,
    )
    with pytest.raises(SmartcarRateLimitError) as limited:
        await v2_client.async_get_state(sim.BEV_VEHICLE_ID, (Field.BATTERY_LEVEL,))
    assert limited.value.retry_after == 120

    world.inject_fault(
        vehicle_id=sim.BEV_VEHICLE_ID, path="/batch", error_type="SERVER", error_code="INTERNAL"
    )
    with pytest.raises(SmartcarServerError):
        await v2_client.async_get_state(sim.BEV_VEHICLE_ID, (Field.BATTERY_LEVEL,))

    world.configure(billing_limit=1)
    await v2_client.async_get_state(sim.BEV_VEHICLE_ID, (Field.BATTERY_LEVEL,))  # the last call
    with pytest.raises(SmartcarBillingError) as billing:
        await v2_client.async_get_state(sim.BEV_VEHICLE_ID, (Field.BATTERY_LEVEL,))
    assert billing.value.code == "VEHICLE_REQUEST_LIMIT"
    world.configure(billing_limit=None)

    revoked = SmartcarClient(
        session,
        StaticTokenAuth("not-a-token"),
        api_version=ApiVersion.V2,
        origins=origins_for(simulator),
    )
    with pytest.raises(SmartcarAuthenticationError) as auth:
        await revoked.async_get_vehicle_ids()
    assert auth.value.requires_reauth


# --- v3 -------------------------------------------------------------------------------------


async def test_v3_reads(simulator: RunningSimulator, v3_client: SmartcarClient) -> None:
    """Connections, vehicle, VIN and signals map onto the same model as v2."""
    connections = await v3_client.async_get_connections(sim.DEMO_USER_ID)
    assert {c.vehicle_id for c in connections} >= {sim.BEV_VEHICLE_ID, sim.ICE_VEHICLE_ID}
    assert {c.user_id for c in connections} == {sim.DEMO_USER_ID}
    assert set(await v3_client.async_get_vehicle_ids()) == {c.vehicle_id for c in connections}
    vehicle = await v3_client.async_get_vehicle(sim.BEV_VEHICLE_ID)
    assert vehicle.model
    assert await v3_client.async_get_vin(sim.BEV_VEHICLE_ID) == sim.BEV_VIN

    state = await v3_client.async_get_state(sim.BEV_VEHICLE_ID, ALL_FIELDS)
    car = simulator.simulator.vehicle(sim.BEV_VEHICLE_ID)
    assert state.battery_level is not None
    assert state.battery_level.value == pytest.approx(car.soc, abs=0.5)
    assert state.charging_state is not None
    assert state.charging_state.value is ChargingState.CHARGING
    assert state.charge_power is not None
    assert state.charge_power.value > 0
    assert state.charge_limit is not None
    assert state.charge_limit.value == pytest.approx(car.charge_limit)
    assert state.online is not None
    assert state.battery_level.data_age is not None
    requests = [r for r in simulator.simulator.request_log if "/signals" in r.path]
    assert requests
    assert all(r.headers.get("sc-user-id") == sim.DEMO_USER_ID for r in requests)


async def test_v3_commands(simulator: RunningSimulator, v3_client: SmartcarClient) -> None:
    """Commands reach the car, including a long-running one answered with 202."""
    world = simulator.simulator
    car = world.vehicle(sim.BEV_VEHICLE_ID)
    await v3_client.async_unlock(sim.BEV_VEHICLE_ID)
    assert car.locked is False
    await v3_client.async_set_charge_limit(sim.BEV_VEHICLE_ID, 90)
    assert car.charge_limit == pytest.approx(90)
    await v3_client.async_stop_charge(sim.BEV_VEHICLE_ID)
    assert car.charging is False

    world.inject_fault(
        vehicle_id=sim.BEV_VEHICLE_ID,
        path="/commands/security/lock",
        error_type="VEHICLE_STATE",
        error_code="DOOR_OPEN",
    )
    with pytest.raises(SmartcarVehicleStateError) as door:
        await v3_client.async_lock(sim.BEV_VEHICLE_ID)
    assert door.value.code == "DOOR_OPEN"
    assert car.locked is False

    with pytest.raises(SmartcarConnectedServicesAccountError) as key:
        await v3_client.async_lock(sim.TESLA_VEHICLE_ID)
    assert key.value.code == "VIRTUAL_KEY_REQUIRED"


async def test_v3_long_running_command(
    simulator: RunningSimulator,
    session: ClientSession,
) -> None:
    """A command the car takes a while for answers 202; the client follows it to the end."""
    world = simulator.simulator
    world.connect_account(sim.DEMO_USER_EMAIL)
    world.set_slow_command(60, vehicle_id=sim.BEV_VEHICLE_ID, command="security/unlock")
    origins = origins_for(simulator)
    client = SmartcarClient(
        session,
        ApplicationTokenAuth(session, sim.API_CLIENT_ID, sim.API_CLIENT_SECRET, origins=origins),
        api_version=ApiVersion.V3,
        user_id=sim.DEMO_USER_ID,
        origins=origins,
        command_poll_interval=0.01,
    )
    command = asyncio.create_task(client.async_unlock(sim.BEV_VEHICLE_ID))
    for _ in range(500):  # until the client re-reads the running execution (bounded)
        if [r for r in world.request_log if "/commands/executions/" in r.path]:
            break
        await asyncio.sleep(0.01)
    assert not command.done()
    world.advance(61)
    result = await command
    assert result.status.upper() == "SUCCESS"
    assert world.vehicle(sim.BEV_VEHICLE_ID).locked is False


async def test_v3_application_token_is_shared(
    simulator: RunningSimulator,
    v3_client: SmartcarClient,
) -> None:
    """Many reads use one application token; it is requested once."""
    for _ in range(3):
        await v3_client.async_get_state(sim.BEV_VEHICLE_ID, (Field.BATTERY_LEVEL,))
    token_requests = [r for r in simulator.simulator.request_log if r.path == "/oauth2/token"]
    assert len(token_requests) == 1
