"""End to end: questions about the cars, asked of Assist in English, Spanish and French.

Every question goes through Home Assistant's `/api/conversation/process` to its default agent,
with the shipped sentences in `<config>/custom_sentences` (`harness.install_custom_sentences`).
The answers must carry the values Home Assistant shows for the simulated cars. Home Assistant's
own sentences ("what is the Tesla Model 3 battery") match entity names, which follow Home
Assistant's language, so those are asked with Home Assistant switched to each language.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.cars import HOME, change_car, eventually, render, state
from tests.simulator import const as sim

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.e2e.plugin import Stack

TESLA = sim.TESLA_VEHICLE_ID
#: The entities the questions read; Home Assistant exposes none of them to Assist by default.
EXPOSED = [
    f"{entity}"
    for car in ("tesla_model_3", "volkswagen_id_4")
    for entity in (
        f"lock.{car}",
        f"sensor.{car}_battery",
        f"sensor.{car}_range",
        f"sensor.{car}_charging_state",
        f"binary_sensor.{car}_charging_cable",
        f"number.{car}_charge_limit",
        f"device_tracker.{car}_location",
    )
]
#: The Tesla as the questions expect it: at home, plugged in, not charging, locked.
TESLA_STATE = {
    "latitude": HOME[0],
    "longitude": HOME[1],
    "plugged_in": True,
    "charging": False,
    "soc": 64.0,
    "charge_limit": 85.0,
    "locked": True,
}


async def converse(stack: Stack, text: str, language: str) -> dict[str, Any]:
    """Say `text` to Assist's default agent; return its response."""
    answer = await stack.api("POST", "conversation/process", {"text": text, "language": language})
    response: dict[str, Any] = answer["response"]
    return response


def speech(response: dict[str, Any]) -> str:
    """What the answer says."""
    return str(response["speech"]["plain"]["speech"]).strip()


@pytest.fixture
async def cars_to_ask(stack: Stack, entry: None) -> AsyncIterator[None]:
    """The Tesla in a known state and the cars' entities exposed."""
    before = await stack.vehicle(TESLA)
    await stack.ws(
        {
            "type": "homeassistant/expose_entity",
            "assistants": ["conversation"],
            "entity_ids": EXPOSED,
            "should_expose": True,
        }
    )
    await change_car(stack, TESLA, "sensor.tesla_model_3_battery", **TESLA_STATE)
    await eventually(
        partial(state, stack, "sensor.tesla_model_3_battery"),
        lambda item: float(item["state"]) == TESLA_STATE["soc"],
        what="the Tesla's battery",
    )
    assert (await state(stack, "device_tracker.tesla_model_3_location"))["state"] == "home"
    assert (await state(stack, "binary_sensor.tesla_model_3_charging_cable"))["state"] == "on"
    assert (await state(stack, "sensor.tesla_model_3_charging_state"))["state"] == "not_charging"
    assert (await state(stack, "device_tracker.volkswagen_id_4_location"))["state"] == "not_home"
    try:
        yield
    finally:
        await change_car(
            stack,
            TESLA,
            "sensor.tesla_model_3_battery",
            **{key: before[key] for key in TESLA_STATE},
        )


#: Questions for the shipped sentences: language, sentence, the answer with {placeholders}.
QUESTIONS: list[tuple[str, str, str]] = [
    ("en", "what is the battery level of the Tesla Model 3", "The Tesla Model 3 battery is at 64 percent."),
    ("en", "how much battery does the Volkswagen ID.4 have left", "The Volkswagen ID.4 battery is at {vw_battery} percent."),
    ("en", "what is the range of the Tesla Model 3", "The Tesla Model 3 has {tesla_range} kilometers of range left."),
    ("en", "how far can the Tesla Model 3 go", "The Tesla Model 3 has {tesla_range} kilometers of range left."),
    ("en", "is the Tesla Model 3 charging", "No, the Tesla Model 3 is not charging."),
    ("en", "is the Volkswagen ID.4 still charging", "{vw_charging_en}"),
    ("en", "is the Tesla Model 3 plugged in", "Yes, the Tesla Model 3 is plugged in."),
    ("en", "what's the Tesla Model 3 charge limit", "The Tesla Model 3 charge limit is 85 percent."),
    ("en", "what is the charge limit of the Tesla Model 3", "The Tesla Model 3 charge limit is 85 percent."),
    ("en", "where is the Tesla Model 3", "The Tesla Model 3 is at home."),
    ("en", "where is the Volkswagen ID.4 parked", "The Volkswagen ID.4 is away, {vw_km} kilometers from home."),
    ("es", "¿Cuál es la batería del Tesla Model 3?", "La batería del Tesla Model 3 está al 64 por ciento."),
    ("es", "cuánta batería le queda al Volkswagen ID.4", "La batería del Volkswagen ID.4 está al {vw_battery} por ciento."),
    ("es", "¿Cuánta autonomía tiene el Tesla Model 3?", "Al Tesla Model 3 le quedan {tesla_range} kilómetros de autonomía."),
    ("es", "¿Está cargando el Tesla Model 3?", "No, el Tesla Model 3 no está cargando."),
    ("es", "¿Está enchufado el Tesla Model 3?", "Sí, el Tesla Model 3 está enchufado."),
    ("es", "¿Cuál es el límite de carga del Tesla Model 3?", "El límite de carga del Tesla Model 3 es del 85 por ciento."),
    ("es", "¿Dónde está el Tesla Model 3?", "El Tesla Model 3 está en casa."),
    ("es", "¿Dónde está el Volkswagen ID.4?", "El Volkswagen ID.4 está fuera, a {vw_km} kilómetros de casa."),
    ("fr", "quel est le niveau de batterie de la Tesla Model 3", "La batterie de Tesla Model 3 est à 64 pour cent."),
    ("fr", "quelle est l'autonomie de la Tesla Model 3", "Il reste {tesla_range} kilomètres d'autonomie à Tesla Model 3."),
    ("fr", "est-ce que la Tesla Model 3 est en charge", "Non, Tesla Model 3 n'est pas en charge."),
    ("fr", "la Tesla Model 3 est-elle branchée", "Oui, le câble de charge de Tesla Model 3 est branché."),
    ("fr", "quelle est la limite de charge de la Tesla Model 3", "La limite de charge de Tesla Model 3 est de 85 pour cent."),
    ("fr", "où est la Tesla Model 3", "Tesla Model 3 est à la maison."),
    ("fr", "où se trouve la Volkswagen ID.4", "Volkswagen ID.4 est à {vw_km} kilomètres de la maison."),
]  # fmt: skip

#: Home Assistant's own sentences, with Home Assistant in the same language: what the answer
#: must contain. Answers to yes/no questions are a plain yes.
BUILT_IN: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("what is the Tesla Model 3 battery", "64 %"),
        ("what is the Tesla Model 3 range", "{tesla_range} km"),
        ("is the Tesla Model 3 locked", "Yes"),
    ],
    "es": [
        ("cuál es el Tesla Model 3 Batería", "64 %"),
        ("cuál es la Tesla Model 3 Autonomía", "{tesla_range} km"),
        ("está el Tesla Model 3 cerrado", "Sí"),
    ],
    "fr": [
        ("quelle est la Tesla Model 3 Batterie", "64 %"),
        ("donne-moi la Tesla Model 3 Autonomie", "{tesla_range} km"),
        ("la Tesla Model 3 est-elle verrouillée", "Oui"),
    ],
}
#: The Tesla's battery sensor's name in each language, to know the new names are in place.
BATTERY_NAMES = {"en": "Tesla Model 3 Battery", "es": "Tesla Model 3 Batería", "fr": "Tesla Model 3 Batterie"}  # fmt: skip

CHARGING_ANSWERS = {
    "charging": "Yes, the Volkswagen ID.4 is charging.",
    "not_charging": "No, the Volkswagen ID.4 is not charging.",
    "fully_charged": "No, the Volkswagen ID.4 is fully charged.",
}


async def shown(stack: Stack) -> dict[str, Any]:
    """The values the answers must carry, as Home Assistant shows them now.

    The ID.4 keeps charging in the simulator, and a read requested by an earlier test may
    still arrive, so its values are taken right before each question.
    """

    async def value(entity_id: str) -> Any:
        return (await state(stack, entity_id))["state"]

    return {
        "tesla_range": round(float(await value("sensor.tesla_model_3_range"))),
        "vw_battery": round(float(await value("sensor.volkswagen_id_4_battery"))),
        "vw_charging_en": CHARGING_ANSWERS[await value("sensor.volkswagen_id_4_charging_state")],
        "vw_km": await render(
            stack, "{{ distance('device_tracker.volkswagen_id_4_location') | round(0) | int }}"
        ),
    }


@pytest.mark.usefixtures("cars_to_ask")
async def test_questions_in_three_languages(stack: Stack) -> None:
    """Each shipped sentence gets the answer with the values Home Assistant shows."""
    for language, sentence, expected in QUESTIONS:
        values = await shown(stack)
        response = await converse(stack, sentence, language)
        assert response["response_type"] == "query_answer", (sentence, response)
        assert speech(response) == expected.format(**values), sentence


@pytest.fixture
async def home_assistant_language(stack: Stack, entry: None) -> AsyncIterator[Any]:
    """Switch Home Assistant's language (names follow after reloading the entry); undo after."""
    (config_entry,) = await stack.api("GET", "config/config_entries/entry?domain=smartcar")

    async def switch(language: str) -> None:
        await stack.ws({"type": "config/core/update", "language": language})
        await stack.api("POST", f"config/config_entries/entry/{config_entry['entry_id']}/reload")
        await eventually(
            partial(state, stack, "sensor.tesla_model_3_battery"),
            lambda item: item["attributes"].get("friendly_name") == BATTERY_NAMES[language],
            what=f"names in {language}",
        )

    try:
        yield switch
    finally:
        await switch("en")


@pytest.mark.usefixtures("cars_to_ask")
async def test_built_in_questions(stack: Stack, home_assistant_language: Any) -> None:
    """Home Assistant's own sentences answer from the entities' names in its language."""
    for language, questions in BUILT_IN.items():
        await home_assistant_language(language)
        values = await shown(stack)
        for sentence, expected in questions:
            response = await converse(stack, sentence, language)
            assert response["response_type"] == "query_answer", (sentence, response)
            assert expected.format(**values) in speech(response), (sentence, response)
