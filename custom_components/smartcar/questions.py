"""Spoken questions about a car: the ``SmartcarGetVehicleState`` intent.

Home Assistant's own ``HassGetState`` answers "what is the Tesla Model 3 battery" and "is the
Tesla Model 3 locked", because those entities carry the car's name. It cannot answer where a
car is (its sentences ask only about people), whether it is plugged in (binary sensors of the
plug class have no sentence), its charge limit (number entities have none), or questions that
name the car after the quantity ("what is the range of the Tesla Model 3"), and it speaks
states such as ``not_charging`` untranslated. This intent answers those, from the car's
entities, in the language of the request (English, Spanish or French; others get English).
The sentences that reach it ship in ``docs/voice/custom_sentences``.

The ``name`` slot is the car, matched as ``voice.py`` describes; the ``question`` slot says
what is asked. Through an assistant only exposed entities are read. "Where is <name>" is a
question Home Assistant asks about people too, and a custom sentence takes precedence over the
built-in one, so a name that is no car is looked up among people and device trackers and
answered the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components.sensor import async_rounded_state
from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_HOME,
    STATE_NOT_HOME,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfLength,
)
from homeassistant.helpers import intent
from homeassistant.util import location as location_util

from .voice import (
    Refusal,
    async_resolve,
    async_vehicle_candidates,
    async_vehicle_named,
    primary_language,
    without_article,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, State
    import probatio as vol
else:
    import voluptuous as vol

INTENT_VEHICLE_STATE: Final = "SmartcarGetVehicleState"

#: What can be asked, and which entity (domain, description key) answers it.
QUESTIONS: Final[dict[str, tuple[str, str]]] = {
    "battery": ("sensor", "battery_level"),
    "range": ("sensor", "battery_range"),
    "charging": ("sensor", "charging_state"),
    "plugged_in": ("binary_sensor", "plugged_in"),
    "charge_limit": ("number", "charge_limit"),
    "location": ("device_tracker", "location"),
}

#: What the intent says, by language; other languages get English.
SPEECH: Final[dict[str, dict[str, str]]] = {
    "en": {
        "battery": "The {name} battery is at {value} percent.",
        "range": "The {name} has {value} {unit} of range left.",
        "charging": "Yes, the {name} is charging.",
        "not_charging": "No, the {name} is not charging.",
        "fully_charged": "No, the {name} is fully charged.",
        "plugged_in": "Yes, the {name} is plugged in.",
        "unplugged": "No, the {name} is not plugged in.",
        "charge_limit": "The {name} charge limit is {value} percent.",
        "home": "The {name} is at home.",
        "zone": "The {name} is at {zone}.",
        "away": "The {name} is away, {value} {unit} from home.",
        "away_unknown": "The {name} is away from home.",
        "person_home": "{name} is at home.",
        "person_zone": "{name} is at {zone}.",
        "person_away": "{name} is away.",
        "person_unknown": "I do not know where {name} is.",
        "unknown": "There is no Smartcar vehicle called {name}.",
        "unknown_where": "I do not know a car or a person called {name}.",
        "not_reported": "The {name} does not report its {what}.",
        "not_exposed": "The {name} {what} is not exposed to the voice assistant.",
        "ambiguous": (
            "More than one Smartcar vehicle is called {name}. Use a name that only one of them has."
        ),
        "unavailable": "The {name} {what} is not known right now. Try again later.",
    },
    "es": {
        "battery": "La batería del {name} está al {value} por ciento.",
        "range": "Al {name} le quedan {value} {unit} de autonomía.",
        "charging": "Sí, el {name} está cargando.",
        "not_charging": "No, el {name} no está cargando.",
        "fully_charged": "No, el {name} ya tiene la carga completa.",
        "plugged_in": "Sí, el {name} está enchufado.",
        "unplugged": "No, el {name} no está enchufado.",
        "charge_limit": "El límite de carga del {name} es del {value} por ciento.",
        "home": "El {name} está en casa.",
        "zone": "El {name} está en {zone}.",
        "away": "El {name} está fuera, a {value} {unit} de casa.",
        "away_unknown": "El {name} está fuera de casa.",
        "person_home": "{name} está en casa.",
        "person_zone": "{name} está en {zone}.",
        "person_away": "{name} está fuera.",
        "person_unknown": "No sé dónde está {name}.",
        "unknown": "No hay ningún vehículo de Smartcar llamado {name}.",
        "unknown_where": "No conozco ningún coche ni ninguna persona con el nombre {name}.",
        "not_reported": "El {name} no informa de este dato ({what}).",
        "not_exposed": "Este dato del {name} ({what}) no está expuesto al asistente de voz.",
        "ambiguous": (
            "Hay más de un vehículo de Smartcar llamado {name}. "
            "Usa un nombre que solo tenga uno de ellos."
        ),
        "unavailable": "Ahora mismo no se conoce este dato del {name} ({what}). "
        "Inténtalo más tarde.",
    },
    "fr": {
        "battery": "La batterie de {name} est à {value} pour cent.",
        "range": "Il reste {value} {unit} d'autonomie à {name}.",
        "charging": "Oui, {name} est en charge.",
        "not_charging": "Non, {name} n'est pas en charge.",
        "fully_charged": "Non, la charge de {name} est terminée.",
        "plugged_in": "Oui, le câble de charge de {name} est branché.",
        "unplugged": "Non, le câble de charge de {name} n'est pas branché.",
        "charge_limit": "La limite de charge de {name} est de {value} pour cent.",
        "home": "{name} est à la maison.",
        "zone": "{name} est dans la zone {zone}.",
        "away": "{name} est à {value} {unit} de la maison.",
        "away_unknown": "{name} n'est pas à la maison.",
        "person_home": "{name} est à la maison.",
        "person_zone": "{name} est dans la zone {zone}.",
        "person_away": "{name} n'est pas à la maison.",
        "person_unknown": "Je ne sais pas où se trouve {name}.",
        "unknown": "Aucun véhicule Smartcar ne s'appelle {name}.",
        "unknown_where": "Je ne connais aucune voiture ni personne du nom de {name}.",
        "not_reported": "{name} ne fournit pas cette information ({what}).",
        "not_exposed": (
            "Cette information de {name} ({what}) n'est pas exposée à l'assistant vocal."
        ),
        "ambiguous": (
            "Plusieurs véhicules Smartcar s'appellent {name}. "
            "Utilisez un nom qu'un seul d'entre eux porte."
        ),
        "unavailable": "Cette information de {name} ({what}) n'est pas connue pour le moment. "
        "Réessayez plus tard.",
    },
}

#: What each question is about, as said in refusals.
WHAT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "battery": "battery level",
        "range": "range",
        "charging": "charging state",
        "plugged_in": "charging cable",
        "charge_limit": "charge limit",
        "location": "location",
    },
    "es": {
        "battery": "nivel de batería",
        "range": "autonomía",
        "charging": "estado de carga",
        "plugged_in": "cable de carga",
        "charge_limit": "límite de carga",
        "location": "ubicación",
    },
    "fr": {
        "battery": "niveau de batterie",
        "range": "autonomie",
        "charging": "état de charge",
        "plugged_in": "câble de charge",
        "charge_limit": "limite de charge",
        "location": "position",
    },
}

#: Distance units as spoken.
UNITS: Final[dict[str, dict[str, str]]] = {
    "en": {UnitOfLength.KILOMETERS: "kilometers", UnitOfLength.MILES: "miles"},
    "es": {UnitOfLength.KILOMETERS: "kilómetros", UnitOfLength.MILES: "millas"},
    "fr": {UnitOfLength.KILOMETERS: "kilomètres", UnitOfLength.MILES: "miles"},
}

_SLOT_SCHEMA: Final[dict[Any, Any]] = {
    vol.Required(
        "name", description="The car, by its name in Home Assistant, for example 'Volkswagen ID.4'"
    ): intent.non_empty_string,
    vol.Required("question", description="What is asked about the car"): vol.In(list(QUESTIONS)),
}


def _language(language: str) -> str:
    primary = primary_language(language)
    return primary if primary in SPEECH else "en"


def _number(value: float, language: str) -> str:
    """A number as spoken: whole numbers without decimals, a decimal comma in es and fr."""
    text = f"{round(value)}" if value >= 10 or value == round(value) else f"{value:.1f}"
    return text.replace(".", ",") if language in ("es", "fr") else text


def _unit(unit: str | None, language: str) -> str:
    return UNITS[language].get(unit or "", unit or "")


class VehicleQuestionIntentHandler(intent.IntentHandler):
    """Answer a question about one Smartcar vehicle from its entities."""

    intent_type = INTENT_VEHICLE_STATE
    description = (
        "Answers a question about a car connected through Smartcar: its battery level, its "
        "range, whether it is charging or plugged in, its charge limit, or where it is."
    )

    def __init__(self) -> None:
        """Offer the intent to LLMs only while an entity it reads is exposed (2026.3)."""
        self.platforms = {domain for domain, _key in QUESTIONS.values()}

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """The car's name and what is asked."""
        return _SLOT_SCHEMA

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Find the car's entity for the question and say what it shows."""
        hass = intent_obj.hass
        slots = self.async_validate_slots(intent_obj.slots)
        spoken_name: str = slots["name"]["value"].strip()
        question: str = slots["question"]["value"]
        language = _language(intent_obj.language)
        speech = SPEECH[language]
        what = WHAT[language][question]
        response = intent_obj.create_response()
        domain, key = QUESTIONS[question]

        target = async_resolve(
            hass, async_vehicle_candidates(hass, domain, key), spoken_name, intent_obj.assistant
        )
        if isinstance(target, Refusal):
            if target.key == "unknown" and question == "location":
                if (
                    other := _person_or_tracker(hass, spoken_name, intent_obj.assistant)
                ) is not None:
                    return _answer(response, other, _where_person(other, speech))
                target = Refusal(target.code, "unknown_where", target.name)
            elif target.key == "unknown" and (car := async_vehicle_named(hass, spoken_name)):
                target = Refusal(target.code, "not_reported", car)
            response.async_set_error(
                target.code, speech[target.key].format(name=target.name, what=what)
            )
            return response

        state = hass.states.get(target.entity_id) or target.state
        if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            response.async_set_error(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE,
                speech["unavailable"].format(name=target.vehicle, what=what),
            )
            return response
        text = _say(hass, question, state, target.vehicle, language)
        return _answer(response, state, text)


def _answer(response: intent.IntentResponse, state: State, text: str) -> intent.IntentResponse:
    """A query answer about ``state`` that says ``text``."""
    response.response_type = intent.IntentResponseType.QUERY_ANSWER
    response.async_set_results(
        success_results=[
            intent.IntentResponseTarget(
                type=intent.IntentResponseTargetType.ENTITY, name=state.name, id=state.entity_id
            )
        ]
    )
    response.async_set_states(matched_states=[state])
    response.async_set_speech(text)
    return response


def _say(hass: HomeAssistant, question: str, state: State, name: str, language: str) -> str:
    """The answer to ``question`` from the state of the entity that answers it."""
    speech = SPEECH[language]
    if question in ("battery", "range"):
        value = _number(float(async_rounded_state(hass, state.entity_id, state)), language)
        unit = _unit(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), language)
        return speech[question].format(name=name, value=value, unit=unit)
    if question == "charging":
        # The charging state sensor's options: charging, not_charging, fully_charged.
        return speech[state.state if state.state in speech else "not_charging"].format(name=name)
    if question == "plugged_in":
        return speech["plugged_in" if state.state == STATE_ON else "unplugged"].format(name=name)
    if question == "charge_limit":
        return speech["charge_limit"].format(name=name, value=_number(float(state.state), language))
    return _where_car(hass, state, name, language)


def _where_car(hass: HomeAssistant, state: State, name: str, language: str) -> str:
    """Where a car is: at home, in a zone, or away and how far from home."""
    speech = SPEECH[language]
    if state.state == STATE_HOME:
        return speech["home"].format(name=name)
    if state.state != STATE_NOT_HOME:
        return speech["zone"].format(name=name, zone=state.state)
    latitude = state.attributes.get(ATTR_LATITUDE)
    longitude = state.attributes.get(ATTR_LONGITUDE)
    if latitude is None or longitude is None:
        return speech["away_unknown"].format(name=name)
    meters = location_util.distance(
        hass.config.latitude, hass.config.longitude, latitude, longitude
    )
    distance = hass.config.units.length(meters, UnitOfLength.METERS)
    return speech["away"].format(
        name=name,
        value=_number(distance, language),
        unit=_unit(hass.config.units.length_unit, language),
    )


def _where_person(state: State, speech: dict[str, str]) -> str:
    """Where a person (or another device tracker) is, as Home Assistant would say it."""
    if state.state == STATE_HOME:
        return speech["person_home"].format(name=state.name)
    if state.state == STATE_NOT_HOME:
        return speech["person_away"].format(name=state.name)
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return speech["person_unknown"].format(name=state.name)
    return speech["person_zone"].format(name=state.name, zone=state.state)


def _person_or_tracker(
    hass: HomeAssistant, spoken_name: str, assistant: str | None
) -> State | None:
    """The one person or device tracker called ``spoken_name`` (exposed, through Assist)."""
    for name in (spoken_name, without_article(spoken_name)):
        result = intent.async_match_targets(
            hass,
            intent.MatchTargetsConstraints(
                name=name, domains={"person", "device_tracker"}, assistant=assistant
            ),
        )
        if result.is_match and len(result.states) == 1:
            return result.states[0]
    return None
