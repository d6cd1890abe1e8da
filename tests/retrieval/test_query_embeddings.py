"""A search's query is embedded once per text: warmed ahead of the search (a reply's
recall while its message is written) or kept from an earlier search; a failed embedding
is not kept."""

from __future__ import annotations

import pytest

from cognitia.retrieval.types import Scope
from cognitia.runtime import Runtime
from tests.retrieval.helpers import index_of
from tests.support.fake_upstream import FakeUpstream

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
