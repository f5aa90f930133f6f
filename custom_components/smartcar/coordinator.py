"""One coordinator per vehicle: reads within the call budget, partial results, and commands.

Data flows from Smartcar into ``coordinator.data`` (a :class:`VehicleState`), commands flow
from the entities through :meth:`SmartcarVehicleCoordinator.async_command` back to Smartcar,
and both map Smartcar's failures onto what Home Assistant expects: reauthentication only when
the credential itself is rejected, ``UpdateFailed`` with ``retry_after`` for throttling, repair
issues for a spent allowance or a missing Tesla virtual key, and translated errors for commands.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    COMMAND_PERMISSIONS,
    FIELD_PERMISSIONS,
    V2_FIELD_PATHS,
    VEHICLE_WIDE,
    ApiVersion,
    ChargingState,
    Command,
    Connection,
    Field,
    Reading,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarCompatibilityError,
    SmartcarConnectedServicesAccountError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarTimeoutError,
    SmartcarVehicleStateError,
    Vehicle,
    VehicleState,
)
from .const import (
    BILLING_RETRY_AFTER,
    BILLING_URL,
    CONF_PERMISSIONS,
    DOMAIN,
    FIRST_REFRESH_TIMEOUT,
    LOGGER,
    PLUG_READING_MAX_AGE,
    PUSH_FRESHNESS,
    RATE_LIMIT_RETRY_AFTER,
)
from .polling import PollingInputs, PollingSettings, next_interval
from .storage import SmartcarStore, VehicleMetadata
from .webhook import async_check_push_silence

if TYPE_CHECKING:
    from collections.abc import Collection, Coroutine, Iterable, Mapping
    from datetime import datetime

    from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

type SmartcarConfigEntry = ConfigEntry[SmartcarData]

#: Makes Smartcar spells in capitals that are not simply title-cased for display.
_MAKE_NAMES: Mapping[str, str] = {
    "BMW": "BMW",
    "BYD": "BYD",
    "GMC": "GMC",
    "MINI": "MINI",
    "RAM": "RAM",
    "MERCEDES-BENZ": "Mercedes-Benz",
    "ROLLS-ROYCE": "Rolls-Royce",
    "LAND ROVER": "Land Rover",
    "ALFA ROMEO": "Alfa Romeo",
    "CUPRA": "CUPRA",
    "DS": "DS",
    "MG": "MG",
}

#: VEHICLE_STATE codes and the translation key of the error they become, by family.
_VEHICLE_STATE_KEYS: Mapping[str, str] = {
    "ASLEEP": "vehicle_asleep",
    "UNREACHABLE": "vehicle_unreachable",
    "VEHICLE_OFFLINE_FOR_SERVICE": "vehicle_unreachable",
    "REMOTE_ACCESS_DISABLED": "remote_access_disabled",
    "DOOR_OPEN": "vehicle_open",
    "TRUNK_OPEN": "vehicle_open",
    "HOOD_OPEN": "vehicle_open",
    "IN_MOTION": "vehicle_in_use",
    "IGNITION_ON": "vehicle_in_use",
    "CHARGING_PLUG_NOT_CONNECTED": "not_plugged_in",
    "CHARGING_PLUG_CONNECTED": "charging_plug_connected",
    "CHARGING_IN_PROGRESS": "charging_in_progress",
    "NOT_CHARGING": "not_charging",
    "FULLY_CHARGED": "fully_charged",
    "CHARGE_FAULT": "charge_fault",
    "LOW_BATTERY": "low_battery",
}

#: Event ids of recent deliveries remembered to ignore redeliveries (Smartcar retries for
#: about three minutes; older redeliveries still cannot roll a value back, see ``_not_older``).
_RECENT_EVENTS = 512

#: Refusals that mean the vehicle is already where the command would take it.
_ALREADY_DONE: Mapping[Command, frozenset[str]] = {
    Command.START_CHARGE: frozenset({"CHARGING_IN_PROGRESS"}),
    Command.STOP_CHARGE: frozenset({"NOT_CHARGING"}),
}


@dataclass
class SmartcarData:
    """What a loaded entry holds: the client, its token session, the store and coordinators."""

    client: SmartcarClient
    session: OAuth2Session
    store: SmartcarStore
    coordinators: dict[str, SmartcarVehicleCoordinator]
    settings: PollingSettings


def display_make(make: str) -> str:
    """Return a make as people write it (``TESLA`` → ``Tesla``, ``BMW`` stays)."""
    cleaned = make.strip()
    if not cleaned:
        return "Smartcar"
    if cleaned.upper() in _MAKE_NAMES:
        return _MAKE_NAMES[cleaned.upper()]
    if cleaned.isupper():
        return "-".join(part.capitalize() for part in cleaned.title().split("-"))
    return cleaned


def describe_error(err: BaseException) -> str:
    """Describe an error for logs by Smartcar's identifiers only, never by its text."""
    if isinstance(err, SmartcarError):
        parts = [err.type if err.code is None else f"{err.type}:{err.code}"]
        if err.status is not None:
            parts.append(f"HTTP {err.status}")
        if err.request_id:
            parts.append(f"request {err.request_id}")
        return ", ".join(parts)
    return type(err).__name__


def _not_older(new: Reading[Any], old: Reading[Any] | None) -> bool:
    """Whether ``new`` was recorded no earlier than ``old`` (unknown times do not block)."""
    if old is None:
        return True
    new_time = new.data_age or new.fetched_at
    old_time = old.data_age or old.fetched_at
    return new_time is None or old_time is None or new_time >= old_time


def _billing_issue_id(vehicle_id: str) -> str:
    return f"billing_limit_{vehicle_id}"


def _virtual_key_issue_id(vehicle_id: str) -> str:
    return f"virtual_key_{vehicle_id}"


class SmartcarVehicleCoordinator(DataUpdateCoordinator[VehicleState]):
    """Reads one vehicle on the polling policy's schedule and runs its commands."""

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
        """Prepare the coordinator; nothing is read before the first refresh."""
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
        self.permissions: frozenset[str] = frozenset(entry.data.get(CONF_PERMISSIONS, ()))
        self._unsupported: set[Field] = set()
        self._denied: set[Field] = set()
        self._seen: set[Field] = set()
        self._first_read_failed = False
        self._subscriptions: Counter[Field] = Counter()
        self._last_push: datetime | None = None
        self._recent_events: OrderedDict[str, None] = OrderedDict()
        self._push_errors: dict[Field | str, SmartcarError] = {}

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

    # -- what to read ------------------------------------------------------------------------

    def _readable(self) -> set[Field]:
        """Fields this API generation serves, the owner permitted, and the car did not refuse."""
        return {
            field
            for field in self.client.supported_fields
            if FIELD_PERMISSIONS[field] in self.permissions
            and field not in self._unsupported
            and field not in self._denied
        }

    def _fields_to_read(self) -> set[Field]:
        """Fields of enabled entities; everything readable until entities have subscribed."""
        readable = self._readable()
        if not self._subscriptions:
            return readable
        return readable & set(self._subscriptions)

    def calls_per_read(self, fields: Collection[Field] | None = None) -> int:
        """Billed calls one read costs: one per v2 batch path, one v3 signals request."""
        fields = self._fields_to_read() if fields is None else fields
        if not fields:
            return 0
        if self.client.api_version is ApiVersion.V3:
            return 1
        return len({V2_FIELD_PATHS[field] for field in fields if field in V2_FIELD_PATHS})

    def capable(self, fields: Iterable[Field]) -> bool:
        """Whether the vehicle provides all ``fields``, so entities for them should exist."""
        readable = self._readable()
        return all(
            field in readable and (self._first_read_failed or field in self._seen)
            for field in fields
        )

    def permitted(self, permission: str) -> bool:
        """Whether the owner granted ``permission`` for this vehicle."""
        return permission in self.permissions

    def is_supported(self, field: Field) -> bool:
        """Whether the field is still read (not refused as incompatible or forbidden)."""
        return field in self._readable()

    @callback
    def async_subscribe(self, fields: Iterable[Field]) -> CALLBACK_TYPE:
        """Read ``fields`` from now on; the returned callback stops that."""
        wanted = list(fields)
        self._subscriptions.update(wanted)

        @callback
        def unsubscribe() -> None:
            self._subscriptions.subtract(wanted)
            self._subscriptions = +self._subscriptions

        return unsubscribe

    # -- budget ------------------------------------------------------------------------------

    def _count_calls(self, calls: int, *, reserved: bool = True) -> None:
        """Count billed calls against this vehicle's month (``reserved`` unless a read)."""
        now = dt_util.utcnow()
        budget = self.store.budget(self.vehicle_id, now).record(calls, now, reserved=reserved)
        self.store.set_budget(self.vehicle_id, budget)

    @property
    def calls_this_month(self) -> int:
        """Calls counted against this vehicle in the current month."""
        return self.store.budget(self.vehicle_id, dt_util.utcnow()).used

    def _schedule_next(
        self, retry_after: float | None = None, state: VehicleState | None = None
    ) -> None:
        """Let the polling policy pick when to read next (sooner while the car charges)."""
        now = dt_util.utcnow()
        latest = state if state is not None else self.data
        charging = latest is not None and (
            (reading := latest.charging_state) is not None
            and reading.value is ChargingState.CHARGING
        )
        calls = self.calls_per_read()
        decision = next_interval(
            self.settings,
            PollingInputs(
                now=now,
                calls_per_read=calls,
                budget=self.store.budget(self.vehicle_id, now),
                charging=charging,
                push_active=self._push_active(now),
                retry_after=retry_after,
                fleet_calls_per_round=calls * self._fleet_size,
            ),
        )
        self.update_interval = decision.interval
        LOGGER.debug(
            "%s: next read in %s (%s, %d calls left this month)",
            self.name,
            decision.interval,
            decision.reason,
            decision.calls_left,
        )

    def _push_active(self, now: datetime) -> bool:
        """Whether webhooks delivered data recently enough to rely on them."""
        return self._last_push is not None and now - self._last_push < PUSH_FRESHNESS

    # -- setup and reads ---------------------------------------------------------------------

    @override
    async def _async_setup(self) -> None:
        """Load make, model, VIN and permissions once (from the store when still valid)."""
        now = dt_util.utcnow()
        self._unsupported = self.store.unsupported(self.vehicle_id)
        cached = self.store.metadata(self.vehicle_id, self._consent, now)
        if cached is None:
            cached = await self._async_fetch_metadata()
            if cached is not None:
                self.store.set_metadata(self.vehicle_id, cached, self._consent, now)
        if cached is not None:
            self.vehicle = cached.vehicle
            self.permissions = frozenset(cached.permissions)
        self.name = self.display_name

    async def _async_fetch_metadata(self) -> VehicleMetadata | None:
        """Read the vehicle's identity; what cannot be read falls back, nothing fails setup."""
        complete = True
        vehicle = self.vehicle
        try:
            vehicle = await self.client.async_get_vehicle(self.vehicle_id)
        except SmartcarError as err:
            self._raise_if_reauth(err)
            LOGGER.warning("Could not read the vehicle's make and model: %s", describe_error(err))
            complete = False
        finally:
            self._count_calls(1)
        vin: str | None = None
        if "read_vin" in self.permissions:
            try:
                vin = await self.client.async_get_vin(self.vehicle_id)
            except SmartcarError as err:
                self._raise_if_reauth(err)
                # Some makes answer 404 for the VIN; the vehicle id identifies the device.
                LOGGER.info("The vehicle did not report its VIN: %s", describe_error(err))
            finally:
                self._count_calls(1)
        permissions = tuple(self.permissions)
        try:
            permissions = await self.client.async_get_permissions(self.vehicle_id)
        except SmartcarError as err:
            self._raise_if_reauth(err)
            LOGGER.warning("Could not read the granted permissions: %s", describe_error(err))
            complete = False
        finally:
            if self.client.api_version is ApiVersion.V2:
                self._count_calls(1)
        self.vehicle = replace(vehicle, vin=vin)
        self.permissions = frozenset(permissions)
        if not complete:
            return None
        return VehicleMetadata(vehicle=self.vehicle, permissions=tuple(permissions))

    def _raise_if_reauth(self, err: SmartcarError) -> None:
        """Start reauthentication when Smartcar rejects the credential itself."""
        if err.requires_reauth:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"error": describe_error(err)},
            ) from err

    @override
    async def _async_update_data(self) -> VehicleState:
        """Read the fields enabled entities need and merge them into what is known."""
        first = self.data is None
        previous = self.data if self.data is not None else VehicleState()
        fields = self._fields_to_read()
        if not fields:
            self._schedule_next()
            return previous
        calls = self.calls_per_read(fields)
        try:
            async with asyncio.timeout(FIRST_REFRESH_TIMEOUT if first else None):
                state = await self.client.async_get_state(self.vehicle_id, fields)
        except TimeoutError as err:
            timeout = SmartcarTimeoutError("No answer within the first refresh's time limit")
            return self._read_failed(timeout, first, previous, err)
        except SmartcarError as err:
            return self._read_failed(err, first, previous, err)
        self._count_calls(calls, reserved=False)
        return self._read_succeeded(state, fields, first, previous)

    def _read_failed(
        self,
        err: SmartcarError,
        first: bool,
        previous: VehicleState,
        cause: BaseException,
    ) -> VehicleState:
        """Map a failed read; the first read never blocks setup on a transient failure."""
        self._raise_if_reauth(err)
        retry_after = self._retry_after_for(err)
        if isinstance(err, SmartcarBillingError):
            self._create_billing_issue(err)
        if first:
            # Setup retries every few seconds would burn the monthly allowance; set the
            # entities up instead and let the polling policy decide when to read again.
            LOGGER.warning(
                "The first read of %s failed (%s); retrying on the regular schedule",
                self.name,
                describe_error(err),
            )
            self._first_read_failed = True
            self._schedule_next(retry_after)
            return previous
        self._schedule_next()
        raise self._update_failed(err, retry_after) from cause

    def _retry_after_for(self, err: SmartcarError) -> float | None:
        """How long to wait after a failed read, when Smartcar's answer says so."""
        if isinstance(err, SmartcarBillingError):
            return BILLING_RETRY_AFTER
        if isinstance(err, SmartcarRateLimitError):
            return err.retry_after if err.retry_after is not None else RATE_LIMIT_RETRY_AFTER
        return err.retry_after

    def _update_failed(self, err: SmartcarError, retry_after: float | None) -> UpdateFailed:
        """Translate a failed read into ``UpdateFailed``."""
        if isinstance(err, SmartcarBillingError):
            key = "update_billing"
        elif isinstance(err, SmartcarRateLimitError):
            key = "update_rate_limited"
        elif isinstance(err, SmartcarTimeoutError):
            key = "update_timeout"
        elif isinstance(err, SmartcarConnectionError):
            key = "update_cannot_connect"
        elif isinstance(err, SmartcarVehicleStateError):
            key = "update_vehicle_state"
        else:
            key = "update_failed"
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={
                "error": describe_error(err),
                "retry_after": str(round(retry_after or 0)),
            },
            retry_after=retry_after,
        )

    def _read_succeeded(
        self,
        state: VehicleState,
        fields: set[Field],
        first: bool,
        previous: VehicleState,
    ) -> VehicleState:
        """Keep what was read, learn from per-field errors, and schedule the next read."""
        read = {field for field, _reading in state.readings()}
        failures: dict[Field, SmartcarError] = {}
        for field, err in state.errors.items():
            self._raise_if_reauth(err)
            if isinstance(err, SmartcarCompatibilityError):
                LOGGER.debug("%s cannot provide %s (%s)", self.name, field, describe_error(err))
                self._unsupported.add(field)
            elif isinstance(err, SmartcarPermissionError):
                LOGGER.info(
                    "%s: no permission to read %s; reconfigure to grant it", self.name, field
                )
                self._denied.add(field)
            else:
                failures[field] = err
        self.store.set_unsupported(self.vehicle_id, self._unsupported)
        self._seen |= read | set(failures)
        self._first_read_failed = False
        merged = previous.merged(state)
        # Fields Smartcar refused are gone for good: drop what an older read held.
        gone: dict[str, Any] = {
            field.value: None
            for field in Field
            if field not in self._readable() and merged.get(field) is not None
        }
        if gone:
            merged = replace(merged, **gone)

        for err in failures.values():
            self._check_virtual_key(err)
        if failures and not read:
            # Nothing at all came back: the vehicle is unavailable this time.
            err = self._worst(failures.values())
            retry_after = self._retry_after_for(err)
            if isinstance(err, SmartcarBillingError):
                self._create_billing_issue(err)
            if first:
                self._schedule_next(retry_after)
                return merged
            self._schedule_next()
            raise self._update_failed(err, retry_after)
        # Smartcar answered: requests for this vehicle are accepted again.
        ir.async_delete_issue(self.hass, DOMAIN, _billing_issue_id(self.vehicle_id))
        async_check_push_silence(self.hass, self.config_entry, previous, merged)
        self._schedule_next(state=merged)
        return merged

    @staticmethod
    def _worst(errors: Iterable[SmartcarError]) -> SmartcarError:
        """Pick the error that decides how long to wait: billing, then throttling, then any."""
        ordered = sorted(
            errors,
            key=lambda err: (
                not isinstance(err, SmartcarBillingError),
                not isinstance(err, SmartcarRateLimitError),
            ),
        )
        return ordered[0]

    # -- push --------------------------------------------------------------------------------

    def _already_applied(self, event_id: str | None) -> bool:
        """Remember ``event_id``; True when it was applied before (a redelivery)."""
        if event_id is None:
            return False
        if event_id in self._recent_events:
            self._recent_events.move_to_end(event_id)
            return True
        self._recent_events[event_id] = None
        if len(self._recent_events) > _RECENT_EVENTS:
            self._recent_events.popitem(last=False)
        return False

    @callback
    def async_push(self, state: VehicleState, *, event_id: str | None = None) -> bool:
        """Merge state pushed by a webhook; False when ``event_id`` was applied already.

        Per field, a reading recorded before the one held is skipped, so a redelivered or
        out-of-order event never rolls a value back. Polling backs off while pushes come.
        """
        if self._already_applied(event_id):
            return False
        self._last_push = dt_util.utcnow()
        for field, err in state.errors.items():
            if isinstance(err, SmartcarCompatibilityError):
                self._unsupported.add(field)
        readable = self._readable()
        current = self.data if self.data is not None else VehicleState()
        kept = {
            field: reading
            for field, reading in state.readings()
            if field in readable and _not_older(reading, current.get(field))
        }
        for field in kept:
            self._push_errors.pop(field, None)
        self._seen |= set(kept)
        self._schedule_next()
        changes: dict[str, Any] = {field.value: reading for field, reading in kept.items()}
        self.async_set_updated_data(replace(current, **changes))
        return True

    @callback
    def async_push_errors(
        self, errors: Mapping[Field | str, SmartcarError], *, event_id: str | None = None
    ) -> None:
        """Apply errors a webhook reported, only for what this integration reads.

        Each affected field is unavailable until a RESOLVED event or a newer reading; a
        vehicle-wide error affects every field. Only an error about the credential itself
        starts reauthentication, and never one about a signal the integration does not use
        (spurious reauth loops were a known problem of an earlier integration).
        """
        if self._already_applied(event_id):
            return
        readable = self._readable()
        for key, err in errors.items():
            if key != VEHICLE_WIDE and key not in readable:
                continue
            if err.requires_reauth:
                self.config_entry.async_start_reauth(self.hass)
                continue
            self._check_virtual_key(err)
            if isinstance(err, SmartcarCompatibilityError) and isinstance(key, Field):
                self._unsupported.add(key)
            self._push_errors[key] = err
        self.store.set_unsupported(self.vehicle_id, self._unsupported)
        self.async_update_listeners()

    @callback
    def async_resolve_errors(self, keys: Collection[Field | str]) -> None:
        """Smartcar reported these errors RESOLVED: their fields are available again."""
        for key in keys:
            err = self._push_errors.pop(key, None)
            if isinstance(err, SmartcarCompatibilityError) and isinstance(key, Field):
                self._unsupported.discard(key)
        self.store.set_unsupported(self.vehicle_id, self._unsupported)
        self.async_update_listeners()

    def field_error(self, field: Field) -> SmartcarError | None:
        """The pushed error that currently makes ``field`` unavailable, if any."""
        return self._push_errors.get(field) or self._push_errors.get(VEHICLE_WIDE)

    # -- repair issues -----------------------------------------------------------------------

    def _create_billing_issue(self, err: SmartcarError) -> None:
        """Tell the user the vehicle's monthly allowance (or the plan) blocks requests."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            _billing_issue_id(self.vehicle_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="billing_limit",
            translation_placeholders={"vehicle": self.display_name, "code": err.code or "-"},
            learn_more_url=BILLING_URL,
        )

    def _check_virtual_key(self, err: SmartcarError) -> None:
        """Raise the virtual-key repair issue when Tesla wants a key paired."""
        if not (
            isinstance(err, SmartcarConnectedServicesAccountError)
            and err.code == "VIRTUAL_KEY_REQUIRED"
        ):
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            _virtual_key_issue_id(self.vehicle_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="virtual_key_required",
            translation_placeholders={"vehicle": self.display_name},
            learn_more_url=err.resolution_url or "https://www.tesla.com/_ak/smartcar.com",
        )

    # -- commands ----------------------------------------------------------------------------

    async def async_lock(self) -> None:
        """Lock the doors; shown locked until the next read says otherwise."""
        await self._async_send(
            Command.LOCK, self.client.async_lock(self.vehicle_id), {Field.LOCKED: True}
        )

    async def async_unlock(self) -> None:
        """Unlock the doors."""
        await self._async_send(
            Command.UNLOCK, self.client.async_unlock(self.vehicle_id), {Field.LOCKED: False}
        )

    async def async_start_charge(self) -> None:
        """Start charging; refused before sending when the last read says unplugged."""
        if self._unplugged():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_plugged_in",
                translation_placeholders={"vehicle": self.display_name},
            )
        await self._async_send(
            Command.START_CHARGE,
            self.client.async_start_charge(self.vehicle_id),
            {Field.CHARGING_STATE: ChargingState.CHARGING},
        )

    async def async_stop_charge(self) -> None:
        """Stop charging."""
        await self._async_send(
            Command.STOP_CHARGE,
            self.client.async_stop_charge(self.vehicle_id),
            {Field.CHARGING_STATE: ChargingState.NOT_CHARGING},
        )

    async def async_set_charge_limit(self, percent: float) -> None:
        """Set the charge limit (the number entity keeps it within 50-100 %)."""
        await self._async_send(
            Command.SET_CHARGE_LIMIT,
            self.client.async_set_charge_limit(self.vehicle_id, percent),
            {Field.CHARGE_LIMIT: float(percent)},
        )

    async def _async_send(
        self,
        command: Command,
        request: Coroutine[Any, Any, Any],
        expected: Mapping[Field, Any],
    ) -> None:
        """Send a command; on success show the expected state until the next read."""
        LOGGER.debug("%s: sending %s", self.name, command)
        try:
            await request
        except SmartcarError as err:
            if err.code in _ALREADY_DONE.get(command, ()):
                LOGGER.debug("%s: %s was already the case", self.name, command)
            else:
                LOGGER.debug("%s: %s failed: %s", self.name, command, describe_error(err))
                raise self._command_error(command, err) from err
        finally:
            self._count_calls(1)
        ir.async_delete_issue(self.hass, DOMAIN, _virtual_key_issue_id(self.vehicle_id))
        self._apply(expected)

    def _unplugged(self) -> bool:
        """Whether a recent read says the charging cable is not connected.

        An older reading may be out of date (the car was plugged in since), so then the
        command is sent and Smartcar's own answer decides.
        """
        reading = self.data.plugged_in
        if reading is None or reading.value is not False:
            return False
        seen = reading.fetched_at or reading.data_age
        return seen is not None and dt_util.utcnow() - seen <= PLUG_READING_MAX_AGE

    @callback
    def _apply(self, expected: Mapping[Field, Any]) -> None:
        """Show the state a successful command leads to, without moving the next read."""
        now = dt_util.utcnow()
        base = self.data if self.data is not None else VehicleState()
        changes: dict[str, Any] = {
            field.value: Reading(value, None, now) for field, value in expected.items()
        }
        self.data = replace(base, **changes)
        self.async_update_listeners()

    def _command_error(self, command: Command, err: SmartcarError) -> HomeAssistantError:
        """Translate a refused command into an error that names Smartcar's reason."""
        placeholders = {
            "vehicle": self.display_name,
            "command": str(command),
            "error": describe_error(err),
        }
        if err.requires_reauth:
            self.config_entry.async_start_reauth(self.hass)
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="reauth_required",
                translation_placeholders=placeholders,
            )
        if isinstance(err, SmartcarVehicleStateError):
            key = _VEHICLE_STATE_KEYS.get(err.code or "", "vehicle_state_unknown")
            if key == "not_plugged_in":
                return ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key=key,
                    translation_placeholders=placeholders,
                )
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders=placeholders,
            )
        if isinstance(err, SmartcarRateLimitError):
            retry_after = err.retry_after if err.retry_after is not None else RATE_LIMIT_RETRY_AFTER
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={**placeholders, "retry_after": str(round(retry_after))},
            )
        if isinstance(err, SmartcarBillingError):
            self._create_billing_issue(err)
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="billing_limit",
                translation_placeholders={**placeholders, "code": err.code or "-"},
            )
        if isinstance(err, SmartcarConnectedServicesAccountError):
            if err.code == "VIRTUAL_KEY_REQUIRED":
                self._check_virtual_key(err)
                return HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="virtual_key_required",
                    translation_placeholders={
                        **placeholders,
                        "url": err.resolution_url or "https://www.tesla.com/_ak/smartcar.com",
                    },
                )
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="account_issue",
                translation_placeholders={**placeholders, "code": err.code or "-"},
            )
        if isinstance(err, SmartcarPermissionError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="permission_missing",
                translation_placeholders={
                    **placeholders,
                    "permission": COMMAND_PERMISSIONS[command],
                },
            )
        if isinstance(err, SmartcarCompatibilityError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="not_capable",
                translation_placeholders=placeholders,
            )
        if isinstance(err, SmartcarTimeoutError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_timeout",
                translation_placeholders=placeholders,
            )
        if isinstance(err, SmartcarConnectionError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders=placeholders,
            )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={
                **placeholders,
                "type": err.type,
                "code": err.code or "-",
            },
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def reading_time(self) -> datetime | None:
        """When the freshest value of this vehicle was recorded by the car (or fetched)."""
        times = [
            moment
            for _field, reading in self.data.readings()
            if (moment := reading.data_age or reading.fetched_at) is not None
        ]
        return max(times, default=None)

    def diagnostics(self) -> dict[str, Any]:
        """What the coordinator learned about the vehicle's fields, for diagnostics."""
        return {
            "readable": sorted(self._readable()),
            "unsupported": sorted(self._unsupported),
            "denied": sorted(self._denied),
            "seen": sorted(self._seen),
            "subscribed": sorted(self._subscriptions),
            "first_read_failed": self._first_read_failed,
            "push_active": self._push_active(dt_util.utcnow()),
            "push_errors": {
                str(key): describe_error(err) for key, err in sorted(self._push_errors.items())
            },
            "calls_per_read": self.calls_per_read(),
        }
