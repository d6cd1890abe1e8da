"""chunks for retrieval: keyword (FTS5 / tsvector) and vector (sqlite-vec / pgvector) indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000

The vector index is sized for the default embedder (all-MiniLM-L6-v2, 384 dimensions);
`cognitia reindex` adapts it to another embedder (docs/retrieval.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cognitia.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = 384

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE chunk_fts USING fts5(text, content='chunk', content_rowid='seq', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER chunk_fts_ai AFTER INSERT ON chunk BEGIN "
    "INSERT INTO chunk_fts(rowid, text) VALUES (new.seq, new.text); END",
    "CREATE TRIGGER chunk_fts_ad AFTER DELETE ON chunk BEGIN "
    "INSERT INTO chunk_fts(chunk_fts, rowid, text) VALUES ('delete', old.seq, old.text); END",
    "CREATE TRIGGER chunk_fts_au AFTER UPDATE OF text ON chunk BEGIN "
    "INSERT INTO chunk_fts(chunk_fts, rowid, text) VALUES ('delete', old.seq, old.text); "
    "INSERT INTO chunk_fts(rowid, text) VALUES (new.seq, new.text); END",
]


def sqlite_vec_table(dimensions: int) -> list[str]:
    """A vec0 table for one dimension, kept in step with chunk.embedding by triggers."""
    name, size = f"chunk_vec_{dimensions}", dimensions * 4
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING vec0("
        f"embedding float[{dimensions}] distance_metric=cosine)",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON chunk "
        f"WHEN length(new.embedding) = {size} BEGIN "
        f"INSERT INTO {name}(rowid, embedding) VALUES (new.seq, new.embedding); END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF embedding ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; "
        f"INSERT INTO {name}(rowid, embedding) SELECT new.seq, new.embedding "
        f"WHERE length(new.embedding) = {size}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; END",
    ]


POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    f"ALTER TABLE chunk ADD COLUMN embedding vector({DIMENSIONS})",
    "ALTER TABLE chunk ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
    "CREATE INDEX ix_chunk_embedding ON chunk USING hnsw (embedding vector_cosine_ops)",
    "CREATE INDEX ix_chunk_tsv ON chunk USING gin (tsv)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "chunk",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("character_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("chat_id", sa.String(length=36), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("embedding_model", sa.String(length=200), nullable=False),
        sa.Column("created_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        *([sa.Column("embedding", sa.LargeBinary(), nullable=True)] if dialect == "sqlite" else []),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_chunk_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_chunk")),
        sa.UniqueConstraint("id", name=op.f("uq_chunk_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("chunk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chunk_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chunk_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_chunk_scope", ["character_id", "user_id", "chat_id"], unique=False
        )
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
        if _sqlite_vec_available():
            for statement in sqlite_vec_table(DIMENSIONS):
                op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES:
            op.execute(statement)


def _sqlite_vec_available() -> bool:
    """sqlite-vec is loaded on this connection (db.create_engine); without it the
    exact Python search is used and the vec0 table is made once it appears."""
    try:
        op.get_bind().exec_driver_sql("SELECT vec_version()")
    except sa.exc.OperationalError:
        return False
    return True


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        names = bind.exec_driver_sql(
            "SELECT name, type FROM sqlite_master WHERE tbl_name LIKE 'chunk_vec_%' "
            "OR tbl_name = 'chunk_fts' OR (type = 'trigger' AND tbl_name = 'chunk')"
        ).all()
        for name, kind in names:
            if kind == "trigger":
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name, kind in names:
            if kind == "table" and (name == "chunk_fts" or name.startswith("chunk_vec_")):
                op.execute(f"DROP TABLE IF EXISTS {name}")
    with op.batch_alter_table("chunk", schema=None) as batch_op:
        batch_op.drop_index("ix_chunk_scope")
        batch_op.drop_index(batch_op.f("ix_chunk_user_id"))
        batch_op.drop_index(batch_op.f("ix_chunk_source_id"))
    op.drop_table("chunk")
