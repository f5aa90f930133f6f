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
from collections import Counter
from contextlib import nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any, override

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .api import (
    VEHICLE_WIDE,
    Connection,
    Field,
    Reading,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarCompatibilityError,
    SmartcarError,
    SmartcarTimeoutError,
    Vehicle,
    VehicleState,
)
from .capabilities import VehicleCapabilities
from .const import (
    CONF_PERMISSIONS,
    FIRST_REFRESH_TIMEOUT,
    LOGGER,
    SEEN_EVENTS,
)
from .helpers import (
    auth_failed,
    describe_error,
    raise_if_reauth,
    stamped,
    update_failed,
    vehicle_device_info,
    vehicle_name,
    worst_error,
)
from .issues import (
    BILLING_LIMIT,
    async_check_virtual_key,
    async_create_billing_issue,
    async_delete_vehicle_issue,
    async_update_empty_store_issue,
)
from .metadata import MetadataReader
from .push import DeliveryLedger
from .scheduling import PlannedCoordinator
from .storage import VehicleMetadata
from .webhook import async_check_push_silence

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from datetime import datetime

    from homeassistant.core import CALLBACK_TYPE, HomeAssistant
    from homeassistant.helpers.device_registry import DeviceInfo

    from .models import SmartcarConfigEntry
    from .polling import AppBucket, PollingSettings
    from .storage import SmartcarStore


#: Requests reading a vehicle's metadata makes (vehicle, VIN, permissions).
METADATA_REQUESTS = 3


class SmartcarVehicleCoordinator(PlannedCoordinator):
    """Reads one vehicle on the planner's schedule, merges pushes, and runs its commands."""

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
        bucket: AppBucket | None = None,
    ) -> None:
        """Prepare the coordinator from what the store remembers; nothing is read yet."""
        super().__init__(hass, entry, store, vehicle_id, settings=settings, bucket=bucket)
        self.client = client
        self._consent = consent
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
        self._ledger = DeliveryLedger(limit=SEEN_EVENTS)
        self._push_unsupported: set[Field] = set()
        self._billing_blocked = False
        self._deadline: float | None = None

    @property
    def display_name(self) -> str:
        """``<Make> <Model>``, the device name and the spoken name in Assist."""
        return vehicle_name(self.vehicle)

    @property
    def device_info(self) -> DeviceInfo:
        """The device registry entry of this vehicle; the VIN is its serial number."""
        return vehicle_device_info(self.vehicle)

    # -- what the vehicle can do -------------------------------------------------------------

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
            async_check_virtual_key(self.hass, self.vehicle_id, self.display_name, err)
        return learned.removed

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
        if metadata is None and not self._reserve(METADATA_REQUESTS):
            # Many vehicles starting at once would exceed the application's request limit:
            # the connection names make and model; the VIN is read at a later start.
            LOGGER.info("%s: make, model and VIN are read at a later start", self.name)
            metadata = VehicleMetadata(self.vehicle, tuple(self.capabilities.permissions))
        if metadata is None:
            reader = MetadataReader(
                self.client, self.vehicle, self.capabilities.permissions, self.count_calls
            )
            try:
                async with self._time_box():
                    metadata = await reader.async_read()
            except TimeoutError:
                LOGGER.warning("%s did not answer in time; using what is known", self.name)
            except SmartcarError as err:  # only a rejected credential leaves the reader
                raise auth_failed(err) from err
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
        if not fields or not self._take_request():
            # No fields, or the application's bucket is short (better wait than get a 429):
            # a request is taken from the bucket only for a read that goes out.
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
        self.count_calls(calls, reserved=False)
        return self._read_succeeded(stamped(state, started), first)

    def _read_failed(self, err: SmartcarError, first: bool, cause: BaseException) -> VehicleState:
        """Map a failed read; the first read never blocks setup on a failure."""
        raise_if_reauth(err)
        self._note_billing(err)
        wait = self._plan_after_failure(err)
        if first:
            # Setup retries every few seconds would burn the monthly allowance; set the
            # entities up from what is known and read again on the schedule.
            LOGGER.warning("The first read of %s failed (%s)", self.name, describe_error(err))
            return self.data if self.data is not None else VehicleState()
        raise update_failed(err, wait) from cause

    def _read_succeeded(self, state: VehicleState, first: bool) -> VehicleState:
        """Merge what was read into the current data, learn from per-field errors."""
        for err in state.errors.values():
            raise_if_reauth(err)
        present = [field for field, _reading in state.readings()]
        gone = self._learn(present, state.errors)
        failures = {f: e for f, e in state.errors.items() if f not in gone}
        current = self.data if self.data is not None else VehicleState()
        merged = current.merged(state).without(gone)
        self._ledger.resolve(f for f in present if merged.get(f) is state.get(f))
        async_check_push_silence(self.hass, self.config_entry, current, merged)
        self._note_store(merged)
        if failures and not present:
            # Nothing at all came back: the vehicle is unavailable this time.
            err = worst_error(failures.values())
            self._read_failed(err, first, err)
            return merged
        self._billing_blocked = False
        async_delete_vehicle_issue(self.hass, BILLING_LIMIT, self.vehicle_id)
        self.planner.note_read(dt_util.utcnow(), state)
        self.data = merged
        self._schedule_next()
        return merged

    def _note_store(self, state: VehicleState) -> None:
        """An empty v3 store is a state the user can act on: say how; clear it once data came."""
        async_update_empty_store_issue(
            self.hass,
            self.config_entry,
            self.vehicle_id,
            self.display_name,
            empty=state.store_empty,
        )

    def _note_billing(self, err: SmartcarError) -> None:
        """A spent allowance blocks every request of this vehicle: say so once."""
        if isinstance(err, SmartcarBillingError):
            self._billing_blocked = True
            async_create_billing_issue(self.hass, self.vehicle_id, self.display_name, err.code)

    # -- push --------------------------------------------------------------------------------

    @callback
    def async_push(self, state: VehicleState, *, event_id: str | None = None) -> bool:
        """Merge pushed state by the one merge rule; False when the event was applied."""
        if self._ledger.already_applied(event_id):
            return False
        now = dt_util.utcnow()
        compatibility = {
            field: err
            for field, err in state.errors.items()
            if isinstance(err, SmartcarCompatibilityError)
        }
        readable = self.capabilities.readable()
        kept = {f: r for f, r in stamped(state, now).readings() if f in readable}
        gone = self._learn(kept, compatibility)
        current = self.data if self.data is not None else VehicleState()
        merged = current.merged(VehicleState.from_readings(kept, current.errors)).without(gone)
        self._ledger.resolve(f for f, r in kept.items() if merged.get(f) is r)
        self._note_store(merged)
        self.planner.note_push(now, VehicleState.from_readings(kept))
        if merged != current:
            self.async_set_updated_data(merged)
        self._schedule_next()
        return True

    @callback
    def async_push_errors(
        self, errors: Mapping[Field | str, SmartcarError], *, event_id: str | None = None
    ) -> None:
        """Apply errors a webhook reported, only for what this integration reads.

        Each affected field is unavailable until a RESOLVED event or a newer reading; a
        vehicle-wide error affects every reading. Only an error about the credential itself
        starts reauthentication, never one about a signal the integration does not use.
        """
        if self._ledger.already_applied(event_id):
            return
        readable = self.capabilities.readable()
        compatibility: dict[Field, SmartcarError] = {}
        for key, err in errors.items():
            if key != VEHICLE_WIDE and key not in readable:
                continue
            if err.requires_reauth:
                self.config_entry.async_start_reauth(self.hass)
                continue
            async_check_virtual_key(self.hass, self.vehicle_id, self.display_name, err)
            if isinstance(err, SmartcarCompatibilityError) and isinstance(key, Field):
                compatibility[key] = err
                self._push_unsupported.add(key)
            else:
                self._ledger.errors[key] = err
        if gone := self._learn((), compatibility):
            self.data = (self.data or VehicleState()).without(gone)
        self.async_update_listeners()

    @callback
    def async_resolve_errors(self, keys: Collection[Field | str]) -> None:
        """Smartcar reported these errors RESOLVED: their fields are available again."""
        self._ledger.resolve(keys)
        # An incompatibility a push reported and Smartcar resolved: the field may come back.
        back = {key for key in keys if isinstance(key, Field)} & self._push_unsupported
        if back:
            self._push_unsupported -= back
            self.capabilities.unsupported -= back
            self._learn((), {})
        self.async_update_listeners()

    def field_error(self, field: Field) -> SmartcarError | None:
        """The pushed error that currently makes ``field`` unavailable, if any."""
        return self._ledger.error_for(field)

    @callback
    def async_apply_optimistic(self, expected: Mapping[Field, Any], sent_at: datetime) -> None:
        """Show what a command leads to, as readings dated when it was sent (see merge)."""
        self._billing_blocked = False
        self.bucket.take(sent_at, 1)
        current = self.data if self.data is not None else VehicleState()
        optimistic = VehicleState.from_readings(
            {field: Reading(value, sent_at, optimistic=True) for field, value in expected.items()},
            current.errors,
        )
        self.data = current.merged(replace(optimistic, store_empty=current.store_empty))
        self.planner.note_command(expected, sent_at)
        self.async_update_listeners()
        self._schedule_next()

    def command_refused(self, err: SmartcarError) -> None:
        """What a refused command means beyond the error the user sees."""
        self.bucket.take(dt_util.utcnow(), 1)
        if err.requires_reauth:
            self.config_entry.async_start_reauth(self.hass)
        self._note_billing(err)
        async_check_virtual_key(self.hass, self.vehicle_id, self.display_name, err)

    # -- what entities and diagnostics show --------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """What the coordinator learned about the vehicle's fields, for diagnostics."""
        return {
            **self.capabilities.summary(),
            "subscribed": sorted(self._subscriptions),
            "push_active": self.push_active,
            "events_remembered": len(self._ledger.events),
            "push_errors": {
                str(key): describe_error(err) for key, err in sorted(self._ledger.errors.items())
            },
            "transient_failures": self.planner.failures,
            "calls_per_read": self.calls_per_read(),
            "planner": {
                "next_read": None if self.plan is None else str(self.plan.at),
                "reason": None if self.plan is None else str(self.plan.reason),
                "store_period": str(self.planner.rhythm.period),
                "wasted_reads": self.planner.wasted,
            },
        }
