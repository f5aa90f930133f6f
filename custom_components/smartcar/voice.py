"""How a car named in a spoken request is found among the Smartcar entities.

Both voice intents (setting the charge limit, and the questions about a car) take the car as
free text, so they share one way of matching it: an entity of the wanted kind answers to its
device's name (as renamed by the user, and as the integration named it), its own name and
friendly name, its aliases and its entity ID. Case, accents, spaces and punctuation are
ignored ("volkswagen id 4" is "Volkswagen ID.4"), and a name that matches nothing is tried
again without a leading article ("the", "el", "la", "le", ...).
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, Final
import unicodedata

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er, intent

from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Definite articles a sentence may leave in front of the car's name.
_LEADING_ARTICLE: Final = re.compile(
    r"^\s*(?:the|el|la|los|las|le|les|l['\u2019])\s*", re.IGNORECASE
)


@callback
def async_vehicle_entities(hass: HomeAssistant, domain: str, key: str) -> list[er.RegistryEntry]:
    """The enabled Smartcar entities of one kind (a description ``key`` in ``domain``).

    The unique ID of every Smartcar entity is ``<vehicle id>-<description key>``.
    """
    suffix = f"-{key}"
    return [
        entry
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN
        and entry.domain == domain
        and entry.unique_id.endswith(suffix)
        and entry.disabled_by is None
    ]


def normalize(name: str) -> str:
    """Compare names without case, accents, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(character for character in decomposed if character.isalnum())


def primary_language(language: str) -> str:
    """The language without its region: ``es-ES`` and ``es_MX`` are ``es``."""
    return re.split(r"[-_]", language, maxsplit=1)[0].lower()


def without_article(name: str) -> str:
    """The name without a leading definite article."""
    return _LEADING_ARTICLE.sub("", name, count=1)


class VehicleEntity:
    """An entity of one car, with the names the car answers to."""

    def __init__(self, hass: HomeAssistant, entry: er.RegistryEntry, state: State) -> None:
        """Collect the device's and the entity's names."""
        device = dr.async_get(hass).async_get(entry.device_id) if entry.device_id else None
        self.entity_id = entry.entity_id
        self.state = state
        #: The car as spoken in answers: the device's name, or the entity's.
        self.vehicle: str = ((device.name_by_user or device.name) if device else None) or (
            state.name
        )
        names: list[object] = [entry.entity_id, state.name, entry.name, *entry.aliases]
        if device:
            names += [device.name_by_user, device.name]
        self.names = {
            normalize(name) for name in names if isinstance(name, str) and normalize(name)
        }


@callback
def async_vehicle_candidates(hass: HomeAssistant, domain: str, key: str) -> list[VehicleEntity]:
    """Every entity of one kind that has a state, with its names."""
    return [
        VehicleEntity(hass, entry, state)
        for entry in async_vehicle_entities(hass, domain, key)
        if (state := hass.states.get(entry.entity_id)) is not None
    ]


def match(candidates: Iterable[VehicleEntity], spoken_name: str) -> list[VehicleEntity]:
    """The candidates called ``spoken_name``, trying it again without a leading article."""
    candidates = list(candidates)
    for name in (spoken_name, without_article(spoken_name)):
        wanted = normalize(name)
        if matches := [candidate for candidate in candidates if wanted in candidate.names]:
            return matches
    return []


@callback
def async_vehicle_named(hass: HomeAssistant, spoken_name: str) -> str | None:
    """The name of a Smartcar car called ``spoken_name``, whatever entities it has."""
    registry = dr.async_get(hass)
    devices = [
        device
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
    ]
    for name in (spoken_name, without_article(spoken_name)):
        wanted = normalize(name)
        for device in devices:
            spoken: str | None = device.name_by_user or device.name
            names = {normalize(item) for item in (device.name_by_user, device.name) if item}
            if spoken and wanted in names:
                return spoken
    return None


@dataclass(frozen=True)
class Refusal:
    """Why no single car was found: an error code and the key of what to say."""

    code: intent.IntentResponseErrorCode
    #: ``unknown`` (no such car), ``not_exposed`` or ``ambiguous``.
    key: str
    #: The car as spoken in the answer.
    name: str


@callback
def async_resolve(
    hass: HomeAssistant,
    candidates: Iterable[VehicleEntity],
    spoken_name: str,
    assistant: str | None,
) -> VehicleEntity | Refusal:
    """The one candidate called ``spoken_name``, or why there is none.

    Through an assistant only entities exposed to it count, as for Home Assistant's own
    intents; a name that only unexposed entities have is refused as such. A name that several
    cars answer to is refused rather than guessed.
    """
    matches = match(candidates, spoken_name)
    if assistant:
        exposed = [
            candidate
            for candidate in matches
            if async_should_expose(hass, assistant, candidate.entity_id)
        ]
        if matches and not exposed:
            return Refusal(
                intent.IntentResponseErrorCode.NO_VALID_TARGETS, "not_exposed", matches[0].vehicle
            )
        matches = exposed
    if not matches:
        return Refusal(intent.IntentResponseErrorCode.NO_VALID_TARGETS, "unknown", spoken_name)
    if len(matches) > 1:
        return Refusal(intent.IntentResponseErrorCode.NO_VALID_TARGETS, "ambiguous", spoken_name)
    return matches[0]
