"""Background memory work that falls behind never holds up a reply, is counted while it
lags, and loses nothing: once the embedder catches up the backlog drains and every
exchange is remembered (issue 13)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import REGISTRY

from cognitia.jobs import backlog
from cognitia.memory.tasks import INDEX_EXCHANGE
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat
from tests.memory.helpers import remembered, say
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

HANG_GUARD_SECONDS = 120  # a safety net against hangs, not a measurement
# More exchanges than the embedded runner runs at once (jobs.concurrency, 4): some of
# the indexing waits in the queue, not only in the embedder.
EXCHANGES = 6


def recall_skips() -> float:
    return sum(
        REGISTRY.get_sample_value("cognitia_recall_skipped_total", {"reason": r}) or 0
        for r in ("timeout", "error")
    )


async def indexing_backlog(runtime: Runtime) -> int:
    return (await runtime.queue.backlog()).get(INDEX_EXCHANGE, 0)


async def test_replies_go_on_while_indexing_lags_and_the_backlog_drains_after(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("embed-fake", hold_batches=True, times=None)  # indexing stalls
    upstream.script("rp-model", reply="Noted.", times=None)
    skipped_before = recall_skips()

    async with asyncio.timeout(HANG_GUARD_SECONDS):
        replies = [
            await say(client, headers, chat["id"], f"Fact number {i}: I like tea.")
            for i in range(EXCHANGES)
        ]
        lagging = await indexing_backlog(runtime)
        # Indexing reaches the embedder once no reply is starting (kit/priority.py).
        held = await eventually(upstream.holding)

        upstream.release_held()
        await eventually(lambda: _drained(runtime), timeout=HANG_GUARD_SECONDS)
        page = await remembered(client, headers, aria.id, 2 * EXCHANGES)

    # Every reply was written while none of the exchanges could be indexed yet...
    assert [r["status"] for r in replies] == ["complete"] * EXCHANGES
    assert lagging == EXCHANGES
    assert held >= 1
    # ...and none of them gave up its recall to wait (the query is not held).
    assert recall_skips() == skipped_before
    # Nothing was lost: both sides of every exchange are remembered.
    contents = {m["content"] for m in page["items"]}
    assert {f"Fact number {i}: I like tea." for i in range(EXCHANGES)} <= contents


async def _drained(runtime: Runtime) -> bool:
    return await indexing_backlog(runtime) == 0


async def test_the_backlog_is_a_metric(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("embed-fake", hold_batches=True, times=None)
    upstream.script("rp-model", reply="Noted.", times=None)

    async with asyncio.timeout(HANG_GUARD_SECONDS):
        await say(client, headers, chat["id"], "Remember this.")
        await eventually(lambda: _lagging(runtime))
        seen: set[str] = set()
        await backlog.refresh(runtime.queue, seen)
        while_held = _metric(await client.get("/metrics"))
        upstream.release_held()
        await eventually(lambda: _drained(runtime), timeout=HANG_GUARD_SECONDS)
        await backlog.refresh(runtime.queue, seen)
        after = _metric(await client.get("/metrics"))

    assert while_held == 1
    assert after == 0


async def _lagging(runtime: Runtime) -> bool:
    return await indexing_backlog(runtime) > 0


def _metric(response: httpx.Response) -> float:
    assert response.status_code == 200
    prefix = f'cognitia_jobs_backlog{{name="{INDEX_EXCHANGE}"}}'
    [line] = [x for x in response.text.splitlines() if x.startswith(prefix)]
    return float(line.rsplit(" ", 1)[1])
