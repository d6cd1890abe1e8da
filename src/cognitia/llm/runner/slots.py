"""Generation slots of a local model, with people first.

A local model runs one generation (or a few) at a time. Replies a person waits for are
*interactive*; memory extraction and summaries are *background*. A free slot goes to the
longest-waiting interactive request, and only then to background ones; and an interactive
request that finds every slot held by background work preempts one of those (the
generation ends with an error its job retries later: it lost a few seconds of work, the
person lost none).
"""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    def __init__(self, capacity: int) -> None:
        self.free = capacity
        self._interactive: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, background: bool) -> None:
        if self.free > 0 and not self._interactive and not (background and self._background):
            self.free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._background if background else self._interactive
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as the caller gave up: pass it on
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._interactive, self._background):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self.free += 1
