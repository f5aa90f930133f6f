"""Voice control of the charge limit: the ``SmartcarSetChargeLimit`` intent.

This module is Home Assistant's ``intent`` platform of the integration: it registers this
intent and the questions about a car (``questions.py``).

Home Assistant has no intent for number entities, so the integration registers its own. It is
reached in two ways: sentences the user copies into ``<config>/custom_sentences`` (ready-made
ones for English, Spanish and French are in ``docs/voice/custom_sentences``), and LLM-based
conversation agents through the Assist API.

The ``name`` slot names the car, matched as ``voice.py`` describes against every enabled
Smartcar charge limit. When the request comes from an assistant (Assist, or an LLM agent),
only charge limits exposed to that assistant count; a name that two cars answer to is refused
as ambiguous rather than guessed.

The limit is set through the ``number.set_value`` action, so the number entity's rules apply
(its 50-100 % range, the coordinator's command, the translated errors). A value outside the
vehicle's range is refused before anything is sent; every refusal and failure is an error
response with something to say, never an exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components.number.const import (
    ATTR_MAX,
    ATTR_MIN,
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, intent

from .questions import VehicleQuestionIntentHandler
from .voice import (
    Refusal,
    async_resolve,
    async_vehicle_candidates,
    async_vehicle_entities,
    primary_language,
)

if TYPE_CHECKING:
    # Home Assistant 2026.10 validates with probatio and aliases ``voluptuous`` to it at
    # start-up; 2026.3 still ships voluptuous. Type against the newer one, run either.
    import probatio as vol
else:
    import voluptuous as vol

INTENT_SET_CHARGE_LIMIT: Final = "SmartcarSetChargeLimit"

#: What the intent says, by language; other languages get English.
SPEECH: Final[dict[str, dict[str, str]]] = {
    "en": {
        "done": "The {name} charge limit is now {percentage} percent.",
        "out_of_range": (
            "The {name} charge limit can only be set from {min} to {max} percent, "
            "so nothing was changed."
        ),
        "unknown": "There is no Smartcar vehicle called {name}.",
        "not_exposed": "The {name} charge limit is not exposed to the voice assistant.",
        "ambiguous": (
            "More than one Smartcar vehicle is called {name}. Use a name that only one of them has."
        ),
        "unavailable": "The {name} is not available right now. Try again later.",
        "failed": "The {name} charge limit was not changed: {error}.",
    },
    "es": {
        "done": "El límite de carga del {name} es ahora del {percentage} por ciento.",
        "out_of_range": (
            "El límite de carga del {name} solo puede ir del {min} al {max} por ciento, "
            "así que no se ha cambiado nada."
        ),
        "unknown": "No hay ningún vehículo de Smartcar llamado {name}.",
        "not_exposed": "El límite de carga del {name} no está expuesto al asistente de voz.",
        "ambiguous": (
            "Hay más de un vehículo de Smartcar llamado {name}. "
            "Usa un nombre que solo tenga uno de ellos."
        ),
        "unavailable": "El {name} no está disponible en este momento. Inténtalo más tarde.",
        "failed": "No se ha cambiado el límite de carga del {name}: {error}.",
    },
    "fr": {
        "done": "La limite de charge de {name} est maintenant de {percentage} pour cent.",
        "out_of_range": (
            "La limite de charge de {name} ne peut aller que de {min} à {max} pour cent, "
            "donc rien n'a été modifié."
        ),
        "unknown": "Aucun véhicule Smartcar ne s'appelle {name}.",
        "not_exposed": "La limite de charge de {name} n'est pas exposée à l'assistant vocal.",
        "ambiguous": (
            "Plusieurs véhicules Smartcar s'appellent {name}. "
            "Utilisez un nom qu'un seul d'entre eux porte."
        ),
        "unavailable": "{name} n'est pas disponible pour le moment. Réessayez plus tard.",
        "failed": "La limite de charge de {name} n'a pas été modifiée : {error}.",
    },
}


_SLOT_SCHEMA: Final[dict[Any, Any]] = {
    vol.Required(
        "name", description="The car, by its name in Home Assistant, for example 'Volkswagen ID.4'"
    ): intent.non_empty_string,
    vol.Required("percentage", description="The new charge limit in percent, 50 to 100"): vol.All(
        vol.Coerce(int), vol.Range(min=0, max=100)
    ),
}


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the intents; Home Assistant calls this once the intent component is set up."""
    intent.async_register(hass, SetChargeLimitIntentHandler())
    intent.async_register(hass, VehicleQuestionIntentHandler())


@callback
def async_charge_limit_entries(hass: HomeAssistant) -> list[er.RegistryEntry]:
    """The enabled charge limit entities of every Smartcar vehicle."""
    return async_vehicle_entities(hass, NUMBER_DOMAIN, "charge_limit")


def _speech(language: str, key: str, **values: object) -> str:
    """The text for ``key`` in the request's language (``es-ES`` uses ``es``)."""
    return SPEECH.get(primary_language(language), SPEECH["en"])[key].format(**values)


def _number(value: float) -> str:
    """A range bound as spoken: 50, not 50.0."""
    return f"{value:g}"


class SetChargeLimitIntentHandler(intent.IntentHandler):
    """Set the charge limit of one Smartcar vehicle, named by the user."""

    intent_type = INTENT_SET_CHARGE_LIMIT
    description = (
        "Sets the charge limit of a car connected through Smartcar: the battery level, in "
        "percent, at which charging stops. Cars accept 50 to 100 percent."
    )

    def __init__(self) -> None:
        """Offer the intent to LLMs while a number entity is exposed (Home Assistant 2026.3)."""
        self.platforms = {NUMBER_DOMAIN}

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """The car's name and the new limit in percent."""
        return _SLOT_SCHEMA

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Find the car, check the value, and set the limit through the number entity."""
        hass = intent_obj.hass
        slots = self.async_validate_slots(intent_obj.slots)
        spoken_name: str = slots["name"]["value"].strip()
        percentage: int = slots["percentage"]["value"]
        language = intent_obj.language
        response = intent_obj.create_response()

        def refuse(code: intent.IntentResponseErrorCode, key: str, **values: object) -> None:
            response.async_set_error(code, _speech(language, key, **values))

        target = async_resolve(
            hass,
            async_vehicle_candidates(hass, NUMBER_DOMAIN, "charge_limit"),
            spoken_name,
            intent_obj.assistant,
        )
        if isinstance(target, Refusal):
            refuse(target.code, target.key, name=target.name)
            return response
        if target.state.state == STATE_UNAVAILABLE:
            refuse(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE, "unavailable", name=target.vehicle
            )
            return response
        low = target.state.attributes.get(ATTR_MIN, 50)
        high = target.state.attributes.get(ATTR_MAX, 100)
        if not low <= percentage <= high:
            refuse(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE,
                "out_of_range",
                name=target.vehicle,
                min=_number(low),
                max=_number(high),
            )
            return response

        try:
            await hass.services.async_call(
                NUMBER_DOMAIN,
                SERVICE_SET_VALUE,
                {ATTR_ENTITY_ID: target.entity_id, ATTR_VALUE: percentage},
                blocking=True,
                context=intent_obj.context,
            )
        except HomeAssistantError as err:
            refuse(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE,
                "failed",
                name=target.vehicle,
                error=str(err).rstrip(".") or type(err).__name__,
            )
            return response

        state = hass.states.get(target.entity_id) or target.state
        response.async_set_results(
            success_results=[
                intent.IntentResponseTarget(
                    type=intent.IntentResponseTargetType.ENTITY,
                    name=state.name,
                    id=target.entity_id,
                )
            ]
        )
        response.async_set_states(matched_states=[state])
        response.async_set_speech(
            _speech(language, "done", name=target.vehicle, percentage=percentage)
        )
        return response
