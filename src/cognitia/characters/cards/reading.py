"""An uploaded file -> a character card (with its picture and lorebook) or a lorebook.

Recognised by content, not by name: a PNG (card in `ccv3` or `chara` text chunks, ccv3
preferred), a ZIP (CHARX), or JSON (a V1/V2/V3 card, a V3 `lorebook_v3`, or
SillyTavern's World Info).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from cognitia.characters.cards import charx, png
from cognitia.characters.cards.books import BookData, book_from_card, book_from_world_info
from cognitia.characters.cards.character import CardData, character_from_card
from cognitia.characters.errors import (
    FileTooLarge,
    MalformedCard,
    NoCardInImage,
    NotAnImage,
    UnsupportedFile,
)
from cognitia.characters.fields import check_json

MAX_IMPORT_BYTES = 20 * 1024 * 1024
CARD_CHUNKS = {"chara", "ccv3"}


@dataclass
class Imported:
    """What a file held: a character card, or a standalone lorebook."""

    card: CardData | None = None
    book: BookData | None = None
    image: bytes | None = None  # a PNG card's picture (card chunks removed), a CHARX icon


def read_file(data: bytes, *, filename: str = "") -> Imported:
    if len(data) > MAX_IMPORT_BYTES:
        raise FileTooLarge(f"A card file may be at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    if png.is_png(data):
        return _from_png(data)
    if data.startswith(charx.ZIP_SIGNATURE):
        card, image = charx.read(data, parse=parse_json)
        return Imported(card=character_from_card(card), image=image)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return from_json(parse_json(data), name=book_name(filename))
    raise UnsupportedFile()


def book_name(filename: str) -> str:
    """A lorebook's name from its file's name: the stem, printable characters only."""
    stem = "".join(c for c in PurePath(filename).stem if c.isprintable()).strip()
    return stem[:200] or "Lorebook"


def _from_png(data: bytes) -> Imported:
    try:
        texts = png.read_text(data, CARD_CHUNKS)
        image = png.without_text(data, CARD_CHUNKS)
    except png.PngError as exc:
        raise NotAnImage(f"The PNG file is damaged: {exc}.") from None
    chunk = texts.get("ccv3") or texts.get("chara")
    if not chunk:
        raise NoCardInImage()
    try:
        raw = base64.b64decode("".join(chunk.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCard("The card in the image is not valid base64.") from None
    return Imported(card=character_from_card(parse_json(raw)), image=image)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """JSON that both databases can store, or MalformedCard."""
    try:
        value = json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)
        check_json(value)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedCard(f"The card is not valid JSON: {str(exc)[:200]}") from None
    return value


def from_json(value: Any, *, name: str) -> Imported:
    if isinstance(value, dict) and value.get("spec") == "lorebook_v3":
        return Imported(book=book_from_card(value.get("data"), "data"))
    if _is_lorebook(value):
        assert isinstance(value, dict)
        entries = value["entries"]
        if isinstance(entries, list) and all(isinstance(e, dict) and "keys" in e for e in entries):
            book = book_from_card(value, "book")  # a bare V2 `character_book`
            if not book.fields["name"]:
                book.fields["name"] = name
            return Imported(book=book)
        return Imported(book=book_from_world_info(value, name=name))
    return Imported(card=character_from_card(value))


def _is_lorebook(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "entries" in value
        and not any(key in value for key in ("spec", "data", "first_mes"))
    )
