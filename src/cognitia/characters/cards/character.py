"""Character Card V1, V2 and V3 <-> character columns.

- The card's fields map onto columns (`first_mes` -> first_message, `mes_example` ->
  example_dialogue ...); `character_book` becomes a lorebook (books.py).
- Settings a card has no field for (prompt template, voice, model, sampling) travel in
  `data.extensions.cognitia`, written only when they differ from the defaults.
- Talkativeness is SillyTavern's `data.extensions.talkativeness` (text such as "0.5").
- Whatever else the card holds is kept in `card_extra`: `card` for fields beside `data`
  (SillyTavern's V1 duplicates, `avatar`, `chat`, `create_date`...), `data` for unknown
  fields inside it (V3's `assets`, `nickname`, `source`...). An export writes them back;
  the V1 duplicates are refreshed from the current values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cognitia.characters.cards import values
from cognitia.characters.cards.books import BookData, book_from_card
from cognitia.characters.errors import MalformedCard
from cognitia.models.character import Character

SPEC_V2 = "chara_card_v2"
SPEC_V3 = "chara_card_v3"
TEXT_FIELDS = {
    "name": "name",
    "description": "description",
    "personality": "personality",
    "scenario": "scenario",
    "first_mes": "first_message",
    "mes_example": "example_dialogue",
    "creator_notes": "creator_notes",
    "system_prompt": "system_prompt",
    "post_history_instructions": "post_history_instructions",
    "creator": "creator",
    "character_version": "character_version",
}
LIST_FIELDS = {
    "alternate_greetings": "alternate_greetings",
    "group_only_greetings": "group_only_greetings",
    "tags": "tags",
}
DATA_KEYS = {*TEXT_FIELDS, *LIST_FIELDS, "extensions", "character_book"}
V1_FIELDS = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
# SillyTavern repeats these beside `data`; an export refreshes the ones the card had.
MIRRORS = {
    **{key: TEXT_FIELDS[key] for key in V1_FIELDS},
    "creatorcomment": "creator_notes",
    "tags": "tags",
}
OWN_EXTENSION = "cognitia"
OWN_SETTINGS: dict[str, Any] = {
    "prompt_template": "chat",
    "voice_model": None,
    "voice_settings": {},
    "model": None,
    "temperature": None,
    "top_p": None,
    "max_tokens": None,
}
DEFAULT_TALKATIVENESS = 0.5


@dataclass
class CardData:
    """Character columns as read from a card, and its embedded lorebook."""

    fields: dict[str, Any]
    book: BookData | None = None


def character_from_card(card: Any) -> CardData:
    if not isinstance(card, dict):
        raise MalformedCard("A card is a JSON object.")
    data, top, where = _split(card)
    name = values.text(data, "name", where)
    if not name.strip():
        raise MalformedCard("The card has no name.")
    fields: dict[str, Any] = {
        col: values.text(data, key, where) for key, col in TEXT_FIELDS.items()
    }
    fields.update({col: values.strings(data, key, where) for key, col in LIST_FIELDS.items()})
    extensions = values.mapping(data, "extensions", where)
    fields.update(_own_settings(extensions))
    kept = extensions.get("talkativeness", top.get("talkativeness"))
    fields["talkativeness"] = _talkativeness(kept)
    fields["extensions"] = extensions
    extra: dict[str, Any] = {}
    if top:
        extra["card"] = top
    unknown = {key: value for key, value in data.items() if key not in DATA_KEYS}
    if unknown:
        extra["data"] = unknown
    fields["card_extra"] = extra
    book = data.get("character_book")
    return CardData(fields, book_from_card(book) if book is not None else None)


def _split(card: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The card's data, the fields beside it, and how errors name the data."""
    spec = card.get("spec")
    if spec in (SPEC_V2, SPEC_V3):
        data = card.get("data")
        if not isinstance(data, dict):
            raise MalformedCard("The card has no `data` object.")
        top = {k: v for k, v in card.items() if k not in ("spec", "spec_version", "data")}
        return data, top, "data"
    if spec is not None:
        raise MalformedCard(f"Unknown card spec {str(spec)[:50]!r}.")
    # V1: the fields sit at the top, SillyTavern adds a few of its own beside them; all
    # are kept there (the V1 fields are refreshed on export, as mirrors).
    data = {key: card[key] for key in V1_FIELDS if key in card}
    if "creatorcomment" in card:
        data["creator_notes"] = card["creatorcomment"]
    if "tags" in card:
        data["tags"] = card["tags"]
    return data, dict(card), "card"


def _own_settings(extensions: dict[str, Any]) -> dict[str, Any]:
    """Take our settings out of `extensions.cognitia`; anything else in it stays."""
    own = extensions.pop(OWN_EXTENSION, None)
    if not isinstance(own, dict):
        if own is not None:
            extensions[OWN_EXTENSION] = own
        return {}
    rest = {key: value for key, value in own.items() if key not in OWN_SETTINGS}
    if rest:
        extensions[OWN_EXTENSION] = rest
    return {key: own[key] for key in OWN_SETTINGS if key in own}


def _talkativeness(value: Any) -> float:
    number = values.number(value)
    return number if number is not None and 0 <= number <= 1 else DEFAULT_TALKATIVENESS


def _talkativeness_as_written(kept: Any, current: float) -> Any:
    """The value a card had, if it still says the same; else SillyTavern's text form."""
    number = values.number(kept)
    if number == current or (number is None and current == DEFAULT_TALKATIVENESS):
        return kept
    if isinstance(kept, int | float) and not isinstance(kept, bool):
        return current
    return str(current)


def card_from_character(
    character: Character, book: dict[str, Any] | None, *, v3: bool
) -> dict[str, Any]:
    """The character as a V2 or V3 card; `book` is its `character_book`, if any."""
    extra = character.card_extra if isinstance(character.card_extra, dict) else {}
    unknown = extra.get("data")
    data: dict[str, Any] = dict(unknown) if isinstance(unknown, dict) else {}
    data.update({key: getattr(character, col) for key, col in TEXT_FIELDS.items()})
    data["alternate_greetings"] = list(character.alternate_greetings)
    data["tags"] = list(character.tags)
    if v3 or character.group_only_greetings:
        data["group_only_greetings"] = list(character.group_only_greetings)
    data["extensions"] = _extensions(character)
    if book is not None:
        data["character_book"] = book
    top = _top(extra.get("card"), character)
    spec, version = (SPEC_V3, "3.0") if v3 else (SPEC_V2, "2.0")
    return {**top, "spec": spec, "spec_version": version, "data": data}


def _extensions(character: Character) -> dict[str, Any]:
    extensions = dict(character.extensions)
    own = {
        key: getattr(character, key)
        for key, default in OWN_SETTINGS.items()
        if getattr(character, key) != default
    }
    if own:
        kept = extensions.get(OWN_EXTENSION)
        extensions[OWN_EXTENSION] = {**(kept if isinstance(kept, dict) else {}), **own}
    current = character.talkativeness
    if "talkativeness" in extensions or current != DEFAULT_TALKATIVENESS:
        kept_value = extensions.get("talkativeness")
        extensions["talkativeness"] = _talkativeness_as_written(kept_value, current)
    return extensions


def _top(kept: Any, character: Character) -> dict[str, Any]:
    top: dict[str, Any] = dict(kept) if isinstance(kept, dict) else {}
    for key, column in MIRRORS.items():
        if key in top:
            value = getattr(character, column)
            top[key] = list(value) if isinstance(value, list) else value
    if "talkativeness" in top:
        top["talkativeness"] = _talkativeness_as_written(
            top["talkativeness"], character.talkativeness
        )
    return top
