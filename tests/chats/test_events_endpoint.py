"""GET /api/v2/chats/{id}/events over real HTTP: participants see the chat's live events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from httpx_sse import EventSource, aconnect_sse
from redis.asyncio import Redis

from cognitia.app import create_app
from cognitia.chats import live
from cognitia.config import Settings
from cognitia.events.providers.memory import InMemoryEventBus
from cognitia.events.providers.redis import RedisEventBus
from cognitia.models.chat import Chat, ChatParticipant
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.test_live_events import MESSAGE
from tests.conftest import make_settings
from tests.support.factories import bearer, create_user, login
from tests.support.live import live_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    app = create_app(settings)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        yield http, app.state.runtime


@pytest_asyncio.fixture
async def served(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    async with serving(make_settings(database_url, tmp_path)) as pair:
        yield pair


async def create_chat(runtime: Runtime, *, owner: User, others: Sequence[User] = ()) -> str:
    """A chat with its participants (rows only: no characters needed to watch events)."""
    async with runtime.db.unit_of_work() as session:
        chat = Chat(owner_id=owner.id, title="watched")
        session.add(chat)
        await session.flush()
        for user in [owner, *others]:
            session.add(ChatParticipant(chat_id=chat.id, user_id=user.id))
        return chat.id


async def headers_for(http: httpx.AsyncClient, user: User) -> dict[str, str]:
    tokens = await login(http, user.email)
    return bearer(tokens["access_token"])


@asynccontextmanager
async def watching(
    http: httpx.AsyncClient, chat_id: str, headers: dict[str, str]
) -> AsyncIterator[AsyncIterator[tuple[str, dict[str, Any]]]]:
    """The chat's event stream, opened and past its `ready` event."""
    async with aconnect_sse(
        http, "GET", f"/api/v2/chats/{chat_id}/events", headers=headers
    ) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        events = _decoded(source)
        name, data = await anext(events)
        assert (name, data) == ("ready", {"chat_id": chat_id})
        yield events


async def _decoded(source: EventSource) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    async for sse in source.aiter_sse():
        yield sse.event, json.loads(sse.data)


async def test_every_participant_sees_what_is_published_on_the_chat(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    alice, bob = await create_user(runtime), await create_user(runtime)
    chat_id = await create_chat(runtime, owner=alice, others=[bob])
    message = MESSAGE.model_copy(update={"chat_id": chat_id, "content": "Hi all"})
    reply = MESSAGE.model_copy(update={"id": "m2", "chat_id": chat_id, "content": "Hello."})
    edited = message.model_copy(update={"content": "Hi everyone"})
    published: list[live.ChatEvent] = [
        live.MessageCreated(message),
        live.Token("m2", "Hel"),
        live.Token("m2", "lo."),
        live.Sentence("m2", 0, "Hello."),
        live.Audio("m2", 0, "Hello.", "joe", "wav", "audio/wav", 22050, 0.5, b"RIFF"),
        live.AudioError("m2", 1, "joe", "voice_unavailable", "The voice runner is down."),
        live.ToolCalled("m2", "c1", "current_time", "{}"),
        live.ToolApprovalAsked("m2", "c1", "current_time", "{}", "2026-01-02T03:09:05+00:00"),
        live.ToolAnswered("m2", "c1", "current_time", "UTC: 2026-01-02 03:04:05", True),
        live.MessageCompleted(reply, {"total_tokens": 3}),
        live.MessageUpdated(edited),
        live.MessageDeleted("m1"),
        live.Error("upstream_error", "The model failed.", message_id="m3", partial_text="Wel"),
    ]

    async with (
        watching(http, chat_id, await headers_for(http, alice)) as seen_by_alice,
        watching(http, chat_id, await headers_for(http, bob)) as seen_by_bob,
    ):
        for item in published:
            await live.publish(runtime.events, chat_id, item)

        expected = [(item.NAME, live.to_bus(item)["data"]) for item in published]
        assert [await anext(seen_by_alice) for _ in published] == expected
        assert [await anext(seen_by_bob) for _ in published] == expected
    assert {name for name, _ in expected} == live.EVENT_NAMES


async def test_a_stream_sees_only_its_own_chat(served: tuple[httpx.AsyncClient, Runtime]) -> None:
    http, runtime = served
    alice = await create_user(runtime)
    mine, other = await create_chat(runtime, owner=alice), await create_chat(runtime, owner=alice)

    async with watching(http, mine, await headers_for(http, alice)) as events:
        await live.publish(runtime.events, other, live.MessageDeleted("elsewhere"))
        await live.publish(runtime.events, mine, live.MessageDeleted("here"))

        assert await anext(events) == ("message.deleted", {"message_id": "here"})


async def test_a_closed_stream_leaves_no_subscription_behind(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    alice = await create_user(runtime)
    chat_id = await create_chat(runtime, owner=alice)
    bus = runtime.events
    assert isinstance(bus, InMemoryEventBus)
    headers = await headers_for(http, alice)

    async with watching(http, chat_id, headers):
        assert bus.subscribers(live.channel(chat_id)) == 1

    async def none_left() -> bool:
        return bus.subscribers(live.channel(chat_id)) == 0

    await eventually(none_left, timeout=10)


async def test_a_non_member_gets_404(served: tuple[httpx.AsyncClient, Runtime]) -> None:
    http, runtime = served
    alice, mallory = await create_user(runtime), await create_user(runtime)
    chat_id = await create_chat(runtime, owner=alice)
    headers = await headers_for(http, mallory)

    outsider = await http.get(f"/api/v2/chats/{chat_id}/events", headers=headers)
    unknown = await http.get("/api/v2/chats/no-such-chat/events", headers=headers)

    assert outsider.status_code == 404
    assert outsider.json()["error"] == "chat_not_found"
    assert unknown.status_code == 404
    assert unknown.json() == outsider.json()
    assert isinstance(runtime.events, InMemoryEventBus)
    assert runtime.events.subscribers(live.channel(chat_id)) == 0


async def test_without_credentials_401(served: tuple[httpx.AsyncClient, Runtime]) -> None:
    http, runtime = served
    alice = await create_user(runtime)
    chat_id = await create_chat(runtime, owner=alice)

    anonymous = await http.get(f"/api/v2/chats/{chat_id}/events")
    forged = await http.get(f"/api/v2/chats/{chat_id}/events", headers=bearer("not-a-token"))

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert forged.status_code == 401


async def test_on_redis_events_from_another_process_arrive(
    database_url: str, tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(
        database_url, tmp_path, redis_url=redis_url, jobs={"backend": "embedded"}
    )
    elsewhere = Redis.from_url(redis_url)
    other_process = RedisEventBus(elsewhere)
    try:
        async with serving(settings) as (http, runtime):
            assert isinstance(runtime.events, RedisEventBus)
            alice = await create_user(runtime)
            chat_id = await create_chat(runtime, owner=alice)

            async with watching(http, chat_id, await headers_for(http, alice)) as events:
                await live.publish(other_process, chat_id, live.Token("m1", "from afar"))

                assert await anext(events) == ("token", {"message_id": "m1", "text": "from afar"})
    finally:
        await other_process.close()
        await elsewhere.aclose()
