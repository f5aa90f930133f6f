"""What a loaded Smartcar entry holds at run time, and the entry's type.

Kept apart from the coordinator so the platforms, the config flow and diagnostics can name the
typed entry (``SmartcarConfigEntry``) without importing the machinery behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

    from .api import SmartcarClient
    from .coordinator import SmartcarVehicleCoordinator
    from .polling import PollingSettings
    from .storage import SmartcarStore

type SmartcarConfigEntry = ConfigEntry[SmartcarData]


@dataclass
class SmartcarData:
    """A loaded entry: the client, its token session, the store and one coordinator a car."""

    client: SmartcarClient
    session: OAuth2Session
    store: SmartcarStore
    coordinators: dict[str, SmartcarVehicleCoordinator]
    settings: PollingSettings
    #: Vehicles of this account that another entry already provides (see the README).
    shared_elsewhere: dict[str, str] = field(default_factory=dict)
