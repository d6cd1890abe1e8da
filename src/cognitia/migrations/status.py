"""Whether the database's schema is the one this code was written for.

`cognitia serve` migrates SQLite itself; PostgreSQL is migrated by the operator
(`cognitia migrate`), so a server can meet a database that is behind. Such a server
says so at start, /readyz answers 503, and every other request gets 503
schema_out_of_date instead of failing on a missing table (docs/operations.md). A schema
*newer* than the code (a revision this code does not know) is accepted: in a rolling
restart the database is migrated before the old processes are replaced.
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from cognitia.migrations.runner import alembic_config

# While the schema is behind, it is looked at again at most this often (a request
# refused meanwhile costs no query), so `cognitia migrate` takes effect without a restart.
RECHECK_SECONDS = 2.0


@dataclass(frozen=True)
class CodeRevisions:
    heads: frozenset[str]
    known: frozenset[str]


@functools.cache  # the scripts do not change while the process runs
def code_revisions() -> CodeRevisions:
    """The revisions the code's migration scripts define (reads the files: not on the loop)."""
    script = ScriptDirectory.from_config(alembic_config(""))
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return CodeRevisions(heads=frozenset(script.get_heads()), known=known)


def _database_heads(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


async def database_heads(engine: AsyncEngine) -> frozenset[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_database_heads)


def describe(database: frozenset[str], code: CodeRevisions) -> str | None:
    """Why the schema does not fit the code, or None when it does."""
    if not database:
        return "The database has no schema yet: run `cognitia migrate`."
    if database == code.heads or not database <= code.known:
        return None  # up to date, or newer than this code
    at, needs = ", ".join(sorted(database)), ", ".join(sorted(code.heads))
    return f"The database schema is at {at}; this version needs {needs}: run `cognitia migrate`."


class SchemaCheck:
    """The schema's fit, looked up at start and again (now and then) while it is behind."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._code: CodeRevisions | None = None
        self._problem: str | None = None
        self._checked_at = -RECHECK_SECONDS
        self._lock = asyncio.Lock()

    async def problem(self, *, fresh: bool = False) -> str | None:
        """None when the schema fits; else what is wrong. Once it fits it stays so."""
        if self._code is not None and self._problem is None:
            return None
        if not fresh and time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return self._problem
        async with self._lock:
            if self._code is None:
                self._code = await asyncio.to_thread(code_revisions)
            self._problem = describe(await database_heads(self._engine), self._code)
            self._checked_at = time.monotonic()
        return self._problem
