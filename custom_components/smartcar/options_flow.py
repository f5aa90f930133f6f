"""The options of a Smartcar entry: how often vehicles are read, and push updates by webhook.

The polling profile decides how often cars are read (see ``planner.py``); only the custom
profile uses the interval, where 0 means no scheduled reads and anything else at least 15
minutes.

The Application Management Token is a secret: the form never sends it back to the browser.
Leaving the field empty keeps the stored token; turning webhooks off removes it. The webhook
id (and a cloudhook URL) stay in the options while webhooks are off, so the callback URL the
user pasted into Smartcar's dashboard keeps working when they are turned on again; only
"New callback URL" replaces it. Turning webhooks on, a new token or URL, and "Verify again" open
the window in which Smartcar's VERIFY challenge is answered.

On API v3 the step that shows the callback URL also asks for the id of the webhook in
Smartcar's dashboard (not Home Assistant's webhook id), to subscribe the entry's vehicles to it.
Nothing slow happens here: the subscriptions are made when the entry reloads with the options.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, override

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import callback
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
from homeassistant.util import dt as dt_util

from .api import ApiVersion
from .const import (
    CONF_API_VERSION,
    CONF_CLOUDHOOK_URL,
    CONF_INTERVAL_MINUTES,
    CONF_MANAGEMENT_TOKEN,
    CONF_MONTHLY_BUDGET,
    CONF_POLLING_MODE,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_WEBHOOK_ID,
    DASHBOARD_URL,
)
from .polling import DEFAULT_FIXED_MINUTES, DEFAULT_MONTHLY_BUDGET, MIN_FIXED_INTERVAL, PollingMode
from .push import VERIFY_WINDOW
from .webhook import (
    async_callback_url,
    async_delete_cloudhook,
    async_delete_push_issues,
    push_enabled,
    push_health,
)

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_PUSH = "push"
MIN_FIXED_MINUTES = MIN_FIXED_INTERVAL.total_seconds() / 60


class PushAction(StrEnum):
    """What to do with push updates, chosen in the options."""

    OFF = "off"
    ON = "on"
    VERIFY = "verify"
    NEW_URL = "new_url"


class SmartcarOptionsFlow(OptionsFlowWithReload):
    """How often vehicles are read, and push updates; the entry reloads with the choice."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._options: dict[str, Any] = {}
        self._url: str | None = None
        #: A cloudhook made for this flow, removed again if the flow is not finished.
        self._new_cloudhook: dict[str, Any] | None = None
        self._replaced: dict[str, Any] | None = None
        self._finished = False

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose a polling profile, and whether webhooks push data."""
        stored = self.config_entry.options
        enabled = push_enabled(stored)
        errors: dict[str, str] = {}
        if user_input is not None and 0 < user_input[CONF_INTERVAL_MINUTES] < MIN_FIXED_MINUTES:
            errors[CONF_INTERVAL_MINUTES] = "interval_too_short"
        elif user_input is not None:
            options: dict[str, Any] = {
                CONF_POLLING_MODE: user_input[CONF_POLLING_MODE],
                CONF_INTERVAL_MINUTES: int(user_input[CONF_INTERVAL_MINUTES]),
                CONF_MONTHLY_BUDGET: int(user_input[CONF_MONTHLY_BUDGET]),
            }
            # Kept also while push is off: the URL in Smartcar's dashboard stays valid.
            for key in (CONF_WEBHOOK_ID, CONF_CLOUDHOOK_URL, CONF_SMARTCAR_WEBHOOK_ID):
                if key in stored:
                    options[key] = stored[key]
            action = PushAction(
                user_input.get(CONF_PUSH, PushAction.ON if enabled else PushAction.OFF)
            )
            typed = str(user_input.get(CONF_MANAGEMENT_TOKEN, "")).strip()
            token = typed or stored.get(CONF_MANAGEMENT_TOKEN)
            if action is PushAction.OFF and typed:
                errors[CONF_MANAGEMENT_TOKEN] = "token_while_off"
            elif action is PushAction.OFF:
                return self.async_create_entry(data=options)
            elif not token:
                errors[CONF_MANAGEMENT_TOKEN] = "management_token_required"
            else:
                options[CONF_MANAGEMENT_TOKEN] = token
                self._options = options
                if (
                    enabled
                    and token == stored[CONF_MANAGEMENT_TOKEN]
                    and action is PushAction.ON
                    and not self._asks_smartcar_id(options)
                ):
                    return self.async_create_entry(data=options)
                return await self._async_show_url(new=action is PushAction.NEW_URL)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                self._schema(enabled), self._suggested(enabled, user_input)
            ),
            errors=errors,
        )

    def _schema(self, enabled: bool) -> vol.Schema:
        if enabled:
            actions = list(PushAction)
        else:
            # Turning on opens the window anyway; a kept URL may be replaced on the way.
            actions = [PushAction.OFF, PushAction.ON]
            if CONF_WEBHOOK_ID in self.config_entry.options:
                actions.append(PushAction.NEW_URL)
        return vol.Schema(
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
                        min=0,
                        max=7 * 24 * 60,
                        step=1,
                        unit_of_measurement="min",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_MONTHLY_BUDGET): NumberSelector(
                    NumberSelectorConfig(min=50, max=100000, step=1, mode=NumberSelectorMode.BOX)
                ),
                vol.Optional(CONF_PUSH): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(action) for action in actions],
                        mode=SelectSelectorMode.LIST,
                        translation_key="push_action",
                    )
                ),
                vol.Optional(CONF_MANAGEMENT_TOKEN): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )

    def _suggested(self, enabled: bool, user_input: dict[str, Any] | None) -> dict[str, Any]:
        """What the form shows filled in; never the management token."""
        suggested: dict[str, Any] = {
            CONF_POLLING_MODE: str(PollingMode.BALANCED),
            CONF_INTERVAL_MINUTES: DEFAULT_FIXED_MINUTES,
            CONF_MONTHLY_BUDGET: DEFAULT_MONTHLY_BUDGET,
            **{
                key: self.config_entry.options[key]
                for key in (CONF_POLLING_MODE, CONF_INTERVAL_MINUTES, CONF_MONTHLY_BUDGET)
                if key in self.config_entry.options
            },
            CONF_PUSH: str(PushAction.ON if enabled else PushAction.OFF),
            **(user_input or {}),
        }
        suggested.pop(CONF_MANAGEMENT_TOKEN, None)
        return suggested

    async def _async_show_url(self, *, new: bool) -> ConfigFlowResult:
        """Find the callback URL (making a webhook id and a cloudhook when needed)."""
        options = self._options
        if new or CONF_WEBHOOK_ID not in options:
            if CONF_CLOUDHOOK_URL in options:
                # Removed from Home Assistant Cloud once the new URL is saved.
                self._replaced = {
                    CONF_WEBHOOK_ID: options[CONF_WEBHOOK_ID],
                    CONF_CLOUDHOOK_URL: options.pop(CONF_CLOUDHOOK_URL),
                }
            options[CONF_WEBHOOK_ID] = webhook.async_generate_id()
        url, cloudhook = await async_callback_url(
            self.hass, options[CONF_WEBHOOK_ID], options.get(CONF_CLOUDHOOK_URL)
        )
        if cloudhook is not None and CONF_CLOUDHOOK_URL not in options:
            options[CONF_CLOUDHOOK_URL] = cloudhook
            self._new_cloudhook = {
                CONF_WEBHOOK_ID: options[CONF_WEBHOOK_ID],
                CONF_CLOUDHOOK_URL: cloudhook,
            }
        self._url = url
        return self._show_url_step()

    @property
    def _manages_subscriptions(self) -> bool:
        """Whether the entry's vehicles are subscribed through the Management API (v3)."""
        return self.config_entry.data.get(CONF_API_VERSION) == ApiVersion.V3

    def _asks_smartcar_id(self, options: dict[str, Any]) -> bool:
        """Whether turning webhooks on still needs the id of Smartcar's webhook."""
        return self._manages_subscriptions and not options.get(CONF_SMARTCAR_WEBHOOK_ID)

    def _show_url_step(
        self, errors: dict[str, str] | None = None, typed: str | None = None
    ) -> ConfigFlowResult:
        """The callback URL (or what is missing), with the Smartcar webhook id on v3."""
        placeholders = {
            "dashboard_url": DASHBOARD_URL,
            "minutes": str(round(VERIFY_WINDOW.total_seconds() / 60)),
        }
        step_id = "webhook" if self._url is not None else "webhook_no_url"
        if self._url is not None:
            placeholders["url"] = self._url
        schema: dict[Any, Any] = {}
        if self._manages_subscriptions:
            # Without a URL there may be no webhook in the dashboard yet: then it can wait.
            marker = vol.Required if self._url is not None else vol.Optional
            schema[marker(CONF_SMARTCAR_WEBHOOK_ID)] = TextSelector()
        suggested = typed if typed is not None else self._options.get(CONF_SMARTCAR_WEBHOOK_ID)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema), {CONF_SMARTCAR_WEBHOOK_ID: suggested or ""}
            ),
            errors=errors or {},
            description_placeholders=placeholders,
        )

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The URL to enter as the webhook's callback in the Smartcar dashboard was shown."""
        return await self._async_take_smartcar_id(user_input or {})

    async def async_step_webhook_no_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Smartcar cannot reach this Home Assistant yet; webhooks are kept on regardless."""
        return await self._async_take_smartcar_id(user_input or {})

    async def _async_take_smartcar_id(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Check the id of Smartcar's webhook (v3), then save the options."""
        if self._manages_subscriptions:
            typed = str(user_input.get(CONF_SMARTCAR_WEBHOOK_ID, "")).strip()
            if (error := self._smartcar_id_error(typed)) is not None:
                return self._show_url_step({CONF_SMARTCAR_WEBHOOK_ID: error}, typed)
            if typed:
                self._options[CONF_SMARTCAR_WEBHOOK_ID] = typed
            else:
                self._options.pop(CONF_SMARTCAR_WEBHOOK_ID, None)
        return await self._async_finish()

    def _smartcar_id_error(self, typed: str) -> str | None:
        """Why a typed Smartcar webhook id cannot be right, if it cannot."""
        if not typed:
            return "smartcar_webhook_id_required" if self._url is not None else None
        if typed == self._options[CONF_WEBHOOK_ID] or "/api/webhook/" in typed:
            return "home_assistant_webhook_id"
        if any(character.isspace() or character in "/?#" for character in typed):
            return "invalid_smartcar_webhook_id"
        return None

    async def _async_finish(self) -> ConfigFlowResult:
        """Save the options and open the verification window."""
        stored = self.config_entry.options
        if self._replaced is not None:
            await async_delete_cloudhook(self.hass, self._replaced)
        health = push_health(self.hass, self.config_entry.entry_id)
        now = dt_util.utcnow()
        if not push_enabled(stored) or (
            stored.get(CONF_MANAGEMENT_TOKEN) != self._options[CONF_MANAGEMENT_TOKEN]
        ):
            health.restart_watch(now)
            async_delete_push_issues(self.hass, self.config_entry.entry_id)
        health.open_verification(now)
        self._finished = True
        return self.async_create_entry(data=self._options)

    @callback
    @override
    def async_remove(self) -> None:
        """Remove a cloudhook made for a flow that was abandoned."""
        if self._new_cloudhook is not None and not self._finished:
            self.hass.async_create_task(
                async_delete_cloudhook(self.hass, self._new_cloudhook),
                "smartcar abandoned cloudhook",
            )
