"""Recall for a reply, started as early as it can be.

A reply to a person's new message recalls with that message, within what the chat's
audience allows (chats/privacy.py); neither depends on the reply's own message. So
`Generations` starts recall beside the opening of that message (`EarlyRecall`) instead
of after it, and the person waits for the slower of the two, not for both. The writer
takes the early result when it asks for the same recall: a member who joined, or another
person's message that arrived in between, changes what it asks for, and then it recalls
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cognitia.chats import privacy
from cognitia.chats.ports import Recaller
from cognitia.chats.privacy import Audience
from cognitia.db import Database
from cognitia.memory.recall import Recall, Recalled

log = logging.getLogger(__name__)


def wanted(audience: Audience, *, character_id: str, chat_id: str, query: str) -> Recall:
    """The recall a reply of `character_id` to `query` asks for, for this audience."""
    return Recall(
        character_id=character_id,
        private_user_id=audience.private_user_id,
        chat_id=chat_id,
        shared=audience.shared,
        query=query,
    )


class EarlyRecall:
    """Recall for one reply, running from the moment it is made."""

    def __init__(  # noqa: PLR0913 - where to read, how to recall, and the reply's coordinates
        self,
        db: Database,
        recall: Recaller,
        *,
        chat_id: str,
        user_id: str,
        character_id: str,
        query: str,
    ) -> None:
        self._db, self._recall = db, recall
        self._task = asyncio.get_running_loop().create_task(
            self._run(chat_id, user_id, character_id, query)
        )

    async def _run(
        self, chat_id: str, user_id: str, character_id: str, query: str
    ) -> tuple[Recall, Recalled]:
        async with self._db.read() as session:
            audience = await privacy.audience(session, chat_id=chat_id, user_id=user_id)
        asked = wanted(audience, character_id=character_id, chat_id=chat_id, query=query)
        return asked, await self._recall(asked)

    async def take(self, asked: Recall) -> Recalled | None:
        """What was recalled, when it is what `asked` asks for; else None."""
        try:
            early, found = await self._task
        except Exception:
            log.warning("recall beside the opening failed; recalling again", exc_info=True)
            return None
        return found if early == asked else None

    def cancel(self) -> None:
        """Stop it (the reply did not get as far as recall); safe when already done."""
        self._task.cancel()
        # A cancelled or failed task whose result is never read is not worth a log line.
        self._task.add_done_callback(_quiet)


def _quiet(task: asyncio.Task[tuple[Recall, Recalled]]) -> None:
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
