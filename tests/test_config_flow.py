"""The config flow against the simulated Smartcar: real Connect page, real callback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow, device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.smartcar.api import (
    SmartcarAuthenticationError,
    SmartcarClient,
    SmartcarServerError,
)
from custom_components.smartcar.const import DOMAIN
from tests.conftest import (
    ALL_PERMISSIONS,
    REDIRECT_URI,
    _import_credential,
    consent,
    requests_to,
    v2_entry,
    v3_entry,
)
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator.simulator import Simulator

OPTIONAL = [p for p in ALL_PERMISSIONS if p not in ("read_vehicle_info", "read_vin")]

pytestmark = pytest.mark.usefixtures("current_request_with_host")


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Create entries without setting them up (setup has its own tests)."""
    with patch("custom_components.smartcar.async_setup_entry", return_value=True) as mock:
        yield mock


async def _start(hass: HomeAssistant) -> FlowResult:
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})


async def _to_connect(
    hass: HomeAssistant, result: FlowResult, user_input: dict[str, Any]
) -> FlowResult:
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connect"
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def _callback(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    result: FlowResult,
    **consent_args: Any,
) -> FlowResult:
    """Go through the simulator's Connect page and Home Assistant's OAuth callback."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    location = await consent(result["url"], **consent_args)
    assert str(location.with_query(None)) == REDIRECT_URI
    client = await hass_client_no_auth()
    response = await client.get(f"/auth/external/callback?{location.query_string}")
    assert response.status == 200
    return await hass.config_entries.flow.async_configure(result["flow_id"])


# ---------------------------------------------------------------------------- v2


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_full_flow(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    mock_setup_entry: AsyncMock,
) -> None:
    """A v2 app: permissions, Connect, code exchange, GET /user, entry."""
    result = await _start(hass)
    assert result["step_id"] == "connect"
    schema_keys = {str(key) for key in result["data_schema"].schema}
    assert schema_keys == {"permissions", "mode"}

    result = await _to_connect(
        hass, result, {"permissions": ["read_battery", "control_security"], "mode": "live"}
    )
    url = URL(result["url"])
    assert url.path == "/oauth/authorize"
    assert url.query["client_id"] == sim_const.APPLICATION_ID
    assert url.query["redirect_uri"] == REDIRECT_URI
    assert url.query["scope"] == (
        "required:read_vehicle_info required:read_vin read_battery control_security"
    )
    assert url.query["mode"] == "live"
    assert url.query["approval_prompt"] == "force"

    result = await _callback(
        hass, hass_client_no_auth, result, vehicle_ids=[sim_const.BEV_VEHICLE_ID]
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Volkswagen ID.4"
    entry = result["result"]
    assert entry.unique_id == sim_const.DEMO_USER_ID
    assert entry.data["api_version"] == "2.0"
    assert entry.data["user_id"] == sim_const.DEMO_USER_ID
    assert entry.data["permissions"] == [
        "read_vehicle_info",
        "read_vin",
        "read_battery",
        "control_security",
    ]
    assert entry.data["mode"] == "live"
    assert "application_id" not in entry.data
    assert entry.data["token"]["refresh_token"]
    assert entry.data["auth_implementation"] == DOMAIN
    assert len(mock_setup_entry.mock_calls) == 1
    # The code was exchanged with HTTP Basic client authentication.
    (exchange,) = requests_to(sim, "/oauth/token", "POST")
    assert exchange.headers["authorization"].startswith("Basic ")
    assert exchange.form["grant_type"] == "authorization_code"


@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_v2_title_lists_three_vehicles_and_counts_the_rest(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Four cars: three named, one counted; a car whose attributes fail is skipped."""
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    sim.inject_fault(
        vehicle_id=sim_const.PHEV_VEHICLE_ID, path="/", error_type="SERVER", error_code="INTERNAL"
    )
    result = await _callback(hass, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Ford Escape, Volkswagen ID.4 +2"


@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_v2_title_falls_back_when_no_vehicle_can_be_named(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Without readable attributes the entry is simply called Smartcar."""
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "simulated"})
    assert URL(result["url"]).query["mode"] == "simulated"
    sim.inject_fault(
        vehicle_id=sim_const.ICE_VEHICLE_ID, path="/", error_type="SERVER", error_code="INTERNAL"
    )
    result = await _callback(
        hass, hass_client_no_auth, result, vehicle_ids=[sim_const.ICE_VEHICLE_ID]
    )
    assert result["title"] == "Smartcar"
    assert result["result"].data["mode"] == "simulated"


@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_v2_already_configured(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """The same Smartcar user cannot be added twice."""
    MockConfigEntry(domain=DOMAIN, unique_id=sim_const.DEMO_USER_ID).add_to_hass(hass)
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    result = await _callback(hass, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("consent_args", "reason"),
    [
        ({"action": "deny"}, "access_denied"),
        ({"email": sim_const.NO_VEHICLES_EMAIL}, "no_vehicles"),
        ({"email": sim_const.INCOMPATIBLE_EMAIL}, "vehicle_incompatible"),
        ({"email": sim_const.INVALID_SUBSCRIPTION_EMAIL}, "invalid_subscription"),
        ({"email": sim_const.SERVER_ERROR_EMAIL}, "server_error"),
    ],
)
@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_connect_errors_abort_with_their_reason(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    consent_args: dict[str, Any],
    reason: str,
) -> None:
    """Each Connect error ends the flow with its own translated reason."""
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    result = await _callback(hass, hass_client_no_auth, result, **consent_args)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    # The user can start again.
    assert (await _start(hass))["step_id"] == "connect"


@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_unknown_connect_error_names_the_code(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """A Connect error code without its own text is still shown."""
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    sim.next_connect_error = {"error": "brand_new_error"}
    result = await _callback(hass, hass_client_no_auth, result)
    assert result["reason"] == "connect_error"
    assert result["description_placeholders"] == {"error": "brand_new_error"}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (SmartcarAuthenticationError("bad token"), "invalid_auth"),
        (SmartcarServerError("down", code="INTERNAL"), "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_v2_user_lookup_failures(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    error: Exception,
    reason: str,
) -> None:
    """GET /user failing ends the flow; the simulator has no fault for that path."""
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    with patch.object(SmartcarClient, "async_get_user_id", side_effect=error):
        result = await _callback(hass, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_vehicle_list_failure_and_empty_list(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Listing the vehicles is the test before configuring: failures and no cars abort."""
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    with patch.object(
        SmartcarClient, "async_get_vehicle_ids", side_effect=SmartcarServerError("down")
    ):
        result = await _callback(hass, hass_client_no_auth, result)
    assert result["reason"] == "cannot_connect"

    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    with patch.object(SmartcarClient, "async_get_vehicle_ids", return_value=[]):
        result = await _callback(hass, hass_client_no_auth, result)
    assert result["reason"] == "no_vehicles"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_v2_code_exchange_rejected(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """A wrong client secret: Smartcar refuses the code exchange."""
    await _import_credential(hass, sim_const.APPLICATION_ID, "wrong-secret")
    result = await _to_connect(hass, await _start(hass), {"permissions": [], "mode": "live"})
    result = await _callback(hass, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_unauthorized"


# ---------------------------------------------------------------------------- v3


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_full_flow(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    mock_setup_entry: AsyncMock,
) -> None:
    """A v3 app: Application ID for Connect, connection snapshot, application token."""
    result = await _start(hass)
    assert {str(key) for key in result["data_schema"].schema} == {
        "permissions",
        "mode",
        "application_id",
    }
    result = await _to_connect(
        hass,
        result,
        {
            "permissions": OPTIONAL,
            "mode": "live",
            "application_id": f" {sim_const.APPLICATION_ID} ",
        },
    )
    url = URL(result["url"])
    assert url.query["client_id"] == sim_const.APPLICATION_ID
    result = await _callback(
        hass,
        hass_client_no_auth,
        result,
        vehicle_ids=[sim_const.TESLA_VEHICLE_ID, sim_const.BEV_VEHICLE_ID],
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Tesla Model 3, Volkswagen ID.4"
    entry = result["result"]
    assert entry.unique_id == sim_const.DEMO_USER_ID
    assert entry.data["api_version"] == "3"
    assert entry.data["application_id"] == sim_const.APPLICATION_ID
    assert entry.data["permissions"] == list(ALL_PERMISSIONS)
    assert "refresh_token" not in entry.data["token"]
    # The connections were listed before Connect and again after it, every page.
    assert len(requests_to(sim, "/v3/connections")) >= 2
    # The code was never exchanged: v3 reads with the application token.
    assert not requests_to(sim, "/oauth/token")
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_application_id_is_validated(hass: HomeAssistant, sim: Simulator) -> None:
    """The API client ID or garbage in the Application ID field is caught on the form."""
    result = await _start(hass)
    result = await _to_connect(
        hass,
        result,
        {"permissions": [], "mode": "live", "application_id": sim_const.API_CLIENT_ID},
    )
    assert result["errors"] == {"application_id": "client_id_as_application_id"}
    result = await _to_connect(
        hass, result, {"permissions": [], "mode": "live", "application_id": "not-a-uuid"}
    )
    assert result["errors"] == {"application_id": "invalid_application_id"}


@pytest.mark.usefixtures("mock_setup_entry")
async def test_v3_wrong_secret_aborts_before_connect(hass: HomeAssistant, sim: Simulator) -> None:
    """Smartcar IAM rejects the client credentials: nothing to fix in the form."""
    await _import_credential(hass, sim_const.API_CLIENT_ID, "wrong-secret")
    result = await _to_connect(
        hass,
        await _start(hass),
        {"permissions": [], "mode": "live", "application_id": sim_const.APPLICATION_ID},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_credentials"


@pytest.mark.usefixtures("v3_credentials", "mock_setup_entry")
async def test_v3_snapshot_failure_aborts(hass: HomeAssistant, sim: Simulator) -> None:
    """The connection snapshot cannot be taken: the flow stops before Connect."""
    with patch.object(
        SmartcarClient, "async_get_connections", side_effect=SmartcarServerError("down")
    ):
        result = await _to_connect(
            hass,
            await _start(hass),
            {"permissions": [], "mode": "live", "application_id": sim_const.APPLICATION_ID},
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


@pytest.mark.usefixtures("v3_credentials", "mock_setup_entry")
async def test_v3_connections_after_callback_fail(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Listing connections after Connect fails: the flow ends, the user can retry."""
    result = await _to_connect(
        hass,
        await _start(hass),
        {"permissions": [], "mode": "live", "application_id": sim_const.APPLICATION_ID},
    )
    with patch.object(
        SmartcarClient, "async_get_connections", side_effect=SmartcarServerError("down")
    ):
        result = await _callback(hass, hass_client_no_auth, result)
    assert result["reason"] == "cannot_connect"


@pytest.mark.usefixtures("v3_credentials", "mock_setup_entry")
async def test_v3_unchanged_connections_ask_which_user(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Nothing changed (a returning user): the flow asks, listing each user's cars."""
    sim.connect_account(sim_const.DEMO_USER_EMAIL, permissions=list(ALL_PERMISSIONS))
    sim.connect_account(sim_const.SECOND_USER_EMAIL, permissions=list(ALL_PERMISSIONS))
    result = await _to_connect(
        hass,
        await _start(hass),
        {"permissions": OPTIONAL, "mode": "live", "application_id": sim_const.APPLICATION_ID},
    )
    result = await _callback(hass, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "select_user"
    assert result["description_placeholders"] == {"count": "2"}
    options = result["data_schema"].schema["user_id"].config["options"]
    labels = {option["value"]: option["label"] for option in options}
    assert (
        labels[sim_const.SECOND_USER_ID] == f"Nissan LEAF (2020) · …{sim_const.SECOND_USER_ID[-6:]}"
    )
    assert labels[sim_const.DEMO_USER_ID].startswith(
        "Ford Escape (2021), Tesla Model 3 (2021), Toyota RAV4 Prime (2023), Volkswagen ID.4"
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"user_id": sim_const.SECOND_USER_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == sim_const.SECOND_USER_ID
    assert result["title"] == "Nissan LEAF"


@pytest.mark.usefixtures("v3_credentials", "mock_setup_entry")
async def test_v3_two_users_changed_ask_which_user(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Two household members connected at the same time: never guess."""
    result = await _to_connect(
        hass,
        await _start(hass),
        {"permissions": [], "mode": "live", "application_id": sim_const.APPLICATION_ID},
    )
    sim.connect_account(sim_const.SECOND_USER_EMAIL)
    result = await _callback(hass, hass_client_no_auth, result)
    assert result["step_id"] == "select_user"
    values = [o["value"] for o in result["data_schema"].schema["user_id"].config["options"]]
    assert values == sorted([sim_const.DEMO_USER_ID, sim_const.SECOND_USER_ID])


@pytest.mark.usefixtures("v3_credentials", "mock_setup_entry")
async def test_v3_changed_permissions_identify_the_user(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """A returning user who changed permissions is recognised by the changed connection."""
    sim.connect_account(sim_const.DEMO_USER_EMAIL, permissions=["read_vehicle_info"])
    sim.connect_account(sim_const.SECOND_USER_EMAIL)
    result = await _to_connect(
        hass,
        await _start(hass),
        {"permissions": OPTIONAL, "mode": "live", "application_id": sim_const.APPLICATION_ID},
    )
    result = await _callback(hass, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == sim_const.DEMO_USER_ID


@pytest.mark.usefixtures("v3_credentials", "mock_setup_entry")
async def test_v3_no_connections_at_all(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Connect succeeded but the application has no connections: no vehicles."""
    result = await _to_connect(
        hass,
        await _start(hass),
        {"permissions": [], "mode": "live", "application_id": sim_const.APPLICATION_ID},
    )
    with patch.object(SmartcarClient, "async_get_connections", return_value=[]):
        result = await _callback(hass, hass_client_no_auth, result)
    assert result["reason"] == "no_vehicles"


# ---------------------------------------------------------------------------- reauth


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_reauth(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Reauth goes straight to Connect with the entry's permissions and updates the tokens."""
    entry = v2_entry(sim, vehicle_ids=[sim_const.BEV_VEHICLE_ID])
    entry.add_to_hass(hass)
    old_token = entry.data["token"]["access_token"]
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert URL(result["url"]).query["scope"].endswith("control_charge control_security")
    with patch("custom_components.smartcar.async_setup_entry", return_value=True):
        result = await _callback(
            hass, hass_client_no_auth, result, vehicle_ids=[sim_const.BEV_VEHICLE_ID]
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"]["access_token"] != old_token
    assert entry.data["consent"] != "consent-1"


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_reauth_with_another_account(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Signing in as someone else does not overwrite the entry."""
    entry = v2_entry(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _callback(hass, hass_client_no_auth, result, email=sim_const.SECOND_USER_EMAIL)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_account_mismatch"
    assert entry.unique_id == sim_const.DEMO_USER_ID


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_reauth_same_and_other_user(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """v3 reauth: an unchanged returning user is the entry's; another user is refused."""
    entry = v3_entry(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert URL(result["url"]).query["client_id"] == sim_const.APPLICATION_ID
    with patch("custom_components.smartcar.async_setup_entry", return_value=True):
        result = await _callback(hass, hass_client_no_auth, result)
    assert result["reason"] == "reauth_successful"

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _callback(hass, hass_client_no_auth, result, email=sim_const.SECOND_USER_EMAIL)
    assert result["reason"] == "reauth_account_mismatch"


@pytest.mark.usefixtures("v2_credentials")
async def test_reauth_without_the_entry_credentials_lets_the_user_pick(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The entry's credentials were deleted: the flow falls back to picking credentials."""
    entry = v2_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "auth_implementation": "deleted"}
    )
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    # The only credentials left are picked; the settings still match, so on to Connect.
    assert result["type"] is FlowResultType.EXTERNAL_STEP


@pytest.mark.usefixtures("v2_credentials")
async def test_reauth_when_no_implementation_is_available(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """An unavailable credentials provider ends the reauth flow cleanly."""
    entry = v2_entry(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    with patch.object(
        config_entry_oauth2_flow,
        "async_get_implementations",
        side_effect=config_entry_oauth2_flow.ImplementationUnavailableError,
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_implementation_unavailable"


# ---------------------------------------------------------------------------- reconfigure


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_reconfigure_permissions(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Reconfigure shows the entry's choices, then goes through Connect again."""
    entry = v3_entry(sim, permissions=["read_vehicle_info", "read_vin", "read_battery"])
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "connect"
    suggested = {
        str(key): key.description["suggested_value"] for key in result["data_schema"].schema
    }
    assert suggested == {
        "permissions": ["read_battery"],
        "mode": "live",
        "application_id": sim_const.APPLICATION_ID,
    }
    result = await _to_connect(
        hass,
        result,
        {
            "permissions": ["read_battery", "read_location"],
            "mode": "live",
            "application_id": sim_const.APPLICATION_ID,
        },
    )
    with patch("custom_components.smartcar.async_setup_entry", return_value=True):
        result = await _callback(hass, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["permissions"] == [
        "read_vehicle_info",
        "read_vin",
        "read_battery",
        "read_location",
    ]


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_reconfigure_with_another_account(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Reconfigure cannot swap the account either (v2, no v3 credentials to move to)."""
    entry = v2_entry(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    # Without v3 credentials the step says how to move; submitting goes on with v2.
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"]["title"] == entry.title
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert {str(key) for key in result["data_schema"].schema} == {"permissions", "mode"}
    result = await _to_connect(hass, result, {"permissions": [], "mode": "live"})
    result = await _callback(hass, hass_client_no_auth, result, email=sim_const.SECOND_USER_EMAIL)
    assert result["reason"] == "reconfigure_account_mismatch"


@pytest.mark.usefixtures("v3_credentials")
async def test_v3_simulated_vehicles_are_found(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    mock_setup_entry: AsyncMock,
) -> None:
    """A user who connected simulated vehicles: the flow lists them with the mode filter.

    Smartcar lists only live vehicles without ``filter[vehicle.mode]``, so without the filter
    the flow found no vehicles at all.
    """
    result = await _to_connect(
        hass,
        await _start(hass),
        {"permissions": [], "mode": "simulated", "application_id": sim_const.APPLICATION_ID},
    )
    assert URL(result["url"]).query["mode"] == "simulated"
    result = await _callback(
        hass, hass_client_no_auth, result, vehicle_ids=[sim_const.BEV_VEHICLE_ID]
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == "Volkswagen ID.4"
    assert result["result"].unique_id == sim_const.DEMO_USER_ID
    assert result["result"].data["mode"] == "simulated"
    listed = requests_to(sim, "/v3/connections")
    assert listed
    assert all(entry.query.get("filter[vehicle.mode]") == "simulated" for entry in listed)


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_reconfigure_without_its_credentials_moves_to_v3(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The v2 credentials were deleted, v3 ones exist: Reconfigure goes to v3 at once."""
    entry = v2_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "auth_implementation": "deleted"}
    )
    await async_import_client_credential(
        hass,
        DOMAIN,
        ClientCredential(sim_const.API_CLIENT_ID, sim_const.API_CLIENT_SECRET, "v3"),
        "smartcar_v3",
    )
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "connect"
    suggested = {
        str(key): key.description["suggested_value"] for key in result["data_schema"].schema
    }
    # Nothing to suggest: the v2 client ID is gone with its credentials.
    assert suggested["application_id"] == ""


@pytest.mark.usefixtures("v2_credentials", "mock_setup_entry")
async def test_account_whose_cars_another_account_provides_is_refused(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """The same car under a second Smartcar user: refused when it brings nothing new."""
    owner = MockConfigEntry(domain=DOMAIN, title="Family account", unique_id="someone-else")
    owner.add_to_hass(hass)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=owner.entry_id, identifiers={(DOMAIN, sim_const.NISSAN_VEHICLE_ID)}
    )
    dr.async_get(hass).async_get_or_create(
        config_entry_id=owner.entry_id, identifiers={(DOMAIN, sim_const.BEV_VEHICLE_ID)}
    )
    result = await _to_connect(hass, await _start(hass), {"permissions": OPTIONAL, "mode": "live"})
    result = await _callback(
        hass,
        hass_client_no_auth,
        result,
        email=sim_const.SECOND_USER_EMAIL,
        vehicle_ids=[sim_const.NISSAN_VEHICLE_ID],
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "vehicles_already_configured"
    assert result["description_placeholders"] == {"titles": "Family account"}

    # With a car of its own as well, the account is added; the shared car stays with its owner.
    result = await _to_connect(hass, await _start(hass), {"permissions": OPTIONAL, "mode": "live"})
    result = await _callback(
        hass,
        hass_client_no_auth,
        result,
        vehicle_ids=[sim_const.BEV_VEHICLE_ID, sim_const.ICE_VEHICLE_ID],
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
