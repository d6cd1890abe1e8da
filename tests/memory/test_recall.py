"""Episodic memory and knowledge in the prompt: what a person told a character in one
chat comes back in a later chat with it, never in another person's; the character's
documents too; each reply records what it used as `context_sources`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from cognitia.kit.ids import new_id
from cognitia.memory.semantic import EXTRACT_FACTS
from cognitia.models.character import Visibility
from cognitia.models.job import Job
from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat, messages
from tests.memory.helpers import remembered, say
from tests.retrieval.helpers import index_of
from tests.support.apps import running_app
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

# A safety net against hangs, not a measurement.
HANG_GUARD_SECONDS = 60
TOLD = "My sister Zelda plays the oboe in Lisbon."
ASKED = "Which instrument does my sister play?"


def prompt_text(upstream: FakeUpstream) -> str:
    body = upstream.last("rp-model").body
    return "\n".join(str(m.get("content")) for m in body["messages"])


async def test_a_fact_told_in_one_chat_is_used_in_a_later_chat_and_by_no_one_else(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, alice_headers = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice, visibility=Visibility.PUBLIC)
    first = await create_chat(client, alice_headers, aria.id)
    upstream.script("rp-model", reply="How lovely.")
    await say(client, alice_headers, first["id"], TOLD)
    await remembered(client, alice_headers, aria.id, 2)  # her message and the reply

    later = await create_chat(client, alice_headers, aria.id)
    upstream.script("rp-model", reply="The oboe.")
    reply = await say(client, alice_headers, later["id"], ASKED)

    assert TOLD in prompt_text(upstream)
    used = [s for s in reply["context_sources"] if TOLD in s["text"]]
    assert used
    assert {s["kind"] for s in used} == {"memory"}
    assert set(used[0]) >= {"id", "kind", "text"}
    stored = (await messages(client, later["id"], alice_headers))[-1]
    assert stored["context_sources"] == reply["context_sources"]

    theirs = await create_chat(client, bob_headers, aria.id)
    upstream.script("rp-model", reply="I don't know.")
    bobs_reply = await say(client, bob_headers, theirs["id"], ASKED)
    assert "Zelda" not in prompt_text(upstream)
    assert not any("Zelda" in s["text"] for s in bobs_reply["context_sources"])
    assert bob.id != alice.id


async def test_the_current_chat_is_not_recalled_twice(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="How lovely.")
    await say(client, headers, chat["id"], TOLD)
    await remembered(client, headers, aria.id, 2)

    upstream.script("rp-model", reply="The oboe.")
    reply = await say(client, headers, chat["id"], ASKED)

    assert not any(TOLD in s["text"] for s in reply["context_sources"])  # in the history


async def test_a_characters_document_is_in_the_prompt_and_its_sources(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    owner, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=owner)
    fact = "The lighthouse key hangs behind the blue door of the boathouse."
    [chunk_id] = await index_of(runtime).index(
        [
            ChunkInput(
                text=fact,
                source_kind="document",
                source_id=new_id(),
                scope=Scope(character_id=aria.id),
            )
        ],
    )
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="Behind the blue door.")

    reply = await say(client, headers, chat["id"], "Where is the lighthouse key?")

    assert fact in prompt_text(upstream)
    expected = {"id": chunk_id, "kind": "knowledge", "text": fact, "private": False}
    assert expected in reply["context_sources"]


async def test_a_reply_survives_an_embedder_that_is_down(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    owner, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=owner)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("embed-fake", status=503, times=None)
    upstream.script("rp-model", reply="Still here.")

    reply = await say(client, headers, chat["id"], "Are you there?")

    assert (reply["status"], reply["content"], reply["context_sources"]) == (
        "complete",
        "Still here.",
        [],
    )


async def test_an_exchange_queues_fact_extraction_for_that_person(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    """After the exchange is indexed, extraction of durable facts is queued (extract lane)."""
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="Noted.")
    await say(client, headers, chat["id"], TOLD)

    async def queued() -> list[Job]:
        async with runtime.db.read() as session:
            jobs = await session.scalars(select(Job).where(Job.name == EXTRACT_FACTS))
            return list(jobs.all())

    [extraction] = await eventually(queued)
    assert extraction.payload["user_id"] == alice.id
    assert extraction.payload["character_id"] == aria.id
    assert len(extraction.payload["message_ids"]) == 2


async def test_a_reply_embeds_its_query_once(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    """Memories and knowledge are searched with one embedding of the person's message."""
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="Noted.")

    await say(client, headers, chat["id"], ASKED)

    asked = [r for r in upstream.requests_for("embed-fake") if r.body.get("input") == [ASKED]]
    assert len(asked) == 1


async def test_a_reply_does_not_wait_for_recall_past_its_budget(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> None:
    """An embedder that never answers costs a reply its recall, not its answer."""
    settings = fake_model_settings(
        database_url, tmp_path, upstream, retrieval={"recall_budget_seconds": 0.2}
    )
    skipped = REGISTRY.get_sample_value("cognitia_recall_skipped_total", {"reason": "timeout"})
    async with running_app(settings) as (app, client), asyncio.timeout(HANG_GUARD_SECONDS):
        alice, headers = await user_with_token(runtime_of(app), client)
        aria = await create_character(runtime_of(app), owner=alice)
        chat = await create_chat(client, headers, aria.id)
        upstream.script("embed-fake", hang=True)  # the query's embedding
        upstream.script("rp-model", reply="Still here.")

        reply = await say(client, headers, chat["id"], ASKED)

    assert (reply["status"], reply["content"], reply["context_sources"]) == (
        "complete",
        "Still here.",
        [],
    )
    after = REGISTRY.get_sample_value("cognitia_recall_skipped_total", {"reason": "timeout"})
    assert (after or 0) == (skipped or 0) + 1
