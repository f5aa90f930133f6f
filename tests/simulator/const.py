"""Fixed identities of the simulated Smartcar developer app, its users and its vehicles.

Tests, `scripts/develop` and the standalone server all need the same credentials and ids, so
they live here once and nothing else has to guess them.
"""

from __future__ import annotations

from typing import Final

# The simulated developer application (Smartcar Dashboard → Configuration / API Credentials).
APP_NAME: Final = "Home Assistant"
APPLICATION_ID: Final = "88396889-cb73-4870-bdda-d6d4ef656d07"
"""The v2 Connect client id; also the client_id of Connect for v3 apps."""
CLIENT_SECRET: Final = "sim-client-secret-6fea48dbec561063fc6766740d38d70a"
API_CLIENT_ID: Final = "client_e03d7e93ef0ba1bb1217f65b"
"""The v3 IAM client id (client_credentials grant at /oauth2/token)."""
API_CLIENT_SECRET: Final = "sim-api-secret-bbf015f4205d831e9309c1f1e40108cf931f434d"
MANAGEMENT_TOKEN: Final = "sim-amt-aa046ec7dc8449099f6942b17b59fdfe"
"""The Application Management Token: management API password and webhook HMAC key."""

# Accounts of the simulated Connect login.
DEMO_USER_EMAIL: Final = "demo@smartcar.com"
DEMO_USER_ID: Final = "e5b96a19-fd64-45e8-a36b-722afedf5e67"
SECOND_USER_EMAIL: Final = "second-demo@smartcar.com"
SECOND_USER_ID: Final = "d6590a02-8623-4b62-8d9c-e4a297249142"
NO_VEHICLES_EMAIL: Final = "0-vehicles@smartcar.com"
INVALID_SUBSCRIPTION_EMAIL: Final = "smartcar@invalid-subscription.com"
INCOMPATIBLE_EMAIL: Final = "incompatible@smartcar.com"
SERVER_ERROR_EMAIL: Final = "server-error@smartcar.com"
N_VEHICLES_DOMAIN: Final = "@smartcar.com"
"""`<n>-vehicles@smartcar.com` logs in to an account with n generated vehicles."""

# The demo fleet of the demo account, and the second user's car.
BEV_VEHICLE_ID: Final = "213a2aad-1b26-4241-bd60-394a3a77b652"
"""Volkswagen ID.4, plugged in and charging."""
PHEV_VEHICLE_ID: Final = "5949ad26-6c65-414c-a184-bf57726cc57b"
"""Toyota RAV4 Prime, plug-in hybrid, unplugged."""
ICE_VEHICLE_ID: Final = "c2de09cc-7076-467d-9bb2-56425414a870"
"""Ford Escape with a combustion engine only."""
TESLA_VEHICLE_ID: Final = "32c9ad7b-9415-460f-85d4-2553f30dd547"
"""Tesla Model 3 whose virtual key is not paired yet (commands fail until it is)."""
NISSAN_VEHICLE_ID: Final = "edf8becc-9a32-4e2d-95b2-fd9554ded955"
"""Nissan Leaf of the second demo user (START charge only)."""
INCOMPATIBLE_VEHICLE_ID: Final = "6cf58da5-2b65-485e-8e2b-142feebd1ab7"

BEV_VIN: Final = "WVGDMPE21NP000101"
PHEV_VIN: Final = "JTMFB3FV8PD000102"
ICE_VIN: Final = "1FMCU9G61MU000103"
TESLA_VIN: Final = "5YJ3E1EB5MF000104"
NISSAN_VIN: Final = "1N4AZ1CP8LC000105"
INCOMPATIBLE_VIN: Final = "0SCAUDI0155C49A95"

# The webhook configured in the simulated dashboard (its callback URL is set through the admin API).
WEBHOOK_ID: Final = "3f021fff-a1a5-498a-8a50-21cbc62839bf"
WEBHOOK_NAME: Final = "Home Assistant"

TESLA_VIRTUAL_KEY_URL: Final = "https://www.tesla.com/_ak/smartcar.com"

# Permissions (OAuth scopes) that Connect knows, with the text the consent page shows.
PERMISSION_LABELS: Final[dict[str, str]] = {
    "read_alerts": "Receive vehicle alerts",
    "read_battery": "Read the EV battery's capacity and state of charge",
    "read_charge": "Know whether the vehicle is charging",
    "read_charge_events": "Receive charging notifications",
    "read_charge_locations": "Access previous charging locations",
    "read_charge_records": "Read charging history",
    "read_climate": "Read the climate settings",
    "read_compass": "Know the compass direction",
    "read_diagnostics": "Read diagnostic trouble codes and system status",
    "read_engine_oil": "Read the engine oil health",
    "read_extended_vehicle_info": "Read the vehicle's configuration",
    "read_fuel": "Read the fuel tank level",
    "read_location": "Access the vehicle's location",
    "read_odometer": "Retrieve total distance traveled",
    "read_security": "Access the lock status of doors, windows and more",
    "read_service_history": "Read the vehicle's service records",
    "read_speedometer": "Know the vehicle's speed",
    "read_thermometer": "Read temperatures from inside and outside the vehicle",
    "read_tires": "Read the tire pressure",
    "read_user_profile": "Read the user's profile",
    "read_vehicle_info": "Know make, model, and year",
    "read_vin": "Read VIN",
    "control_charge": "Start or stop charging and set the charge limit",
    "control_climate": "Set the climate settings",
    "control_navigation": "Send destinations to the navigation system",
    "control_security": "Lock or unlock the vehicle",
    "control_trunk": "Open the trunk",
}

DEFAULT_SCOPES: Final = (
    "read_vehicle_info",
    "read_vin",
    "read_battery",
    "read_charge",
    "read_engine_oil",
    "read_fuel",
    "read_location",
    "read_odometer",
    "read_security",
    "read_tires",
    "control_charge",
    "control_security",
)
"""What the simulated dashboard's Vehicle Access grants when Connect gets no `scope`."""

# Lifetimes, from the reference (§2.3, §4.1, §2.2).
AUTH_CODE_LIFETIME_S: Final = 600
ACCESS_TOKEN_LIFETIME_S: Final = 7200
REFRESH_TOKEN_LIFETIME_S: Final = 60 * 24 * 3600
APP_TOKEN_LIFETIME_S: Final = 3600
DEFAULT_REFRESH_GRACE_S: Final = 600

# Smartcar's limits (§6).
DEFAULT_BILLING_LIMIT: Final = 500
DEFAULT_BUCKET_CAPACITY: Final = 120
DEFAULT_BUCKET_REFILL_PER_MINUTE: Final = 2.0
DEFAULT_VEHICLE_THROTTLE_LIMIT: Final = 60
DEFAULT_VEHICLE_THROTTLE_WINDOW_S: Final = 60.0
# How often Smartcar retrieves a subscribed car on its own (the reference names no figure; the
# docs say data is "typically updated once every 24 hours unless subscribed to a webhook").
DEFAULT_STORE_REFRESH_S: Final = 3600.0

# Webhook delivery (§7.2).
WEBHOOK_RETRY_DELAYS_S: Final = (25.0, 50.0, 100.0)
WEBHOOK_TIMEOUT_S: Final = 15.0
WEBHOOK_USER_AGENT: Final = "Smartcar/4.0"
