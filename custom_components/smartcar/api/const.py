"""Where Smartcar lives and what each request needs: origins, versions, scopes, timeouts.

The origins honour the official Python SDK's environment variables (plus ``SMARTCAR_IAM_ORIGIN``
and ``SMARTCAR_MANAGEMENT_API_V3_ORIGIN``, which the SDK does not have) so that the SDK, this
client and the local simulator can all be pointed at one test server.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import os
import platform
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from aiohttp import __version__ as aiohttp_version

from .models import Field

if TYPE_CHECKING:
    from collections.abc import Mapping

LIBRARY_NAME: Final = "smartcar-home-assistant"
LIBRARY_VERSION: Final = "0.1.0"
USER_AGENT: Final = (
    f"{LIBRARY_NAME}/{LIBRARY_VERSION} "
    f"(aiohttp/{aiohttp_version}; Python {platform.python_version()})"
)

#: Smartcar documents up to ~300 s of latency; the official SDKs wait 310 s.
DEFAULT_TIMEOUT: Final = 310.0
#: Token endpoints answer quickly; a stuck one should not hold a caller for minutes.
TOKEN_TIMEOUT: Final = 60.0

V2_VEHICLES_PAGE_SIZE: Final = 50
V2_PERMISSIONS_PAGE_SIZE: Final = 25
V3_PAGE_SIZE: Final = 50
#: Paging stops after this many pages even if the server keeps offering more.
MAX_PAGES: Final = 100

HEADER_USER_ID: Final = "sc-user-id"
HEADER_UNIT_SYSTEM: Final = "sc-unit-system"


class ApiVersion(StrEnum):
    """The Smartcar API generation a client speaks."""

    V2 = "2.0"
    V3 = "3"


_ENV_VARIABLES: Final = {
    "api": "SMARTCAR_API_ORIGIN",
    "auth_token_url": "SMARTCAR_AUTH_ORIGIN",
    "connect": "SMARTCAR_CONNECT_ORIGIN",
    "management": "SMARTCAR_MANAGEMENT_API_ORIGIN",
    "vehicle_v3": "SMARTCAR_VEHICLE_API_V3_ORIGIN",
    "iam": "SMARTCAR_IAM_ORIGIN",
    "management_v3": "SMARTCAR_MANAGEMENT_API_V3_ORIGIN",
}


@dataclass(frozen=True, kw_only=True)
class Origins:
    """The hosts of Smartcar's services; each can be redirected, e.g. to the simulator.

    ``management`` is the v2 Management API (the SDK's ``SMARTCAR_MANAGEMENT_API_ORIGIN``, which
    appends ``/v2.0/management``); the Management API v3 lives on another host,
    ``management_v3`` (``SMARTCAR_MANAGEMENT_API_V3_ORIGIN``, a variable of this client only).
    """

    api: str = "https://api.smartcar.com"
    auth_token_url: str = "https://auth.smartcar.com/oauth/token"  # noqa: S105 (a URL)
    connect: str = "https://connect.smartcar.com"
    management: str = "https://management.smartcar.com"
    vehicle_v3: str = "https://vehicle.api.smartcar.com"
    iam: str = "https://iam.smartcar.com"
    management_v3: str = "https://management.api.smartcar.com"

    def __post_init__(self) -> None:
        """Drop trailing slashes so paths can be appended verbatim."""
        for name in _ENV_VARIABLES:
            object.__setattr__(self, name, getattr(self, name).rstrip("/"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Origins:
        """Read the SDK's ``SMARTCAR_*_ORIGIN`` variables; unset or empty ones keep defaults."""
        env = os.environ if environ is None else environ
        values = {
            name: value
            for name, variable in _ENV_VARIABLES.items()
            if (value := env.get(variable, "").strip())
        }
        return cls(**values)

    @property
    def authorize_url(self) -> str:
        """Smartcar Connect's consent page."""
        return f"{self.connect}/oauth/authorize"

    @property
    def v2_base(self) -> str:
        """Base URL of the Vehicles API v2.0."""
        return f"{self.api}/v2.0"

    @property
    def management_v2_base(self) -> str:
        """Base URL of the Management API v2.0."""
        return f"{self.management}/v2.0"

    @property
    def v3_base(self) -> str:
        """Base URL of the Vehicle API v3."""
        return f"{self.vehicle_v3}/v3"

    @property
    def management_v3_base(self) -> str:
        """Base URL of the Management API v3 (webhook subscriptions)."""
        return f"{self.management_v3}/v3"

    @property
    def iam_token_url(self) -> str:
        """The v3 application token endpoint (client credentials grant)."""
        return f"{self.iam}/oauth2/token"


class Permission(StrEnum):
    """Smartcar OAuth scopes this integration asks for or reads about."""

    READ_VEHICLE_INFO = "read_vehicle_info"
    READ_VIN = "read_vin"
    READ_BATTERY = "read_battery"
    READ_CHARGE = "read_charge"
    READ_SECURITY = "read_security"
    READ_ODOMETER = "read_odometer"
    READ_LOCATION = "read_location"
    READ_FUEL = "read_fuel"
    READ_TIRES = "read_tires"
    READ_ENGINE_OIL = "read_engine_oil"
    CONTROL_CHARGE = "control_charge"
    CONTROL_SECURITY = "control_security"


class Command(StrEnum):
    """A remote command the client can send."""

    LOCK = "lock"
    UNLOCK = "unlock"
    START_CHARGE = "start_charge"
    STOP_CHARGE = "stop_charge"
    SET_CHARGE_LIMIT = "set_charge_limit"


#: The read scope each field needs. Connectivity status has no scope of its own in the sources;
#: it travels with the vehicle's basic information.
FIELD_PERMISSIONS: Final[Mapping[Field, str]] = MappingProxyType(
    {
        Field.BATTERY_LEVEL: Permission.READ_BATTERY,
        Field.BATTERY_RANGE: Permission.READ_BATTERY,
        Field.BATTERY_CAPACITY: Permission.READ_BATTERY,
        Field.CHARGING_STATE: Permission.READ_CHARGE,
        Field.PLUGGED_IN: Permission.READ_CHARGE,
        Field.CHARGE_LIMIT: Permission.READ_CHARGE,
        Field.CHARGE_POWER: Permission.READ_CHARGE,
        Field.CHARGE_VOLTAGE: Permission.READ_CHARGE,
        Field.CHARGE_CURRENT: Permission.READ_CHARGE,
        Field.TIME_TO_COMPLETE: Permission.READ_CHARGE,
        Field.LOCKED: Permission.READ_SECURITY,
        Field.DOORS: Permission.READ_SECURITY,
        Field.WINDOWS: Permission.READ_SECURITY,
        Field.SUNROOF_OPEN: Permission.READ_SECURITY,
        Field.FRONT_TRUNK_OPEN: Permission.READ_SECURITY,
        Field.REAR_TRUNK_OPEN: Permission.READ_SECURITY,
        Field.CHARGE_PORT_OPEN: Permission.READ_SECURITY,
        Field.ODOMETER: Permission.READ_ODOMETER,
        Field.LOCATION: Permission.READ_LOCATION,
        Field.FUEL_LEVEL: Permission.READ_FUEL,
        Field.FUEL_RANGE: Permission.READ_FUEL,
        Field.FUEL_AMOUNT: Permission.READ_FUEL,
        Field.TIRE_PRESSURE: Permission.READ_TIRES,
        Field.OIL_LIFE: Permission.READ_ENGINE_OIL,
        Field.ONLINE: Permission.READ_VEHICLE_INFO,
        Field.ASLEEP: Permission.READ_VEHICLE_INFO,
    }
)

#: The control scope each command needs.
COMMAND_PERMISSIONS: Final[Mapping[Command, str]] = MappingProxyType(
    {
        Command.LOCK: Permission.CONTROL_SECURITY,
        Command.UNLOCK: Permission.CONTROL_SECURITY,
        Command.START_CHARGE: Permission.CONTROL_CHARGE,
        Command.STOP_CHARGE: Permission.CONTROL_CHARGE,
        Command.SET_CHARGE_LIMIT: Permission.CONTROL_CHARGE,
    }
)

#: v2 endpoint (batch path) that serves each field. Fields absent here have no v2 endpoint.
V2_FIELD_PATHS: Final[Mapping[Field, str]] = MappingProxyType(
    {
        Field.BATTERY_LEVEL: "/battery",
        Field.BATTERY_RANGE: "/battery",
        Field.BATTERY_CAPACITY: "/battery/nominal_capacity",
        Field.CHARGING_STATE: "/charge",
        Field.PLUGGED_IN: "/charge",
        Field.CHARGE_LIMIT: "/charge/limit",
        Field.LOCKED: "/security",
        Field.DOORS: "/security",
        Field.WINDOWS: "/security",
        Field.SUNROOF_OPEN: "/security",
        Field.FRONT_TRUNK_OPEN: "/security",
        Field.REAR_TRUNK_OPEN: "/security",
        Field.CHARGE_PORT_OPEN: "/security",
        Field.ODOMETER: "/odometer",
        Field.LOCATION: "/location",
        Field.FUEL_LEVEL: "/fuel",
        Field.FUEL_RANGE: "/fuel",
        Field.FUEL_AMOUNT: "/fuel",
        Field.TIRE_PRESSURE: "/tires/pressure",
        Field.OIL_LIFE: "/engine/oil",
    }
)

#: v3 signal codes and the fields each one feeds.
V3_SIGNAL_FIELDS: Final[Mapping[str, tuple[Field, ...]]] = MappingProxyType(
    {
        "tractionbattery-stateofcharge": (Field.BATTERY_LEVEL,),
        "tractionbattery-range": (Field.BATTERY_RANGE,),
        "tractionbattery-nominalcapacity": (Field.BATTERY_CAPACITY,),
        "charge-ischarging": (Field.CHARGING_STATE,),
        "charge-detailedchargingstatus": (Field.CHARGING_STATE,),
        "charge-ischargingcableconnected": (Field.PLUGGED_IN,),
        "charge-chargelimits": (Field.CHARGE_LIMIT,),
        # Not in Smartcar's signal list (only in an SDK example): read when no limits come.
        "charge-activelimit": (Field.CHARGE_LIMIT,),
        "charge-ischargingportflapopen": (Field.CHARGE_PORT_OPEN,),
        "charge-voltage": (Field.CHARGE_VOLTAGE,),
        "charge-amperage": (Field.CHARGE_CURRENT,),
        "charge-wattage": (Field.CHARGE_POWER,),
        "charge-timetocomplete": (Field.TIME_TO_COMPLETE,),
        "odometer-traveleddistance": (Field.ODOMETER,),
        "location-preciselocation": (Field.LOCATION,),
        "closure-islocked": (Field.LOCKED,),
        "closure-doors": (Field.DOORS,),
        "closure-windows": (Field.WINDOWS,),
        "closure-sunroof": (Field.SUNROOF_OPEN,),
        "closure-fronttrunk": (Field.FRONT_TRUNK_OPEN,),
        "closure-reartrunk": (Field.REAR_TRUNK_OPEN,),
        "internalcombustionengine-fuellevel": (Field.FUEL_LEVEL,),
        "internalcombustionengine-range": (Field.FUEL_RANGE,),
        "internalcombustionengine-amountremaining": (Field.FUEL_AMOUNT,),
        "internalcombustionengine-oillife": (Field.OIL_LIFE,),
        "wheel-tires": (Field.TIRE_PRESSURE,),
        "connectivitystatus-isonline": (Field.ONLINE,),
        "connectivitystatus-isasleep": (Field.ASLEEP,),
    }
)

SIGNAL_VIN: Final = "vehicleidentification-vin"

V2_FIELDS: Final = frozenset(V2_FIELD_PATHS)
V3_FIELDS: Final = frozenset(field for fields in V3_SIGNAL_FIELDS.values() for field in fields)
