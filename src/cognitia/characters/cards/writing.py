"""A character as a V3 JSON card, or as a PNG carrying both a V2 (`chara`) and a V3
(`ccv3`) card, so that older readers and V3 readers both find theirs."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from PIL import Image

from cognitia.characters.cards import png
from cognitia.characters.cards.books import book_to_card
from cognitia.characters.cards.character import card_from_character
from cognitia.models.character import Character
from cognitia.models.lorebook import Lorebook, LorebookEntry

Book = tuple[Lorebook, list[LorebookEntry]]
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}


def card(character: Character, book: Book | None, *, v3: bool = True) -> dict[str, Any]:
    character_book = book_to_card(*book, v3=v3) if book is not None else None
    return card_from_character(character, character_book, v3=v3)


def json_card(character: Character, book: Book | None) -> bytes:
    return json.dumps(card(character, book), ensure_ascii=False, indent=2).encode("utf-8")


def _chunk_text(value: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii")


def png_card(character: Character, book: Book | None, picture: bytes) -> bytes:
    """`picture` (any image Pillow reads; a PNG is kept byte for byte) with both cards."""
    texts = {
        "chara": _chunk_text(card(character, book, v3=False)),
        "ccv3": _chunk_text(card(character, book, v3=True)),
    }
    return png.with_text(picture if png.is_png(picture) else _as_png(picture), texts)


def _as_png(picture: bytes) -> bytes:
    """The first frame of a JPEG, WebP or GIF avatar as a PNG (CMYK and the like as RGBA)."""
    with Image.open(io.BytesIO(picture)) as image:
        frame = image if image.mode in PNG_MODES else image.convert("RGBA")
        out = io.BytesIO()
        frame.save(out, format="PNG")
        return out.getvalue()
