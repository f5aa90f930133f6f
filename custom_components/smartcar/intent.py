"""Voice control of the charge limit: the ``SmartcarSetChargeLimit`` intent.

Home Assistant has no intent for number entities, so the integration registers its own. It is
reached in two ways: sentences the user copies into ``<config>/custom_sentences`` (ready-made
ones for English, Spanish and French are in ``docs/voice/custom_sentences``), and LLM-based
conversation agents through the Assist API.

The ``name`` slot names the car. It is compared with every enabled Smartcar charge limit's
device name (as renamed by the user, and as the integration named it), its entity name and
friendly name, the entity's aliases, and its entity ID (which LLMs sometimes pass). The
comparison ignores case, accents, spaces and punctuation ("volkswagen id 4" is "Volkswagen
ID.4"); a name that matches nothing is tried once more without a leading article ("the", "el",
"la", "le", ...). When the request comes from an assistant (Assist, or an LLM agent), only
charge limits exposed to that assistant count, as for Home Assistant's own intents; a name
that only an unexposed one has is refused as such. A name that two cars answer to is refused
as ambiguous rather than guessed.

The limit is set through the ``number.set_value`` action, so the number entity's rules apply
(its 50-100 % range, the coordinator's command, the translated errors). A value outside the
vehicle's range is refused before anything is sent; every refusal and failure is an error
response with something to say, never an exception.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, override
import unicodedata

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.components.number.const import (
    ATTR_MAX,
    ATTR_MIN,
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er, intent

from .const import DOMAIN

if TYPE_CHECKING:
    # Home Assistant 2026.10 validates with probatio and aliases ``voluptuous`` to it at
    # start-up; 2026.3 still ships voluptuous. Type against the newer one, run either.
    import probatio as vol
else:
    import voluptuous as vol

INTENT_SET_CHARGE_LIMIT: Final = "SmartcarSetChargeLimit"

#: The unique ID of a charge limit ends with the number description's key.
_CHARGE_LIMIT_SUFFIX: Final = "-charge_limit"

#: Definite articles a sentence may leave in front of the car's name.
_LEADING_ARTICLE: Final = re.compile(
    r"^\s*(?:the|el|la|los|las|le|les|l['\u2019])\s*", re.IGNORECASE
)

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
    """Register the intent; Home Assistant calls this once the intent component is set up."""
    intent.async_register(hass, SetChargeLimitIntentHandler())


@callback
def async_charge_limit_entries(hass: HomeAssistant) -> list[er.RegistryEntry]:
    """The enabled charge limit entities of every Smartcar vehicle."""
    return [
        entry
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN
        and entry.domain == NUMBER_DOMAIN
        and entry.unique_id.endswith(_CHARGE_LIMIT_SUFFIX)
        and entry.disabled_by is None
    ]


def _normalize(name: str) -> str:
    """Compare names without case, accents, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(character for character in decomposed if character.isalnum())


def _speech(language: str, key: str, **values: object) -> str:
    """The text for ``key`` in the request's language (``es-ES`` uses ``es``)."""
    primary = re.split(r"[-_]", language, maxsplit=1)[0].lower()
    return SPEECH.get(primary, SPEECH["en"])[key].format(**values)


def _number(value: float) -> str:
    """A range bound as spoken: 50, not 50.0."""
    return f"{value:g}"


class _Candidate:
    """A charge limit entity with the names it answers to."""

    def __init__(self, hass: HomeAssistant, entry: er.RegistryEntry, state: State) -> None:
        device = dr.async_get(hass).async_get(entry.device_id) if entry.device_id else None
        self.entity_id = entry.entity_id
        self.state = state
        #: The car as spoken in answers: the device's name, or the entity's.
        self.vehicle = (device.name_by_user or device.name) if device else None
        self.vehicle = self.vehicle or state.name
        names: list[object] = [entry.entity_id, state.name, entry.name, *entry.aliases]
        if device:
            names += [device.name_by_user, device.name]
        self.names = {
            _normalize(name) for name in names if isinstance(name, str) and _normalize(name)
        }


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

        candidates = self._candidates(hass)
        matches = _match(candidates, spoken_name)
        if intent_obj.assistant:
            exposed = [
                candidate
                for candidate in matches
                if async_should_expose(hass, intent_obj.assistant, candidate.entity_id)
            ]
            if matches and not exposed:
                refuse(
                    intent.IntentResponseErrorCode.NO_VALID_TARGETS,
                    "not_exposed",
                    name=matches[0].vehicle,
                )
                return response
            matches = exposed
        if not matches:
            refuse(intent.IntentResponseErrorCode.NO_VALID_TARGETS, "unknown", name=spoken_name)
            return response
        if len(matches) > 1:
            refuse(intent.IntentResponseErrorCode.NO_VALID_TARGETS, "ambiguous", name=spoken_name)
            return response

        (target,) = matches
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

    @staticmethod
    def _candidates(hass: HomeAssistant) -> list[_Candidate]:
        """Every charge limit that has a state, with its names."""
        return [
            _Candidate(hass, entry, state)
            for entry in async_charge_limit_entries(hass)
            if (state := hass.states.get(entry.entity_id)) is not None
        ]


def _match(candidates: list[_Candidate], spoken_name: str) -> list[_Candidate]:
    """The candidates called ``spoken_name``, trying it again without a leading article."""
    for name in (spoken_name, _LEADING_ARTICLE.sub("", spoken_name, count=1)):
        wanted = _normalize(name)
        if matches := [candidate for candidate in candidates if wanted in candidate.names]:
            return matches
    return []
