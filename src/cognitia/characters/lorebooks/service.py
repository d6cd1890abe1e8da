"""Lorebooks: a user's own, with their entries. Another user's book is not found (404)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters.cards.books import BookData
from cognitia.characters.errors import EntryNotFound, InvalidRegex, LorebookNotFound, MalformedCard
from cognitia.characters.lorebooks import repository
from cognitia.characters.lorebooks.schemas import (
    EntryCreate,
    EntryUpdate,
    LorebookCreate,
    LorebookUpdate,
)
from cognitia.errors import Unprocessable
from cognitia.models.lorebook import Lorebook, LorebookEntry
from cognitia.models.user import User

MAX_ENTRIES = 5000
BOOK_NAME_LENGTH = 200


async def create(session: AsyncSession, *, owner: User, data: LorebookCreate) -> Lorebook:
    book = Lorebook(owner_id=owner.id, **data.model_dump())
    await repository.add(session, book)
    return book


async def page(
    session: AsyncSession, *, owner: User, limit: int, offset: int
) -> tuple[list[Lorebook], int]:
    return await repository.page_for_owner(session, owner_id=owner.id, limit=limit, offset=offset)


async def get_owned(session: AsyncSession, *, owner: User, lorebook_id: str) -> Lorebook:
    """The caller's lorebook, or LorebookNotFound (also for anyone else's)."""
    book = await repository.get(session, lorebook_id)
    if book is None or book.owner_id != owner.id:
        raise LorebookNotFound()
    return book


async def get_detail(
    session: AsyncSession, *, owner: User, lorebook_id: str
) -> tuple[Lorebook, list[LorebookEntry]]:
    book = await get_owned(session, owner=owner, lorebook_id=lorebook_id)
    return book, await repository.entries(session, book.id)


async def get_with_entries(
    session: AsyncSession, *, lorebook_id: str
) -> tuple[Lorebook, list[LorebookEntry]] | None:
    """A book and its entries in creation order, whoever owns it (for exports and prompts)."""
    book = await repository.get(session, lorebook_id)
    if book is None:
        return None
    return book, await repository.entries(session, book.id)


async def update(
    session: AsyncSession, *, owner: User, lorebook_id: str, data: LorebookUpdate
) -> Lorebook:
    book = await get_owned(session, owner=owner, lorebook_id=lorebook_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(book, name, value)
    await session.flush()
    return book


async def delete(session: AsyncSession, *, owner: User, lorebook_id: str) -> None:
    book = await get_owned(session, owner=owner, lorebook_id=lorebook_id)
    await repository.delete_book(session, book)


async def list_entries(
    session: AsyncSession, *, owner: User, lorebook_id: str
) -> list[LorebookEntry]:
    book = await get_owned(session, owner=owner, lorebook_id=lorebook_id)
    return await repository.entries(session, book.id)


async def add_entry(
    session: AsyncSession, *, owner: User, lorebook_id: str, data: EntryCreate
) -> LorebookEntry:
    book = await get_owned(session, owner=owner, lorebook_id=lorebook_id)
    if await repository.count_entries(session, book.id) >= MAX_ENTRIES:
        raise Unprocessable(f"A lorebook may hold at most {MAX_ENTRIES} entries.")
    if data.use_regex:
        check_patterns([*data.keys, *data.secondary_keys])
    entry = LorebookEntry(lorebook_id=book.id, **data.model_dump())
    await repository.add_entry(session, entry)
    return entry


async def get_entry(
    session: AsyncSession, *, owner: User, lorebook_id: str, entry_id: str
) -> LorebookEntry:
    book = await get_owned(session, owner=owner, lorebook_id=lorebook_id)
    entry = await repository.get_entry(session, lorebook_id=book.id, entry_id=entry_id)
    if entry is None:
        raise EntryNotFound()
    return entry


async def update_entry(
    session: AsyncSession, *, owner: User, lorebook_id: str, entry_id: str, data: EntryUpdate
) -> LorebookEntry:
    entry = await get_entry(session, owner=owner, lorebook_id=lorebook_id, entry_id=entry_id)
    changes = data.model_dump(exclude_unset=True)
    touches_keys = changes.keys() & {"keys", "secondary_keys", "use_regex"}
    if touches_keys and changes.get("use_regex", entry.use_regex):
        keys = changes.get("keys", entry.keys)
        check_patterns([*keys, *changes.get("secondary_keys", entry.secondary_keys)])
    for name, value in changes.items():
        setattr(entry, name, value)
    await session.flush()
    return entry


async def delete_entry(
    session: AsyncSession, *, owner: User, lorebook_id: str, entry_id: str
) -> None:
    entry = await get_entry(session, owner=owner, lorebook_id=lorebook_id, entry_id=entry_id)
    await repository.delete_entry(session, entry)


def check_patterns(patterns: Iterable[str]) -> None:
    """InvalidRegex unless every pattern compiles (Python `re` syntax)."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError, ValueError) as exc:
            raise InvalidRegex(
                f"{pattern[:100]!r} is not a valid regular expression: {exc}"
            ) from None


def _validated(schema: type[BaseModel], values: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return schema.model_validate(values).model_dump()
    except ValidationError as exc:
        error = exc.errors()[0]
        place = ".".join(str(part) for part in error["loc"])
        raise MalformedCard(f"{where}{place}: {error['msg']}") from None


async def import_book(
    session: AsyncSession, *, owner: User, book: BookData, fallback_name: str
) -> Lorebook:
    """Store a lorebook read from a file (card or World Info), checked like one made here.

    Regex keys are stored as given, compiled or not: SillyTavern marks every key of an
    exported book as a regex, and refusing a real card for one odd key helps nobody.
    """
    if len(book.entries) > MAX_ENTRIES:
        raise MalformedCard(f"A lorebook may hold at most {MAX_ENTRIES} entries.")
    fields = dict(book.fields)
    fields["name"] = (fields.get("name") or "").strip()[:BOOK_NAME_LENGTH] or fallback_name
    row = Lorebook(owner_id=owner.id, **_validated(LorebookCreate, fields, "lorebook."))
    entries = [
        LorebookEntry(**_validated(EntryCreate, entry, f"lorebook.entries[{index}]."))
        for index, entry in enumerate(book.entries)
    ]
    await repository.add(session, row, entries)
    return row
