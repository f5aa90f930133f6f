"""The repair flow that removes an entry of the other `smartcar` integration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartcar.const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator


async def test_fix_flow_removes_the_foreign_entry(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """Confirming the repair removes the entry; the user then adds the account again."""
    entry = MockConfigEntry(domain=DOMAIN, version=2, title="Old Smartcar", data={"token": {}})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    issue_id = f"foreign_entry_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id)

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"title": "Old Smartcar"}

    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == 200
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_fix_flow_when_the_entry_is_already_gone(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The entry was removed meanwhile: the repair just finishes."""
    entry = MockConfigEntry(domain=DOMAIN, version=1, title="Older", data={})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    ir.async_create_issue(
        hass,
        DOMAIN,
        "foreign_entry_gone",
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="foreign_entry",
        translation_placeholders={"title": "Old"},
        data={"entry_id": "gone"},
    )
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": "foreign_entry_gone"}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
