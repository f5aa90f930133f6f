"""The options flow: polling, push updates by webhook, the callback URL and the token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest

from tests.conftest import setup_entry, v2_entry, v3_entry
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
TOKEN = sim_const.MANAGEMENT_TOKEN
POLLING = {"polling_mode": "balanced", "interval_minutes": 720, "monthly_budget": 500}
EXTERNAL_URL = "https://ha.example.com"
WEBHOOK = sim_const.WEBHOOK_ID


async def _options(hass: HomeAssistant, entry_id: str, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.options.async_init(entry_id)
    return await hass.config_entries.options.async_configure(result["flow_id"], user_input)


async def _finish(hass: HomeAssistant, result: Any, smartcar_id: str | None = WEBHOOK) -> Any:
    user_input = {} if smartcar_id is None else {"smartcar_webhook_id": smartcar_id}
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()
    return result


async def _entry(hass: HomeAssistant, sim: Simulator, **options: Any) -> MockConfigEntry:
    return await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV], options=options or None))


@pytest.mark.usefixtures("v2_credentials")
async def test_options_flow_reloads_with_the_new_polling(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Options are shown with defaults and the entry reloads with the new choice."""
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    assert entry.state is ConfigEntryState.LOADED
    coordinator = next(iter(entry.runtime_data.coordinators.values()))
    assert coordinator.update_interval is not None

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested == {
        "polling_mode": "balanced",
        "interval_minutes": 720,
        "monthly_budget": 500,
        "push": "off",
        "management_token": None,
    }
    push = result["data_schema"].schema["push"]
    assert push.config["options"] == ["off", "on"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"polling_mode": "custom", "interval_minutes": 0.0, "monthly_budget": 1000.0},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {
        "polling_mode": "custom",
        "interval_minutes": 0,
        "monthly_budget": 1000,
    }
    assert entry.state is ConfigEntryState.LOADED
    coordinator = next(iter(entry.runtime_data.coordinators.values()))
    assert coordinator.update_interval is None


@pytest.mark.usefixtures("v3_credentials")
async def test_the_management_token_never_goes_back_to_the_browser(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sim: Simulator
) -> None:
    """The options form over Home Assistant's REST API carries no stored token."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await _entry(hass, sim, **POLLING, management_token=TOKEN, webhook_id="abc123")
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    response = await client.post(
        "/api/config/config_entries/options/flow", json={"handler": entry.entry_id}
    )
    assert response.status == 200
    text = await response.text()
    assert "management_token" in text
    assert TOKEN not in text
    flow = await response.json()
    push = next(field for field in flow["data_schema"] if field["name"] == "push")
    assert push["selector"]["select"]["options"] == ["off", "on", "verify", "new_url"]

    # Errors re-show the form without the token either.
    response = await client.post(
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        json={**POLLING, "push": "off", "management_token": "typed-by-mistake"},
    )
    text = await response.text()
    assert response.status == 200
    assert "token_while_off" in text
    assert TOKEN not in text
    assert "typed-by-mistake" not in text
    assert entry.options["management_token"] == TOKEN


@pytest.mark.usefixtures("v3_credentials")
async def test_webhooks_off_and_on_keep_the_callback_url(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The URL pasted into the Smartcar dashboard still works after turning push off and on."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await _entry(hass, sim)

    result = await _options(hass, entry.entry_id, {**POLLING, "push": "on"})
    assert result["errors"] == {"management_token": "management_token_required"}
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["step_id"] == "webhook"
    first = result["description_placeholders"]["url"]
    assert first.startswith(f"{EXTERNAL_URL}/api/webhook/")
    await _finish(hass, result)

    result = await _options(hass, entry.entry_id, {**POLLING, "push": "off"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "management_token" not in entry.options

    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["step_id"] == "webhook"
    assert result["description_placeholders"]["url"] == first
    await _finish(hass, result)

    # The token field left empty keeps the stored token; nothing about push changed.
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "on"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["management_token"] == TOKEN
    # "Verify again" shows the same URL.
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "verify"})
    assert result["description_placeholders"]["url"] == first
    await _finish(hass, result)
    # A new token replaces the stored one and shows the URL again.
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": " new-token "}
    )
    assert result["description_placeholders"]["url"] == first
    await _finish(hass, result)
    assert entry.options["management_token"] == "new-token"
    # Only asking for a new URL changes it.
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "new_url"})
    second = result["description_placeholders"]["url"]
    assert second != first
    await _finish(hass, result)
    assert second.endswith(entry.options["webhook_id"])


@pytest.mark.usefixtures("v3_credentials")
async def test_no_address_smartcar_can_reach(hass: HomeAssistant, sim: Simulator) -> None:
    """Without Cloud or an external URL the step says what is missing, not a local path."""
    entry = await _entry(hass, sim)
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["step_id"] == "webhook_no_url"
    assert "url" not in result["description_placeholders"]
    # Without a URL there may be no webhook in Smartcar's dashboard yet: its id can wait.
    await _finish(hass, result, None)
    assert "smartcar_webhook_id" not in entry.options
    assert entry.options["management_token"] == TOKEN
    webhook_id = entry.options["webhook_id"]

    # Once an external URL is set, "Verify again" shows it for the same webhook.
    await hass.config.async_update(external_url=EXTERNAL_URL)
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "verify"})
    assert result["description_placeholders"]["url"] == f"{EXTERNAL_URL}/api/webhook/{webhook_id}"


@pytest.mark.usefixtures("v3_credentials")
async def test_smartcar_webhook_id_is_asked_and_checked(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """v3: the URL step asks for Smartcar's webhook id, refuses Home Assistant's, keeps it."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await _entry(hass, sim)
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["step_id"] == "webhook"
    assert [str(key) for key in result["data_schema"].schema] == ["smartcar_webhook_id"]
    url = result["description_placeholders"]["url"]
    home_assistant_id = url.rsplit("/", 1)[-1]
    for typed, error in (
        ("  ", "smartcar_webhook_id_required"),
        (home_assistant_id, "home_assistant_webhook_id"),
        (url, "home_assistant_webhook_id"),
        ("not an id", "invalid_smartcar_webhook_id"),
        ("abc?x=1", "invalid_smartcar_webhook_id"),
    ):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"smartcar_webhook_id": typed}
        )
        assert result["step_id"] == "webhook"
        assert result["errors"] == {"smartcar_webhook_id": error}, typed
        assert result["description_placeholders"]["url"] == url
        (key,) = result["data_schema"].schema
        assert key.description["suggested_value"] == typed.strip()
    await _finish(hass, result, f" {WEBHOOK} ")
    assert entry.options["smartcar_webhook_id"] == WEBHOOK

    # Changing only the polling keeps it; "Verify again" shows it filled in.
    result = await _options(hass, entry.entry_id, {**POLLING, "polling_mode": "economy"})
    await hass.async_block_till_done()
    assert entry.options["smartcar_webhook_id"] == WEBHOOK
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "verify"})
    (key,) = result["data_schema"].schema
    assert key.description["suggested_value"] == WEBHOOK
    await _finish(hass, result, "other-webhook")
    assert entry.options["smartcar_webhook_id"] == "other-webhook"
    # Off keeps it for the next time webhooks are turned on.
    await _options(hass, entry.entry_id, {**POLLING, "push": "off"})
    await hass.async_block_till_done()
    assert entry.options["smartcar_webhook_id"] == "other-webhook"


@pytest.mark.usefixtures("v3_credentials")
async def test_webhooks_on_without_smartcar_id_ask_for_it(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Webhooks turned on before the id existed: "On" again shows the step that asks for it."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await _entry(hass, sim, **POLLING, management_token=TOKEN, webhook_id="abc123")
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "on"})
    assert result["step_id"] == "webhook"
    assert result["description_placeholders"]["url"] == f"{EXTERNAL_URL}/api/webhook/abc123"
    await _finish(hass, result)
    assert entry.options["smartcar_webhook_id"] == WEBHOOK
    # From now on "On" with the stored token changes nothing and asks nothing.
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "on"})
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("v2_credentials")
async def test_v2_webhook_step_has_no_smartcar_id(hass: HomeAssistant, sim: Simulator) -> None:
    """v2 entries cannot subscribe vehicles through the Management API v3: no field."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(hass, v2_entry(sim, vehicle_ids=[BEV]))
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["step_id"] == "webhook"
    assert not result["data_schema"].schema
    await _finish(hass, result, None)
    assert entry.options["management_token"] == TOKEN
    assert "smartcar_webhook_id" not in entry.options
