"""Application credentials: the Smartcar client ID and secret decide the API generation.

A client ID starting ``client_`` is a v3 API client (Dashboard → API Credentials); anything else
is a v2 application's client ID (Dashboard → Configuration). The generation is decided here,
once, from what the user typed, and never guessed later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.config_entry_oauth2_flow import MY_AUTH_CALLBACK_PATH

from .api import ApiVersion, Origins
from .const import DASHBOARD_URL
from .oauth import (
    SmartcarImplementation,
    SmartcarV2Implementation,
    SmartcarV3Implementation,
    api_version_for_client_id,
)

if TYPE_CHECKING:
    from homeassistant.components.application_credentials import ClientCredential
    from homeassistant.core import HomeAssistant


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> SmartcarImplementation:
    """Return the implementation for the credential's API generation."""
    origins = Origins.from_env()
    if api_version_for_client_id(credential.client_id) is ApiVersion.V3:
        return SmartcarV3Implementation(hass, auth_domain, credential, origins)
    return SmartcarV2Implementation(hass, auth_domain, credential, origins)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Tell users where to find the credentials and which redirect URI to register."""
    return {
        "dashboard_url": DASHBOARD_URL,
        "redirect_uri": MY_AUTH_CALLBACK_PATH,
    }
