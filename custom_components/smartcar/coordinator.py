"""One coordinator per vehicle: it fetches, merges and schedules, and sends the commands.

Reads, pushes and the optimistic state of a command meet in one merge rule (the newer reading
of each field wins, see ``VehicleState.merged``), always applied to the *current* data after
the last await, so a read in flight can never undo a command or a push that landed meanwhile.
A failed read makes readings unavailable but never the controls, and a transient failure is
retried within minutes. What the vehicle can provide is persisted (``capabilities.py``), the
error tables live in ``helpers.py`` and the repair issues in ``issues.py``.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from contextlib import nullcontext
from dataclasses import replace
import random
from typing import TYPE_CHECKING, Any, override

from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ServiceValidationError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import (
    VEHICLE_WIDE,
    ChargingState,
    Command,
    Connection,
    Field,
    Reading,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarError,
    SmartcarRateLimitError,
    SmartcarTimeoutError,
    Vehicle,
    VehicleState,
)
from .capabilities import VehicleCapabilities
from .const import (
    BILLING_RETRY_AFTER,
    CONF_PERMISSIONS,
    DOMAIN,
    FIRST_REFRESH_TIMEOUT,
    LOGGER,
    PLUG_READING_MAX_AGE,
    PUSH_FRESHNESS,
    RATE_LIMIT_RETRY_AFTER,
    SEEN_EVENTS,
)
from .helpers import (
    ALREADY_DONE,
    TRANSIENT_ERRORS,
    command_error,
    describe_error,
    display_make,
    update_failed,
)
from .issues import (
    BILLING_LIMIT,
    VIRTUAL_KEY,
    async_create_billing_issue,
    async_create_virtual_key_issue,
    async_delete_vehicle_issue,
)
from .metadata import MetadataReader
from .polling import PollingInputs, PollingSettings, next_interval, transient_retry

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from datetime import datetime

    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    from .api import CommandResult
    from .entity import CommandSpec
    from .models import SmartcarConfigEntry
    from .storage import SmartcarStore


class SmartcarVehicleCoordinator(DataUpdateCoordinator[VehicleState]):
    """Reads one vehicle on the planner's schedule, merges pushes, and runs its commands."""

    config_entry: SmartcarConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartcarConfigEntry,
        client: SmartcarClient,
        store: SmartcarStore,
        vehicle_id: str,
        *,
        settings: PollingSettings,
        consent: str,
        connection: Connection | None = None,
        fleet_size: int = 1,
    ) -> None:
        """Prepare the coordinator from what the store remembers; nothing is read yet."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Smartcar vehicle {vehicle_id[:8]}",
            update_interval=None,
            always_update=False,
        )
        self.client = client
        self.store = store
        self.vehicle_id = vehicle_id
        self.settings = settings
        self._consent = consent
        self._fleet_size = fleet_size
        self.vehicle = Vehicle(
            id=vehicle_id,
            make=(connection.make if connection and connection.make else ""),
            model=(connection.model if connection and connection.model else ""),
            year=(connection.year if connection and connection.year else 0),
        )
        self.capabilities = VehicleCapabilities.from_record(
            store.capabilities(vehicle_id, consent),
            supported=client.supported_fields,
            permissions=entry.data.get(CONF_PERMISSIONS, ()),
        )
        self._subscriptions: Counter[Field] = Counter()
        self._events: OrderedDict[str, None] = OrderedDict()
        self._last_push: datetime | None = None
        self._transient_failures = 0
        self._billing_blocked = False
        self._deadline: float | None = None

    # -- identity ----------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        """``<Make> <Model>``, the device name and the spoken name in Assist."""
        model = self.vehicle.model.strip()
        make = display_make(self.vehicle.make)
        return f"{make} {model}".strip() if model else f"{make} vehicle"

    @property
    def device_info(self) -> DeviceInfo:
        """The device registry entry of this vehicle; the VIN is its serial number."""
        model = self.vehicle.model or None
        if model and self.vehicle.year:
            model = f"{model} ({self.vehicle.year})"
        return DeviceInfo(
            identifiers={(DOMAIN, self.vehicle_id)},
            manufacturer=display_make(self.vehicle.make),
            model=model,
            name=self.display_name,
            serial_number=self.vehicle.vin,
        )

    # -- what the vehicle can do -------------------------------------------------------------

    def permitted(self, permission: str) -> bool:
        """Whether the owner granted ``permission`` for this vehicle."""
        return permission in self.capabilities.permissions

    def capable(self, fields: Iterable[Field]) -> bool:
        """Whether the vehicle has shown all ``fields`` and still provides them."""
        return self.capabilities.capable(fields)

    def is_supported(self, field: Field) -> bool:
        """Whether the field is still read (not refused as incompatible or forbidden)."""
        return self.capabilities.is_readable(field)

    def withdrawn(self, fields: Iterable[Field]) -> bool:
        """Whether Smartcar said the vehicle cannot (or may not) provide one of ``fields``."""
        gone = self.capabilities.unsupported | self.capabilities.denied
        return any(field in gone for field in fields)

    @property
    def commands_available(self) -> bool:
        """Whether Smartcar accepts commands (not while the allowance is spent)."""
        return not self._billing_blocked

    def _fields_to_read(self) -> set[Field]:
        """Fields of enabled entities, plus those not yet seen (so entities can appear)."""
        readable = self.capabilities.readable()
        if not self._subscriptions:
            return readable
        unseen = readable - self.capabilities.seen
        return (readable & set(self._subscriptions)) | unseen

    def calls_per_read(self, fields: Collection[Field] | None = None) -> int:
        """Billed calls one read costs (the client knows the API's billing)."""
        return self.client.calls_per_read(self._fields_to_read() if fields is None else fields)

    @callback
    def async_subscribe(self, fields: Iterable[Field]) -> CALLBACK_TYPE:
        """Read ``fields`` from now on; the returned callback stops that."""
        wanted = list(fields)
        self._subscriptions.update(wanted)

        def unsubscribe() -> None:
            self._subscriptions.subtract(wanted)
            self._subscriptions = +self._subscriptions

        return unsubscribe

    def _learn(self, present: Iterable[Field], errors: Mapping[Field, SmartcarError]) -> set[Field]:
        """Take in what an answer showed; return the fields now known to be gone."""
        learned = self.capabilities.learn(present, errors)
        for field in sorted(learned.removed):
            LOGGER.info("%s cannot provide %s; its entities are removed", self.display_name, field)
        self.store.set_capabilities(self.vehicle_id, self.capabilities.as_record(), self._consent)
        for err in learned.failures.values():
            self._check_virtual_key(err)
        return learned.removed

    # -- budget and schedule -----------------------------------------------------------------

    def _count_calls(self, calls: int, *, reserved: bool = True) -> None:
        """Count billed calls against this vehicle's month (``reserved`` unless a read)."""
        now = dt_util.utcnow()
        budget = self.store.budget(self.vehicle_id, now).record(calls, now, reserved=reserved)
        self.store.set_budget(self.vehicle_id, budget)

    @property
    def calls_this_month(self) -> int:
        """Calls counted against this vehicle in the current month."""
        return self.store.budget(self.vehicle_id, dt_util.utcnow()).used

    def _schedule_next(self, retry_after: float | None = None, *, transient: bool = False) -> None:
        """Let the polling policy pick the next read; a transient failure retries sooner."""
        now = dt_util.utcnow()
        reading = self.data.charging_state if self.data is not None else None
        calls = self.calls_per_read()
        decision = next_interval(
            self.settings,
            PollingInputs(
                now=now,
                calls_per_read=calls,
                budget=self.store.budget(self.vehicle_id, now),
                charging=reading is not None and reading.value is ChargingState.CHARGING,
                push_active=self.push_active,
                retry_after=retry_after,
                fleet_calls_per_round=calls * self._fleet_size,
            ),
        )
        interval, reason = decision.interval, decision.reason
        if transient:
            retry = transient_retry(self._transient_failures, random.random())  # noqa: S311
            if interval is None or retry < interval:
                interval, reason = retry, "transient_failure"
        self.update_interval = interval
        LOGGER.debug(
            "%s: next read in %s (%s, %d calls left this month)",
            self.name,
            interval,
            reason,
            decision.calls_left,
        )

    @property
    def push_active(self) -> bool:
        """Whether webhooks delivered data recently enough to rely on them."""
        return self._last_push is not None and dt_util.utcnow() - self._last_push < PUSH_FRESHNESS

    # -- setup and reads ---------------------------------------------------------------------

    def _time_box(self) -> asyncio.Timeout | nullcontext[None]:
        """The first refresh's shared deadline (metadata and first read); later, none."""
        if self._deadline is None:
            return nullcontext()
        return asyncio.timeout_at(self._deadline)

    @override
    async def _async_setup(self) -> None:
        """Load make, model, VIN and permissions once, within the first refresh's deadline."""
        self._deadline = asyncio.get_running_loop().time() + FIRST_REFRESH_TIMEOUT
        now = dt_util.utcnow()
        metadata = self.store.metadata(self.vehicle_id, self._consent, now)
        if metadata is None:
            reader = MetadataReader(
                self.client, self.vehicle, self.capabilities.permissions, self._count_calls
            )
            try:
                async with self._time_box():
                    metadata = await reader.async_read()
            except TimeoutError:
                LOGGER.warning("%s did not answer in time; using what is known", self.name)
            except SmartcarError as err:
                self._raise_if_reauth(err)
                raise
            if metadata is not None:
                self.store.set_metadata(self.vehicle_id, metadata, self._consent, now)
            else:
                metadata = reader.partial
        self.vehicle = metadata.vehicle
        self.capabilities.permissions = frozenset(metadata.permissions)
        self.name = self.display_name

    @override
    async def _async_update_data(self) -> VehicleState:
        """Read the fields entities need and merge them into the current data."""
        first = self.data is None
        fields = self._fields_to_read()
        if not fields:
            self._deadline = None
            self._schedule_next()
            return self.data if self.data is not None else VehicleState()
        calls = self.calls_per_read(fields)
        started = dt_util.utcnow()
        try:
            async with self._time_box():
                state = await self.client.async_get_state(self.vehicle_id, fields)
        except TimeoutError as err:
            timeout = SmartcarTimeoutError("No answer within the first refresh's time limit")
            return self._read_failed(timeout, first, err)
        except SmartcarError as err:
            return self._read_failed(err, first, err)
        finally:
            self._deadline = None
        self._count_calls(calls, reserved=False)
        return self._read_succeeded(_stamped(state, started), first)

    def _read_failed(self, err: SmartcarError, first: bool, cause: BaseException) -> VehicleState:
        """Map a failed read; the first read never blocks setup on a failure."""
        self._raise_if_reauth(err)
        retry_after = self._retry_after_for(err)
        self._note_billing(err)
        transient = isinstance(err, TRANSIENT_ERRORS)
        self._transient_failures = self._transient_failures + 1 if transient else 0
        self._schedule_next(retry_after, transient=transient)
        if first:
            # Setup retries every few seconds would burn the monthly allowance; set the
            # entities up from what is known and read again on the schedule.
            LOGGER.warning("The first read of %s failed (%s)", self.name, describe_error(err))
            return self.data if self.data is not None else VehicleState()
        raise update_failed(err, retry_after) from cause

    def _read_succeeded(self, state: VehicleState, first: bool) -> VehicleState:
        """Merge what was read into the current data, learn from per-field errors."""
        for err in state.errors.values():
            self._raise_if_reauth(err)
        present = [field for field, _reading in state.readings()]
        gone = self._learn(present, state.errors)
        failures = {f: e for f, e in state.errors.items() if f not in gone}
        current = self.data if self.data is not None else VehicleState()
        merged = current.merged(state).without(gone)
        if failures and not present:
            # Nothing at all came back: the vehicle is unavailable this time.
            err = _worst(failures.values())
            if first:
                return self._first_empty(err, merged)
            return self._read_failed(err, first, err)
        self._transient_failures = 0
        self._billing_blocked = False
        async_delete_vehicle_issue(self.hass, BILLING_LIMIT, self.vehicle_id)
        self._schedule_next()
        return merged

    def _first_empty(self, err: SmartcarError, merged: VehicleState) -> VehicleState:
        """The first read where every field failed: keep setting up, retry on schedule."""
        self._note_billing(err)
        self._schedule_next(self._retry_after_for(err))
        return merged

    def _raise_if_reauth(self, err: SmartcarError) -> None:
        """Start reauthentication when Smartcar rejects the credential itself."""
        if err.requires_reauth:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"error": describe_error(err)},
            ) from err

    def _retry_after_for(self, err: SmartcarError) -> float | None:
        """How long to wait after a failed read, when Smartcar's answer says so."""
        if isinstance(err, SmartcarBillingError):
            return BILLING_RETRY_AFTER
        if isinstance(err, SmartcarRateLimitError):
            return err.retry_after if err.retry_after is not None else RATE_LIMIT_RETRY_AFTER
        return err.retry_after

    def _note_billing(self, err: SmartcarError) -> None:
        """A spent allowance blocks every request of this vehicle: say so once."""
        if isinstance(err, SmartcarBillingError):
            self._billing_blocked = True
            async_create_billing_issue(self.hass, self.vehicle_id, self.display_name, err.code)

    # -- push --------------------------------------------------------------------------------

    @callback
    def async_push(self, state: VehicleState, *, event_id: str | None = None) -> bool:
        """Merge pushed state; False when the event was already applied."""
        if event_id is not None:
            if event_id in self._events:
                return False
            self._events[event_id] = None
            while len(self._events) > SEEN_EVENTS:
                self._events.popitem(last=False)
        now = dt_util.utcnow()
        self._last_push = now
        compatibility = {
            field: err
            for field, err in state.errors.items()
            if isinstance(err, SmartcarCompatibilityError)
        }
        readable = self.capabilities.readable()
        kept = {
            field: reading
            for field, reading in _stamped(state, now).readings()
            if field in readable
        }
        gone = self._learn(kept, compatibility)
        current = self.data if self.data is not None else VehicleState()
        pushed = VehicleState.from_readings(kept, current.errors)
        merged = current.merged(pushed).without(gone)
        self._schedule_next()
        if merged != current:
            self.async_set_updated_data(merged)
        return True

    @callback
    def async_push_errors(
        self, errors: Mapping[Field | str, SmartcarError], *, event_id: str | None = None
    ) -> None:
        """Apply errors a webhook reported, only for what this integration reads.

        Errors about signals the integration does not use never start reauthentication
        (spurious reauth loops were a known problem of an earlier integration).
        """
        readable = self.capabilities.readable()
        compatibility: dict[Field, SmartcarError] = {}
        for key, err in errors.items():
            if key != VEHICLE_WIDE and key not in readable:
                continue
            if err.requires_reauth:
                self.config_entry.async_start_reauth(self.hass)
                continue
            self._check_virtual_key(err)
            if isinstance(err, SmartcarCompatibilityError) and isinstance(key, Field):
                compatibility[key] = err
        if gone := self._learn((), compatibility):
            self.data = (self.data or VehicleState()).without(gone)
        self.async_update_listeners()

    # -- commands ----------------------------------------------------------------------------

    async def async_send(self, spec: CommandSpec, value: float | None = None) -> None:
        """Send a command; on success show the state it leads to until a newer reading."""
        if spec.command is Command.START_CHARGE and self._unplugged():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_plugged_in",
                translation_placeholders={"vehicle": self.display_name},
            )
        LOGGER.debug("%s: sending %s", self.name, spec.command)
        sent_at = dt_util.utcnow()
        try:
            result = await self._request(spec.command, value)
        except SmartcarError as err:
            if err.code not in ALREADY_DONE.get(spec.command, ()):
                LOGGER.debug("%s: %s failed: %s", self.name, spec.command, describe_error(err))
                self._command_refused(err)
                raise command_error(err, spec.command, self.display_name) from err
            LOGGER.debug("%s: %s was already the case", self.name, spec.command)
        else:
            if not result.confirmed:
                LOGGER.info(
                    "%s: %s was sent; Smartcar has not confirmed it yet", self.name, spec.command
                )
        finally:
            self._count_calls(1)
        self._billing_blocked = False
        async_delete_vehicle_issue(self.hass, VIRTUAL_KEY, self.vehicle_id)
        expected = spec.value if spec.value is not None else value
        self._apply({spec.field: expected}, sent_at)

    async def _request(self, command: Command, value: float | None) -> CommandResult:
        """Call the client for one command."""
        vehicle_id = self.vehicle_id
        if command is Command.SET_CHARGE_LIMIT:
            return await self.client.async_set_charge_limit(vehicle_id, float(value or 0))
        senders = {
            Command.LOCK: self.client.async_lock,
            Command.UNLOCK: self.client.async_unlock,
            Command.START_CHARGE: self.client.async_start_charge,
            Command.STOP_CHARGE: self.client.async_stop_charge,
        }
        return await senders[command](vehicle_id)

    def _command_refused(self, err: SmartcarError) -> None:
        """What a refusal means beyond the error the user sees."""
        if err.requires_reauth:
            self.config_entry.async_start_reauth(self.hass)
        self._note_billing(err)
        self._check_virtual_key(err)

    def _unplugged(self) -> bool:
        """Whether a recent reading says the charging cable is not connected.

        An older reading may be out of date (the car was plugged in since), so then the
        command is sent and Smartcar's own answer decides.
        """
        reading = self.data.plugged_in if self.data is not None else None
        if reading is None or reading.value is not False or reading.optimistic:
            return False
        seen = reading.fetched_at or reading.data_age
        return seen is not None and dt_util.utcnow() - seen <= PLUG_READING_MAX_AGE

    def _apply(self, expected: Mapping[Field, Any], sent_at: datetime) -> None:
        """Show the state a command leads to as an optimistic reading dated when it was sent."""
        current = self.data if self.data is not None else VehicleState()
        optimistic = VehicleState.from_readings(
            {field: Reading(value, sent_at, optimistic=True) for field, value in expected.items()},
            current.errors,
        )
        self.data = current.merged(replace(optimistic, store_empty=current.store_empty))
        self.async_update_listeners()

    def _check_virtual_key(self, err: SmartcarError) -> None:
        """Raise the virtual-key repair issue when Tesla wants a key paired."""
        if isinstance(err, SmartcarConnectedServicesAccountError) and (
            err.code == "VIRTUAL_KEY_REQUIRED"
        ):
            async_create_virtual_key_issue(
                self.hass, self.vehicle_id, self.display_name, err.resolution_url
            )

    # -- what entities and diagnostics show --------------------------------------------------

    def reading_time(self) -> datetime | None:
        """When the freshest real reading was recorded by the car (or retrieved)."""
        times = [
            moment
            for _field, reading in self.data.readings()
            if not reading.optimistic and (moment := reading.moment) is not None
        ]
        return max(times, default=None)

    def diagnostics(self) -> dict[str, Any]:
        """What the coordinator learned about the vehicle's fields, for diagnostics."""
        return {
            "readable": sorted(self.capabilities.readable()),
            "unsupported": sorted(self.capabilities.unsupported),
            "denied": sorted(self.capabilities.denied),
            "seen": sorted(self.capabilities.seen),
            "subscribed": sorted(self._subscriptions),
            "push_active": self.push_active,
            "events_remembered": len(self._events),
            "transient_failures": self._transient_failures,
            "calls_per_read": self.calls_per_read(),
        }


def _stamped(state: VehicleState, moment: datetime) -> VehicleState:
    """Date readings that carry no time at all with ``moment`` (when the read was sent)."""
    changes: dict[str, Any] = {
        field.value: replace(reading, fetched_at=moment)
        for field, reading in state.readings()
        if reading.moment is None
    }
    return replace(state, **changes) if changes else state


def _worst(errors: Iterable[SmartcarError]) -> SmartcarError:
    """Pick the error that decides how long to wait: billing, then throttling, then any."""
    return min(
        errors,
        key=lambda err: (
            not isinstance(err, SmartcarBillingError),
            not isinstance(err, SmartcarRateLimitError),
        ),
    )
