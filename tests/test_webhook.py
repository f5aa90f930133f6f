"""Push updates: signed deliveries through Home Assistant's webhook endpoint reach the entities."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.smartcar.api import Field, Reading, VehicleState
from custom_components.smartcar.const import DOMAIN
from custom_components.smartcar.diagnostics import async_get_config_entry_diagnostics
from custom_components.smartcar.push import MAX_BODY_BYTES
from tests.conftest import setup_entry, v3_entry
from tests.simulator import const as sim_const
from tests.simulator.errors import SimError

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
BATTERY = "sensor.volkswagen_id_4_battery"
ODOMETER = "sensor.volkswagen_id_4_odometer"
LAST_PUSH = "sensor.volkswagen_id_4_last_webhook_delivery"
POLLING = {"polling_mode": "balanced", "interval_minutes": 720, "monthly_budget": 500}
EXTERNAL_URL = "https://ha.example.com"

pytestmark = pytest.mark.usefixtures("v3_credentials")


async def _with_webhook(hass: HomeAssistant, sim: Simulator) -> tuple[MockConfigEntry, str]:
    """Set up an entry and turn on push updates through the options flow (window opens)."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV, sim_const.ICE_VEHICLE_ID]))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**POLLING, "push": "on", "management_token": f" {sim_const.MANAGEMENT_TOKEN} "},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook"
    webhook_id = (
        entry.options.get("webhook_id")
        or result["description_placeholders"]["url"].rsplit("/", 1)[-1]
    )
    assert result["description_placeholders"]["url"] == f"{EXTERNAL_URL}/api/webhook/{webhook_id}"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"smartcar_webhook_id": sim_const.WEBHOOK_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.options["webhook_id"] == webhook_id
    assert entry.options["management_token"] == sim_const.MANAGEMENT_TOKEN
    return entry, webhook_id


def _sign(body: bytes) -> str:
    return hmac.new(sim_const.MANAGEMENT_TOKEN.encode(), body, hashlib.sha256).hexdigest()


def _now_ms(offset_s: float = 0) -> int:
    return int((time.time() + offset_s) * 1000)


def _state_event(
    event_id: str | None,
    *,
    soc: float = 12,
    at_ms: int | None = None,
    vehicle_id: str = BEV,
    user_id: str = sim_const.DEMO_USER_ID,
    mode: str = "LIVE",
    extra: list[dict[str, Any]] | None = None,
) -> bytes:
    meta: dict[str, Any] = {}
    if at_ms is not None:
        meta = {"meta": {"oemUpdatedAt": at_ms, "retrievedAt": at_ms}}
    payload: dict[str, Any] = {
        "eventType": "VEHICLE_STATE",
        "data": {
            "user": {"id": user_id},
            "vehicle": {"id": vehicle_id},
            "signals": [
                {
                    "code": "tractionbattery-stateofcharge",
                    "body": {"unit": "percent", "value": soc},
                    "status": {"value": "SUCCESS"},
                    **meta,
                },
                *(extra or []),
            ],
        },
        "meta": {"version": "4.0", "mode": mode},
    }
    if event_id is not None:
        payload["eventId"] = event_id
    return json.dumps(payload).encode()


def _error_event(event_id: str, errors: list[dict[str, Any]], *, vehicle_id: str = BEV) -> bytes:
    return json.dumps(
        {
            "eventId": event_id,
            "eventType": "VEHICLE_ERROR",
            "data": {
                "user": {"id": sim_const.DEMO_USER_ID},
                "vehicle": {"id": vehicle_id},
                "errors": errors,
            },
            "meta": {"version": "4.0", "mode": "LIVE"},
        }
    ).encode()


async def _post(client: TestClient, url: str, body: bytes, *, signed: bool = True) -> int:
    headers = {"SC-Signature": _sign(body)} if signed else {}
    response = await client.post(url, data=body, headers=headers)
    return response.status


# ------------------------------------------------------------------------- the signing oracle


async def test_forged_verify_cannot_sign_a_delivery(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Whoever knows the URL must not get a valid signature for a body of their choosing.

    The attack: send a VERIFY whose challenge is the JSON delivery to forge, take the HMAC
    from the answer and post the forged delivery with it as ``SC-Signature``. It runs while
    the verification window is open, the most the user ever exposes.
    """
    _entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    forged = _state_event("forged-1", soc=3)
    before = hass.states.get(BATTERY).state

    response = await client.post(
        url, json={"eventType": "VERIFY", "data": {"challenge": forged.decode()}}
    )
    answer = (await response.json()).get("challenge") if response.status == 200 else None
    signature = answer if isinstance(answer, str) else "0" * 64
    response = await client.post(url, data=forged, headers={"SC-Signature": signature})
    await hass.async_block_till_done()

    assert response.status == 401
    assert hass.states.get(BATTERY).state == before != "3.0"


async def test_verify_answers_only_short_tokens_inside_the_window(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """VERIFY: a short-token challenge inside the user's window; nothing else, ever."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"

    def verify(challenge: str) -> dict[str, Any]:
        return {"eventType": "VERIFY", "data": {"challenge": challenge}}

    token = sim_const.MANAGEMENT_TOKEN.encode()
    response = await client.post(url, json=verify("abc-DEF_123.~+/="))
    assert response.status == 200
    assert (await response.json())["challenge"] == hmac.new(
        token, b"abc-DEF_123.~+/=", hashlib.sha256
    ).hexdigest()
    legacy = {"version": "2.0", "eventName": "verify", "payload": {"challenge": "legacy-1"}}
    response = await client.post(url, json=legacy)
    assert response.status == 200
    # A signed VERIFY follows the same rules.
    signed = json.dumps(verify("x" * 128)).encode()
    assert await _post(client, url, signed) == 200
    for challenge in ("x" * 129, "a b", '{"a":1}', "[1]", "é"):
        response = await client.post(url, json=verify(challenge))
        assert response.status == 400, challenge
    # The answer to a valid challenge signs only that challenge, which is no delivery.
    response = await client.post(url, json=verify("12"))
    signature = (await response.json())["challenge"]
    response = await client.post(url, data=b"12", headers={"SC-Signature": signature})
    assert response.status == 400

    freezer.tick(timedelta(minutes=15))
    response = await client.post(url, json=verify("abc"))
    assert response.status == 403
    assert "outside the verification window" in caplog.text
    response = await client.post(url, json=verify("abc"))
    assert response.status == 403

    # "Verify again" in the options opens the window once more.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**POLLING, "push": "verify"}
    )
    assert result["step_id"] == "webhook"
    assert result["description_placeholders"]["minutes"] == "15"
    await hass.config_entries.options.async_configure(
        result["flow_id"], {"smartcar_webhook_id": sim_const.WEBHOOK_ID}
    )
    await hass.async_block_till_done()
    response = await client.post(url, json=verify("abc"))
    assert response.status == 200

    push = (await async_get_config_entry_diagnostics(hass, entry))["push"]
    assert push["verify_answered"] == 5
    assert push["verify_refused"] == 7
    assert push["verification_open"] is True


# ------------------------------------------------------------------------- delivery rules


async def test_simulated_smartcar_verifies_and_pushes(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """VERIFY, FIRST_DELIVERY, a signal change, an error and its resolution, over HTTP."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    webhook = sim.webhooks.get(sim_const.WEBHOOK_ID)
    assert webhook is not None
    webhook.url = str(client.make_url(f"/api/webhook/{webhook_id}"))
    assert (await sim.webhooks.verify(webhook))["verified"]

    sim.webhooks.subscribe(sim_const.WEBHOOK_ID, BEV)
    await sim.webhooks.drain()
    sim.set_vehicle_state(BEV, soc=91.0, charging=False)
    await sim.webhooks.drain()
    await hass.async_block_till_done()
    assert all(delivery.status == 200 for delivery in sim.webhooks.deliveries)
    assert hass.states.get(BATTERY).state == "91.0"
    coordinator = entry.runtime_data.coordinators[BEV]
    assert coordinator.diagnostics()["push_active"]
    assert hass.states.get(LAST_PUSH).state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)

    # An error about one signal: just that entity is unavailable, until RESOLVED.
    error = SimError("VEHICLE_STATE", "UNREACHABLE")
    sim.webhooks.send_error(sim_const.WEBHOOK_ID, BEV, [(error, ["odometer-traveleddistance"])])
    await sim.webhooks.drain()
    await hass.async_block_till_done()
    assert hass.states.get(ODOMETER).state == STATE_UNAVAILABLE
    assert hass.states.get(BATTERY).state == "91.0"
    assert coordinator.field_error(Field.ODOMETER) is not None
    sim.webhooks.send_error(
        sim_const.WEBHOOK_ID, BEV, [(error, ["odometer-traveleddistance"])], state="RESOLVED"
    )
    await sim.webhooks.drain()
    await hass.async_block_till_done()
    assert hass.states.get(ODOMETER).state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)

    # A vehicle that cannot provide a signal: the field is gone.
    sim.webhooks.send_error(
        sim_const.WEBHOOK_ID,
        BEV,
        [(SimError("COMPATIBILITY", "VEHICLE_NOT_CAPABLE"), ["odometer-traveleddistance"])],
    )
    await sim.webhooks.drain()
    await hass.async_block_till_done()
    assert hass.states.get(ODOMETER) is None
    assert not coordinator.capabilities.is_readable(Field.ODOMETER)
    assert all(delivery.status == 200 for delivery in sim.webhooks.deliveries)


async def test_webhook_rejects_what_it_cannot_trust(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
) -> None:
    """Signatures, TEST mode, unknown events and signals, bad JSON and strangers."""
    assert await async_setup_component(hass, "diagnostics", {})
    # Another entry of the domain that is not loaded (and has no webhook) comes first.
    MockConfigEntry(domain=DOMAIN, version=3, title="Not loaded", data={}).add_to_hass(hass)
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    state = _state_event("e1")

    response = await client.post(url, data=state, headers={"SC-Signature": "0" * 64})
    assert response.status == 401
    assert await _post(client, url, state, signed=False) == 401
    assert hass.states.get(BATTERY).state != "12.0"
    assert hass.states.get(LAST_PUSH).attributes["rejected_deliveries"] == 2

    assert await _post(client, url, state) == 200
    assert hass.states.get(BATTERY).state == "12.0"

    test_mode = _state_event("e-test", soc=1, mode="TEST")
    assert await _post(client, url, test_mode) == 202
    assert hass.states.get(BATTERY).state == "12.0"

    other = json.dumps({"eventType": "SOMETHING_NEW", "data": {}}).encode()
    assert await _post(client, url, other) == 200
    assert await _post(client, url, other, signed=False) == 401
    for malformed in (b"not json", b'{"eventType": "VEHICLE_STATE"', b"[]", b"{}"):
        assert await _post(client, url, malformed) == 400, malformed
        assert await _post(client, url, malformed, signed=False) == 401, malformed

    unknown = _state_event(
        "e-unknown",
        soc=13,
        extra=[{"code": "vehicleuseraccount-role", "body": {"value": "OWNER"}}],
    )
    assert await _post(client, url, unknown) == 200
    assert hass.states.get(BATTERY).state == "13.0"

    stranger = _state_event("e-stranger", vehicle_id="not-a-vehicle-of-this-entry")
    assert await _post(client, url, stranger) == 200
    other_user = _state_event("e-other-user", soc=14, user_id="another-user")
    assert await _post(client, url, other_user) == 200
    assert hass.states.get(BATTERY).state == "13.0"

    push = (await get_diagnostics_for_config_entry(hass, hass_client, entry))["push"]
    assert push["enabled"] is True
    assert push["rejected"] == {"bad_signature": 7, "malformed": 4, "oversize": 0}
    assert push["test_events"] == 1
    assert push["unknown_events"] == 1
    assert push["unknown_signals"] == 1
    assert push["unknown_signal_codes"] == {"vehicleuseraccount-role": 1}
    assert push["vehicles_pushed"] == 2
    assert hass.states.get(LAST_PUSH).attributes["rejected_deliveries"] == 11


async def test_oversize_bodies_are_refused_unread(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Over 50 KB: 413 from the declared length, or after reading just past the limit."""
    _entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    padding = [{"code": "x-padding", "body": {"value": "p" * 1000}}] * 52
    big = _state_event("e-big", soc=57.5, extra=padding)
    assert len(big) > MAX_BODY_BYTES
    assert await _post(client, url, big) == 413

    async def chunks() -> Any:
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    response = await client.post(url, data=chunks(), headers={"SC-Signature": _sign(big)})
    assert response.status == 413
    assert hass.states.get(BATTERY).state != "57.5"

    fits = _state_event("e-fits", soc=56, extra=padding[:40])
    assert len(fits) <= MAX_BODY_BYTES
    assert await _post(client, url, fits) == 200
    assert hass.states.get(BATTERY).state == "56.0"


async def test_read_body_stops_just_past_the_limit() -> None:
    """A body without a declared length is read only up to one byte past the limit."""
    from custom_components.smartcar.webhook import _read_body

    class Stream:
        def __init__(self, size: int) -> None:
            self.left = size
            self.read_bytes = 0

        async def read(self, count: int) -> bytes:
            chunk = min(count, self.left, 1000)
            self.left -= chunk
            self.read_bytes += chunk
            return b"x" * chunk

    class Request:
        def __init__(self, size: int) -> None:
            self.headers = {"Content-Length": "not a number"}
            self.content = Stream(size)

    big = Request(10 * MAX_BODY_BYTES)
    assert await _read_body(big) is None  # type: ignore[arg-type]
    assert big.content.read_bytes == MAX_BODY_BYTES + 1
    small = Request(MAX_BODY_BYTES)
    assert await _read_body(small) == b"x" * MAX_BODY_BYTES  # type: ignore[arg-type]


async def test_duplicates_and_out_of_order_deliveries(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
) -> None:
    """A redelivered event is applied once; an older reading never replaces a newer one."""
    assert await async_setup_component(hass, "diagnostics", {})
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"

    assert await _post(client, url, _state_event("e1", soc=50, at_ms=_now_ms(10))) == 200
    assert await _post(client, url, _state_event("e2", soc=60, at_ms=_now_ms(20))) == 200
    assert hass.states.get(BATTERY).state == "60.0"
    # Redelivery of e1 (Smartcar keeps the eventId across retries): acknowledged, not applied.
    assert await _post(client, url, _state_event("e1", soc=50, at_ms=_now_ms(10))) == 200
    # Another event recorded before e2 arrives late.
    assert await _post(client, url, _state_event("e0", soc=40, at_ms=_now_ms(5))) == 200
    assert hass.states.get(BATTERY).state == "60.0"
    # The same id with other content is still the same event.
    assert await _post(client, url, _state_event("e2", soc=61, at_ms=_now_ms(30))) == 200
    assert hass.states.get(BATTERY).state == "60.0"
    # Newer wins; without an event id nothing is de-duplicated.
    assert await _post(client, url, _state_event(None, soc=70, at_ms=_now_ms(40))) == 200
    assert hass.states.get(BATTERY).state == "70.0"

    push = (await get_diagnostics_for_config_entry(hass, hass_client, entry))["push"]
    assert push["duplicates"] == 2


async def test_vehicle_errors_and_their_resolution(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """VEHICLE_ERROR makes just the affected entities unavailable; RESOLVED restores them."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    coordinator = entry.runtime_data.coordinators[BEV]
    asleep = {"type": "VEHICLE_STATE", "code": "ASLEEP", "state": "ERROR"}

    body = _error_event("err-1", [{**asleep, "signals": ["Odometer.TraveledDistance"]}])
    assert await _post(client, url, body) == 200
    assert hass.states.get(ODOMETER).state == STATE_UNAVAILABLE
    assert hass.states.get(BATTERY).state != STATE_UNAVAILABLE
    # A newer reading of the field ends the error too.
    fresh = _state_event(
        "state-1",
        soc=33,
        extra=[
            {
                "code": "odometer-traveleddistance",
                "body": {"unit": "km", "value": 4321},
                "meta": {"oemUpdatedAt": _now_ms(60)},
            }
        ],
    )
    assert await _post(client, url, fresh) == 200
    assert hass.states.get(ODOMETER).state == "4321.0"

    # A vehicle-wide error affects every reading, not the commands.
    body = _error_event("err-2", [{**asleep, "signals": []}])
    assert await _post(client, url, body) == 200
    assert hass.states.get(ODOMETER).state == STATE_UNAVAILABLE
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    assert hass.states.get("lock.volkswagen_id_4").state != STATE_UNAVAILABLE
    # A redelivered error changes nothing; RESOLVED (even mixed with a new error) restores.
    assert await _post(client, url, body) == 200
    resolved = _error_event(
        "err-3",
        [
            {**asleep, "state": "RESOLVED"},
            {"type": "PERMISSION", "code": None, "signals": ["fuel-level"]},
        ],
    )
    assert await _post(client, url, resolved) == 200
    assert hass.states.get(BATTERY).state == "33.0"
    assert coordinator.field_error(Field.BATTERY_LEVEL) is None
    # Errors about signals the integration does not read are ignored.
    unused = _error_event("err-4", [{**asleep, "signals": ["VehicleUserAccount.Role"]}])
    assert await _post(client, url, unused) == 200
    assert coordinator.diagnostics()["push_errors"] == {}


async def test_reauth_only_for_errors_about_the_credential(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Reauthentication starts for the credential, never for an unused signal or a scope."""
    _entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"

    def credential(event_id: str, signals: list[Any]) -> bytes:
        error = {
            "type": "CONNECTED_SERVICES_ACCOUNT",
            "code": "AUTHENTICATION_FAILED",
            "state": "ERROR",
            "signals": signals,
        }
        return _error_event(event_id, [error])

    scope = _error_event(
        "e-scope",
        [
            {
                "type": "PERMISSION",
                "code": None,
                "resolution": {"type": "REAUTHENTICATE"},
                "signals": [{"name": "Closure", "group": "IsLocked", "code": "closure-islocked"}],
            }
        ],
    )
    for body in (credential("e-unused", ["VehicleUserAccount.Role"]), scope):
        assert await _post(client, url, body) == 200
        await hass.async_block_till_done()
        assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert await _post(client, url, credential("e-wide", [])) == 200
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_a_delivery_for_a_forgotten_webhook(hass: HomeAssistant, sim: Simulator) -> None:
    """A delivery racing the entry's unload finds no entry and is refused."""
    from custom_components.smartcar.webhook import async_handle_webhook

    response = await async_handle_webhook(hass, "unknown", None)  # type: ignore[arg-type]
    assert response.status == 404


# ------------------------------------------------------------------------- push health


async def test_repeated_bad_signatures_raise_a_repair(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three wrong signatures in a row: check the token; a valid delivery withdraws it."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    issue_id = f"webhook_signature_{entry.entry_id}"
    issues = ir.async_get(hass)
    body = _state_event("e1", soc=20)
    wrong = {"SC-Signature": hmac.new(b"old-token", body, hashlib.sha256).hexdigest()}

    for _ in range(2):
        assert (await client.post(url, data=body, headers=wrong)).status == 401
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    # A valid signature in between restarts the count.
    assert await _post(client, url, b"not json") == 400
    for _ in range(2):
        assert (await client.post(url, data=body, headers=wrong)).status == 401
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert (await client.post(url, data=body, headers=wrong)).status == 401
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "webhook_signature"
    assert issue.translation_placeholders == {"title": entry.title, "count": "3"}
    assert "Application Management Token" in caplog.text
    assert sim_const.MANAGEMENT_TOKEN not in caplog.text

    assert await _post(client, url, body) == 200
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_silent_webhook_raises_a_repair_when_reads_see_changes(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No valid delivery for a day while a read shows the car changing: tell the user."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    issue_id = f"webhook_silent_{entry.entry_id}"
    issues = ir.async_get(hass)
    coordinator = entry.runtime_data.coordinators[BEV]

    # Within the first day a changing read is no reason to worry.
    sim.set_vehicle_state(BEV, soc=40.0)
    await coordinator.async_refresh()
    assert issues.async_get_issue(DOMAIN, issue_id) is None

    freezer.tick(timedelta(hours=24))
    # A read that finds nothing changed is no evidence either.
    await coordinator.async_refresh()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    sim.set_vehicle_state(BEV, soc=41.0)
    await coordinator.async_refresh()
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"title": entry.title, "hours": "24"}

    url = f"/api/webhook/{webhook_id}"
    assert await _post(client, url, _state_event("e1", soc=42, at_ms=_now_ms(60))) == 200
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    # Pushes keep arriving: reads that see changes raise nothing.
    sim.set_vehicle_state(BEV, soc=43.0)
    await coordinator.async_refresh()
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_turning_webhooks_off_removes_token_sensor_and_issues(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """Off: the token is gone, the URL kept, the push sensor and push issues removed."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    for _ in range(3):
        assert await _post(client, url, _state_event("e1"), signed=False) == 401
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"webhook_signature_{entry.entry_id}") is not None
    assert er.async_get(hass).async_get(LAST_PUSH) is not None

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**POLLING, "push": "off"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "management_token" not in entry.options
    assert entry.options["webhook_id"] == webhook_id
    assert issues.async_get_issue(DOMAIN, f"webhook_signature_{entry.entry_id}") is None
    assert er.async_get(hass).async_get(LAST_PUSH) is None
    # The webhook is gone with push: Home Assistant answers for unknown webhooks itself.
    assert await _post(client, url, _state_event("e2", soc=99)) == 200
    assert hass.states.get(BATTERY).state != "99.0"


async def test_coordinator_push_memory_is_bounded(hass: HomeAssistant, sim: Simulator) -> None:
    """Event ids are remembered for the last 512 events; a new field is always taken."""
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
    coordinator = entry.runtime_data.coordinators[BEV]
    state = VehicleState(battery_level=Reading(20.0))
    assert coordinator.async_push(state, event_id="first")
    assert not coordinator.async_push(state, event_id="first")
    for index in range(512):
        assert coordinator.async_push(state, event_id=f"e{index}")
    # "first" has been forgotten; its reading would still lose to a newer one.
    assert coordinator.async_push(state, event_id="first")

    coordinator.async_set_updated_data(replace(coordinator.data, odometer=None))
    assert coordinator.async_push(
        VehicleState(odometer=Reading(77.0, datetime(2000, 1, 1, tzinfo=UTC)))
    )
    assert hass.states.get(ODOMETER).state == "77.0"


async def test_resolved_incompatibility_and_stranger_errors(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, sim: Simulator
) -> None:
    """A COMPATIBILITY error that Smartcar resolves brings the field back; strangers ignored."""
    entry, webhook_id = await _with_webhook(hass, sim)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"
    coordinator = entry.runtime_data.coordinators[BEV]
    incapable = {
        "type": "COMPATIBILITY",
        "code": "VEHICLE_NOT_CAPABLE",
        "signals": ["odometer-traveleddistance"],
    }
    assert await _post(client, url, _error_event("c1", [incapable])) == 200
    assert not coordinator.capabilities.is_readable(Field.ODOMETER)
    assert await _post(client, url, _error_event("c2", [{**incapable, "state": "RESOLVED"}])) == 200
    assert coordinator.capabilities.is_readable(Field.ODOMETER)
    await hass.async_block_till_done()
    # The entity is back at once; it shows a value again with the next reading.
    assert hass.states.get(ODOMETER) is not None
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(ODOMETER).state != STATE_UNAVAILABLE
    stranger = _error_event("c3", [incapable], vehicle_id="not-a-vehicle-of-this-entry")
    assert await _post(client, url, stranger) == 200
