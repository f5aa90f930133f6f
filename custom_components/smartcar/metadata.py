"""A vehicle's identity (make, model, year, VIN) and granted permissions, read once.

Every call here is billed, so the result is cached in the store for a week and for the consent
it was read under. Nothing here fails setup: what cannot be read falls back to what is known,
and only a rejected credential is raised (the coordinator turns it into reauthentication).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .api import Permission, SmartcarError, SmartcarSignalNotIngestedError
from .const import LOGGER
from .helpers import describe_error
from .storage import VehicleMetadata

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from .api import SmartcarClient, Vehicle


class MetadataReader:
    """Reads one vehicle's metadata, keeping whatever was learned in ``partial``."""

    def __init__(
        self,
        client: SmartcarClient,
        vehicle: Vehicle,
        permissions: Collection[str],
        count: Callable[[int], None],
    ) -> None:
        """Start from what is known; ``count`` is told of every billed call."""
        self._client = client
        self._count = count
        self.partial = VehicleMetadata(vehicle=vehicle, permissions=tuple(permissions))

    def _failed(self, err: SmartcarError, what: str) -> None:
        if err.requires_reauth:
            raise err
        LOGGER.warning("Could not read the vehicle's %s: %s", what, describe_error(err))

    async def async_read(self) -> VehicleMetadata | None:
        """Read make, model, VIN and permissions; ``None`` when something could not be read."""
        complete = True
        vehicle_id = self.partial.vehicle.id
        try:
            vehicle = await self._client.async_get_vehicle(vehicle_id)
            self.partial = replace(self.partial, vehicle=replace(vehicle, vin=None))
        except SmartcarError as err:
            self._failed(err, "make and model")
            complete = False
        finally:
            self._count(1)
        if Permission.READ_VIN in self.partial.permissions:
            try:
                vin = await self._client.async_get_vin(vehicle_id)
                self.partial = replace(self.partial, vehicle=replace(self.partial.vehicle, vin=vin))
            except SmartcarSignalNotIngestedError:
                # Smartcar's v3 store holds nothing yet: ask again at the next start.
                complete = False
            except SmartcarError as err:
                if err.requires_reauth:
                    raise
                # Some makes answer 404 for the VIN; the vehicle id identifies the device.
                LOGGER.info("The vehicle did not report its VIN: %s", describe_error(err))
            finally:
                self._count(1)
        try:
            permissions = await self._client.async_get_permissions(vehicle_id)
            self.partial = replace(self.partial, permissions=tuple(permissions))
        except SmartcarError as err:
            self._failed(err, "granted permissions")
            complete = False
        finally:
            if self._client.permissions_read_billed:
                self._count(1)
        return self.partial if complete else None
