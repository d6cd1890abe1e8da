"""Replies left `streaming` by a dead process are marked interrupted by a periodic job."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from cognitia.chats.tasks import SWEEP_INTERRUPTED
from cognitia.jobs import registry
from cognitia.kit.clock import utcnow
from cognitia.models.chat import Chat
from cognitia.models.message import AuthorType, Message, MessageStatus
from cognitia.runtime import Runtime
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio


async def _reply(runtime: Runtime, chat_id: str, seq: int, *, age: timedelta) -> str:
    async with runtime.db.unit_of_work() as session:
        message = Message(
            chat_id=chat_id,
            seq=seq,
            author_type=AuthorType.CHARACTER,
            content="half a rep",
            status=MessageStatus.STREAMING,
        )
        session.add(message)
        await session.flush()
        await session.execute(
            update(Message).where(Message.id == message.id).values(updated_at=utcnow() - age)
        )
        return message.id


async def test_stale_streaming_replies_become_errors(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await create_user(runtime)
    async with runtime.db.unit_of_work() as session:
        chat = Chat(owner_id=owner.id, title="t")
        session.add(chat)
        await session.flush()
        chat_id = chat.id
    stale = await _reply(runtime, chat_id, 1, age=timedelta(hours=1))
    live = await _reply(runtime, chat_id, 2, age=timedelta(seconds=5))

    await registry.get(SWEEP_INTERRUPTED).run(runtime, {})

    async with runtime.db.read() as session:
        swept = await session.get(Message, stale)
        running = await session.get(Message, live)
    assert swept is not None
    assert running is not None
    assert swept.status == MessageStatus.ERROR
    assert swept.error is not None
    assert swept.error.startswith("interrupted")
    assert swept.content == "half a rep", "what was generated is kept"
    assert running.status == MessageStatus.STREAMING
