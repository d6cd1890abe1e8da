"""scoped vectors and FTS term counts (SQLite): a vec0 table partitioned by scope, and an
fts5vocab table over chunk_fts

sqlite-vec: each `chunk_vec_<n>` table (one per embedding size) is replaced by
`chunk_vec_scoped_<n>`, partitioned by the chunk's scope, so a KNN reads only the searched
scope's vectors (retrieval/providers/sqlite_vec.py). Done here only where sqlite-vec is
loaded on the migration's connection; elsewhere the provider makes the table when it
first meets a size, as before. The statements are this migration's own copy (a migration
must not change when the code does).

`chunk_fts_terms` (fts5vocab, 'row') tells how many chunks hold each term, so a keyword
query can leave out words that cannot change a bm25 score (retrieval/repository.py).

PostgreSQL: nothing changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = (
    "coalesce({row}character_id, '') || '|' || coalesce({row}user_id, '') || '|' "
    "|| coalesce({row}chat_id, '')"
)


def scoped_table(dimensions: int) -> list[str]:
    name, size, new_key = f"chunk_vec_scoped_{dimensions}", dimensions * 4, KEY.format(row="new.")
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING vec0(scope text partition key, "
        f"embedding float[{dimensions}] distance_metric=cosine)",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON chunk "
        f"WHEN length(new.embedding) = {size} BEGIN "
        f"INSERT INTO {name}(rowid, scope, embedding) "
        f"VALUES (new.seq, {new_key}, new.embedding); END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au "
        f"AFTER UPDATE OF embedding, character_id, user_id, chat_id ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; "
        f"INSERT INTO {name}(rowid, scope, embedding) SELECT new.seq, {new_key}, new.embedding "
        f"WHERE length(new.embedding) = {size}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; END",
        f"INSERT INTO {name}(rowid, scope, embedding) "
        f"SELECT seq, {KEY.format(row='')}, embedding FROM chunk WHERE length(embedding) = {size}",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts_terms USING fts5vocab(chunk_fts, 'row')"
    )
    if not _sqlite_vec_available():
        return
    for dimensions in _old_sizes():
        old = f"chunk_vec_{dimensions}"
        for suffix in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS {old}_{suffix}")
        op.execute(f"DROP TABLE {old}")
        for statement in scoped_table(dimensions):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS chunk_fts_terms")
    # The scoped tables stay: the provider of 0004's code made its own unpartitioned
    # table when it met a size without one, and ignores these.


def _old_sizes() -> list[int]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'chunk_vec_[0-9]*'"
    )
    return [int(name.removeprefix("chunk_vec_")) for (name,) in rows if name[10:].isdigit()]


def _sqlite_vec_available() -> bool:
    try:
        op.get_bind().exec_driver_sql("SELECT vec_version()")
    except sa.exc.OperationalError:
        return False
    return True
