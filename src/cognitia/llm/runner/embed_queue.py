"""The runner's embedding queue: requests that arrive together are encoded together, and
a reply's query goes before background indexing.

A reply waits for its query's embedding before its first token; indexing an exchange or a
document waits for nobody. So requests are held in two lines: each forward pass takes the
interactive line first (every waiting query, coalesced into one batch: twenty replies
starting at once cost one pass, not twenty), and background texts only when no query is
waiting. A pass already running is not interrupted; a batch is at most `max_texts` long so
a query never waits behind much.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Encode = Callable[[list[str]], npt.NDArray[np.float32]]


@dataclass
class _Request:
    texts: list[str]
    done: asyncio.Future[list[list[float]]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class EmbedQueue:
    """Serialises `encode` (one pass at a time, on a worker thread) over two lines."""

    def __init__(self, encode: Encode, *, max_texts: int) -> None:
        self._encode = encode
        self._max_texts = max_texts
        self._lines: dict[bool, deque[_Request]] = {False: deque(), True: deque()}
        self._worker: asyncio.Task[None] | None = None
        self.passes = 0  # forward passes run, for tests and benchmarks

    async def embed(self, texts: Sequence[str], *, background: bool) -> list[list[float]]:
        if not texts:
            return []
        request = _Request(list(texts))
        self._lines[background].append(request)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return await request.done

    async def _work(self) -> None:
        while batch := self._next_batch():
            texts = [text for request in batch for text in request.texts]
            self.passes += 1
            try:
                vectors = (await asyncio.to_thread(self._encode, texts)).tolist()
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
        """Waiting queries, else background requests."""
        for line in (self._lines[False], self._lines[True]):
            while line and line[0].done.done():  # its caller went away while it waited
                line.popleft()
            if line:
                return self._take(line)
        return []

    def _take(self, line: deque[_Request]) -> list[_Request]:
        """Whole requests from the front, up to max_texts texts (a longer one goes alone)."""
        batch = [line.popleft()]
        size = len(batch[0].texts)
        while line and size + len(line[0].texts) <= self._max_texts:
            request = line.popleft()
            if not request.done.done():
                batch.append(request)
                size += len(request.texts)
        return batch
