"""A search's query is embedded once per text: warmed ahead of the search (a reply's
recall while its message is written) or kept from an earlier search; a failed embedding
is not kept; the keyword ranking does not wait for it."""

from __future__ import annotations

import asyncio

import pytest

from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime
from tests.retrieval.helpers import index_of, statements
from tests.support.fake_upstream import FakeUpstream
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

QUERY = "Which instrument does my sister play?"
SCOPE = Scope(character_id="char-1")


def embedded(upstream: FakeUpstream) -> int:
    return sum(1 for r in upstream.requests_for("embed-fake") if r.body.get("input") == [QUERY])


async def test_a_warmed_query_is_not_embedded_again(
    runtime: Runtime, upstream_server: FakeUpstream
) -> None:
    upstream_server.reset()
    index = index_of(runtime)

    index.warm(QUERY)
    await index.search(query=QUERY, scopes=[SCOPE])
    await index.search(query=QUERY, scopes=[SCOPE], mode="vector")

    assert embedded(upstream_server) == 1


async def test_a_failed_warm_is_asked_again_by_the_search(
    runtime: Runtime, upstream_server: FakeUpstream
) -> None:
    upstream_server.reset()
    upstream_server.script("embed-fake", status=400, times=1)  # rejected: not retried
    index = index_of(runtime)

    index.warm(QUERY)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the warm's own failure, as the provider raises it
        await index.search(query=QUERY, scopes=[SCOPE], mode="vector")
    found = await index.search(query=QUERY, scopes=[SCOPE], mode="vector")

    assert found == []  # nothing indexed: the point is that it searched
    assert embedded(upstream_server) == 2


async def test_the_keyword_ranking_runs_while_the_query_is_embedded(
    runtime: Runtime, upstream_server: FakeUpstream
) -> None:
    index = index_of(runtime)
    chunk = ChunkInput(
        text="My sister plays the cello.", source_kind="document", source_id="d", scope=SCOPE
    )
    await index.index([chunk])
    upstream_server.reset()
    upstream_server.script("embed-fake", hold=True)

    with statements(runtime) as sent:
        search = asyncio.ensure_future(index.search(query=QUERY, scopes=[SCOPE]))
        await eventually(upstream_server.holding)
        # The embedding is held, and the full-text match has run already.
        await eventually(lambda: _matched(sent))
        upstream_server.release_held()
        found = await search

    assert [hit.text for hit in found] == [chunk.text]


async def _matched(sent: list[tuple[str, tuple[object, ...]]]) -> bool:
    """A keyword match was sent (FTS5 on SQLite, a tsquery on PostgreSQL)."""
    return any("chunk_fts MATCH" in sql or "websearch_to_tsquery" in sql for sql, _ in sent)
