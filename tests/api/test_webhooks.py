"""Webhook signatures, the VERIFY challenge and every delivery shape of the reference."""

from __future__ import annotations

from datetime import UTC, datetime
import hashlib
import hmac
import json

import pytest

from custom_components.smartcar.api import (
    VEHICLE_WIDE,
    ChargingState,
    Field,
    Location,
    Reading,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarPermissionError,
    SmartcarVehicleStateError,
    UnsupportedWebhookEventError,
    VehicleErrorEvent,
    VehicleStateEvent,
    VerifyEvent,
    WebhookPayloadError,
    challenge_response,
    is_valid_challenge,
    parse_verify_challenge,
    parse_webhook,
    parse_webhook_events,
    verify_signature,
)

from .conftest import load_bytes

AMT = "amt"
PIZZA_SIGNATURE = "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3301dcaaa854f70"


def test_challenge_response_matches_the_sdk_vector() -> None:
    assert challenge_response(AMT, "challenge") == (
        "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e"
    )


def test_signature_over_the_raw_body() -> None:
    body = b'{"pizza":"pasta"}'
    assert verify_signature(AMT, body, PIZZA_SIGNATURE)
    assert verify_signature(AMT, body, f" {PIZZA_SIGNATURE.upper()} ")
    # Re-serialised JSON is a different body: the signature covers the bytes as sent.
    assert not verify_signature(AMT, b'{"pizza": "pasta"}', PIZZA_SIGNATURE)
    assert not verify_signature("other", body, PIZZA_SIGNATURE)
    assert not verify_signature(AMT, body, None)
    assert not verify_signature(AMT, body, "")
    assert not verify_signature(AMT, body, "é" * 64)


def test_signature_of_a_fixture_round_trips() -> None:
    body = load_bytes("webhook_state_b.json")
    signature = hmac.new(b"management-token", body, hashlib.sha256).hexdigest()
    assert verify_signature("management-token", body, signature)
    assert not verify_signature("management-token", body + b" ", signature)


@pytest.mark.parametrize(
    "challenge",
    ["challenge", "3a7c0c11-5d4e-4a90-9e3b-2b6d7f1e8c42", "a.b~c+d/e=f_g", "x" * 128, "1"],
)
def test_short_token_challenges_are_answered(challenge: str) -> None:
    assert is_valid_challenge(challenge)
    assert challenge_response(AMT, challenge) == (
        hmac.new(AMT.encode(), challenge.encode(), hashlib.sha256).hexdigest()
    )


@pytest.mark.parametrize(
    "challenge",
    ["", "x" * 129, '{"pizza":"pasta"}', "[1]", '"quoted"', "a b", "line\nbreak", "ünï", "a,b"],
)
def test_no_other_text_is_ever_signed(challenge: str) -> None:
    """The VERIFY answer is keyed like a delivery signature: JSON must never get one."""
    assert not is_valid_challenge(challenge)
    with pytest.raises(WebhookPayloadError, match="not a short token"):
        challenge_response(AMT, challenge)


@pytest.mark.parametrize(
    ("body", "challenge"),
    [
        (b'{"eventType": "VERIFY", "data": {"challenge": "abc"}}', "abc"),
        (b'{"eventName": "Verify", "payload": {"challenge": "def"}}', "def"),
        (b'{"eventType": "VERIFY", "data": {"challenge": 12}}', None),
        (b'{"eventType": "VEHICLE_STATE", "data": {"challenge": "abc"}}', None),
        (b'{"eventName": "verify"}', None),
        (b"not json", None),
        (b'["VERIFY"]', None),
    ],
)
def test_parse_verify_challenge_reads_nothing_else(body: bytes, challenge: str | None) -> None:
    assert parse_verify_challenge(body) == challenge


@pytest.mark.parametrize(
    ("fixture", "challenge", "event_id", "webhook_id"),
    [
        (
            "webhook_verify_v4.json",
            "3a7c0c11-5d4e-4a90-9e3b-2b6d7f1e8c42",
            "52f6e0bb-1369-45da-a61c-9e67d092d6db",
            "5a8e5e38-1e12-4011-a36d-56f120053f9e",
        ),
        ("webhook_verify_minimal.json", "any-abcd", None, None),
        (
            "webhook_verify_legacy.json",
            "legacy-challenge-123",
            None,
            "865ca68d-2f6b-4a1c-8b0e-1c9e7d2a4f3b",
        ),
    ],
)
def test_verify_events(
    fixture: str, challenge: str, event_id: str | None, webhook_id: str | None
) -> None:
    assert parse_webhook(load_bytes(fixture)) == VerifyEvent(challenge, event_id, webhook_id)


def test_vehicle_state_event_reference_shape() -> None:
    event = parse_webhook(load_bytes("webhook_state_a.json"))
    assert isinstance(event, VehicleStateEvent)
    assert event.event_id == "0d2d7e5a-8c1b-4a64-bf3a-5e0c2f9d1b77"
    assert event.vehicle_id == "123e4567-e89b-12d3-a456-426614174000"
    assert event.user_id == "93b3ea96-0d51-4e0c-8a0b-6c3f2a1e5f10"
    assert event.mode == "LIVE"
    assert event.webhook_id == "5a8e5e38-1e12-4011-a36d-56f120053f9e"
    assert event.delivered_at == datetime(2025, 9, 23, 23, 5, 12, 999000, tzinfo=UTC)
    assert event.triggers == ("tractionbattery-stateofcharge", "FIRST_DELIVERY")
    oem = datetime(2025, 9, 23, 23, 5, tzinfo=UTC)
    fetched = datetime(2025, 9, 23, 23, 5, 12, 404000, tzinfo=UTC)
    assert event.state.battery_level == Reading(64.0, oem, fetched)
    assert event.state.plugged_in == Reading(True, oem, fetched)
    assert event.state.locked == Reading(False, oem, fetched)
    assert event.state.errors == {}


def test_vehicle_state_receiving_webhooks_shape() -> None:
    event = parse_webhook(load_bytes("webhook_state_b.json"))
    assert isinstance(event, VehicleStateEvent)
    assert event.vehicle_id == "123e4567-e89b-12d3-a456-426614174000"
    assert event.triggers == ("tractionbattery-stateofcharge",)
    stamp = datetime(2025, 9, 23, 23, 5, 12, 404000, tzinfo=UTC)
    assert event.state.battery_level == Reading(75.0, stamp, stamp)
    # The unmapped signal's error is dropped; the mapped one is kept per field.
    assert set(event.state.errors) == {Field.LOCKED}
    assert isinstance(event.state.errors[Field.LOCKED], SmartcarPermissionError)
    assert event.delivered_at == datetime(2025, 10, 31, 7, 39, 11, 529000, tzinfo=UTC)


def test_vehicle_state_real_capture_shape() -> None:
    event = parse_webhook(load_bytes("webhook_state_c.json"))
    assert isinstance(event, VehicleStateEvent)
    assert event.vehicle_id == "a1d50709-3c4b-4d5e-9f6a-7b8c9d0e1f2a"
    assert event.user_id == "2fbd0033-4d5e-4f6a-8b7c-9d0e1f2a3b4c"
    assert event.triggers == ("odometer-traveleddistance",)
    assert event.mode is None
    assert event.webhook_id is None
    assert event.state.odometer is not None
    assert event.state.odometer.value == 23456
    assert event.state.battery_level is not None
    assert event.state.battery_level.value == 68
    assert event.state.battery_range is not None
    assert event.state.battery_range.value == 275
    assert event.state.location is not None
    assert event.state.location.value == Location(52.52, 13.405, 270)
    assert isinstance(event.state.errors[Field.LOCKED], SmartcarPermissionError)


def test_vehicle_state_trigger_spellings() -> None:
    body = {
        "eventType": "VEHICLE_STATE",
        "vehicleId": "v",
        "data": {
            "signals": [],
            "triggers": ["Charge.IsCharging", 5, {"group": "Closure", "name": "IsLocked"}],
        },
    }
    event = parse_webhook(json.dumps(body).encode())
    assert isinstance(event, VehicleStateEvent)
    assert event.triggers == ("charge-ischarging", "closure-islocked")
    again = parse_webhook(json.dumps(body).encode())
    assert isinstance(again, VehicleStateEvent)
    assert event.state == again.state


def test_vehicle_state_test_mode_fraction() -> None:
    event = parse_webhook(load_bytes("webhook_state_test_mode.json"))
    assert isinstance(event, VehicleStateEvent)
    assert event.mode == "TEST"
    assert event.triggers == ("FIRST_DELIVERY",)
    assert event.state.fuel_level is not None
    assert event.state.fuel_level.value == pytest.approx(77.0)
    assert event.state.online is not None
    assert event.state.online.value is True


def test_vehicle_error_real_capture() -> None:
    event = parse_webhook(load_bytes("webhook_error.json"))
    assert isinstance(event, VehicleErrorEvent)
    assert event.event_id == "1821c036-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
    assert event.vehicle_id == "a1d50709-3c4b-4d5e-9f6a-7b8c9d0e1f2a"
    assert event.user_id == "2fbd0033-4d5e-4f6a-8b7c-9d0e1f2a3b4c"
    assert event.delivered_at == datetime(2025, 9, 18, 19, 36, 44, 78000, tzinfo=UTC)
    assert set(event.errors) == {"vehicleidentification-nickname", Field.ONLINE, Field.LOCKED}
    incapable = event.errors[Field.ONLINE]
    assert isinstance(incapable, SmartcarCompatibilityError)
    assert incapable.code == "VEHICLE_NOT_CAPABLE"
    assert incapable.suggested_user_message == "Your car is unable to perform this request."
    assert event.errors["vehicleidentification-nickname"] is incapable
    permission = event.errors[Field.LOCKED]
    assert isinstance(permission, SmartcarPermissionError)
    assert permission.resolution_type == "REAUTHENTICATE"
    assert event.resolved == ()


def test_vehicle_error_resolved_and_vehicle_wide() -> None:
    event = parse_webhook(load_bytes("webhook_error_resolved.json"))
    assert isinstance(event, VehicleErrorEvent)
    assert event.resolved == (Field.BATTERY_LEVEL, "vehicleuseraccount-role")
    wide = event.errors[VEHICLE_WIDE]
    assert isinstance(wide, SmartcarConnectedServicesAccountError)
    assert wide.requires_reauth
    assert event.mode == "LIVE"
    assert event.webhook_id == "5a8e5e38-1e12-4011-a36d-56f120053f9e"


def test_vehicle_error_odd_items() -> None:
    body = {
        "eventId": "e",
        "eventType": "VEHICLE_ERROR",
        "vehicleId": "v",
        "data": {
            "errors": [
                "garbage",
                {"type": "VEHICLE_STATE", "code": "ASLEEP", "signals": [5, "Closure.IsLocked"]},
                {
                    "type": "VEHICLE_STATE",
                    "code": "ASLEEP",
                    "state": "resolved",
                    "signals": ["Closure.IsLocked", "Odometer.TraveledDistance"],
                },
            ]
        },
    }
    event = parse_webhook(json.dumps(body).encode())
    assert isinstance(event, VehicleErrorEvent)
    assert isinstance(event.errors[Field.LOCKED], SmartcarVehicleStateError)
    # A field that is failing again is not reported as resolved.
    assert event.resolved == (Field.ODOMETER,)
    assert event.user_id is None


def test_legacy_event_based() -> None:
    event = parse_webhook(load_bytes("webhook_legacy_event_based.json"))
    when = datetime(2022, 4, 1, 10, 15, 30, tzinfo=UTC)
    assert isinstance(event, VehicleStateEvent)
    assert event == VehicleStateEvent(
        event_id="a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d",
        vehicle_id="36ab27d0-fd9d-4455-823a-ce30af709ffc",
        user_id=None,
        state=event.state,
        mode="live",
        delivered_at=when,
        triggers=("CHARGING_STARTED",),
        webhook_id="865ca68d-2f6b-4a1c-8b0e-1c9e7d2a4f3b",
    )
    assert event.state.charging_state == Reading(ChargingState.CHARGING, when)


def test_legacy_event_based_unknown_event() -> None:
    body = {
        "version": "2.0",
        "eventName": "eventBased",
        "payload": {"vehicleId": "v", "eventType": "DOOR_OPENED"},
    }
    event = parse_webhook(json.dumps(body).encode())
    assert isinstance(event, VehicleStateEvent)
    assert event.state.charging_state is None
    assert event.triggers == ("DOOR_OPENED",)
    no_type = parse_webhook(
        json.dumps({"eventName": "eventBased", "payload": {"vehicleId": "v"}}).encode()
    )
    assert isinstance(no_type, VehicleStateEvent)
    assert no_type.triggers == ()


def test_legacy_dynamic_with_two_vehicles() -> None:
    body = load_bytes("webhook_legacy_dynamic.json")
    events = parse_webhook_events(body)
    assert len(events) == 2
    first, second = events
    single = parse_webhook(body)
    assert isinstance(single, VehicleStateEvent)
    assert isinstance(first, VehicleStateEvent)
    assert single.vehicle_id == first.vehicle_id
    assert first.vehicle_id == "00000000-0000-4000-A000-000000000000"
    assert first.event_id == "25d743b8-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert first.triggers == ("dynamic",)
    assert first.state.battery_level is not None
    assert first.state.battery_level.value == pytest.approx(42.0)
    assert first.state.battery_level.data_age == datetime(2022, 4, 1, 10, tzinfo=UTC)
    assert first.state.charging_state is not None
    assert first.state.charging_state.value is ChargingState.CHARGING
    assert isinstance(first.state.errors[Field.LOCATION], SmartcarVehicleStateError)
    assert first.state.errors[Field.LOCATION].request_id == "25d743b8-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert isinstance(second, VehicleStateEvent)
    assert second.state.odometer == Reading(5000.0)


def test_legacy_scheduled_single_vehicle() -> None:
    event = parse_webhook(load_bytes("webhook_legacy_scheduled.json"))
    assert isinstance(event, VehicleStateEvent)
    assert event.event_id == "b4c5d6e7-f8a9-4b0c-9d1e-2f3a4b5c6d7e"
    assert event.vehicle_id == "36ab27d0-fd9d-4455-823a-ce30af709ffc"
    assert event.mode == "test"
    assert event.state.odometer is not None
    assert event.state.odometer.value == 104.32


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"data": {}}', "no eventType"),
        (b'{"eventType": "VERIFY", "data": {}}', "no challenge"),
        (b'{"eventType": "VEHICLE_STATE", "data": {"signals": []}}', "names no vehicle"),
        (b'{"eventName": "verify", "payload": {}}', "no challenge"),
        (b'{"eventName": "eventBased", "payload": {}}', "names no vehicle"),
        (b'{"eventName": "dynamic", "payload": {"vehicles": [{"data": []}]}}', "names no vehicle"),
    ],
)
def test_unreadable_payloads(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse_webhook(body)


@pytest.mark.parametrize(
    ("body", "event_type"),
    [
        (b'{"eventType": "VEHICLE_CONNECTED", "data": {}}', "VEHICLE_CONNECTED"),
        (b'{"eventName": "somethingElse", "payload": {}}', "somethingElse"),
    ],
)
def test_unsupported_events(body: bytes, event_type: str) -> None:
    with pytest.raises(UnsupportedWebhookEventError) as caught:
        parse_webhook(body)
    assert caught.value.event_type == event_type


def test_unknown_signals_are_named_and_keyed_signals_read() -> None:
    """Signals keyed by ``Group.Name`` (one illustration) read like a list; unknown ones named."""
    body = json.dumps(
        {
            "eventId": "e1",
            "eventType": "VEHICLE_STATE",
            "data": {
                "vehicle": {"id": "v1"},
                "signals": {
                    "TractionBattery.StateOfCharge": {
                        "body": {"unit": "percent", "value": 64},
                        "status": {"value": "SUCCESS"},
                    },
                    "VehicleUserAccount.Role": {"body": {"value": "OWNER"}},
                    "Odd": "not a signal",
                },
            },
        }
    ).encode()
    event = parse_webhook(body)
    assert isinstance(event, VehicleStateEvent)
    assert event.state.battery_level is not None
    assert event.state.battery_level.value == 64
    # A key that is no known signal is counted as unknown too.
    assert event.unknown_signals == ("vehicleuseraccount-role", "odd")
