"""Names and numbers the Smartcar integration shares between its modules."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
import logging
from typing import Final

from .api import Permission

DOMAIN: Final = "smartcar"
LOGGER: Final = logging.getLogger(__package__)

#: Entries of this integration; versions 1 and 2 were written by another `smartcar` integration.
CONFIG_ENTRY_VERSION: Final = 3

# Config entry data.
CONF_API_VERSION: Final = "api_version"
CONF_USER_ID: Final = "user_id"
CONF_PERMISSIONS: Final = "permissions"
CONF_MODE: Final = "mode"
CONF_APPLICATION_ID: Final = "application_id"
#: A new value each time the user consents in Connect; cached metadata is read under it.
CONF_CONSENT: Final = "consent"

# Config entry options.
CONF_POLLING_MODE: Final = "polling_mode"
CONF_INTERVAL_MINUTES: Final = "interval_minutes"
CONF_MONTHLY_BUDGET: Final = "monthly_budget"
CONF_MANAGEMENT_TOKEN: Final = "management_token"  # noqa: S105 - the option's name
CONF_WEBHOOK_ID: Final = "webhook_id"
#: The id of the user's webhook in Smartcar's dashboard (not Home Assistant's webhook id);
#: the entry's vehicles are subscribed to it through the Management API v3.
CONF_SMARTCAR_WEBHOOK_ID: Final = "smartcar_webhook_id"
#: The Home Assistant Cloud URL of the webhook, kept (like the id) while push is off.
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"

#: API client IDs of v3 applications start with this; v2 client IDs are bare UUIDs.
V3_CLIENT_ID_PREFIX: Final = "client_"

#: Every entry needs these: the vehicle's make, model and year, and its VIN for the device.
REQUIRED_PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission.READ_VEHICLE_INFO,
    Permission.READ_VIN,
)
#: What the user may leave out in the first step; each one feeds some entities.
OPTIONAL_PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission.READ_BATTERY,
    Permission.READ_CHARGE,
    Permission.READ_SECURITY,
    Permission.READ_LOCATION,
    Permission.READ_ODOMETER,
    Permission.READ_FUEL,
    Permission.READ_TIRES,
    Permission.READ_ENGINE_OIL,
    Permission.CONTROL_CHARGE,
    Permission.CONTROL_SECURITY,
)


class ConnectMode(StrEnum):
    """Which vehicles Smartcar Connect offers: real ones, or the dashboard's simulated ones."""

    LIVE = "live"
    SIMULATED = "simulated"


#: A sleeping car can take minutes to answer; setup (metadata and first read) must not hang.
FIRST_REFRESH_TIMEOUT: Final = 120.0
#: Applied event ids remembered per vehicle, so a redelivered webhook is applied once.
SEEN_EVENTS: Final = 512
#: How often the list of connected vehicles is checked for additions and removals.
VEHICLE_LIST_INTERVAL: Final = timedelta(hours=12)
#: A spent monthly allowance does not come back soon; look again once a day.
BILLING_RETRY_AFTER: Final = timedelta(hours=24).total_seconds()
#: Used when Smartcar throttles without saying for how long.
RATE_LIMIT_RETRY_AFTER: Final = timedelta(minutes=5).total_seconds()
#: A plug reading younger than this stops "start charging" before anything is sent.
PLUG_READING_MAX_AGE: Final = timedelta(minutes=10)
#: Vehicle metadata (make, model, VIN, granted permissions) is read again after this long.
METADATA_MAX_AGE: Final = timedelta(days=7)

#: Smartcar switches API v2 off on this day; v2 entries get a repair issue ahead of it.
V2_SHUTDOWN: Final = date(2026, 12, 1)

DASHBOARD_URL: Final = "https://dashboard.smartcar.com"
DOCUMENTATION_URL: Final = "https://github.com/ha-smartcar/smartcar"
#: The README's section on moving an entry from API v2 to v3 with Reconfigure.
V2_TO_V3_URL: Final = f"{DOCUMENTATION_URL}#moving-from-api-v2-to-v3"
#: Smartcar's page on the three ways to subscribe vehicles to a webhook.
SUBSCRIBING_URL: Final = "https://smartcar.com/docs/integrations/webhooks/subscribing-vehicles"
BILLING_URL: Final = "https://dashboard.smartcar.com/team/billing"
#: Where a Tesla owner pairs Smartcar's virtual key.
VIRTUAL_KEY_URL: Final = "https://www.tesla.com/_ak/smartcar.com"
