"""The runner's embedding queue: a reply's query never waits behind background indexing,
requests that wait together share one forward pass, and indexing runs at a lower
scheduling priority."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import numpy as np
import numpy.typing as npt
import pytest

from cognitia.llm.runner.embed_queue import BACKGROUND_NICENESS, EmbedQueue

pytestmark = pytest.mark.asyncio
HANG_GUARD_SECONDS = 30  # a safety net against hangs, not a measurement
Embedding = asyncio.Task[list[list[float]]]


class Encoder:
    """Encodes each text as [its length, pass number]. A pass with a text starting "slow"
    waits for `go`; one with "boom" fails. Records each pass's texts and nice value."""

    def __init__(self) -> None:
        self.passes: list[list[str]] = []
        self.niceness: dict[str, int] = {}
        self.started = threading.Event()
        self.go = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> npt.NDArray[np.float32]:
        with self._lock:
            self.passes.append(texts)
            number = len(self.passes)
        if hasattr(os, "getpriority"):
            self.niceness[texts[0]] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        if any(t.startswith("slow") for t in texts):
            self.started.set()
            self.go.wait(HANG_GUARD_SECONDS)
        if "boom" in texts:
            raise ValueError("cannot encode boom")
        return np.array([[len(t), number] for t in texts], dtype=np.float32)


async def queued(queue: EmbedQueue, texts: list[str], *, background: bool) -> Embedding:
    task = asyncio.create_task(queue.embed(texts, background=background))
    await asyncio.sleep(0)  # let it reach its line (no timing: one step of the loop)
    return task


async def held(
    queue: EmbedQueue, encoder: Encoder, texts: list[str], *, background: bool
) -> Embedding:
    """A request whose pass is running and waits for encoder.go."""
    task = await queued(queue, texts, background=background)
    await asyncio.to_thread(encoder.started.wait, HANG_GUARD_SECONDS)
    return task


async def test_a_query_is_answered_while_indexing_is_still_encoding() -> None:
    encoder = Encoder()
    queue = EmbedQueue(encoder, max_texts=8)
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        indexing = await held(queue, encoder, ["slow indexing"], background=True)
        answer = await queue.embed(["hi"], background=False)
        still_encoding = not indexing.done()
        encoder.go.set()
        await indexing

    assert answer == [[2.0, 2.0]]
    assert still_encoding


async def test_queries_that_wait_together_share_a_pass() -> None:
    encoder = Encoder()
    queue = EmbedQueue(encoder, max_texts=8)
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        first = await held(queue, encoder, ["slow query"], background=False)
        one = await queued(queue, ["hi"], background=False)
        two = await queued(queue, ["hello"], background=False)
        encoder.go.set()
        results = await asyncio.gather(first, one, two)

    assert encoder.passes == [["slow query"], ["hi", "hello"]]
    assert results[1:] == [[[2.0, 2.0]], [[5.0, 2.0]]]
    assert list(queue.queries.passes) == [1, 2]


async def test_a_pass_holds_whole_requests_up_to_its_size() -> None:
    encoder = Encoder()
    queue = EmbedQueue(encoder, max_texts=8)
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        first = await held(queue, encoder, ["slow"], background=True)
        big = await queued(queue, [f"t{i}" for i in range(6)], background=True)
        small = await queued(queue, ["a", "b", "c"], background=True)
        encoder.go.set()
        await asyncio.gather(first, big, small)

    assert list(queue.background.passes) == [1, 6, 3]  # 6 + 3 is over max_texts (8)


async def test_a_failed_pass_fails_its_requests_only() -> None:
    encoder = Encoder()
    queue = EmbedQueue(encoder, max_texts=8)
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        first = await held(queue, encoder, ["slow"], background=True)
        bad = await queued(queue, ["boom"], background=True)
        encoder.go.set()
        await first
        with pytest.raises(ValueError, match="boom"):
            await bad
        fine = await queue.embed(["fine text"], background=True)

    assert fine == [[9.0, 3.0]]


async def test_a_request_whose_caller_left_is_not_encoded() -> None:
    encoder = Encoder()
    queue = EmbedQueue(encoder, max_texts=8)
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        first = await held(queue, encoder, ["slow"], background=True)
        gone = await queued(queue, ["never mind"], background=True)
        gone.cancel()
        kept = await queued(queue, ["kept"], background=True)
        encoder.go.set()
        await asyncio.gather(first, kept)

    assert encoder.passes == [["slow"], ["kept"]]


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
async def test_indexing_runs_at_a_lower_priority_than_queries() -> None:
    encoder = Encoder()
    queue = EmbedQueue(encoder, max_texts=8)
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        await queue.embed(["query"], background=False)
        await queue.embed(["indexing"], background=True)

    assert encoder.niceness["indexing"] - encoder.niceness["query"] == BACKGROUND_NICENESS
