"""Messages per day and the monthly budget, through the endpoints that make a model answer:
chat messages, regenerate, and /v1/chat/completions. Days end at midnight UTC, here on a
clock the test sets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cognitia.models.llm_call import LlmCall
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]
JSON = {"Accept": "application/json"}
BEFORE_MIDNIGHT = datetime(2026, 12, 6, 23, 59, 30, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 12, 7, 0, 0, 1, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _chat(app: App) -> tuple[Runtime, str, dict[str, str], str]:
    """A user on the default plan (Free), a character of theirs, and their chat."""
    runtime, client = runtime_of(app[0]), app[1]
    user, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=user)
    chat = await create_chat(client, headers, aria.id)
    return runtime, user.id, {**headers, **JSON}, chat["id"]


async def _used_today(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    usage = (await client.get("/api/v2/subscription/usage", headers=headers)).json()
    return usage["today"]["messages"]["used"]


async def test_the_50th_message_passes_the_51st_waits_for_midnight(
    free_app: App, upstream: FakeUpstream
) -> None:
    runtime, user_id, headers, chat_id = await _chat(free_app)
    client, url = free_app[1], f"/api/v2/chats/{chat_id}/messages"
    runtime.quotas.clock = clock = Clock(BEFORE_MIDNIGHT)
    for _ in range(49):
        assert await runtime.quotas.counters.take(user_id, "messages", "2026-12-06", limit=50)
    upstream.script("rp-model", reply="Fine.", times=None)

    fiftieth = await client.post(url, json={"content": "50"}, headers=headers)
    fifty_first = await client.post(url, json={"content": "51"}, headers=headers)
    clock.now = AFTER_MIDNIGHT
    next_day = await client.post(url, json={"content": "again"}, headers=headers)

    assert fiftieth.status_code == 200, fiftieth.text
    assert fifty_first.status_code == 429
    assert fifty_first.headers["Retry-After"] == "30"
    body = fifty_first.json()
    assert (body["error"], body["limit"], body["upgrade_to"]) == (
        "quota_exceeded",
        "messages_per_day",
        "basic",
    )
    assert body["reset_at"] == "2026-12-07T00:00:00+00:00"
    assert next_day.status_code == 200
    stored = (await client.get(url, headers=headers)).json()["items"]
    assert [m["content"] for m in stored if m["author_type"] == "user"] == ["50", "again"]


async def test_a_reply_that_fails_upstream_is_not_counted(
    free_app: App, upstream: FakeUpstream
) -> None:
    _, _, headers, chat_id = await _chat(free_app)
    client, url = free_app[1], f"/api/v2/chats/{chat_id}/messages"
    upstream.script("rp-model", status=503)
    upstream.script("rp-model", reply="Here I am.", times=2)

    failed = await client.post(url, json={"content": "Hi"}, headers=headers)
    used_after_failure = await _used_today(client, headers)
    sent = await client.post(url, json={"content": "Hi again"}, headers=headers)
    reply_id = sent.json()["replies"][0]["id"]
    regenerated = await client.post(f"{url}/{reply_id}/regenerate", headers=headers)

    assert failed.status_code == 503
    assert used_after_failure == 0
    assert (sent.status_code, regenerated.status_code) == (200, 200)
    assert await _used_today(client, headers) == 2


async def test_a_spent_budget_refuses_until_next_month(free_app: App) -> None:
    runtime, user_id, headers, chat_id = await _chat(free_app)
    client = free_app[1]
    runtime.quotas.clock = Clock(BEFORE_MIDNIGHT)
    async with runtime.db.unit_of_work() as session:
        session.add(
            LlmCall(
                user_id=user_id,
                provider="fake",
                model="rp",
                upstream_model="rp-model",
                cost_nanousd=50_000_000,  # 5 cents
                outcome="ok",
                created_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )
    _, admin = await user_with_token(runtime, client, admin=True)
    budget = {"monthly_budget_cents": 5}
    await client.patch("/api/v2/admin/plans/free", json=budget, headers=admin)

    response = await client.post(
        f"/api/v2/chats/{chat_id}/messages", json={"content": "Hi"}, headers=headers
    )

    assert response.status_code == 403
    body = response.json()
    assert (body["error"], body["reset_at"]) == ("budget_exhausted", "2027-01-01T00:00:00+00:00")
    assert await _used_today(client, headers) == 0


async def test_v1_completions_count_against_the_day(free_app: App, upstream: FakeUpstream) -> None:
    runtime, client = runtime_of(free_app[0]), free_app[1]
    user, headers = await user_with_token(runtime, client)
    _, admin = await user_with_token(runtime, client, admin=True)
    subscription = f"/api/v2/admin/users/{user.id}/subscription"
    await client.put(subscription, json={"plan_id": "pro"}, headers=admin)
    await client.patch("/api/v2/admin/plans/pro", json={"messages_per_day": 1}, headers=admin)
    upstream.script("rp-model", status=503)
    upstream.script("rp-model", reply="Hello.")
    body = {"model": "rp", "messages": [{"role": "user", "content": "Hi"}]}

    failed = await client.post("/v1/chat/completions", json=body, headers=headers)
    answered = await client.post("/v1/chat/completions", json=body, headers=headers)
    refused = await client.post("/v1/chat/completions", json=body, headers=headers)

    assert failed.status_code == 503  # not counted: the next one still gets in
    assert answered.status_code == 200, answered.text
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "quota_exceeded"  # OpenAI's shape under /v1


async def test_used_up_audio_minutes_refuse_speech_transcription_and_spoken_replies(
    free_app: App, upstream: FakeUpstream
) -> None:
    runtime, user_id, headers, chat_id = await _chat(free_app)
    client = free_app[1]  # on today's clock: the meter records on it
    upstream.script("rp-model", reply="Quietly.", times=None)
    # Free allows 10 minutes a day: 9 made and a little over 1 heard.
    await runtime.meter.record(user_id, synthesized_s=540.0, transcribed_s=61.0)

    speech = await client.post("/api/v2/voice/speech", json={"text": "Hi"}, headers=headers)
    heard = await client.post(
        "/api/v2/voice/transcriptions",
        files={"file": ("a.wav", b"RIFF0000WAVE", "audio/wav")},
        headers=headers,
    )
    url = f"/api/v2/chats/{chat_id}/messages"
    spoken = await client.post(url, json={"content": "Say it", "speak": True}, headers=headers)
    written = await client.post(url, json={"content": "Write it"}, headers=headers)

    for refused in (speech, heard, spoken):
        assert refused.status_code == 429, refused.text
        body = refused.json()
        assert (body["error"], body["limit"]) == ("quota_exceeded", "audio_minutes_per_day")
        assert 0 < int(refused.headers["Retry-After"]) <= 86_400  # until midnight UTC
    assert written.status_code == 200, written.text  # text needs no audio minutes
    assert await _used_today(client, headers) == 1  # the refused spoken message was not counted
