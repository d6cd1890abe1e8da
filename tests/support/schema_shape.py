"""What a migration left in a database, read with SQLAlchemy's inspector: for the migration
tests' up, down and up again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

T = TypeVar("T")


def inspected(url: str, look: Callable[[Any], T]) -> T:
    """`look(inspector)` on a fresh connection to the database at `url`."""

    async def read() -> T:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda sync: look(inspect(sync)))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def columns(url: str, table: str) -> set[str] | None:
    """The table's column names; None without the table."""

    def look(inspector: Any) -> set[str] | None:
        if table not in inspector.get_table_names():
            return None
        return {c["name"] for c in inspector.get_columns(table)}

    return inspected(url, look)


def indexes(url: str, table: str) -> set[str]:
    """The table's index names (empty without the table)."""

    def look(inspector: Any) -> set[str]:
        if table not in inspector.get_table_names():
            return set()
        return {str(i["name"]) for i in inspector.get_indexes(table)}

    return inspected(url, look)
