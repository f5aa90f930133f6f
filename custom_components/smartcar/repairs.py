"""Repair flows: removing a config entry another ``smartcar`` integration left behind.

Another custom integration shares the domain ``smartcar`` and stores its entries differently.
Those entries cannot be converted (their tokens belong to that integration's flow), so the
repair removes the entry once the user confirms; the account is then added again here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow

if TYPE_CHECKING:
    # Only in Home Assistant after 2026.3; used for types alone.
    from homeassistant.components.repairs import RepairsFlowResult
    from homeassistant.core import HomeAssistant


class ForeignEntryRepairFlow(RepairsFlow):
    """Confirm, then remove the entry this integration cannot use."""

    def __init__(self, entry_id: str) -> None:
        """Remember which entry to remove."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Remove the entry once the user agrees."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if user_input is not None:
            if entry is not None:
                await self.hass.config_entries.async_remove(self._entry_id)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={"title": entry.title if entry is not None else ""},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes a fixable issue (only foreign entries are fixable)."""
    return ForeignEntryRepairFlow(str((data or {}).get("entry_id", "")))
