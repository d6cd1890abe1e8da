"""Recall started beside the opening of a reply (chats/recalling.py): the reply takes
what it found only when it would ask for the same recall, and still leaves out the
memories already in its prompt."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from functools import partial
from typing import Any

import httpx
import pytest

from cognitia.chats import recalling
from cognitia.chats.privacy import Audience
from cognitia.memory import recall
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat, messages
from tests.memory.helpers import remembered, say
from tests.retrieval.helpers import index_of
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

HANG_GUARD_SECONDS = 60  # a safety net against hangs, not a measurement
TOLD = "My sister Zelda plays the oboe in Lisbon."
ASKED = "Which instrument does my sister play?"


def private_ask(user_id: str, character_id: str, chat_id: str) -> recall.Recall:
    """What a reply to ASKED in a chat of one person asks recall for."""
    private = Audience(shared=False, private_user_id=user_id)
    return recalling.wanted(private, character_id=character_id, chat_id=chat_id, query=ASKED)


def started(runtime: Runtime, asked: recall.Recall) -> recalling.EarlyRecall:
    """Recall for that reply, started as the reply's opening starts it."""
    assert asked.private_user_id is not None
    recaller = partial(recall.sections, index_of(runtime), budget_seconds=HANG_GUARD_SECONDS)
    return recalling.EarlyRecall(
        runtime.db,
        recaller,
        chat_id=asked.chat_id,
        user_id=asked.private_user_id,
        character_id=asked.character_id,
        query=asked.query,
    )


async def test_the_early_recall_is_taken_when_the_reply_asks_the_same(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="How lovely.")
    await say(client, headers, chat["id"], TOLD)
    await remembered(client, headers, aria.id, 2)
    asked = private_ask(alice.id, aria.id, chat["id"])

    async with asyncio.timeout(HANG_GUARD_SECONDS):
        found = await started(runtime, asked).take(asked)

    assert found is not None
    assert any(TOLD in s.text for s in found.sections(exclude=()))
    # The chat's own messages are in the prompt already: left out, as before.
    in_prompt = {m["id"] for m in await messages(client, chat["id"], headers)}
    assert not any(TOLD in s.text for s in found.sections(exclude=in_prompt))


@pytest.mark.parametrize(
    "changed",
    [
        {"shared": True, "private_user_id": None},  # someone joined: the chat is shared now
        {"query": "Another message arrived first."},
        {"character_id": "another-speaker"},
    ],
)
async def test_the_early_recall_is_not_taken_for_another_ask(
    runtime: Runtime, client: httpx.AsyncClient, changed: dict[str, Any]
) -> None:
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    asked = private_ask(alice.id, aria.id, chat["id"])

    async with asyncio.timeout(HANG_GUARD_SECONDS):
        assert await started(runtime, asked).take(asked) is not None  # the same is taken...
        other = replace(asked, **changed)
        assert await started(runtime, asked).take(other) is None  # ...another ask is not
