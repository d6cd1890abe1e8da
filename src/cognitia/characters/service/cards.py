"""Character Card import (PNG, JSON, CHARX, World Info) and export (PNG with both
cards, or V3 JSON). Parsing and writing are pure and run in a thread (cards/)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters import images
from cognitia.characters.cards import reading, writing
from cognitia.characters.errors import MalformedCard
from cognitia.characters.lorebooks import service as lorebooks
from cognitia.characters.schemas import CharacterCreate
from cognitia.characters.service.avatars import read_avatar, store_avatar
from cognitia.characters.service.characters import create, get_visible, model_exists
from cognitia.llm.registry import ModelRegistry
from cognitia.models.character import Character
from cognitia.models.lorebook import Lorebook
from cognitia.models.user import User
from cognitia.storage.ports import BlobStore


@dataclass
class ImportOutcome:
    kind: Literal["character", "lorebook"]
    character: Character | None = None
    lorebook: Lorebook | None = None


@dataclass
class ExportedCard:
    content: bytes
    media_type: str
    filename: str


async def import_file(  # noqa: PLR0913 - the two ports it writes through, then the upload
    session: AsyncSession,
    models: ModelRegistry,
    blobs: BlobStore,
    *,
    owner: User,
    filename: str,
    data: bytes,
) -> ImportOutcome:
    """A character (with its picture and lorebook) or, from World Info, a lorebook."""
    imported = await asyncio.to_thread(reading.read_file, data, filename=filename)
    if imported.card is None:
        assert imported.book is not None
        book = await lorebooks.import_book(
            session, owner=owner, book=imported.book, fallback_name=reading.book_name(filename)
        )
        return ImportOutcome("lorebook", lorebook=book)
    image = None
    if imported.image is not None:
        image = await asyncio.to_thread(
            images.check_image, imported.image, max_bytes=reading.MAX_IMPORT_BYTES
        )
    fields = _checked(imported.card.fields)
    # A model another server knows and this one does not is left unset, not refused.
    if fields.model is not None and not model_exists(models, fields.model):
        fields.model = None
    if imported.card.book is not None:
        book = await lorebooks.import_book(
            session, owner=owner, book=imported.card.book, fallback_name=fields.name
        )
        fields.lorebook_id = book.id
    character = await create(session, models, owner=owner, data=fields)
    if image is not None:
        await store_avatar(session, blobs, character=character, image=image)
    return ImportOutcome("character", character=character)


def _checked(fields: dict[str, object]) -> CharacterCreate:
    """The card's fields, held to the same limits as a character made here."""
    try:
        return CharacterCreate.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        place = ".".join(str(part) for part in error["loc"])
        raise MalformedCard(f"{place}: {error['msg']}") from None


async def export_card(
    session: AsyncSession,
    blobs: BlobStore,
    *,
    user: User,
    character_id: str,
    fmt: Literal["png", "json"],
) -> ExportedCard:
    """A character the caller can see, as a V3 JSON card or a PNG with V2 and V3 cards;
    with its lorebook for the owner, and for others when the owner shares it."""
    character = await get_visible(session, user=user, character_id=character_id)
    book = None
    shared = character.owner_id == user.id or character.share_lorebook
    if character.lorebook_id is not None and shared:
        book = await lorebooks.get_with_entries(session, lorebook_id=character.lorebook_id)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", character.name).strip("._")[:80] or "character"
    if fmt == "json":
        return ExportedCard(writing.json_card(character, book), "application/json", f"{stem}.json")
    picture = await read_avatar(blobs, character)
    if picture is None:
        picture = await asyncio.to_thread(images.placeholder_png, character.name)
    content = await asyncio.to_thread(writing.png_card, character, book, picture)
    return ExportedCard(content, "image/png", f"{stem}.png")
