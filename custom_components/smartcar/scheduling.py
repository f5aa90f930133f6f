"""The coordinator's side of read planning: the month's count, the shared bucket, the plan.

A vehicle's coordinator is built on :class:`PlannedCoordinator`, which keeps the Home Assistant
half of what ``planner.py`` decides without Home Assistant: it counts billed calls in the store
(and requests in the application's shared bucket), turns each plan into the next refresh, tells
the diagnostic sensors when the plan changes, lets an asked-for read (``update_entity``) happen
at once, and turns a failed read into the planner's backoff.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
import random
from typing import TYPE_CHECKING, override

from homeassistant.core import callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import SmartcarError, SmartcarRateLimitError, VehicleState
from .const import DOMAIN, LOGGER, RATE_LIMIT_RETRY_AFTER
from .helpers import TRANSIENT_ERRORS, retry_after_for
from .planner import VehiclePlanner
from .polling import AppBucket, Plan

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    from .api import Field
    from .models import SmartcarConfigEntry
    from .polling import PollingSettings
    from .storage import SmartcarStore

#: The application-wide request buckets, one per client ID, shared by every entry using it.
DATA_BUCKETS = f"{DOMAIN}_app_buckets"
#: Smartcar's code of a 429 about the whole application (not one vehicle).
APP_RATE_LIMIT_CODE = "SMARTCAR_API"


def app_bucket(hass: HomeAssistant, client_id: str) -> AppBucket:
    """The request bucket of one Smartcar application (kept across reloads of its entries)."""
    buckets: dict[str, AppBucket] = hass.data.setdefault(DATA_BUCKETS, {})
    return buckets.setdefault(client_id, AppBucket())


class PlannedCoordinator(DataUpdateCoordinator[VehicleState], ABC):
    """A vehicle's coordinator whose reads follow the planner, within the allowance."""

    config_entry: SmartcarConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartcarConfigEntry,
        store: SmartcarStore,
        vehicle_id: str,
        *,
        settings: PollingSettings,
        bucket: AppBucket | None,
    ) -> None:
        """No read is planned until the first one; the vehicle joins its application's bucket."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Smartcar vehicle {vehicle_id[:8]}",
            update_interval=None,
            always_update=False,
        )
        self.store = store
        self.vehicle_id = vehicle_id
        self.settings = settings
        self.bucket = bucket or AppBucket()
        self.bucket.register(vehicle_id)
        self.planner = VehiclePlanner(settings)
        self.plan: Plan | None = None
        self._plan_listeners: list[CALLBACK_TYPE] = []
        self._requested = False

    @abstractmethod
    def calls_per_read(self, fields: Collection[Field] | None = None) -> int:
        """Billed calls one read costs."""

    def count_calls(self, calls: int, *, reserved: bool = True) -> None:
        """Count billed calls against this vehicle's month (``reserved`` unless a read)."""
        now = dt_util.utcnow()
        budget = self.store.budget(self.vehicle_id, now).record(calls, now, reserved=reserved)
        self.store.set_budget(self.vehicle_id, budget)

    @property
    def calls_this_month(self) -> int:
        """Calls counted against this vehicle in the current month."""
        return self.store.budget(self.vehicle_id, dt_util.utcnow()).used

    @property
    def calls_left(self) -> int:
        """Calls of the month's allowance not yet counted."""
        return max(self.settings.monthly_budget - self.calls_this_month, 0)

    @property
    def push_active(self) -> bool:
        """Whether webhooks deliver, so that reads are only a daily safety check."""
        return self.planner.push_healthy()

    def _reserve(self, requests: int, *, anyway: bool = False) -> bool:
        """Take ``requests`` from the application's bucket before making them.

        Unless ``anyway``, nothing is taken (and ``False`` returned) while that would leave
        too little for commands: better wait than get a 429. Taking before the requests go
        out keeps many vehicles that start at once from all seeing the same full bucket.
        """
        now = dt_util.utcnow()
        if not anyway and self.bucket.ready_at(now, requests) > now:
            return False
        self.bucket.take(now, requests)
        return True

    def _take_request(self) -> bool:
        """Whether the read about to start may go ahead now (else it is planned later).

        A read someone asked for (``update_entity``) always goes.
        """
        requested, self._requested = self._requested, False
        return self._reserve(1, anyway=requested)

    def _schedule_next(self) -> None:
        """Let the planner pick the next read; the sensors showing the plan follow."""
        now = dt_util.utcnow()
        plan = self.plan = self.planner.plan(
            now,
            state=self.data if self.data is not None else VehicleState(),
            budget=self.store.budget(self.vehicle_id, now),
            calls_per_read=self.calls_per_read(),
            bucket=self.bucket,
        )
        wait = None if plan.at is None else max((plan.at - now).total_seconds(), 0)
        self.update_interval = None if wait is None else timedelta(seconds=round(wait))
        LOGGER.debug(
            "%s: next read in %s (%s, %d calls left this month)",
            self.name,
            self.update_interval,
            plan.reason,
            plan.calls_left,
        )
        if self._listeners:
            self._schedule_refresh()
        for listener in list(self._plan_listeners):
            listener()

    def _plan_after_failure(self, err: SmartcarError) -> float | None:
        """Back off after a failed read; return the seconds until the next one, if any."""
        retry_after = retry_after_for(err)
        now = dt_util.utcnow()
        if isinstance(err, SmartcarRateLimitError) and err.code == APP_RATE_LIMIT_CODE:
            self.bucket.block(now, retry_after or RATE_LIMIT_RETRY_AFTER)
        self.planner.note_failure(
            now,
            transient=isinstance(err, TRANSIENT_ERRORS),
            retry_after=retry_after,
            jitter=random.random(),  # noqa: S311 - spreads retries, not a secret
        )
        self._schedule_next()
        return None if self.update_interval is None else self.update_interval.total_seconds()

    @callback
    def async_add_plan_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the plan (or the month's count) changes."""
        self._plan_listeners.append(listener)
        return lambda: self._plan_listeners.remove(listener)

    @override
    async def async_request_refresh(self) -> None:
        """A read asked for (``homeassistant.update_entity``) happens at once, unplanned."""
        self._requested = True
        await super().async_request_refresh()

    @override
    async def async_shutdown(self) -> None:
        """Stop reading; the vehicle no longer shares the application's bucket."""
        self.bucket.unregister(self.vehicle_id)
        await super().async_shutdown()
