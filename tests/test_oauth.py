"""The adapter that hands Home Assistant's OAuth2 session to the client library."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartcar.const import DOMAIN
from custom_components.smartcar.oauth import OAuth2SessionAuth, api_version_for_client_id

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def test_rejected_token_is_marked_for_renewal_once(hass: HomeAssistant) -> None:
    """The first rejection expires the token; later ones (or stale tokens) just retry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=3,
        data={"token": {"access_token": "current", "expires_at": time.time() + 600}},
    )
    entry.add_to_hass(hass)
    session = SimpleNamespace(hass=hass, config_entry=entry)
    session.token = entry.data["token"]
    auth = OAuth2SessionAuth(session)  # type: ignore[arg-type]

    # A request that still used an older token: the current one is fine, retry with it.
    assert await auth.async_invalidate("older")
    assert entry.data["token"]["expires_at"] > time.time()

    assert await auth.async_invalidate("current")
    assert entry.data["token"]["expires_at"] == 0
    # A second request rejected with the same token before the renewal: retry too.
    session.token = entry.data["token"]
    assert await auth.async_invalidate("current")
    assert entry.data["token"]["expires_at"] == 0


def test_generation_comes_from_the_client_id() -> None:
    """`client_…` is a v3 API client; a UUID is a v2 application."""
    assert api_version_for_client_id(" client_abc ") == "3"
    assert api_version_for_client_id("88396889-cb73-4870-bdda-d6d4ef656d07") == "2.0"
