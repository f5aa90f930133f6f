"""Questions about a car by voice: the intent, its answers, and the sentences that reach it."""

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
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest

from custom_components.smartcar.questions import INTENT_VEHICLE_STATE, QUESTIONS
from tests.conftest import setup_entry, v3_entry, vehicle_device
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.simulator.simulator import Simulator

BEV = sim_const.BEV_VEHICLE_ID
TESLA = sim_const.TESLA_VEHICLE_ID
ICE = sim_const.ICE_VEHICLE_ID
CAR = "Volkswagen ID.4"
SENTENCES = Path(__file__).resolve().parent.parent / "docs" / "voice" / "custom_sentences"
#: The entities of the ID.4 that answer the questions.
ENTITIES = {
    "battery": "sensor.volkswagen_id_4_battery",
    "range": "sensor.volkswagen_id_4_range",
    "charging": "sensor.volkswagen_id_4_charging_state",
    "plugged_in": "binary_sensor.volkswagen_id_4_charging_cable",
    "charge_limit": "number.volkswagen_id_4_charge_limit",
    "location": "device_tracker.volkswagen_id_4_location",
}
#: Berlin, where the simulated ID.4 is parked.
BERLIN = (52.520008, 13.404954)

pytestmark = pytest.mark.usefixtures("v3_credentials")


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of the test's own, for custom sentences."""
    return hass_tmp_config_dir


async def _setup(
    hass: HomeAssistant,
    sim: Simulator,
    vehicle_ids: tuple[str, ...] = (BEV,),
    home: tuple[float, float] = (52.5, 13.4),
) -> MockConfigEntry:
    """Home Assistant's intents and an entry with the given cars, the ID.4 near home."""
    hass.config.latitude, hass.config.longitude = home
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "intent", {})
    entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=list(vehicle_ids)))
    await hass.async_block_till_done()
    return entry


async def _ask(
    hass: HomeAssistant,
    name: str,
    question: str,
    *,
    language: str | None = None,
    assistant: str | None = None,
) -> intent.IntentResponse:
    return await intent.async_handle(
        hass,
        "conversation",
        INTENT_VEHICLE_STATE,
        {"name": {"value": name}, "question": {"value": question}},
        language=language,
        assistant=assistant,
    )


def _speech(response: intent.IntentResponse) -> str:
    return str(response.speech["plain"]["speech"])


async def _read_again(hass: HomeAssistant, sim: Simulator, vehicle_id: str, **state: Any) -> None:
    """Change the simulated car and let Home Assistant read it."""
    sim.set_vehicle_state(vehicle_id, **state)
    (entry,) = hass.config_entries.async_entries("smartcar")
    for coordinator in entry.runtime_data.coordinators.values():
        if coordinator.vehicle_id == vehicle_id:
            await coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_every_question_in_english(hass: HomeAssistant, sim: Simulator) -> None:
    """Each answer carries the value the car reported, and names the entity it read."""
    await _setup(hass, sim)
    car = sim.vehicle(BEV)
    expected = {
        "battery": f"The Volkswagen ID.4 battery is at {round(car.soc)} percent.",
        "range": (
            f"The Volkswagen ID.4 has {round(car.battery_range_km)} kilometers of range left."
        ),
        "charging": "Yes, the Volkswagen ID.4 is charging.",
        "plugged_in": "Yes, the Volkswagen ID.4 is plugged in.",
        "charge_limit": f"The Volkswagen ID.4 charge limit is {round(car.charge_limit)} percent.",
        "location": "The Volkswagen ID.4 is away, 2.3 kilometers from home.",
    }

    for question, speech in expected.items():
        response = await _ask(hass, CAR, question)
        assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
        assert _speech(response) == speech
        (target,) = response.success_results
        assert target.id == ENTITIES[question]
        assert [state.entity_id for state in response.matched_states] == [ENTITIES[question]]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "es",
            {
                "battery": "La batería del Volkswagen ID.4 está al 55 por ciento.",
                "range": "Al Volkswagen ID.4 le quedan 286 kilómetros de autonomía.",
                "charging": "Sí, el Volkswagen ID.4 está cargando.",
                "plugged_in": "Sí, el Volkswagen ID.4 está enchufado.",
                "charge_limit": "El límite de carga del Volkswagen ID.4 es del 80 por ciento.",
                "location": "El Volkswagen ID.4 está fuera, a 2,3 kilómetros de casa.",
            },
        ),
        (
            "fr-CA",
            {
                "battery": "La batterie de Volkswagen ID.4 est à 55 pour cent.",
                "range": "Il reste 286 kilomètres d'autonomie à Volkswagen ID.4.",
                "charging": "Oui, Volkswagen ID.4 est en charge.",
                "plugged_in": "Oui, le câble de charge de Volkswagen ID.4 est branché.",
                "charge_limit": "La limite de charge de Volkswagen ID.4 est de 80 pour cent.",
                "location": "Volkswagen ID.4 est à 2,3 kilomètres de la maison.",
            },
        ),
        ("de", {"battery": "The Volkswagen ID.4 battery is at 55 percent."}),
    ],
)
async def test_answers_in_the_request_language(
    hass: HomeAssistant, sim: Simulator, language: str, expected: dict[str, str]
) -> None:
    """Spanish and French answers with a decimal comma; other languages get English."""
    await _setup(hass, sim)

    for question, speech in expected.items():
        assert _speech(await _ask(hass, CAR, question, language=language)) == speech


async def test_charging_and_cable_states(hass: HomeAssistant, sim: Simulator) -> None:
    """Not charging, fully charged, and unplugged are each said as such."""
    await _setup(hass, sim)

    await _read_again(hass, sim, BEV, charging=False)
    assert _speech(await _ask(hass, CAR, "charging")) == "No, the Volkswagen ID.4 is not charging."
    await _read_again(hass, sim, BEV, soc=80.0)
    assert _speech(await _ask(hass, CAR, "charging")) == (
        "No, the Volkswagen ID.4 is fully charged."
    )
    assert _speech(await _ask(hass, CAR, "charging", language="es")) == (
        "No, el Volkswagen ID.4 ya tiene la carga completa."
    )
    await _read_again(hass, sim, BEV, plugged_in=False)
    assert _speech(await _ask(hass, CAR, "plugged_in")) == (
        "No, the Volkswagen ID.4 is not plugged in."
    )
    assert _speech(await _ask(hass, CAR, "plugged_in", language="fr")) == (
        "Non, le câble de charge de Volkswagen ID.4 n'est pas branché."
    )


async def test_where_at_home_in_a_zone_and_in_miles(hass: HomeAssistant, sim: Simulator) -> None:
    """Home and named zones by name; away in the unit system's length, far ones rounded."""
    hass.config.latitude, hass.config.longitude = BERLIN
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": [{"name": "Office", "latitude": 48.0, "longitude": 11.0, "radius": 500}]},
    )
    await _setup(hass, sim, home=BERLIN)

    assert _speech(await _ask(hass, CAR, "location")) == "The Volkswagen ID.4 is at home."
    assert _speech(await _ask(hass, CAR, "location", language="fr")) == (
        "Volkswagen ID.4 est à la maison."
    )

    await _read_again(hass, sim, BEV, latitude=48.0, longitude=11.0)
    assert _speech(await _ask(hass, CAR, "location")) == "The Volkswagen ID.4 is at Office."
    assert _speech(await _ask(hass, CAR, "location", language="es")) == (
        "El Volkswagen ID.4 está en Office."
    )

    hass.config.units = US_CUSTOMARY_SYSTEM
    await _read_again(hass, sim, BEV, latitude=52.0, longitude=13.4)
    assert _speech(await _ask(hass, CAR, "location")) == (
        "The Volkswagen ID.4 is away, 36 miles from home."
    )
    assert _speech(await _ask(hass, CAR, "location", language="es")) == (
        "El Volkswagen ID.4 está fuera, a 36 millas de casa."
    )


async def test_away_without_a_position(hass: HomeAssistant, sim: Simulator) -> None:
    """A tracker that is away but shows no coordinates: away, without a distance."""
    await _setup(hass, sim)
    hass.states.async_set(ENTITIES["location"], "not_home", {"friendly_name": "ID.4 Location"})

    assert _speech(await _ask(hass, CAR, "location")) == "The Volkswagen ID.4 is away from home."
    assert _speech(await _ask(hass, CAR, "location", language="es")) == (
        "El Volkswagen ID.4 está fuera de casa."
    )
    assert _speech(await _ask(hass, CAR, "location", language="fr")) == (
        "Volkswagen ID.4 n'est pas à la maison."
    )


async def test_names_are_lenient(
    hass: HomeAssistant, sim: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """Article, case and punctuation do not matter; a renamed car answers to its new name."""
    entry = await _setup(hass, sim)

    for name in ("the volkswagen id 4", "VOLKSWAGEN ID.4", "Volkswagen ID.4 Battery"):
        assert _speech(await _ask(hass, name, "battery")).startswith(
            "The Volkswagen ID.4 battery is at"
        )
    device = vehicle_device(device_registry, entry.entry_id, BEV)
    assert device is not None
    device_registry.async_update_device(device.id, name_by_user="Ellie")
    assert _speech(await _ask(hass, "ellie", "charge_limit")) == (
        "The Ellie charge limit is 80 percent."
    )


async def test_a_car_without_the_value(hass: HomeAssistant, sim: Simulator) -> None:
    """A combustion car has no battery: said so, rather than "no such car"."""
    await _setup(hass, sim, (BEV, ICE))

    response = await _ask(hass, "the Ford Escape", "battery")
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert _speech(response) == "The Ford Escape does not report its battery level."
    response = await _ask(hass, "Ford Escape", "plugged_in", language="es")
    assert _speech(response) == "El Ford Escape no informa de este dato (cable de carga)."
    response = await _ask(hass, "Ford Escape", "charge_limit", language="fr")
    assert _speech(response) == "Ford Escape ne fournit pas cette information (limite de charge)."


@pytest.mark.parametrize(
    ("question", "language", "speech"),
    [
        ("battery", "en", "There is no Smartcar vehicle called Batmobile."),
        ("range", "es", "No hay ningún vehículo de Smartcar llamado Batmobile."),
        ("charging", "fr", "Aucun véhicule Smartcar ne s'appelle Batmobile."),
        ("location", "en", "I do not know a car or a person called Batmobile."),
        ("location", "es", "No conozco ningún coche ni ninguna persona con el nombre Batmobile."),
        ("location", "fr", "Je ne connais aucune voiture ni personne du nom de Batmobile."),
    ],
)
async def test_unknown_name(
    hass: HomeAssistant, sim: Simulator, question: str, language: str, speech: str
) -> None:
    """A name no car (nor, for "where", any person) has."""
    await _setup(hass, sim)

    response = await _ask(hass, "Batmobile", question, language=language)

    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert _speech(response) == speech


@pytest.mark.parametrize(
    ("state", "language", "speech"),
    [
        ("home", "en", "Paulus is at home."),
        ("not_home", "es", "Paulus está fuera."),
        ("Office", "fr", "Paulus est dans la zone Office."),
        ("unknown", "en", "I do not know where Paulus is."),
        ("Office", "en", "Paulus is at Office."),
        ("not_home", "fr", "Paulus n'est pas à la maison."),
        ("home", "es", "Paulus está en casa."),
        ("unknown", "es", "No sé dónde está Paulus."),
        ("unavailable", "fr", "Je ne sais pas où se trouve Paulus."),
    ],
)
async def test_where_is_a_person(
    hass: HomeAssistant, sim: Simulator, state: str, language: str, speech: str
) -> None:
    """The "where is" question also answers for people, as Home Assistant's own would."""
    await _setup(hass, sim)
    hass.states.async_set("person.paulus", state, {"friendly_name": "Paulus"})

    response = await _ask(hass, "the Paulus", "location", language=language)

    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert _speech(response) == speech
    (target,) = response.success_results
    assert target.id == "person.paulus"


async def test_only_exposed_entities_count_for_an_assistant(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Through Assist the entity that answers must be exposed, people included."""
    await _setup(hass, sim)
    hass.states.async_set("person.paulus", "home", {"friendly_name": "Paulus"})

    response = await _ask(hass, CAR, "range", assistant=conversation.DOMAIN)
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert _speech(response) == "The Volkswagen ID.4 range is not exposed to the voice assistant."
    response = await _ask(hass, CAR, "location", language="fr", assistant=conversation.DOMAIN)
    assert _speech(response) == (
        "Cette information de Volkswagen ID.4 (position) n'est pas exposée à l'assistant vocal."
    )
    response = await _ask(hass, "Paulus", "location", assistant=conversation.DOMAIN)
    assert _speech(response) == "I do not know a car or a person called Paulus."

    async_expose_entity(hass, conversation.DOMAIN, ENTITIES["range"], True)
    async_expose_entity(hass, conversation.DOMAIN, "person.paulus", True)
    response = await _ask(hass, CAR, "range", language="es", assistant=conversation.DOMAIN)
    assert _speech(response) == "Al Volkswagen ID.4 le quedan 286 kilómetros de autonomía."
    response = await _ask(hass, "Paulus", "location", assistant=conversation.DOMAIN)
    assert _speech(response) == "Paulus is at home."


async def test_ambiguous_name(
    hass: HomeAssistant, sim: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """Two cars called the same: refused rather than guessed."""
    entry = await _setup(hass, sim, (BEV, TESLA))
    for vehicle_id in (BEV, TESLA):
        device = vehicle_device(device_registry, entry.entry_id, vehicle_id)
        assert device is not None
        device_registry.async_update_device(device.id, name_by_user="Family car")

    response = await _ask(hass, "family car", "battery", language="es")

    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert _speech(response) == (
        "Hay más de un vehículo de Smartcar llamado family car. "
        "Usa un nombre que solo tenga uno de ellos."
    )


async def test_unavailable_car(hass: HomeAssistant, sim: Simulator) -> None:
    """An unloaded entry leaves its entities unavailable: nothing made up."""
    entry = await _setup(hass, sim)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ENTITIES["battery"]).state == STATE_UNAVAILABLE

    response = await _ask(hass, CAR, "battery")
    assert response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert _speech(response) == (
        "The Volkswagen ID.4 battery level is not known right now. Try again later."
    )
    response = await _ask(hass, CAR, "location", language="es")
    assert _speech(response) == (
        "Ahora mismo no se conoce este dato del Volkswagen ID.4 (ubicación). Inténtalo más tarde."
    )


@pytest.mark.parametrize("question", ["", "tyre pressure", None])
async def test_invalid_question_is_invalid_slot_info(
    hass: HomeAssistant, sim: Simulator, question: Any
) -> None:
    """Only the listed questions are understood."""
    await _setup(hass, sim)

    with pytest.raises(intent.InvalidSlotInfo):
        await _ask(hass, CAR, question)


# --- the custom sentences in docs/voice, and Home Assistant's own, through Assist ----------


#: Every shipped sentence with what it asks, by language.
SENTENCES_ASKED: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("what is the battery level of the Volkswagen ID.4", "battery"),
        ("what's the battery of the Volkswagen ID.4", "battery"),
        ("how much battery does the Volkswagen ID.4 have left", "battery"),
        ("what is the range of the Volkswagen ID.4", "range"),
        ("how much range does the Volkswagen ID.4 have", "range"),
        ("how far can the Volkswagen ID.4 go", "range"),
        ("is the Volkswagen ID.4 charging", "charging"),
        ("is the Volkswagen ID.4 still charging", "charging"),
        ("is the Volkswagen ID.4 plugged in", "plugged_in"),
        ("is the Volkswagen ID.4 connected to the charger", "plugged_in"),
        ("what is the charge limit of the Volkswagen ID.4", "charge_limit"),
        ("what's the Volkswagen ID.4 charge limit", "charge_limit"),
        ("where is the Volkswagen ID.4", "location"),
        ("where is the Volkswagen ID.4 parked", "location"),
        ("where did I park the Volkswagen ID.4", "location"),
    ],
    "es": [
        ("¿Cuál es la batería del Volkswagen ID.4?", "battery"),
        ("cuál es el nivel de la batería del Volkswagen ID.4", "battery"),
        ("cuánta batería le queda al Volkswagen ID.4", "battery"),
        ("cuál es la autonomía del Volkswagen ID.4", "range"),
        ("cuánta autonomía tiene el Volkswagen ID.4", "range"),
        ("¿Está cargando el Volkswagen ID.4?", "charging"),
        ("el Volkswagen ID.4 se está cargando", "charging"),
        ("¿Está enchufado el Volkswagen ID.4?", "plugged_in"),
        ("el Volkswagen ID.4 está conectado", "plugged_in"),
        ("cuál es el límite de carga del Volkswagen ID.4", "charge_limit"),
        ("¿Dónde está el Volkswagen ID.4?", "location"),
        ("dónde he aparcado el Volkswagen ID.4", "location"),
    ],
    "fr": [
        ("quel est le niveau de batterie de la Volkswagen ID.4", "battery"),
        ("quelle est la batterie du Volkswagen ID.4", "battery"),
        ("quelle est l'autonomie de la Volkswagen ID.4", "range"),
        ("combien de kilomètres reste-t-il à la Volkswagen ID.4", "range"),
        ("est-ce que la Volkswagen ID.4 est en charge", "charging"),
        ("la Volkswagen ID.4 est-elle en charge", "charging"),
        ("la Volkswagen ID.4 est-elle branchée", "plugged_in"),
        ("est-ce que la Volkswagen ID.4 est branchée", "plugged_in"),
        ("quelle est la limite de charge de la Volkswagen ID.4", "charge_limit"),
        ("où est la Volkswagen ID.4", "location"),
        ("où se trouve la Volkswagen ID.4", "location"),
        ("où ai-je garé la Volkswagen ID.4", "location"),
    ],
}


async def _setup_conversation(hass: HomeAssistant, sim: Simulator) -> None:
    """Copy the ready-made sentences into the config directory, start Assist, expose all."""
    shutil.copytree(SENTENCES, hass.config.path("custom_sentences"))
    await _setup(hass, sim)
    assert await async_setup_component(hass, conversation.DOMAIN, {})
    for entity_id in ("lock.volkswagen_id_4", *ENTITIES.values()):
        async_expose_entity(hass, conversation.DOMAIN, entity_id, True)


@pytest.mark.parametrize("language", ["en", "es", "fr"])
async def test_custom_sentences(hass: HomeAssistant, sim: Simulator, language: str) -> None:
    """Every shipped sentence reaches the intent and gets the answer to what it asks."""
    await _setup_conversation(hass, sim)

    for sentence, question in SENTENCES_ASKED[language]:
        expected = _speech(await _ask(hass, CAR, question, language=language))
        result = await conversation.async_converse(
            hass, sentence, None, Context(), language=language
        )
        response = result.response
        assert response.response_type is intent.IntentResponseType.QUERY_ANSWER, sentence
        assert _speech(response) == expected, sentence


def test_every_question_has_sentences_in_every_language() -> None:
    """Each language's file asks every question, and the table above tries them all."""
    for language, asked in SENTENCES_ASKED.items():
        text = (SENTENCES / language / "smartcar.yaml").read_text(encoding="utf-8")
        assert f"{INTENT_VEHICLE_STATE}:" in text
        for question in QUESTIONS:
            assert f"question: {question}\n" in text
            assert any(item == question for _sentence, item in asked), (language, question)


@pytest.mark.parametrize(
    ("language", "sentence", "speech"),
    [
        ("en", "what is the Volkswagen ID.4 battery", "Volkswagen id.4 battery is 55 %"),
        ("en", "what is the Volkswagen ID.4 range", "Volkswagen id.4 range is 286 km"),
        ("en", "is the Volkswagen ID.4 locked", "Yes"),
        ("es", "está el Volkswagen ID.4 cerrado", "Sí"),
        ("fr", "la Volkswagen ID.4 est-elle verrouillée", "Oui"),
    ],
)
async def test_built_in_questions(
    hass: HomeAssistant, sim: Simulator, language: str, sentence: str, speech: str
) -> None:
    """Home Assistant's own sentences answer from the entities' names, no file needed."""
    await _setup(hass, sim)
    assert await async_setup_component(hass, conversation.DOMAIN, {})
    for entity_id in ("lock.volkswagen_id_4", *ENTITIES.values()):
        async_expose_entity(hass, conversation.DOMAIN, entity_id, True)

    result = await conversation.async_converse(hass, sentence, None, Context(), language=language)

    assert _speech(result.response).strip() == speech
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER


@pytest.mark.parametrize(
    ("language", "sentence", "speech"),
    [
        (
            "es",
            "cuál es el Volkswagen ID.4 Batería",
            "El dispositivo Volkswagen id.4 batería indica 55 %",
        ),
        (
            "es",
            "cuál es la Volkswagen ID.4 Autonomía",
            "El dispositivo Volkswagen id.4 autonomía indica 286 km",
        ),
        ("fr", "quelle est la Volkswagen ID.4 Batterie", "Volkswagen id.4 batterie est 55 %"),
        ("fr", "donne-moi la Volkswagen ID.4 Autonomie", "Volkswagen id.4 autonomie est 286 km"),
    ],
)
async def test_built_in_questions_use_translated_names(
    hass: HomeAssistant, sim: Simulator, language: str, sentence: str, speech: str
) -> None:
    """With Home Assistant in Spanish or French, the entities' names are too, and match."""
    hass.config.language = language
    entry = await _setup(hass, sim)
    assert await async_setup_component(hass, conversation.DOMAIN, {})
    # The entity IDs follow the language too.
    for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        async_expose_entity(hass, conversation.DOMAIN, registry_entry.entity_id, True)

    result = await conversation.async_converse(hass, sentence, None, Context(), language=language)

    assert _speech(result.response).strip() == speech
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER


async def test_offered_to_llms_only_before_llm_platforms(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """LLMs read states themselves; only Home Assistant before 2026.10 offers this intent."""
    await _setup(hass, sim)
    assert await async_setup_component(hass, conversation.DOMAIN, {})
    async_expose_entity(hass, conversation.DOMAIN, ENTITIES["battery"], True)
    context = llm.LLMContext(
        platform="test",
        context=Context(),
        language="en",
        assistant=conversation.DOMAIN,
        device_id=None,
    )

    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, context)

    names = {tool.name for tool in api.tools}
    has_llm_platforms = importlib.util.find_spec("homeassistant.components.llm") is not None
    assert (INTENT_VEHICLE_STATE in names) is not has_llm_platforms
    assert not any(name.endswith(f"__{INTENT_VEHICLE_STATE}") for name in names)
