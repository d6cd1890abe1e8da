"""The runner's embedding queue: a reply's query never waits behind background indexing,
and requests that wait together are encoded together.

A reply waits for its query's embedding before its first token; indexing an exchange or a
document waits for nobody. So there are two lines, each with a thread of its own that runs
one forward pass at a time: queries on a thread at normal priority, background texts on a
thread the kernel schedules after everything else (nice +10, on systems that have it). A
query is therefore never queued behind a pass of indexing, and when the cores are busy it
is the indexing that waits. Each pass takes every request waiting in its line at once, up
to `max_texts` texts: twenty replies that start together cost one pass, not twenty.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Encode = Callable[[list[str]], npt.NDArray[np.float32]]
# How much lower the background thread's scheduling priority is (Unix nice increment).
BACKGROUND_NICENESS = 10
PASSES_KEPT = 100


@dataclass
class _Request:
    texts: list[str]
    done: asyncio.Future[list[list[float]]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _lower_priority(niceness: int) -> None:
    """Run on the thread itself: on Linux a thread's nice value is its own."""
    if niceness and hasattr(os, "setpriority"):
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            current = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, current + niceness))


class _Line:
    """Requests of one priority, encoded one pass at a time on the line's own thread."""

    def __init__(self, encode: Encode, *, max_texts: int, name: str, niceness: int) -> None:
        self._encode = encode
        self._max_texts = max_texts
        self._waiting: deque[_Request] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix=name,
            initializer=_lower_priority,
            initargs=(niceness,),
        )
        # Texts in each of the latest forward passes (bounded: the runner runs for days).
        self.passes: deque[int] = deque(maxlen=PASSES_KEPT)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        request = _Request(list(texts))
        self._waiting.append(request)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return await request.done

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while batch := self._next_batch():
            texts = [text for request in batch for text in request.texts]
            self.passes.append(len(texts))
            try:
                vectors = (await loop.run_in_executor(self._thread, self._encode, texts)).tolist()
            except Exception as exc:  # every request of the pass hears of it
                for request in batch:
                    if not request.done.done():
                        request.done.set_exception(exc)
                continue
            for request in batch:
                rows, vectors = vectors[: len(request.texts)], vectors[len(request.texts) :]
                if not request.done.done():  # its caller may have gone away
                    request.done.set_result(rows)

    def _next_batch(self) -> list[_Request]:
        """Whole requests from the front, up to max_texts texts (a longer one goes alone);
        those whose caller went away while they waited are dropped."""
        batch: list[_Request] = []
        size = 0
        while self._waiting:
            request = self._waiting[0]
            if request.done.done():
                self._waiting.popleft()
                continue
            if batch and size + len(request.texts) > self._max_texts:
                break
            batch.append(self._waiting.popleft())
            size += len(request.texts)
        return batch


class EmbedQueue:
    """A line for replies' queries and one, at lower priority, for background work."""

    def __init__(self, encode: Encode, *, max_texts: int) -> None:
        self.queries = _Line(encode, max_texts=max_texts, name="embed-query", niceness=0)
        self.background = _Line(
            encode, max_texts=max_texts, name="embed-background", niceness=BACKGROUND_NICENESS
        )

    async def embed(self, texts: Sequence[str], *, background: bool) -> list[list[float]]:
        if not texts:
            return []
        return await (self.background if background else self.queries).embed(texts)

    def close(self) -> None:
        self.queries.close()
        self.background.close()
