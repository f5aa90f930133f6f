"""The simulated Connect: consent page, form flow, Connect errors and re-authentication."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp
import pytest
from yarl import URL

from tests.simulator import RunningSimulator, const
from tests.simulator.testing import approve

REDIRECT = "https://example.test/callback"


def _authorize(origin: str, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": const.APPLICATION_ID,
        "redirect_uri": REDIRECT,
        "approval_prompt": "force",
        "state": "st",
        **params,
    }
    return f"{origin}/oauth/authorize?{urlencode(query)}"


async def test_consent_page_renders(simulator: RunningSimulator) -> None:
    """App name, permissions (required marked), the account's cars, Approve and Deny."""
    url = _authorize(
        simulator.origin, scope="required:read_vehicle_info read_battery", mode="simulated"
    )
    async with aiohttp.ClientSession() as session, session.get(url) as page:
        assert page.status == 200
        assert page.content_type == "text/html"
        html = await page.text()
    assert const.APP_NAME in html
    assert "Know make, model, and year" in html
    assert "(required)" in html
    assert "Read the EV battery" in html
    assert "Simulated mode" in html
    assert f'name="email" value="{const.DEMO_USER_EMAIL}"' in html
    for vehicle_id in (const.BEV_VEHICLE_ID, const.ICE_VEHICLE_ID, const.TESLA_VEHICLE_ID):
        assert f'name="vehicle_id" value="{vehicle_id}"' in html
    assert 'type="checkbox"' in html
    assert 'name="action" value="approve">Approve' in html
    assert 'name="action" value="deny"' in html
    assert f'action="/oauth/authorize?{URL(url).raw_query_string}"'.replace("&", "&amp;") in html


async def test_required_permission_disables_incapable_cars(
    simulator: RunningSimulator,
) -> None:
    """A car without a required capability is shown disabled and refused if posted anyway."""
    url = _authorize(simulator.origin, scope="read_vehicle_info required:read_battery")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as page:
            html = await page.text()
        ice_row = html.split(const.ICE_VEHICLE_ID)[1].split("</label>")[0]
        assert "disabled" in ice_row
        assert "not compatible" in ice_row
        target = await approve(session, url, vehicle_ids=[const.ICE_VEHICLE_ID])
    assert target.query["error"] == "vehicle_incompatible"
    assert target.query["vin"] == const.ICE_VIN
    assert (target.query["make"], target.query["model"], target.query["year"]) == (
        "FORD",
        "Escape",
        "2021",
    )
    assert target.query["state"] == "st"


async def test_approve_creates_code_and_connections(simulator: RunningSimulator) -> None:
    """Approve redirects with code, state and user_id; the connections appear."""
    url = _authorize(simulator.origin, scope="read_vehicle_info read_odometer")
    async with aiohttp.ClientSession() as session:
        target = await approve(session, url, vehicle_ids=[const.PHEV_VEHICLE_ID])
    assert str(target).startswith(REDIRECT)
    assert set(target.query) == {"code", "state", "user_id"}
    assert target.query["user_id"] == const.DEMO_USER_ID
    sim = simulator.simulator
    grant = sim.tokens.grants[sim.tokens.codes[target.query["code"]].grant_id]
    assert grant.vehicle_ids == [const.PHEV_VEHICLE_ID]
    assert grant.permissions == ["read_vehicle_info", "read_odometer"]
    connection = sim.connection_for(const.DEMO_USER_ID, const.PHEV_VEHICLE_ID)
    assert connection is not None
    assert connection.mode == "live"


async def test_headless_post_without_vehicles_approves_all(
    simulator: RunningSimulator,
) -> None:
    """Posting without vehicle_id approves every compatible car (headless shortcut)."""
    url = _authorize(simulator.origin, scope="read_vehicle_info", mode="test")
    async with aiohttp.ClientSession() as session:
        target = await approve(session, url, email="3-vehicles@smartcar.com")
    sim = simulator.simulator
    grant = sim.tokens.grants[sim.tokens.codes[target.query["code"]].grant_id]
    assert len(grant.vehicle_ids) == 3
    account = sim.account("3-vehicles@smartcar.com")
    assert account is not None
    assert target.query["user_id"] == account.user_id
    assert grant.mode == "test"


async def test_second_user_and_make_filter(simulator: RunningSimulator) -> None:
    """The second demo user owns the Nissan; `make` hides other brands."""
    url = _authorize(simulator.origin, make="NISSAN")
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, data={"email": const.SECOND_USER_EMAIL, "action": "login"}
        ) as page:
            html = await page.text()
        assert const.NISSAN_VEHICLE_ID in html
        assert "Brand: NISSAN" in html
        target = await approve(
            session, url, email=const.SECOND_USER_EMAIL, vehicle_ids=[const.NISSAN_VEHICLE_ID]
        )
        assert target.query["user_id"] == const.SECOND_USER_ID
        tesla_only = _authorize(simulator.origin, make="TESLA")
        no_match = await approve(session, tesla_only, email=const.SECOND_USER_EMAIL)
    assert no_match.query["error"] == "no_vehicles"


async def test_single_select(simulator: RunningSimulator) -> None:
    """single_select shows radio buttons and refuses two cars."""
    url = _authorize(simulator.origin, single_select="true")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as page:
            html = await page.text()
        assert 'type="radio"' in html
        form = [
            ("email", const.DEMO_USER_EMAIL),
            ("vehicle_id", const.BEV_VEHICLE_ID),
            ("vehicle_id", const.PHEV_VEHICLE_ID),
            ("action", "approve"),
        ]
        async with session.post(url, data=form, allow_redirects=False) as response:
            assert response.status == 200
            assert "Select only one vehicle." in await response.text()
        vin_only = _authorize(simulator.origin, single_select_vin=const.TESLA_VIN)
        target = await approve(session, vin_only)
    sim = simulator.simulator
    grant = sim.tokens.grants[sim.tokens.codes[target.query["code"]].grant_id]
    assert grant.vehicle_ids == [const.TESLA_VEHICLE_ID]


async def test_deny(simulator: RunningSimulator) -> None:
    """Deny → access_denied with a description and the state."""
    async with aiohttp.ClientSession() as session:
        target = await approve(session, _authorize(simulator.origin), action="deny")
    assert target.query["error"] == "access_denied"
    assert target.query["error_description"]
    assert target.query["state"] == "st"
    assert "code" not in target.query


@pytest.mark.parametrize(
    ("email", "error"),
    [
        (const.NO_VEHICLES_EMAIL, "no_vehicles"),
        (const.INVALID_SUBSCRIPTION_EMAIL, "invalid_subscription"),
        (const.INCOMPATIBLE_EMAIL, "vehicle_incompatible"),
        (const.SERVER_ERROR_EMAIL, "server_error"),
    ],
)
async def test_connect_error_accounts(
    simulator: RunningSimulator,
    email: str,
    error: str,
) -> None:
    """The test accounts produce Connect's documented errors."""
    async with aiohttp.ClientSession() as session:
        target = await approve(session, _authorize(simulator.origin), email=email)
    assert target.query["error"] == error
    assert target.query["error_description"]
    assert target.query["state"] == "st"
    if error == "vehicle_incompatible":
        assert target.query["vin"] == const.INCOMPATIBLE_VIN


async def test_injected_connect_error_and_unknown_account(
    simulator: RunningSimulator,
) -> None:
    """The admin API makes the next approval fail; unknown emails re-render the page."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{simulator.origin}/_simulator/connect/next-error",
            json={"error": "oem_cancelled_login"},
        ) as response:
            assert response.status == 200
        url = _authorize(simulator.origin)
        target = await approve(session, url)
        assert target.query["error"] == "oem_cancelled_login"
        again = await approve(session, url)
        assert "code" in again.query
        async with session.post(
            url, data={"email": "nobody@example.com", "action": "approve"}
        ) as page:
            assert page.status == 400
            assert "No simulated account" in await page.text()


async def test_bad_authorize_requests(simulator: RunningSimulator) -> None:
    """Unknown client → error page; bad parameters → configuration_error link back."""
    async with aiohttp.ClientSession() as session:
        bad_client = _authorize(simulator.origin, client_id="not-our-app")
        async with session.get(bad_client) as page:
            assert page.status == 400
            assert "Unknown application" in await page.text()
        bad_scope = _authorize(simulator.origin, scope="read_everything")
        async with session.get(bad_scope) as page:
            assert page.status == 400
            html = await page.text()
        assert "error=configuration_error" in html
        assert "status_code=400" in html
        no_redirect = f"{simulator.origin}/oauth/authorize?" + urlencode(
            {"response_type": "code", "client_id": const.APPLICATION_ID}
        )
        async with session.get(no_redirect) as page:
            assert page.status == 400


async def test_sdk_style_query_encodings(simulator: RunningSimulator) -> None:
    """Spaces in `scope` may arrive as `+` (Python) or `%20` (Node)."""
    base = _authorize(simulator.origin)
    async with aiohttp.ClientSession() as session:
        for encoded in ("read_vehicle_info+read_vin", "read_vehicle_info%20read_vin"):
            url = URL(f"{base}&scope={encoded}", encoded=True)
            async with session.get(url) as page:
                html = await page.text()
            assert "Read VIN" in html
            assert "Know make, model, and year" in html


async def test_approval_prompt_auto_skips_known_grant(simulator: RunningSimulator) -> None:
    """With approval_prompt=auto a returning browser is redirected without the page."""
    jar = aiohttp.CookieJar(unsafe=True)  # the cookie comes from 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        first = await approve(
            session,
            _authorize(simulator.origin, scope="read_vehicle_info"),
            vehicle_ids=[const.BEV_VEHICLE_ID],
        )
        assert "code" in first.query
        auto = _authorize(simulator.origin, scope="read_vehicle_info", approval_prompt="auto")
        async with session.get(auto, allow_redirects=False) as response:
            assert response.status == 302
            target = URL(response.headers["Location"])
        assert target.query["user_id"] == const.DEMO_USER_ID
        assert target.query["code"] != first.query["code"]
        wider = _authorize(simulator.origin, scope="read_location", approval_prompt="auto")
        async with session.get(wider, allow_redirects=False) as response:
            assert response.status == 200


async def test_reauthenticate(simulator: RunningSimulator) -> None:
    """The resolution URL of AUTHENTICATION_FAILED clears the fault and returns vehicle_id."""
    sim = simulator.simulator
    sim.inject_fault(
        vehicle_id=const.BEV_VEHICLE_ID,
        error_type="CONNECTED_SERVICES_ACCOUNT",
        error_code="AUTHENTICATION_FAILED",
        times=None,
    )
    url = f"{simulator.origin}/oauth/reauthenticate?" + urlencode(
        {
            "response_type": "vehicle_id",
            "client_id": const.APPLICATION_ID,
            "vehicle_id": const.BEV_VEHICLE_ID,
            "redirect_uri": REDIRECT,
            "state": "re",
        }
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as page:
            assert page.status == 200
            assert "Reconnect" in await page.text()
        async with session.post(url, data={"action": "approve"}, allow_redirects=False) as done:
            target = URL(done.headers["Location"])
    assert target.query["vehicle_id"] == const.BEV_VEHICLE_ID
    assert target.query["state"] == "re"
    assert sim.faults.faults == []
