"""Setting the charge limit by voice: the intent, the custom sentences, and the LLM tool."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Context
from homeassistant.helpers import device_registry as dr, entity_registry as er, intent, llm
from homeassistant.setup import async_setup_component
import pytest

from custom_components.smartcar.intent import INTENT_SET_CHARGE_LIMIT
from tests.conftest import requests_to, setup_entry, v3_entry, vehicle_device
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
TESLA = sim_const.TESLA_VEHICLE_ID
NUMBER = "number.volkswagen_id_4_charge_limit"
CAR = "Volkswagen ID.4"
SENTENCES = Path(__file__).resolve().parent.parent / "docs" / "voice" / "custom_sentences"
SET_LIMIT = "/commands/charge/set-limit"
#: Since Home Assistant 2026.10 the integration's llm platform names the tool.
HAS_LLM_PLATFORMS = importlib.util.find_spec("homeassistant.components.llm") is not None
TOOL = f"smartcar__{INTENT_SET_CHARGE_LIMIT}" if HAS_LLM_PLATFORMS else INTENT_SET_CHARGE_LIMIT

pytestmark = pytest.mark.usefixtures("v3_credentials")


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of the test's own, for custom sentences."""
    return hass_tmp_config_dir


async def _setup(
    hass: HomeAssistant, sim: Simulator, vehicle_ids: tuple[str, ...] = (BEV,)
) -> MockConfigEntry:
    """Home Assistant's intent component and an entry with the given cars."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "intent", {})
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=list(vehicle_ids)))
    await hass.async_block_till_done()
    return entry


async def _handle(
    hass: HomeAssistant,
    name: str,
    percentage: Any,
    *,
    language: str | None = None,
    assistant: str | None = None,
) -> intent.IntentResponse:
    return await intent.async_handle(
        hass,
        "conversation",
        INTENT_SET_CHARGE_LIMIT,
        {"name": {"value": name}, "percentage": {"value": percentage}},
        language=language,
        assistant=assistant,
    )


def _speech(response: intent.IntentResponse) -> str:
    return str(response.speech["plain"]["speech"])


def _limit_commands(sim: Simulator) -> list[Any]:
    return [
        request.json["data"]["attributes"]["percent"]
        for request in requests_to(sim, SET_LIMIT, "POST")
    ]


async def test_sets_the_charge_limit(hass: HomeAssistant, sim: Simulator) -> None:
    """The car's device name and a percentage: the command is sent and the answer says so."""
    await _setup(hass, sim)

    response = await _handle(hass, CAR, 80)

    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert _speech(response) == "The Volkswagen ID.4 charge limit is now 80 percent."
    assert _limit_commands(sim) == [80]
    assert sim.vehicle(BEV).charge_limit == 80
    assert float(hass.states.get(NUMBER).state) == 80
    (target,) = response.success_results
    assert target.id == NUMBER
    assert [state.entity_id for state in response.matched_states] == [NUMBER]


@pytest.mark.parametrize(
    ("name", "percentage"),
    [
        ("volkswagen id 4", 75),
        ("  VOLKSWAGEN ID.4 ", "75"),
        ("the Volkswagen ID.4", 75.0),
        ("Volkswagen ID.4 Charge limit", 75),
        (NUMBER, 75),
    ],
)
async def test_names_and_numbers_are_lenient(
    hass: HomeAssistant, sim: Simulator, name: str, percentage: Any
) -> None:
    """Case, spaces, punctuation and a leading article do not matter; numbers are coerced."""
    await _setup(hass, sim)

    response = await _handle(hass, name, percentage)

    assert _speech(response) == "The Volkswagen ID.4 charge limit is now 75 percent."
    assert sim.vehicle(BEV).charge_limit == 75


async def test_user_names_and_aliases(
    hass: HomeAssistant,
    sim: Simulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A renamed device answers to its new name and an alias of the entity works too."""
    entry = await _setup(hass, sim)
    device = vehicle_device(device_registry, entry.entry_id, BEV)
    assert device is not None
    device_registry.async_update_device(device.id, name_by_user="Ellie")
    registry_entry = entity_registry.async_get(NUMBER)
    assert registry_entry is not None
    # A list of aliases since 2026.10, a set before.
    aliases: Any = ["Car battery"] if isinstance(registry_entry.aliases, list) else {"Car battery"}
    entity_registry.async_update_entity(NUMBER, aliases=aliases)

    response = await _handle(hass, "ellie", 70)
    assert _speech(response) == "The Ellie charge limit is now 70 percent."
    response = await _handle(hass, "car battery", 90)
    assert _speech(response) == "The Ellie charge limit is now 90 percent."
    assert _limit_commands(sim) == [70, 90]


async def test_entity_without_device(
    hass: HomeAssistant, sim: Simulator, entity_registry: er.EntityRegistry
) -> None:
    """Without a device the entity's own name names the car."""
    await _setup(hass, sim)
    entity_registry.async_update_entity(NUMBER, device_id=None)
    name = hass.states.get(NUMBER).name

    response = await _handle(hass, name, 60)

    assert _speech(response) == f"The {name} charge limit is now 60 percent."
    assert sim.vehicle(BEV).charge_limit == 60


@pytest.mark.parametrize(
    ("language", "speech"),
    [
        ("es", "El límite de carga del Volkswagen ID.4 es ahora del 85 por ciento."),
        ("es-ES", "El límite de carga del Volkswagen ID.4 es ahora del 85 por ciento."),
        ("fr", "La limite de charge de Volkswagen ID.4 est maintenant de 85 pour cent."),
        ("fr_CA", "La limite de charge de Volkswagen ID.4 est maintenant de 85 pour cent."),
        ("de", "The Volkswagen ID.4 charge limit is now 85 percent."),
    ],
)
async def test_answers_in_the_request_language(
    hass: HomeAssistant, sim: Simulator, language: str, speech: str
) -> None:
    """Spanish and French answers; other languages get English."""
    await _setup(hass, sim)

    response = await _handle(hass, CAR, 85, language=language)

    assert _speech(response) == speech


@pytest.mark.parametrize(
    ("language", "speech"),
    [
        (
            "en",
            (
                "The Volkswagen ID.4 charge limit can only be set from 50 to 100 percent, "
                "so nothing was changed."
            ),
        ),
        (
            "es",
            (
                "El límite de carga del Volkswagen ID.4 solo puede ir del 50 al 100 por ciento, "
                "así que no se ha cambiado nada."
            ),
        ),
        (
            "fr",
            (
                "La limite de charge de Volkswagen ID.4 ne peut aller que de 50 à 100 pour cent, "
                "donc rien n'a été modifié."
            ),
        ),
    ],
)
async def test_out_of_range_is_refused_before_sending(
    hass: HomeAssistant, sim: Simulator, language: str, speech: str
) -> None:
    """30 % is below what the car accepts: a spoken refusal, and Smartcar hears nothing."""
    await _setup(hass, sim)
    before = len(sim.request_log)

    response = await _handle(hass, CAR, 30, language=language)

    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert _speech(response) == speech
    assert len(sim.request_log) == before
    assert not requests_to(sim, SET_LIMIT)
    assert float(hass.states.get(NUMBER).state) == 80
    assert sim.vehicle(BEV).charge_limit == 80


@pytest.mark.parametrize("percentage", [101, -1, "eighty", ""])
async def test_invalid_percentage_is_invalid_slot_info(
    hass: HomeAssistant, sim: Simulator, percentage: Any
) -> None:
    """Outside 0-100 or not a number: the slot is invalid, as for Home Assistant's intents."""
    await _setup(hass, sim)
    before = len(sim.request_log)

    with pytest.raises(intent.InvalidSlotInfo):
        await _handle(hass, CAR, percentage)

    assert len(sim.request_log) == before


async def test_unknown_car(hass: HomeAssistant, sim: Simulator) -> None:
    """A name no car has: a spoken error naming what was heard, nothing sent."""
    await _setup(hass, sim)
    before = len(sim.request_log)

    response = await _handle(hass, "Batmobile", 80)

    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert _speech(response) == "There is no Smartcar vehicle called Batmobile."
    assert len(sim.request_log) == before

    response = await _handle(hass, "Batmobile", 80, language="es")
    assert _speech(response) == "No hay ningún vehículo de Smartcar llamado Batmobile."


async def test_ambiguous_name(
    hass: HomeAssistant, sim: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """Two cars called the same: refused, and neither gets a command."""
    entry = await _setup(hass, sim, (BEV, TESLA))
    for vehicle_id in (BEV, TESLA):
        device = vehicle_device(device_registry, entry.entry_id, vehicle_id)
        assert device is not None
        device_registry.async_update_device(device.id, name_by_user="Family car")

    response = await _handle(hass, "family car", 90)

    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert _speech(response) == (
        "More than one Smartcar vehicle is called family car. Use a name that only one of them has."
    )
    assert not requests_to(sim, SET_LIMIT)


async def test_only_exposed_charge_limits_count_for_an_assistant(
    hass: HomeAssistant, sim: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """Through an assistant the entity must be exposed to it; the exposed car wins a tie."""
    entry = await _setup(hass, sim, (BEV, TESLA))

    response = await _handle(hass, CAR, 90, assistant=conversation.DOMAIN)
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert _speech(response) == (
        "The Volkswagen ID.4 charge limit is not exposed to the voice assistant."
    )
    response = await _handle(hass, "Batmobile", 90, assistant=conversation.DOMAIN)
    assert _speech(response) == "There is no Smartcar vehicle called Batmobile."
    assert not requests_to(sim, SET_LIMIT)

    for vehicle_id in (BEV, TESLA):
        device = vehicle_device(device_registry, entry.entry_id, vehicle_id)
        assert device is not None
        device_registry.async_update_device(device.id, name_by_user="Family car")
    async_expose_entity(hass, conversation.DOMAIN, NUMBER, True)

    response = await _handle(hass, "Family car", 95, assistant=conversation.DOMAIN)

    assert _speech(response) == "The Family car charge limit is now 95 percent."
    (command,) = requests_to(sim, SET_LIMIT, "POST")
    assert BEV in command.path
    assert sim.vehicle(BEV).charge_limit == 95


async def test_unavailable_car(hass: HomeAssistant, sim: Simulator) -> None:
    """An unloaded entry leaves its entities unavailable: refused without a command."""
    entry = await _setup(hass, sim)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(NUMBER).state == STATE_UNAVAILABLE
    before = len(sim.request_log)

    response = await _handle(hass, CAR, 70)

    assert response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert _speech(response) == "The Volkswagen ID.4 is not available right now. Try again later."
    assert len(sim.request_log) == before


async def test_refused_command_is_spoken(hass: HomeAssistant, sim: Simulator) -> None:
    """The car refuses the command: the translated error is spoken, no traceback."""
    await _setup(hass, sim)
    sim.inject_fault(
        vehicle_id=BEV,
        path=SET_LIMIT,
        method="POST",
        error_type="COMPATIBILITY",
        error_code="SMARTCAR_NOT_CAPABLE",
    )

    response = await _handle(hass, CAR, 90)

    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert _speech(response) == (
        "The Volkswagen ID.4 charge limit was not changed: "
        "Volkswagen ID.4 does not support this command through Smartcar."
    )
    assert float(hass.states.get(NUMBER).state) == 80


# --- the custom sentences in docs/voice, through the default conversation agent ---------------


async def _setup_conversation(hass: HomeAssistant, sim: Simulator) -> None:
    """Copy the ready-made sentences into the config directory and start Assist."""
    shutil.copytree(SENTENCES, hass.config.path("custom_sentences"))
    await _setup(hass, sim)
    assert await async_setup_component(hass, conversation.DOMAIN, {})
    async_expose_entity(hass, conversation.DOMAIN, NUMBER, True)


#: What the intent answers once the limit is set, by language.
DONE = {
    "en": "The Volkswagen ID.4 charge limit is now {} percent.",
    "es": "El límite de carga del Volkswagen ID.4 es ahora del {} por ciento.",
    "fr": "La limite de charge de Volkswagen ID.4 est maintenant de {} pour cent.",
}


@pytest.mark.parametrize(
    ("language", "sentence", "limit"),
    [
        ("en", "set the Volkswagen ID.4 charge limit to 75 percent", 75),
        ("en", "set the charge limit of the volkswagen id 4 to 95%", 95),
        ("en", "charge the Volkswagen ID.4 to 60 %", 60),
        ("es", "pon el límite de carga del Volkswagen ID.4 al 70 por ciento", 70),
        ("es", "carga el Volkswagen ID.4 hasta el 85%", 85),
        ("fr", "règle la limite de charge de la Volkswagen ID.4 à 65 pour cent", 65),
        ("fr", "mets la limite de charge du Volkswagen ID.4 à 90 %", 90),
    ],
)
async def test_custom_sentences(
    hass: HomeAssistant, sim: Simulator, language: str, sentence: str, limit: int
) -> None:
    """Each language's sentence file sets the car's limit through the default agent."""
    await _setup_conversation(hass, sim)

    result = await conversation.async_converse(hass, sentence, None, Context(), language=language)

    response = result.response
    assert response.response_type is intent.IntentResponseType.ACTION_DONE, response.speech
    assert _speech(response) == DONE[language].format(limit)
    assert sim.vehicle(BEV).charge_limit == limit
    assert float(hass.states.get(NUMBER).state) == limit


@pytest.mark.parametrize(
    ("sentence", "speech"),
    [
        (
            "set the Volkswagen ID.4 charge limit to 30 percent",
            (
                "The Volkswagen ID.4 charge limit can only be set from 50 to 100 percent, "
                "so nothing was changed."
            ),
        ),
        (
            "set the Batmobile charge limit to 80 percent",
            "There is no Smartcar vehicle called Batmobile.",
        ),
    ],
)
async def test_custom_sentence_refusals(
    hass: HomeAssistant, sim: Simulator, sentence: str, speech: str
) -> None:
    """Understood but refused: the intent's own words reach the user, nothing is sent."""
    await _setup_conversation(hass, sim)
    before = len(sim.request_log)

    result = await conversation.async_converse(hass, sentence, None, Context(), language="en")

    assert result.response.response_type is intent.IntentResponseType.ERROR
    assert _speech(result.response) == speech
    assert len(sim.request_log) == before


def test_sentence_files_declare_their_language() -> None:
    """Every file sits in its language's folder and names the intent and its two lists."""
    for language in ("en", "es", "fr"):
        text = (SENTENCES / language / "smartcar.yaml").read_text(encoding="utf-8")
        assert f"language: {language}\n" in text
        assert f"{INTENT_SET_CHARGE_LIMIT}:" in text
        assert "{smartcar_vehicle:name}" in text
        assert "{percentage}" in text


# --- LLM-based agents --------------------------------------------------------------------------


def _llm_context(assistant: str = conversation.DOMAIN) -> llm.LLMContext:
    return llm.LLMContext(
        platform="test", context=Context(), language="en", assistant=assistant, device_id=None
    )


async def test_offered_to_llms_once_exposed(hass: HomeAssistant, sim: Simulator) -> None:
    """The Assist API lists the intent as a tool while the charge limit is exposed."""
    await _setup(hass, sim)
    assert await async_setup_component(hass, conversation.DOMAIN, {})

    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, _llm_context())
    assert TOOL not in {tool.name for tool in api.tools}

    async_expose_entity(hass, conversation.DOMAIN, NUMBER, True)
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, _llm_context())
    (tool,) = [tool for tool in api.tools if tool.name == TOOL]
    assert tool.description is not None
    assert "charge limit" in tool.description
    assert set(tool.parameters.schema) == {"name", "percentage"}

    result = await api.async_call_tool(
        llm.ToolInput(tool_name=TOOL, tool_args={"name": CAR, "percentage": 90})
    )

    # A ToolResult since 2026.10, the response as a dict before.
    data = getattr(result, "data", result)
    assert data["speech"]["plain"]["speech"] == (
        "The Volkswagen ID.4 charge limit is now 90 percent."
    )
    assert sim.vehicle(BEV).charge_limit == 90


@pytest.mark.skipif(not HAS_LLM_PLATFORMS, reason="Home Assistant 2026.10 loads llm platforms")
async def test_llm_platform_offers_nothing_elsewhere(hass: HomeAssistant, sim: Simulator) -> None:
    """Another API, no assistant, or no registered intent: no tool."""
    from custom_components.smartcar.llm import async_get_tools

    await _setup(hass, sim)
    async_expose_entity(hass, conversation.DOMAIN, NUMBER, True)
    assert async_get_tools(hass, _llm_context(), llm.LLM_API_ASSIST) is not None
    assert async_get_tools(hass, _llm_context(), "another_api") is None
    assert async_get_tools(hass, _llm_context(""), llm.LLM_API_ASSIST) is None
    intent.async_remove(hass, INTENT_SET_CHARGE_LIMIT)
    assert async_get_tools(hass, _llm_context(), llm.LLM_API_ASSIST) is None
