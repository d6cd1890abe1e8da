"""Rolling chat summaries: made past the threshold, through the summarize lane."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognitia.config import Settings
from cognitia.jobs.deferred import peek
from cognitia.memory import summaries
from cognitia.models.message import AuthorType, Message
from cognitia.runtime import Runtime
from tests.memory.llm_fakes import (
    SUMMARIZE_MODEL,
    chat_with_messages,
    memory_settings,
    user_and_character,
)
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

OVER = summaries.THRESHOLD + 5  # messages in a chat that is due


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    return memory_settings(database_url, tmp_path, upstream)


async def new_chat(runtime: Runtime, count: int) -> str:
    user_id, _ = await user_and_character(runtime)
    return await chat_with_messages(runtime, owner_id=user_id, count=count)


async def test_no_summary_below_the_threshold(runtime: Runtime, upstream: FakeUpstream) -> None:
    chat_id = await new_chat(runtime, summaries.THRESHOLD)

    assert (
        await summaries.summarize_chat(runtime.models, runtime.usage, runtime.db, chat_id=chat_id)
        is None
    )

    assert [r for r in upstream.requests if r.model == SUMMARIZE_MODEL] == []
    async with runtime.db.read() as session:
        assert await summaries.latest(session, chat_id) is None
        assert await summaries.maybe_summarize(session, chat_id=chat_id) is False
        assert peek(session) == []


async def test_summary_covers_all_but_the_recent(runtime: Runtime, upstream: FakeUpstream) -> None:
    chat_id = await new_chat(runtime, OVER)
    upstream.script(SUMMARIZE_MODEL, reply="Ana and Mira counted messages.")

    summary = await summaries.summarize_chat(
        runtime.models, runtime.usage, runtime.db, chat_id=chat_id
    )

    assert summary is not None
    assert summary.content == "Ana and Mira counted messages."
    assert summary.covers_up_to_seq == OVER - summaries.KEEP_RECENT
    [request] = [r for r in upstream.requests if r.model == SUMMARIZE_MODEL]
    prompt = request.body["messages"][-1]["content"]
    assert "Ana: message number 1\n" in prompt
    assert f"message number {OVER - summaries.KEEP_RECENT}" in prompt
    assert f"message number {OVER - summaries.KEEP_RECENT + 1}" not in prompt
    async with runtime.db.read() as session:
        newest = await summaries.latest(session, chat_id)
        assert newest is not None
        assert newest.id == summary.id
        # Only KEEP_RECENT messages follow it now: nothing more is due.
        assert await summaries.maybe_summarize(session, chat_id=chat_id) is False


async def test_next_summary_folds_in_the_previous(runtime: Runtime, upstream: FakeUpstream) -> None:
    chat_id = await new_chat(runtime, OVER)
    upstream.script(SUMMARIZE_MODEL, reply="First summary.")
    first = await summaries.summarize_chat(
        runtime.models, runtime.usage, runtime.db, chat_id=chat_id
    )
    assert first is not None
    # Grow the chat well past the first summary.
    await _append(runtime, chat_id, start=OVER + 1, count=summaries.THRESHOLD)
    async with runtime.db.read() as session:
        assert await summaries.maybe_summarize(session, chat_id=chat_id) is True
        assert [job.name for job in peek(session)] == ["memory.summarize_chat"]
    upstream.script(SUMMARIZE_MODEL, reply="Second summary.")

    second = await summaries.summarize_chat(
        runtime.models, runtime.usage, runtime.db, chat_id=chat_id
    )

    assert second is not None
    total = OVER + summaries.THRESHOLD
    assert second.covers_up_to_seq == total - summaries.KEEP_RECENT
    request = [r for r in upstream.requests if r.model == SUMMARIZE_MODEL][-1]
    prompt = request.body["messages"][-1]["content"]
    assert "Earlier summary:\nFirst summary." in prompt
    assert f"message number {first.covers_up_to_seq}\n" not in prompt
    async with runtime.db.read() as session:
        newest = await summaries.latest(session, chat_id)
    assert newest is not None
    assert newest.content == "Second summary."


async def test_a_failed_model_writes_nothing(runtime: Runtime, upstream: FakeUpstream) -> None:
    chat_id = await new_chat(runtime, OVER)
    upstream.script(SUMMARIZE_MODEL, reply="   ")

    assert (
        await summaries.summarize_chat(runtime.models, runtime.usage, runtime.db, chat_id=chat_id)
        is None
    )

    async with runtime.db.read() as session:
        assert await summaries.latest(session, chat_id) is None


async def _append(runtime: Runtime, chat_id: str, *, start: int, count: int) -> None:
    async with runtime.db.unit_of_work() as session:
        for seq in range(start, start + count):
            session.add(
                Message(
                    chat_id=chat_id,
                    seq=seq,
                    author_type=AuthorType.CHARACTER,
                    name="Mira",
                    content=f"message number {seq}",
                )
            )
