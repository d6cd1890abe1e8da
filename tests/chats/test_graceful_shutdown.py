"""Told to stop (SIGTERM) in the middle of a streamed reply, a server lets the reply
finish within `http.shutdown_grace_seconds`, or saves it as interrupted after that, and
ends every stream with a last event: the poster's with `message.completed`, each /events
watcher's with `error` server_shutting_down (chats/shutdown.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from httpx_sse import aconnect_sse

from cognitia.app import create_app
from cognitia.config import Settings
from cognitia.runtime import Runtime
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import Event, create_character, create_chat, named
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream
from tests.support.live import uvicorn_server

pytestmark = pytest.mark.asyncio

STORY = " ".join(f"word{n}." for n in range(20))
# A safety net against hangs, not a measurement.
HANG_GUARD_SECONDS = 60


@dataclass
class Served:
    http: httpx.AsyncClient
    runtime: Runtime
    server: uvicorn.Server


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings)
    async with (
        uvicorn_server(app) as (url, server),
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        yield Served(http, app.state.runtime, server)


def settings_with_grace(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, grace: float
) -> Settings:
    return fake_model_settings(
        database_url, tmp_path, upstream, http={"shutdown_grace_seconds": grace}
    )


async def read_all(
    url: str, http: httpx.AsyncClient, seen: asyncio.Event, first: str, **request: Any
) -> list[Event]:
    """A stream to its end; `seen` is set at its first `first` event."""
    events: list[Event] = []
    method = "POST" if "json" in request else "GET"
    async with aconnect_sse(http, method, url, **request) as source:
        assert source.response.status_code == 200, await source.response.aread()
        async for sse in source.aiter_sse():
            events.append((sse.event, sse.json()))
            if sse.event == first:
                seen.set()
    return events


async def stop_mid_reply(served: Served) -> tuple[list[Event], list[Event]]:
    """Watch a chat, post a message, stop the server after the reply's first token;
    what the poster's stream and the watcher's stream said to the end."""
    user, headers = await user_with_token(served.runtime, served.http)
    aria = await create_character(served.runtime, owner=user)
    chat = await create_chat(served.http, headers, aria.id)
    url = f"/api/v2/chats/{chat['id']}"
    ready, token = asyncio.Event(), asyncio.Event()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        watcher = asyncio.create_task(
            read_all(f"{url}/events", served.http, ready, "ready", headers=headers)
        )
        await ready.wait()
        poster = asyncio.create_task(
            read_all(
                f"{url}/messages",
                served.http,
                token,
                "token",
                headers={**headers, "Accept": "text/event-stream"},
                json={"content": "Tell me a story."},
            )
        )
        await token.wait()
        served.server.should_exit = True  # what SIGTERM does
        return await poster, await watcher


async def test_a_reply_in_flight_finishes_within_the_grace_and_every_stream_ends_with_word(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.script("rp-model", reply=STORY, token_delay=0.02)
    settings = settings_with_grace(database_url, tmp_path, upstream, grace=30)
    async with serving(settings) as served:
        posted, watched = await stop_mid_reply(served)

    completed = named(posted, "message.completed")
    assert [(c["message"]["status"], c["message"]["content"]) for c in completed] == [
        ("complete", STORY)
    ]
    assert posted[-1][0] == "message.completed"
    assert named(watched, "message.completed") == completed
    assert watched[-1] == (
        "error",
        {
            "message_id": None,
            "error": "server_shutting_down",
            "detail": "The server is restarting; connect again.",
            "partial_text": "",
        },
    )


async def test_a_reply_still_running_after_the_grace_is_interrupted_and_streams_say_so(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.script("rp-model", reply="One two three four", stall_after=2)
    settings = settings_with_grace(database_url, tmp_path, upstream, grace=0.2)
    async with serving(settings) as served:
        posted, watched = await stop_mid_reply(served)

    [failed] = named(posted, "error")
    assert (failed["error"], failed["partial_text"]) == ("interrupted", "One two")
    [completed] = named(posted, "message.completed")
    assert completed["message"]["status"] == "error"
    assert posted[-1][0] == "message.completed"
    assert named(watched, "message.completed") == [completed]
    assert [e["error"] for e in named(watched, "error")] == ["interrupted", "server_shutting_down"]
    assert watched[-1][0] == "error"


async def test_an_openai_compatible_stream_in_flight_finishes_within_the_grace(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> None:
    # Longer than sse-starlette takes to notice the exit (it looks every half second).
    upstream.script("rp-model", reply=STORY, token_delay=0.1)
    settings = settings_with_grace(database_url, tmp_path, upstream, grace=30)
    body = {"model": "rp", "stream": True, "messages": [{"role": "user", "content": "Go"}]}
    async with serving(settings) as served, asyncio.timeout(HANG_GUARD_SECONDS):
        _, headers = await user_with_token(served.runtime, served.http)
        lines: list[str] = []
        async with served.http.stream(
            "POST", "/v1/chat/completions", json=body, headers=headers
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    served.server.should_exit = True  # what SIGTERM does
                lines.append(line)

    data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    choices = [c for d in data[:-1] for c in json.loads(d)["choices"]]
    assert "".join(c["delta"].get("content") or "" for c in choices) == STORY
