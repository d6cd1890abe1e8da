"""How many live calls one API process holds: at most `max_calls`, and `max_calls_per_user`
for one person (voice.call settings). Counted in the process (a call is a socket held by
it); the calls are also what a shutdown ends."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from cognitia.chats.errors import TooManyCalls
from cognitia.config import CallSettings

Hangup = Callable[[], Awaitable[None]]


class Calls:
    """The live calls of this process; one per process (runtime.py)."""

    def __init__(self, settings: CallSettings) -> None:
        self.settings = settings
        self._per_user: Counter[str] = Counter()
        self._hangups: dict[int, Hangup] = {}

    @property
    def active(self) -> int:
        return sum(self._per_user.values())

    @contextmanager
    def admit(self, user_id: str, hangup: Hangup) -> Iterator[None]:
        """Hold a place for one call while inside; TooManyCalls (4429) when none is free."""
        if self.active >= self.settings.max_calls:
            raise TooManyCalls("This server holds as many live calls as it can; try again soon.")
        if self._per_user[user_id] >= self.settings.max_calls_per_user:
            raise TooManyCalls()
        self._per_user[user_id] += 1
        key = id(hangup)
        self._hangups[key] = hangup
        try:
            yield
        finally:
            self._per_user[user_id] -= 1
            self._hangups.pop(key, None)

    async def close(self) -> None:
        """At shutdown: end every call (1001), its reply stopped with its text kept."""
        await asyncio.gather(*(h() for h in list(self._hangups.values())), return_exceptions=True)
