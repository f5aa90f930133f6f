"""Outgoing webhooks: VERIFY challenges and signed VEHICLE_STATE / VEHICLE_ERROR events.

Smartcar pushes to the app's callback URL, signs every body with the management token and
retries failed deliveries after 25, 50 and 100 seconds; this module does the same (with a time
scale tests can compress) so the integration's webhook handling meets the real behaviour.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
import hashlib
import hmac
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any
import uuid

import aiohttp

from . import const
from .clock import epoch_ms, iso_ms
from .errors import SimError, doc_url
from .signals import SIGNALS, SIGNALS_BY_CODE, is_supported, signal_summary, webhook_signal

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from .simulator import Simulator
    from .vehicles import SimVehicle

_LOGGER = logging.getLogger(__name__)

DEFAULT_TRIGGERS: tuple[str, ...] = (
    "tractionbattery-stateofcharge",
    "charge-detailedchargingstatus",
    "charge-ischargingcableconnected",
    "charge-chargelimits",
    "closure-islocked",
    "closure-doors",
    "closure-windows",
    "odometer-traveleddistance",
    "location-preciselocation",
    "internalcombustionengine-fuellevel",
)


def sign(body: bytes) -> str:
    """Return `SC-Signature`: hex HMAC-SHA256 of the raw body keyed with the AMT."""
    return hmac.new(const.MANAGEMENT_TOKEN.encode(), body, hashlib.sha256).hexdigest()


def challenge_answer(challenge: str) -> str:
    """Return the answer a VERIFY challenge expects."""
    return hmac.new(const.MANAGEMENT_TOKEN.encode(), challenge.encode(), hashlib.sha256).hexdigest()


@dataclass(kw_only=True)
class Webhook:
    """A webhook as configured in the dashboard: callback URLs, signals and triggers."""

    id: str
    name: str
    url: str | None = None
    error_url: str | None = None
    signals: list[str] = field(default_factory=list)
    """Data signals every event carries (empty: every signal the car supports)."""
    triggers: list[str] = field(default_factory=lambda: list(DEFAULT_TRIGGERS))
    verified: bool = False
    enabled: bool = True
    subscriptions: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Delivery:
    """One delivery attempt (tests and the admin API inspect these)."""

    event_id: str
    delivery_id: str
    event_type: str
    webhook_id: str
    vehicle_id: str | None
    url: str
    attempt: int
    status: int | None
    ok: bool
    error: str | None
    payload: dict[str, Any]
    signature: str


class WebhookService:
    """Holds the webhooks and their subscriptions and delivers events in the background."""

    def __init__(self, simulator: Simulator) -> None:
        """Attach to the simulator (its clock, cars, connections and config)."""
        self._sim = simulator
        self.webhooks: dict[str, Webhook] = {
            const.WEBHOOK_ID: Webhook(id=const.WEBHOOK_ID, name=const.WEBHOOK_NAME)
        }
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._last_values: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        """Forget webhooks configuration, subscriptions and deliveries (world reset)."""
        self.webhooks = {const.WEBHOOK_ID: Webhook(id=const.WEBHOOK_ID, name=const.WEBHOOK_NAME)}
        self.deliveries = []
        self._last_values = {}

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Open the HTTP client used for deliveries."""
        if self._session is None:
            # The threaded resolver keeps shutdown quick (no c-ares helper thread to wait for).
            connector = aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
            self._session = aiohttp.ClientSession(connector=connector)

    async def close(self) -> None:
        """Cancel pending deliveries and close the client."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def drain(self) -> None:
        """Wait until every scheduled delivery (with its retries) has finished."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.wait(pending)

    @property
    def pending(self) -> int:
        """Deliveries still running or waiting to retry."""
        return sum(1 for task in self._tasks if not task.done())

    # ----------------------------------------------------------------- configuration

    def get(self, webhook_id: str) -> Webhook | None:
        """Return a webhook by id."""
        return self.webhooks.get(webhook_id)

    def subscribe(self, webhook_id: str, vehicle_id: str) -> None:
        """Subscribe a car: Smartcar retrieves its data into the signal store.

        A webhook with a callback URL then sends FIRST_DELIVERY with all signals.
        """
        webhook = self.webhooks[webhook_id]
        if vehicle_id not in webhook.subscriptions:
            webhook.subscriptions.append(vehicle_id)
        vehicle = self._sim.vehicle(vehicle_id)
        self._last_values[vehicle_id] = self._values(vehicle)
        self._sim.retrieve(vehicle)
        self._send_state(webhook, vehicle, None)

    def is_subscribed(self, vehicle_id: str, webhook_id: str | None = None) -> bool:
        """Whether a car is subscribed to a webhook (to any one when `webhook_id` is None)."""
        return any(
            vehicle_id in webhook.subscriptions
            for webhook in self.webhooks.values()
            if webhook_id in (None, webhook.id)
        )

    def unsubscribe(self, webhook_id: str, vehicle_id: str) -> bool:
        """Unsubscribe a car; return whether it was subscribed."""
        webhook = self.webhooks[webhook_id]
        if vehicle_id in webhook.subscriptions:
            webhook.subscriptions.remove(vehicle_id)
            return True
        return False

    def forget_vehicle(self, vehicle_id: str) -> None:
        """Drop a car from every webhook (connection deleted)."""
        for webhook in self.webhooks.values():
            if vehicle_id in webhook.subscriptions:
                webhook.subscriptions.remove(vehicle_id)

    # ----------------------------------------------------------------- VERIFY

    async def verify(self, webhook: Webhook) -> dict[str, Any]:
        """Send a VERIFY challenge to the callback and check the HMAC answer."""
        if webhook.url is None:
            raise ValueError("the webhook has no callback URL")
        challenge = secrets.token_urlsafe(24)
        event_id = str(uuid.uuid4())
        delivery_id = str(uuid.uuid4())
        payload = {
            "eventId": event_id,
            "eventType": "VERIFY",
            "data": {"challenge": challenge},
            "meta": {
                "version": "4.0",
                "webhookId": webhook.id,
                "webhookName": webhook.name,
                "deliveryId": delivery_id,
                "deliveredAt": iso_ms(self._sim.clock.now()),
            },
        }
        status, text, error = await self._post(webhook.url, payload, delivery_id)
        answer: Any = None
        if status == 200 and text is not None:
            try:
                answer = json.loads(text).get("challenge")
            except ValueError, AttributeError:
                answer = None
        expected = challenge_answer(challenge)
        webhook.verified = isinstance(answer, str) and hmac.compare_digest(answer, expected)
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.deliveries.append(
            Delivery(
                event_id=event_id,
                delivery_id=delivery_id,
                event_type="VERIFY",
                webhook_id=webhook.id,
                vehicle_id=None,
                url=webhook.url,
                attempt=1,
                status=status,
                ok=webhook.verified,
                error=error,
                payload=payload,
                signature=sign(body),
            )
        )
        return {"verified": webhook.verified, "status": status, "error": error}

    # ----------------------------------------------------------------- events

    def _values(self, vehicle: SimVehicle) -> dict[str, Any]:
        return {
            signal.code: signal.read(vehicle) for signal in SIGNALS if is_supported(signal, vehicle)
        }

    def vehicle_changed(self, vehicle: SimVehicle) -> list[str]:
        """Compare the car's signals with the last look; act on trigger changes.

        A change of a trigger signal of a webhook the car is subscribed to makes Smartcar
        retrieve the car's data (the signal store is refreshed) and send VEHICLE_STATE to each
        such webhook. Returns the signal codes that changed.
        """
        values = self._values(vehicle)
        before = self._last_values.get(vehicle.id)
        self._last_values[vehicle.id] = values
        if before is None:
            return []
        changed = [code for code, value in values.items() if before.get(code) != value]
        if not changed:
            return []
        subscribed = [w for w in self.webhooks.values() if vehicle.id in w.subscriptions]
        if any(code in webhook.triggers for webhook in subscribed for code in changed):
            self._sim.retrieve(vehicle)
        for webhook in subscribed:
            triggered = [code for code in changed if code in webhook.triggers]
            if triggered:
                self._send_state(webhook, vehicle, triggered)
        return changed

    def send_state(
        self, webhook_id: str, vehicle_id: str, triggers: list[str] | None
    ) -> str | None:
        """Send a VEHICLE_STATE now (admin API); `triggers=None` sends FIRST_DELIVERY."""
        return self._send_state(self.webhooks[webhook_id], self._sim.vehicles[vehicle_id], triggers)

    def send_error(
        self,
        webhook_id: str,
        vehicle_id: str,
        errors: list[tuple[SimError, list[str]]],
        *,
        state: str = "ERROR",
    ) -> str | None:
        """Send a VEHICLE_ERROR (`state` ERROR or RESOLVED) for errors and their signal codes."""
        webhook = self.webhooks[webhook_id]
        vehicle = self._sim.vehicles[vehicle_id]
        items = []
        for error, codes in errors:
            signals = [
                signal_summary(SIGNALS_BY_CODE[code]) for code in codes if code in SIGNALS_BY_CODE
            ]
            items.append(
                {
                    "type": error.type,
                    "code": error.code,
                    "state": state,
                    "description": error.description,
                    "suggestedUserMessage": error.v2_body("", const.APP_NAME).get(
                        "suggestedUserMessage"
                    ),
                    "docURL": doc_url(error.type, error.code),
                    "resolution": error.resolution_object(),
                    "signals": signals,
                }
            )
        data = {
            "user": {"id": self._sim.user_id_for(vehicle.id)},
            "vehicle": _vehicle_summary(vehicle),
            "errors": items,
        }
        url = webhook.error_url or webhook.url
        return self._schedule(
            webhook,
            url=url,
            event_type="VEHICLE_ERROR",
            vehicle_id=vehicle.id,
            build_data=lambda _when: data,
            triggers=None,
        )

    def _send_state(
        self, webhook: Webhook, vehicle: SimVehicle, triggers: list[str] | None
    ) -> str | None:
        if triggers is None:
            trigger_items: list[dict[str, Any]] = [{"type": "FIRST_DELIVERY"}]
        else:
            trigger_items = [
                {"type": "SIGNAL_UPDATED", "signal": signal_summary(SIGNALS_BY_CODE[code])}
                for code in triggers
            ]
        codes = webhook.signals or [
            signal.code for signal in SIGNALS if is_supported(signal, vehicle)
        ]

        def build(_delivered: datetime) -> dict[str, Any]:
            now = self._sim.clock.now()
            signals = []
            for code in codes:
                signal = SIGNALS_BY_CODE.get(code)
                if signal is None:
                    continue
                error: SimError | None = self._sim.faults.take_signal(vehicle.id, code)
                if error is None and not is_supported(signal, vehicle):
                    error = SimError("COMPATIBILITY", "VEHICLE_NOT_CAPABLE")
                signals.append(webhook_signal(signal, vehicle, now, error=error))
            return {
                "user": {"id": self._sim.user_id_for(vehicle.id)},
                "vehicle": _vehicle_summary(vehicle),
                "signals": signals,
            }

        return self._schedule(
            webhook,
            url=webhook.url,
            event_type="VEHICLE_STATE",
            vehicle_id=vehicle.id,
            build_data=build,
            triggers=trigger_items,
        )

    def _schedule(
        self,
        webhook: Webhook,
        *,
        url: str | None,
        event_type: str,
        vehicle_id: str,
        build_data: Callable[[datetime], dict[str, Any]],
        triggers: list[dict[str, Any]] | None,
    ) -> str | None:
        if url is None or not webhook.enabled:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            _LOGGER.debug("No event loop: %s for webhook %s not sent", event_type, webhook.id)
            return None
        event_id = str(uuid.uuid4())
        data = build_data(self._sim.clock.now())
        mode = self._sim.mode_for(vehicle_id).upper()
        task = loop.create_task(
            self._deliver(
                webhook,
                url=url,
                event_type=event_type,
                event_id=event_id,
                vehicle_id=vehicle_id,
                data=data,
                triggers=triggers,
                mode=mode,
            )
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return event_id

    async def _deliver(
        self,
        webhook: Webhook,
        *,
        url: str,
        event_type: str,
        event_id: str,
        vehicle_id: str,
        data: dict[str, Any],
        triggers: list[dict[str, Any]] | None,
        mode: str,
    ) -> None:
        delays = (0.0, *const.WEBHOOK_RETRY_DELAYS_S)
        for attempt, delay in enumerate(delays, start=1):
            if delay:
                await asyncio.sleep(delay * self._sim.config.webhook_retry_scale)
            delivery_id = str(uuid.uuid4())
            payload: dict[str, Any] = {"eventId": event_id, "eventType": event_type, "data": data}
            if triggers is not None:
                payload["triggers"] = triggers
            meta: dict[str, Any] = {
                "version": "4.0",
                "deliveryId": delivery_id,
                "deliveredAt": epoch_ms(self._sim.clock.now()),
                "webhookId": webhook.id,
                "webhookName": webhook.name,
                "mode": mode,
            }
            if event_type == "VEHICLE_STATE":
                meta["signalCount"] = len(data["signals"])
            payload["meta"] = meta
            status, _text, error = await self._post(url, payload, delivery_id)
            ok = status is not None and 200 <= status < 300
            body = json.dumps(payload, separators=(",", ":")).encode()
            self.deliveries.append(
                Delivery(
                    event_id=event_id,
                    delivery_id=delivery_id,
                    event_type=event_type,
                    webhook_id=webhook.id,
                    vehicle_id=vehicle_id,
                    url=url,
                    attempt=attempt,
                    status=status,
                    ok=ok,
                    error=error,
                    payload=payload,
                    signature=sign(body),
                )
            )
            if ok:
                return

    async def _post(
        self, url: str, payload: dict[str, Any], delivery_id: str
    ) -> tuple[int | None, str | None, str | None]:
        if self._session is None:
            return None, None, "simulator not started"
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "SC-Signature": sign(body),
            "User-Agent": const.WEBHOOK_USER_AGENT,
        }
        timeout = aiohttp.ClientTimeout(total=self._sim.config.webhook_timeout)
        try:
            async with self._session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                return resp.status, await resp.text(), None
        except TimeoutError:
            return None, None, "timeout"
        except aiohttp.ClientError as err:
            _LOGGER.debug("Delivery %s failed: %s", delivery_id, type(err).__name__)
            return None, None, type(err).__name__

    # ----------------------------------------------------------------- state file

    def state(self) -> dict[str, Any]:
        """Return the webhooks for the state file."""
        return {"webhooks": [asdict(webhook) for webhook in self.webhooks.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Load what `state()` returned."""
        for item in data.get("webhooks", []):
            webhook = Webhook(**item)
            self.webhooks[webhook.id] = webhook


def _vehicle_summary(vehicle: SimVehicle) -> dict[str, Any]:
    return {"id": vehicle.id, "make": vehicle.make, "model": vehicle.model, "year": vehicle.year}
