"""`cognitia reindex`: a new embedding model, of the same size or another size."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cognitia import cli
from cognitia.admin_commands import reindex as reindex_command
from cognitia.models.chunk import Chunk
from cognitia.retrieval import service as retrieval
from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime, build_runtime
from tests.retrieval.conftest import retrieval_settings
from tests.retrieval.helpers import index_of
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

SCOPE = Scope(character_id="char-1")
TEXTS = ["the owl hunts at night", "bees make honey in summer", "snow covers the mountain"]


@asynccontextmanager
async def runtime_with(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, embedder: str
) -> AsyncIterator[Runtime]:
    other = build_runtime(retrieval_settings(database_url, tmp_path, upstream, embedder=embedder))
    try:
        yield other
    finally:
        await other.close()


async def models_of(runtime: Runtime) -> set[str]:
    async with runtime.db.read() as session:
        return set(await session.scalars(select(Chunk.embedding_model)))


async def test_reindex_moves_every_chunk_to_the_new_model(
    runtime: Runtime, database_url: str, tmp_path: Path, upstream_server: FakeUpstream
) -> None:
    await index_of(runtime).index(
        [ChunkInput(text=t, source_kind="document", source_id="d", scope=SCOPE) for t in TEXTS],
    )
    async with runtime_with(database_url, tmp_path, upstream_server, "other") as other:
        # Vectors of another model are never compared with this one's queries.
        assert await index_of(other).search(query="owl", scopes=[SCOPE], mode="vector") == []
        seen: list[tuple[int, int]] = []

        count = await index_of(other).reindex(
            batch_size=2, progress=lambda done, total: seen.append((done, total))
        )

        assert count == 3
        assert seen == [(2, 3), (3, 3)]
        assert await models_of(other) == {"other"}
        hits = await index_of(other).search(query="owl at night", scopes=[SCOPE], mode="vector")
        assert hits[0].text == TEXTS[0]


async def test_reindex_to_another_size_and_back(
    runtime: Runtime, database_url: str, tmp_path: Path, upstream_server: FakeUpstream
) -> None:
    await index_of(runtime).index(
        [ChunkInput(text=t, source_kind="memory", source_id="m", scope=SCOPE) for t in TEXTS],
    )
    try:
        async with runtime_with(database_url, tmp_path, upstream_server, "small") as small:
            progress: list[int] = []
            count = await reindex_command(
                small.settings, batch_size=10, progress=lambda done, _: progress.append(done)
            )
            assert (count, progress) == (3, [3])
            assert await models_of(small) == {"small"}
            hits = await index_of(small).search(query="bees honey", scopes=[SCOPE], mode="vector")
            assert hits[0].text == TEXTS[1]
    finally:
        # Back to 384 dimensions: the PostgreSQL schema is shared by the session's tests.
        await index_of(runtime).reindex()
    hits = await index_of(runtime).search(query="snow mountain", scopes=[SCOPE], mode="vector")
    assert hits[0].text == TEXTS[2]
    assert await models_of(runtime) == {"fake"}


async def test_the_cli_command_reports_progress(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    await index_of(runtime).index(
        [ChunkInput(text=t, source_kind="document", source_id="d", scope=SCOPE) for t in TEXTS],
    )
    env = {
        "COGNITIA_DATABASE_URL": database_url,
        "COGNITIA_DATA_DIR": str(tmp_path),
        "COGNITIA_LLM__CATALOGUE_PATH": str(runtime.settings.llm.catalogue_path),
    }

    # The command runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(
        CliRunner().invoke, cli.app, ["reindex", "--batch-size", "2"], env=env
    )

    assert result.exit_code == 0, result.output
    assert "reindexed 2/3" in result.output
    assert "reindexed 3 chunks" in result.output


async def test_start_up_names_chunks_of_another_embedder_until_reindex(
    runtime: Runtime, database_url: str, tmp_path: Path, upstream_server: FakeUpstream
) -> None:
    assert (
        await retrieval.embedder_mismatch(
            runtime.db, current=runtime.models.catalogue.default_embedder
        )
        is None
    )
    await index_of(runtime).index(
        [ChunkInput(text=t, source_kind="document", source_id="d", scope=SCOPE) for t in TEXTS],
    )
    assert (
        await retrieval.embedder_mismatch(
            runtime.db, current=runtime.models.catalogue.default_embedder
        )
        is None
    )
    async with runtime_with(database_url, tmp_path, upstream_server, "other") as other:
        message = await retrieval.embedder_mismatch(
            other.db, current=other.models.catalogue.default_embedder
        )
        assert message is not None
        assert "3 by 'fake'" in message
        assert "cognitia reindex" in message

        await index_of(other).reindex(batch_size=8, progress=lambda done, total: None)

        assert (
            await retrieval.embedder_mismatch(
                other.db, current=other.models.catalogue.default_embedder
            )
            is None
        )
