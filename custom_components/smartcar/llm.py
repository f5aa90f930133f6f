"""The charge limit intent as a tool for LLM-based conversation agents.

Since Home Assistant 2026.10 the Assist API offers an intent to LLMs only when the integration
that registered it returns it from its ``llm`` platform; 2026.3 offers every registered intent
by itself (while a number entity is exposed) and never loads this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import intent
from homeassistant.helpers.llm import LLM_API_ASSIST, IntentTool, ToolAnnotations

from .const import DOMAIN
from .intent import INTENT_SET_CHARGE_LIMIT, async_charge_limit_entries

if TYPE_CHECKING:
    from homeassistant.helpers.llm import LLMContext

#: Setting the same limit twice changes nothing more; the command reaches Smartcar and the car.
ANNOTATIONS = ToolAnnotations(idempotent=True, open_world=True)


@callback
def async_get_tools(hass: HomeAssistant, llm_context: LLMContext, api_id: str) -> LLMTools | None:
    """Offer the intent to the Assist API while a charge limit is exposed to the assistant."""
    if api_id != LLM_API_ASSIST or not llm_context.assistant:
        return None
    if not any(
        async_should_expose(hass, llm_context.assistant, entry.entity_id)
        for entry in async_charge_limit_entries(hass)
    ):
        return None
    handler = next(
        (item for item in intent.async_get(hass) if item.intent_type == INTENT_SET_CHARGE_LIMIT),
        None,
    )
    if handler is None:
        return None
    return LLMTools(
        tools=[
            IntentTool(
                f"{DOMAIN}__{INTENT_SET_CHARGE_LIMIT}",
                handler,
                title="Set charge limit",
                integration=DOMAIN,
                annotations=ANNOTATIONS,
            )
        ]
    )
