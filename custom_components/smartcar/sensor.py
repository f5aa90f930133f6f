"""Readings of each vehicle: battery, range, charging, odometer, fuel, tyres, oil, and usage.

The usage sensors (calls counted this month, calls left, the next planned read and why) follow
the read planner as well as the data, so they change when a call is counted or the plan moves
even if no reading did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfPower,
    UnitOfPressure,
    UnitOfTime,
    UnitOfVolume,
)
from homeassistant.helpers.typing import StateType

from .api import ChargingState, Field, TirePressure
from .entity import SmartcarEntity, SmartcarEntityDescription, async_add_when_capable
from .polling import PlanReason
from .push_sensor import push_sensors

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SmartcarVehicleCoordinator
    from .models import SmartcarConfigEntry

# Read-only: the coordinator does the reading.
PARALLEL_UPDATES = 0

type SensorValue = StateType | datetime


@dataclass(frozen=True, kw_only=True)
class SmartcarSensorEntityDescription(SmartcarEntityDescription, SensorEntityDescription):
    """A sensor: how its value comes out of the vehicle's coordinator."""

    value_fn: Callable[[SmartcarVehicleCoordinator], SensorValue]
    #: Whether the value follows the read planner (calls and plan), not only the data.
    follows_plan: bool = False


def _value(field: Field) -> Callable[[SmartcarVehicleCoordinator], Any]:
    """Return a getter for the plain value of one field."""

    def get(coordinator: SmartcarVehicleCoordinator) -> Any:
        reading = coordinator.data.get(field)
        return None if reading is None else reading.value

    return get


def _tire(position: str) -> Callable[[SmartcarVehicleCoordinator], float | None]:
    """Return a getter for one tyre's pressure."""

    def get(coordinator: SmartcarVehicleCoordinator) -> float | None:
        reading = coordinator.data.tire_pressure
        if reading is None:
            return None
        pressures: TirePressure = reading.value
        value: float | None = getattr(pressures, position)
        return value

    return get


def _charging_state(coordinator: SmartcarVehicleCoordinator) -> str | None:
    reading = coordinator.data.charging_state
    return None if reading is None else reading.value.lower()


def _reading_time(coordinator: SmartcarVehicleCoordinator) -> datetime | None:
    """When the freshest real reading was recorded by the car (or retrieved by Smartcar).

    A command's expected state is not a reading, so it never moves this sensor.
    """
    times = [
        moment
        for _field, reading in coordinator.data.readings()
        if not reading.optimistic and (moment := reading.moment) is not None
    ]
    return max(times, default=None)


CHARGING_STATES = [state.lower() for state in ChargingState]

SENSORS: tuple[SmartcarSensorEntityDescription, ...] = (
    SmartcarSensorEntityDescription(
        key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        fields=(Field.BATTERY_LEVEL,),
        value_fn=_value(Field.BATTERY_LEVEL),
    ),
    SmartcarSensorEntityDescription(
        key="battery_range",
        translation_key="battery_range",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        fields=(Field.BATTERY_RANGE,),
        value_fn=_value(Field.BATTERY_RANGE),
    ),
    SmartcarSensorEntityDescription(
        key="battery_capacity",
        translation_key="battery_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        fields=(Field.BATTERY_CAPACITY,),
        value_fn=_value(Field.BATTERY_CAPACITY),
    ),
    SmartcarSensorEntityDescription(
        key="charging_state",
        translation_key="charging_state",
        device_class=SensorDeviceClass.ENUM,
        options=CHARGING_STATES,
        fields=(Field.CHARGING_STATE,),
        value_fn=_charging_state,
    ),
    SmartcarSensorEntityDescription(
        key="charge_power",
        translation_key="charge_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        fields=(Field.CHARGE_POWER,),
        value_fn=_value(Field.CHARGE_POWER),
    ),
    SmartcarSensorEntityDescription(
        key="charge_voltage",
        translation_key="charge_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        fields=(Field.CHARGE_VOLTAGE,),
        value_fn=_value(Field.CHARGE_VOLTAGE),
    ),
    SmartcarSensorEntityDescription(
        key="charge_current",
        translation_key="charge_current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        fields=(Field.CHARGE_CURRENT,),
        value_fn=_value(Field.CHARGE_CURRENT),
    ),
    SmartcarSensorEntityDescription(
        key="time_to_complete",
        translation_key="time_to_complete",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        fields=(Field.TIME_TO_COMPLETE,),
        value_fn=_value(Field.TIME_TO_COMPLETE),
    ),
    SmartcarSensorEntityDescription(
        key="odometer",
        translation_key="odometer",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
        fields=(Field.ODOMETER,),
        value_fn=_value(Field.ODOMETER),
    ),
    SmartcarSensorEntityDescription(
        key="fuel_level",
        translation_key="fuel_level",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        fields=(Field.FUEL_LEVEL,),
        value_fn=_value(Field.FUEL_LEVEL),
    ),
    SmartcarSensorEntityDescription(
        key="fuel_range",
        translation_key="fuel_range",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        fields=(Field.FUEL_RANGE,),
        value_fn=_value(Field.FUEL_RANGE),
    ),
    SmartcarSensorEntityDescription(
        key="fuel_amount",
        translation_key="fuel_amount",
        device_class=SensorDeviceClass.VOLUME_STORAGE,
        native_unit_of_measurement=UnitOfVolume.LITERS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        fields=(Field.FUEL_AMOUNT,),
        value_fn=_value(Field.FUEL_AMOUNT),
    ),
    *(
        SmartcarSensorEntityDescription(
            key=f"tire_pressure_{position}",
            translation_key=f"tire_pressure_{position}",
            device_class=SensorDeviceClass.PRESSURE,
            native_unit_of_measurement=UnitOfPressure.KPA,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=0,
            fields=(Field.TIRE_PRESSURE,),
            value_fn=_tire(position),
        )
        for position in ("front_left", "front_right", "back_left", "back_right")
    ),
    SmartcarSensorEntityDescription(
        key="oil_life",
        translation_key="oil_life",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        fields=(Field.OIL_LIFE,),
        value_fn=_value(Field.OIL_LIFE),
    ),
    SmartcarSensorEntityDescription(
        key="data_updated",
        translation_key="data_updated",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_fields=False,
        value_fn=_reading_time,
    ),
    SmartcarSensorEntityDescription(
        key="api_calls",
        translation_key="api_calls",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_fields=False,
        follows_plan=True,
        value_fn=lambda coordinator: coordinator.calls_this_month,
    ),
    SmartcarSensorEntityDescription(
        key="calls_left",
        translation_key="calls_left",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_fields=False,
        follows_plan=True,
        value_fn=lambda coordinator: coordinator.calls_left,
    ),
    SmartcarSensorEntityDescription(
        key="next_read",
        translation_key="next_read",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_fields=False,
        follows_plan=True,
        value_fn=lambda coordinator: None if coordinator.plan is None else coordinator.plan.at,
    ),
    SmartcarSensorEntityDescription(
        key="next_read_reason",
        translation_key="next_read_reason",
        device_class=SensorDeviceClass.ENUM,
        options=[str(reason) for reason in PlanReason],
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_fields=False,
        follows_plan=True,
        value_fn=lambda coordinator: None if coordinator.plan is None else coordinator.plan.reason,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors each vehicle can provide."""
    async_add_when_capable(entry, async_add_entities, SENSORS, _sensor)
    async_add_entities(push_sensors(hass, entry))


class SmartcarSensor(SmartcarEntity, SensorEntity):
    """One reading of a vehicle."""

    entity_description: SmartcarSensorEntityDescription

    @property
    @override
    def native_value(self) -> SensorValue:
        """The reading's value in the description's unit."""
        return self.entity_description.value_fn(self.coordinator)


class SmartcarPlanSensor(SmartcarSensor):
    """A usage sensor: it also changes when a call is counted or the next read is planned.

    It stays available while reads fail: then when the next read comes, and why, matter most.
    """

    @property
    @override
    def available(self) -> bool:
        """Always: the count and the plan are known whatever Smartcar answers."""
        return True

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the planner as well as the data."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_plan_listener(self.async_write_ha_state))


def _sensor(
    coordinator: SmartcarVehicleCoordinator, description: SmartcarSensorEntityDescription
) -> SmartcarSensor:
    """The entity a description calls for."""
    if description.follows_plan:
        return SmartcarPlanSensor(coordinator, description)
    return SmartcarSensor(coordinator, description)
