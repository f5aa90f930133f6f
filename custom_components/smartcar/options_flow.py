"""The options of a Smartcar entry: how often vehicles are read, and push updates by webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_INTERVAL_MINUTES,
    CONF_MANAGEMENT_TOKEN,
    CONF_MONTHLY_BUDGET,
    CONF_POLLING_MODE,
    CONF_WEBHOOK_ID,
    DASHBOARD_URL,
)
from .polling import DEFAULT_FIXED_MINUTES, DEFAULT_MONTHLY_BUDGET, MIN_FIXED_INTERVAL, PollingMode
from .webhook import webhook_url

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol


class SmartcarOptionsFlow(OptionsFlowWithReload):
    """How often vehicles are read, and push updates; the entry reloads with the choice."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._options: dict[str, Any] = {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose automatic, fixed or manual polling, and optionally webhooks."""
        if user_input is not None:
            self._options = {
                CONF_POLLING_MODE: user_input[CONF_POLLING_MODE],
                CONF_INTERVAL_MINUTES: int(user_input[CONF_INTERVAL_MINUTES]),
                CONF_MONTHLY_BUDGET: int(user_input[CONF_MONTHLY_BUDGET]),
            }
            if token := str(user_input.get(CONF_MANAGEMENT_TOKEN, "")).strip():
                self._options[CONF_MANAGEMENT_TOKEN] = token
                self._options[CONF_WEBHOOK_ID] = (
                    self.config_entry.options.get(CONF_WEBHOOK_ID) or webhook.async_generate_id()
                )
                return await self.async_step_webhook()
            return self.async_create_entry(data=self._options)
        schema = vol.Schema(
            {
                vol.Required(CONF_POLLING_MODE): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(mode) for mode in PollingMode],
                        mode=SelectSelectorMode.LIST,
                        translation_key="polling_mode",
                    )
                ),
                vol.Required(CONF_INTERVAL_MINUTES): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_FIXED_INTERVAL.total_seconds() / 60,
                        max=7 * 24 * 60,
                        step=1,
                        unit_of_measurement="min",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_MONTHLY_BUDGET): NumberSelector(
                    NumberSelectorConfig(min=50, max=100000, step=1, mode=NumberSelectorMode.BOX)
                ),
                vol.Optional(CONF_MANAGEMENT_TOKEN): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        current = {
            CONF_POLLING_MODE: str(PollingMode.AUTOMATIC),
            CONF_INTERVAL_MINUTES: DEFAULT_FIXED_MINUTES,
            CONF_MONTHLY_BUDGET: DEFAULT_MONTHLY_BUDGET,
            **self.config_entry.options,
        }
        return self.async_show_form(
            step_id="init", data_schema=self.add_suggested_values_to_schema(schema, current)
        )

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the URL to enter as the webhook's callback in the Smartcar dashboard."""
        if user_input is not None:
            return self.async_create_entry(data=self._options)
        return self.async_show_form(
            step_id="webhook",
            description_placeholders={
                "url": webhook_url(self.hass, self._options[CONF_WEBHOOK_ID]),
                "dashboard_url": DASHBOARD_URL,
            },
        )
