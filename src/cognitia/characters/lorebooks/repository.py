"""SQL for lorebooks and their entries."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.lorebook import Lorebook, LorebookEntry

_clock = threading.Lock()
_last = [0, 0]  # the last id's millisecond and counter


def sequential_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered, and strictly increasing within this process, so
    ordering entries by id keeps the order they were created in (a card's entry order)."""
    with _clock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last[0]:
            millis, counter = _last[0], _last[1] + 1
            if counter > 0xFFF:
                millis, counter = millis + 1, 0
        else:
            counter = 0
        _last[0], _last[1] = millis, counter
    tail = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (millis << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | tail
    return str(uuid.UUID(int=value))


async def get(session: AsyncSession, lorebook_id: str) -> Lorebook | None:
    return await session.get(Lorebook, lorebook_id)


async def page_for_owner(
    session: AsyncSession, *, owner_id: str, limit: int, offset: int
) -> tuple[list[Lorebook], int]:
    where = Lorebook.owner_id == owner_id
    total = await session.scalar(select(func.count()).select_from(Lorebook).where(where))
    rows = await session.scalars(
        select(Lorebook)
        .where(where)
        .order_by(Lorebook.created_at.desc(), Lorebook.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def add(session: AsyncSession, book: Lorebook, entries: Sequence[LorebookEntry] = ()) -> None:
    session.add(book)
    await session.flush()
    for entry in entries:
        entry.lorebook_id = book.id
        entry.id = sequential_id()
    session.add_all(entries)
    await session.flush()


async def add_entry(session: AsyncSession, entry: LorebookEntry) -> None:
    entry.id = sequential_id()
    session.add(entry)
    await session.flush()


async def entries(session: AsyncSession, lorebook_id: str) -> list[LorebookEntry]:
    rows = await session.scalars(
        select(LorebookEntry)
        .where(LorebookEntry.lorebook_id == lorebook_id)
        .order_by(LorebookEntry.id)
    )
    return list(rows.all())


async def count_entries(session: AsyncSession, lorebook_id: str) -> int:
    query = select(func.count()).select_from(LorebookEntry)
    return int(await session.scalar(query.where(LorebookEntry.lorebook_id == lorebook_id)) or 0)


async def get_entry(
    session: AsyncSession, *, lorebook_id: str, entry_id: str
) -> LorebookEntry | None:
    entry = await session.get(LorebookEntry, entry_id)
    return entry if entry is not None and entry.lorebook_id == lorebook_id else None


async def delete_book(session: AsyncSession, book: Lorebook) -> None:
    """Entries cascade; characters using the book keep existing without one (SET NULL)."""
    await session.delete(book)
    await session.flush()


async def delete_entry(session: AsyncSession, entry: LorebookEntry) -> None:
    await session.delete(entry)
    await session.flush()
