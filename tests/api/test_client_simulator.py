"""The client against the simulator over real loopback HTTP, for API v2 and v3.

The client and the simulator were both written from the API reference, independently; these
tests show they agree on the wire: consent, token exchange and rotation, reads, commands,
Smartcar's error answers, and v3 as it behaves live (§4.0): live and simulated connections, the
signal store that stays empty until a vehicle is subscribed, and unconfirmed commands.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import ClientSession
import pytest
from yarl import URL

from custom_components.smartcar.api import (
    SIGNAL_NOT_INGESTED,
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
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarServerError,
    SmartcarSignalNotIngestedError,
    SmartcarValidationError,
    SmartcarVehicleStateError,
    StaticTokenAuth,
    VehicleState,
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
            "SMARTCAR_MANAGEMENT_API_V3_ORIGIN": running.origin,
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


def v3_client_for(
    running: RunningSimulator, session: ClientSession, *, vehicle_mode: str | None = None
) -> SmartcarClient:
    """A v3 client: the application token from IAM plus the demo user's id."""
    origins = origins_for(running)
    return SmartcarClient(
        session,
        ApplicationTokenAuth(session, sim.API_CLIENT_ID, sim.API_CLIENT_SECRET, origins=origins),
        api_version=ApiVersion.V3,
        user_id=sim.DEMO_USER_ID,
        origins=origins,
        vehicle_mode=vehicle_mode,
        command_poll_interval=0.01,
    )


@pytest.fixture(params=["live", "simulated"])
def v3_client(
    request: pytest.FixtureRequest, simulator: RunningSimulator, session: ClientSession
) -> SmartcarClient:
    """A v3 client for the demo user's cars, connected in live or in simulated mode."""
    mode: str = request.param
    simulator.simulator.connect_account(sim.DEMO_USER_EMAIL, mode=mode)
    return v3_client_for(simulator, session, vehicle_mode=mode)


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
    await v3_client.async_stop_charge(sim.BEV_VEHICLE_ID)
    assert car.charging is False
    # (Simulated mode refuses a new limit while charging, §8 of the reference.)
    result = await v3_client.async_set_charge_limit(sim.BEV_VEHICLE_ID, 90)
    assert result.confirmed is True
    assert car.charge_limit == pytest.approx(90)

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


async def test_v3_long_running_command_without_a_link(
    simulator: RunningSimulator,
    session: ClientSession,
) -> None:
    """A 202 that stays PENDING is "sent, not confirmed"; the store shows the outcome later."""
    world = simulator.simulator
    world.connect_account(sim.DEMO_USER_EMAIL)
    world.set_slow_command(60, vehicle_id=sim.BEV_VEHICLE_ID, command="security/unlock")
    client = v3_client_for(simulator, session)
    result = await client.async_unlock(sim.BEV_VEHICLE_ID)
    assert (result.status, result.confirmed) == ("PENDING", False)
    assert result.command_id
    state = await client.async_get_state(sim.BEV_VEHICLE_ID, (Field.LOCKED,))
    assert state.locked is not None
    assert state.locked.value is True
    world.advance(61)  # the car unlocks; IsLocked is a trigger, so Smartcar retrieves
    state = await client.async_get_state(sim.BEV_VEHICLE_ID, (Field.LOCKED,))
    assert state.locked is not None
    assert state.locked.value is False
    assert not [r for r in world.request_log if "/commands/executions/" in r.path]


async def test_v3_long_running_command(
    simulator: RunningSimulator,
    session: ClientSession,
) -> None:
    """With an execution link (the simulator's invention), the client follows it to the end."""
    world = simulator.simulator
    world.connect_account(sim.DEMO_USER_EMAIL)
    world.configure(execution_links=True)
    world.set_slow_command(60, vehicle_id=sim.BEV_VEHICLE_ID, command="security/unlock")
    client = v3_client_for(simulator, session)
    command = asyncio.create_task(client.async_unlock(sim.BEV_VEHICLE_ID))
    for _ in range(500):  # until the client re-reads the running execution (bounded)
        if [r for r in world.request_log if "/commands/executions/" in r.path]:
            break
        await asyncio.sleep(0.01)
    assert not command.done()
    world.advance(61)
    result = await command
    assert (result.status.upper(), result.confirmed) == ("SUCCESS", True)
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


async def test_v3_modes_filter_the_connections(
    simulator: RunningSimulator, session: ClientSession
) -> None:
    """Simulated vehicles are listed only when the client asks for them (§4.0 item 3)."""
    simulator.simulator.connect_account(sim.DEMO_USER_EMAIL, mode="simulated")
    plain = v3_client_for(simulator, session)
    assert await plain.async_list_vehicles() == {}
    simulated = v3_client_for(simulator, session, vehicle_mode="simulated")
    vehicles = await simulated.async_list_vehicles()
    assert sim.BEV_VEHICLE_ID in vehicles
    assert {c.mode for c in vehicles.values() if c is not None} == {"simulated"}
    assert await plain.async_get_connections(sim.DEMO_USER_ID, mode="simulated")


async def test_v3_empty_store_until_subscribed(
    simulator: RunningSimulator, session: ClientSession
) -> None:
    """Not subscribed: an empty state, the VIN not ingested; subscribing fills the store."""
    world = simulator.simulator
    world.configure(auto_enroll=False)
    world.connect_account(sim.DEMO_USER_EMAIL)
    client = v3_client_for(simulator, session)
    state = await client.async_get_state(sim.BEV_VEHICLE_ID, ALL_FIELDS)
    assert state == VehicleState(store_empty=True)
    with pytest.raises(SmartcarSignalNotIngestedError) as missing:
        await client.async_get_vin(sim.BEV_VEHICLE_ID)
    assert missing.value.code == SIGNAL_NOT_INGESTED

    assert await client.async_subscribe_vehicle(sim.WEBHOOK_ID, sim.BEV_VEHICLE_ID) is True
    assert await client.async_subscribe_vehicle(sim.WEBHOOK_ID, sim.BEV_VEHICLE_ID) is False
    assert await client.async_get_vin(sim.BEV_VEHICLE_ID) == sim.BEV_VIN
    state = await client.async_get_state(sim.BEV_VEHICLE_ID, ALL_FIELDS)
    assert not state.store_empty
    assert state.battery_level is not None
    assert state.battery_level.fetched_at == state.battery_level.ingested_at == world.clock.now()
    with pytest.raises(SmartcarPermissionError):
        await client.async_subscribe_vehicle(sim.WEBHOOK_ID, sim.NISSAN_VEHICLE_ID)

    assert await client.async_unsubscribe_vehicle(sim.WEBHOOK_ID, sim.BEV_VEHICLE_ID) is True
    assert await client.async_unsubscribe_vehicle(sim.WEBHOOK_ID, sim.BEV_VEHICLE_ID) is False
    subscriptions = [r for r in world.request_log if "subscriptions" in r.path]
    assert {r.path for r in subscriptions} == {
        "/v3/subscriptions",
        f"/v3/webhooks/{sim.WEBHOOK_ID}/subscriptions/{sim.BEV_VEHICLE_ID}",
    }


async def test_v3_corrected_signals(simulator: RunningSimulator, v3_client: SmartcarClient) -> None:
    """GLOBAL limit (not LOCATION), activeLimit null unplugged, the flap, tyres in kPa."""
    world = simulator.simulator
    world.set_vehicle_state(sim.PHEV_VEHICLE_ID, plugged_in=True)
    world.set_vehicle_state(sim.PHEV_VEHICLE_ID, plugged_in=False)
    phev = await v3_client.async_get_state(sim.PHEV_VEHICLE_ID, ALL_FIELDS)
    car = world.vehicle(sim.PHEV_VEHICLE_ID)
    assert phev.charge_limit is not None
    assert phev.charge_limit.value == pytest.approx(car.charge_limit)
    assert car.location_charge_limit != car.charge_limit
    assert phev.charge_port_open is not None
    assert phev.charge_port_open.value is False
    bev = await v3_client.async_get_state(sim.BEV_VEHICLE_ID, ALL_FIELDS)
    assert bev.charge_port_open is not None
    assert bev.charge_port_open.value is True
    for state, vehicle_id in ((phev, sim.PHEV_VEHICLE_ID), (bev, sim.BEV_VEHICLE_ID)):
        tires = world.vehicle(vehicle_id).tire_kpa
        assert state.tire_pressure is not None
        assert state.tire_pressure.value.front_left == pytest.approx(tires["frontLeft"])
    tesla = await v3_client.async_get_state(sim.TESLA_VEHICLE_ID, (Field.TIRE_PRESSURE,))
    assert tesla.tire_pressure is not None
    assert tesla.tire_pressure.value.back_right == 290.0
