"""Two `cognitia serve` processes on one PostgreSQL and one Redis: a person watching a
chat on one process sees another person's message, and the reply streamed for it, sent
through the other process."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from httpx_sse import aconnect_sse

from cognitia.models.user import User
from cognitia.runtime import Runtime, build_runtime
from tests.chats.conftest import catalogue_text
from tests.chats.helpers import Event, create_character, create_chat, named, stream
from tests.conftest import make_settings, truncate_all
from tests.support.factories import bearer, create_user, login
from tests.support.fake_upstream import FakeUpstream
from tests.support.net import free_port
from tests.support.processes import COGNITIA, process_env, stop
from tests.support.waiting import eventually_sync

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

REPLY = "Hello to you both. It is good to see two faces today."
SECRET = "two-processes-share-this-jwt-secret-0123456789"


@dataclass(frozen=True)
class Process:
    base: str
    log: Path
    popen: subprocess.Popen[bytes]


def _alive(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _serve(stack: ExitStack, cwd: Path, env: dict[str, str]) -> Process:
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [COGNITIA, "serve", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    stack.callback(stop, process)
    base = f"http://127.0.0.1:{port}"
    eventually_sync(lambda: process.poll() is not None or _alive(base), timeout=60)
    assert process.poll() is None, log.read_text()
    return Process(base, log, process)


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    yield postgres_url
    truncate_all(postgres_url)


@pytest.fixture
def processes(
    database: str, redis_url: str, upstream: FakeUpstream, tmp_path: Path
) -> Iterator[tuple[Process, Process]]:
    catalogue = tmp_path / "models.toml"
    catalogue.write_text(catalogue_text(upstream))
    env = process_env(
        COGNITIA_DATABASE_URL=database,
        COGNITIA_REDIS_URL=redis_url,
        COGNITIA_JOBS__BACKEND="embedded",
        COGNITIA_LLM__CATALOGUE_PATH=str(catalogue),
        COGNITIA_JWT_SECRET=SECRET,
        COGNITIA_DATA_DIR=str(tmp_path / "data"),
        COGNITIA_MAIL__BACKEND="memory",
        COGNITIA_AUTH__ARGON2_MEMORY_KIB="1024",
        COGNITIA_AUTH__ARGON2_TIME_COST="1",
    )
    with ExitStack() as stack:
        yield _serve(stack, tmp_path, env), _serve(stack, tmp_path, env)


@pytest_asyncio.fixture
async def runtime(database: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """This test's own handle on the shared database, for the factories."""
    settings = make_settings(database, tmp_path, jwt_secret=SECRET)
    built = build_runtime(settings)
    yield built
    await built.close()


async def _watch(
    http: httpx.AsyncClient,
    chat_id: str,
    headers: dict[str, str],
    ready: asyncio.Event,
    *,
    until: str | None = "message.completed",
) -> list[Event]:
    """A watcher's stream up to the event `until`, or (None) until the server ends it."""
    seen: list[Event] = []
    url = f"/api/v2/chats/{chat_id}/events"
    async with aconnect_sse(http, "GET", url, headers=headers) as source:
        assert source.response.status_code == 200, await source.response.aread()
        async for sse in source.aiter_sse():
            seen.append((sse.event, sse.json()))
            if sse.event == "ready":
                ready.set()
            if sse.event == until:
                return seen
    if until is None:
        return seen
    raise AssertionError(f"the stream ended early: {seen}")


async def _person(runtime: Runtime, http: httpx.AsyncClient, name: str) -> tuple[User, Any]:
    user = await create_user(runtime, first_name=name)
    tokens = await login(http, user.email)
    return user, bearer(tokens["access_token"])


async def test_a_watcher_on_one_process_sees_a_turn_sent_through_the_other(
    processes: tuple[Process, Process], runtime: Runtime, upstream: FakeUpstream
) -> None:
    one, two = processes
    upstream.script("alpha-model", reply=REPLY, token_delay=0.01, times=None)
    async with (
        httpx.AsyncClient(base_url=one.base, timeout=30) as on_one,
        httpx.AsyncClient(base_url=two.base, timeout=30) as on_two,
    ):
        alice, alice_headers = await _person(runtime, on_one, "Alice")
        bob, bob_headers = await _person(runtime, on_two, "Bob")
        character = await create_character(runtime, owner=alice, name="Aria", model="alpha")
        chat = await create_chat(
            on_one, alice_headers, character.id, participant_ids=[bob.id], title="Two of us"
        )

        ready = asyncio.Event()
        async with asyncio.timeout(60):  # a safety net against hangs, not a measurement
            watcher = asyncio.create_task(_watch(on_two, chat["id"], bob_headers, ready))
            await ready.wait()
            posted = await stream(
                on_one,
                f"/api/v2/chats/{chat['id']}/messages",
                {**alice_headers, "Accept": "text/event-stream"},
                {"content": "Hi Aria, Bob is here too."},
            )
            seen = await watcher

    assert seen[0] == ("ready", {"chat_id": chat["id"]})
    created = named(seen, "message.created")
    assert [m["message"]["author_type"] for m in created] == ["user", "character"]
    person, reply = created[0]["message"], created[1]["message"]
    assert person["content"] == "Hi Aria, Bob is here too."
    assert person["user_id"] == alice.id
    assert reply["character_id"] == character.id
    tokens = named(seen, "token")
    assert len(tokens) > 1
    assert {t["message_id"] for t in tokens} == {reply["id"]}
    assert "".join(t["text"] for t in tokens) == REPLY
    completed = named(seen, "message.completed")[0]
    assert completed["message"]["id"] == reply["id"]
    assert completed["message"]["content"] == REPLY
    assert completed["message"]["status"] == "complete"
    assert completed["usage"]["completion_tokens"] > 0
    # Alice's own stream, from the other process, told the same story.
    assert named(posted, "token") == tokens
    assert named(posted, "message.completed")[0]["message"]["content"] == REPLY


async def test_losing_access_through_one_process_ends_streams_on_the_other(
    processes: tuple[Process, Process], runtime: Runtime
) -> None:
    one, two = processes
    async with (
        httpx.AsyncClient(base_url=one.base, timeout=30) as on_one,
        httpx.AsyncClient(base_url=two.base, timeout=30) as on_two,
    ):
        alice, alice_headers = await _person(runtime, on_one, "Alice")
        bob, bob_headers = await _person(runtime, on_two, "Bob")
        carol, carol_headers = await _person(runtime, on_two, "Carol")
        admin = await create_user(runtime, admin=True)
        admin_headers = bearer((await login(on_one, admin.email))["access_token"])
        character = await create_character(runtime, owner=alice, name="Aria", model="alpha")
        chat = await create_chat(
            on_one, alice_headers, character.id, participant_ids=[bob.id, carol.id]
        )

        async with asyncio.timeout(60):  # a safety net against hangs, not a measurement
            bob_ready, carol_ready = asyncio.Event(), asyncio.Event()
            bobs = asyncio.create_task(
                _watch(on_two, chat["id"], bob_headers, bob_ready, until=None)
            )
            carols = asyncio.create_task(
                _watch(on_two, chat["id"], carol_headers, carol_ready, until=None)
            )
            await bob_ready.wait()
            await carol_ready.wait()
            url = f"/api/v2/chats/{chat['id']}/participants/{bob.id}"
            assert (await on_one.delete(url, headers=alice_headers)).status_code == 204
            bob_saw = await bobs
            disable = f"/api/v2/admin/users/{carol.id}/disable"
            assert (await on_one.post(disable, headers=admin_headers)).status_code == 200
            carol_saw = await carols

    for seen in (bob_saw, carol_saw):
        assert [name for name, _ in seen] == ["ready", "error"]
        assert seen[-1][1]["error"] == "access_revoked"


async def test_sigterm_mid_reply_lets_it_finish_and_ends_every_stream_with_a_last_event(
    processes: tuple[Process, Process], runtime: Runtime, upstream: FakeUpstream
) -> None:
    one, _ = processes
    upstream.script("alpha-model", reply=REPLY, token_delay=0.05, times=None)
    async with httpx.AsyncClient(base_url=one.base, timeout=30) as http:
        alice, headers = await _person(runtime, http, "Alice")
        character = await create_character(runtime, owner=alice, name="Aria", model="alpha")
        chat = await create_chat(http, headers, character.id, title="Stopping")
        url = f"/api/v2/chats/{chat['id']}"

        async with asyncio.timeout(60):  # a safety net against hangs, not a measurement
            ready = asyncio.Event()
            watcher = asyncio.create_task(_watch(http, chat["id"], headers, ready, until=None))
            await ready.wait()
            body = {"content": "Hi Aria."}
            sse_headers = {**headers, "Accept": "text/event-stream"}
            async with aconnect_sse(
                http, "POST", f"{url}/messages", headers=sse_headers, json=body
            ) as source:
                posted: list[Event] = []
                async for sse in source.aiter_sse():
                    posted.append((sse.event, sse.json()))
                    if sse.event == "token" and len(named(posted, "token")) == 1:
                        one.popen.terminate()  # SIGTERM, as an orchestrator sends it
            watched = await watcher
            await asyncio.to_thread(one.popen.wait)

    assert posted[-1][0] == "message.completed"
    assert posted[-1][1]["message"]["status"] == "complete"
    assert posted[-1][1]["message"]["content"] == REPLY
    assert watched[-2] == posted[-1]
    assert watched[-1][0] == "error"
    assert watched[-1][1]["error"] == "server_shutting_down"
    # uvicorn re-raises the SIGTERM it caught once it has shut down gracefully.
    assert one.popen.returncode == -signal.SIGTERM
    assert "Application shutdown complete" in one.log.read_text()
