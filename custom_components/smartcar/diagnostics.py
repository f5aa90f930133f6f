"""Diagnostics for support requests, without tokens, secrets, VINs, positions or user ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.util import dt as dt_util

from .const import (
    CONF_APPLICATION_ID,
    CONF_CLOUDHOOK_URL,
    CONF_MANAGEMENT_TOKEN,
    CONF_USER_ID,
    CONF_WEBHOOK_ID,
)
from .webhook import DATA_PUSH, push_enabled

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import Reading, VehicleState
    from .coordinator import SmartcarVehicleCoordinator
    from .models import SmartcarConfigEntry

TO_REDACT = {
    "access_token",
    "refresh_token",
    "client_secret",
    "token",
    CONF_USER_ID,
    CONF_APPLICATION_ID,
    "vin",
    "serial_number",
    "latitude",
    "longitude",
    "heading",
    "location",
    "unique_id",
    CONF_MANAGEMENT_TOKEN,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
}


def _reading(reading: Reading[Any]) -> dict[str, Any]:
    """A reading as plain data (nested dataclasses become dicts)."""
    value = reading.value
    if hasattr(value, "__dataclass_fields__"):
        value = {name: getattr(value, name) for name in value.__dataclass_fields__}
    elif isinstance(value, tuple):
        value = [
            {name: getattr(item, name) for name in item.__dataclass_fields__}
            if hasattr(item, "__dataclass_fields__")
            else item
            for item in value
        ]
    return {
        "value": value,
        "data_age": reading.data_age.isoformat() if reading.data_age else None,
        "fetched_at": reading.fetched_at.isoformat() if reading.fetched_at else None,
    }


def _state(state: VehicleState) -> dict[str, Any]:
    return {
        "readings": {str(field): _reading(reading) for field, reading in state.readings()},
        "errors": {
            str(field): {"type": err.type, "code": err.code, "status": err.status}
            for field, err in state.errors.items()
        },
    }


def _vehicle(coordinator: SmartcarVehicleCoordinator) -> dict[str, Any]:
    vehicle = coordinator.vehicle
    return {
        "vehicle_id": coordinator.vehicle_id,
        "make": vehicle.make,
        "model": vehicle.model,
        "year": vehicle.year,
        "vin": vehicle.vin,
        "permissions": sorted(coordinator.capabilities.permissions),
        "diagnostics": coordinator.diagnostics(),
        "last_update_success": coordinator.last_update_success,
        "last_exception": (
            type(coordinator.last_exception).__name__ if coordinator.last_exception else None
        ),
        "update_interval": str(coordinator.update_interval),
        "calls_this_month": coordinator.calls_this_month,
        "state": _state(coordinator.data),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartcarConfigEntry
) -> dict[str, Any]:
    """Return what helps to understand a problem, with everything private redacted."""
    data = entry.runtime_data
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "api_version": str(data.client.api_version),
            "polling": {
                "mode": str(data.settings.mode),
                "fixed_interval": str(data.settings.fixed_interval),
                "monthly_budget": data.settings.monthly_budget,
                "reserve": data.settings.reserve,
            },
            "vehicles": [_vehicle(c) for c in data.coordinators.values()],
            "push": {
                "enabled": push_enabled(entry.options),
                **(
                    health.as_dict(dt_util.utcnow())
                    if (health := hass.data.get(DATA_PUSH, {}).get(entry.entry_id))
                    else {}
                ),
            },
        },
        TO_REDACT,
    )
