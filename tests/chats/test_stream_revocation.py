"""An open GET /chats/{id}/events stream ends, with `error` access_revoked, as soon as
its reader loses access: removed, leaving, the chat deleted, the account disabled, the
session logged out, the password changed elsewhere, the API key revoked. Streams of
everyone else go on. (Across two API processes: test_live_two_processes.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from httpx_sse import aconnect_sse

from cognitia.app import create_app
from cognitia.chats import live
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.test_events_endpoint import create_chat, headers_for
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, bearer, create_api_key, create_user
from tests.support.live import live_server

pytestmark = pytest.mark.asyncio

Event = tuple[str, dict[str, Any]]
# A safety net against a stream that never ends (the failure under test), not a measurement.
HANG_GUARD_SECONDS = 20


@pytest_asyncio.fixture
async def served(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    app = create_app(make_settings(database_url, tmp_path))
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        yield http, app.state.runtime


class Watch:
    """One open /events stream, read in the background until it ends."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ready = asyncio.Event()
        self.arrived = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None

    async def read(self, http: httpx.AsyncClient, chat_id: str, headers: dict[str, str]) -> None:
        url = f"/api/v2/chats/{chat_id}/events"
        async with aconnect_sse(http, "GET", url, headers=headers) as source:
            assert source.response.status_code == 200, await source.response.aread()
            async for sse in source.aiter_sse():
                async with self.arrived:
                    self.events.append((sse.event, sse.json()))
                    self.arrived.notify_all()
                self.ready.set()

    async def ended(self) -> list[Event]:
        """Every event after `ready`, once the server has ended the stream."""
        assert self.task is not None
        async with asyncio.timeout(HANG_GUARD_SECONDS):
            await self.task
        return self.events[1:]

    async def saw(self, marker: str) -> None:
        """Wait until the stream relays the message.deleted event named `marker`."""
        wanted = ("message.deleted", {"message_id": marker})
        async with asyncio.timeout(HANG_GUARD_SECONDS), self.arrived:
            await self.arrived.wait_for(lambda: wanted in self.events)


@asynccontextmanager
async def watching(
    http: httpx.AsyncClient, chat_id: str, headers: dict[str, str]
) -> AsyncIterator[Watch]:
    watch = Watch()
    watch.task = asyncio.create_task(watch.read(http, chat_id, headers))
    try:
        async with asyncio.timeout(HANG_GUARD_SECONDS):
            await watch.ready.wait()
        yield watch
    finally:
        watch.task.cancel()
        await asyncio.gather(watch.task, return_exceptions=True)


def revoked(events: list[Event]) -> bool:
    """The stream's only event after `ready` was its last: error access_revoked."""
    return (
        len(events) == 1
        and events[0][0] == "error"
        and (events[0][1]["error"] == live.ACCESS_REVOKED)
    )


async def _members(runtime: Runtime) -> tuple[User, User, str]:
    owner, member = await create_user(runtime), await create_user(runtime)
    return owner, member, await create_chat(runtime, owner=owner, others=[member])


async def still_open(runtime: Runtime, chat_id: str, watch: Watch, marker: str) -> None:
    await live.publish(runtime.events, chat_id, live.MessageDeleted(marker))
    await watch.saw(marker)


async def test_a_removed_member_s_stream_ends_and_the_others_go_on(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    owner, member, chat_id = await _members(runtime)
    owner_headers = await headers_for(http, owner)

    async with (
        watching(http, chat_id, await headers_for(http, member)) as removed,
        watching(http, chat_id, owner_headers) as staying,
    ):
        url = f"/api/v2/chats/{chat_id}/participants/{member.id}"
        assert (await http.delete(url, headers=owner_headers)).status_code == 204

        assert revoked(await removed.ended())
        await still_open(runtime, chat_id, staying, "after-removal")


async def test_leaving_ends_one_s_own_stream(served: tuple[httpx.AsyncClient, Runtime]) -> None:
    http, runtime = served
    _, member, chat_id = await _members(runtime)
    headers = await headers_for(http, member)

    async with watching(http, chat_id, headers) as leaving:
        url = f"/api/v2/chats/{chat_id}/participants/{member.id}"
        assert (await http.delete(url, headers=headers)).status_code == 204

        assert revoked(await leaving.ended())


async def test_deleting_the_chat_ends_every_stream_of_it(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    owner, member, chat_id = await _members(runtime)
    other_chat = await create_chat(runtime, owner=owner)
    owner_headers = await headers_for(http, owner)

    async with (
        watching(http, chat_id, owner_headers) as owners,
        watching(http, chat_id, await headers_for(http, member)) as members,
        watching(http, other_chat, owner_headers) as elsewhere,
    ):
        deleted = await http.delete(f"/api/v2/chats/{chat_id}", headers=owner_headers)
        assert deleted.status_code == 204

        assert revoked(await owners.ended())
        assert revoked(await members.ended())
        await still_open(runtime, other_chat, elsewhere, "other-chat")


async def test_disabling_an_account_ends_its_streams(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    owner, member, chat_id = await _members(runtime)
    admin = await create_user(runtime, admin=True)

    async with (
        watching(http, chat_id, await headers_for(http, member)) as disabled,
        watching(http, chat_id, await headers_for(http, owner)) as staying,
    ):
        url = f"/api/v2/admin/users/{member.id}/disable"
        assert (await http.post(url, headers=await headers_for(http, admin))).status_code == 200

        events = await disabled.ended()
        assert revoked(events)
        assert events[0][1]["detail"] == "This account is disabled."
        await still_open(runtime, chat_id, staying, "after-disabling")


async def test_logout_ends_the_streams_of_that_session_only(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    _, member, chat_id = await _members(runtime)
    leaving, staying = await headers_for(http, member), await headers_for(http, member)

    async with (
        watching(http, chat_id, leaving) as logged_out,
        watching(http, chat_id, staying) as other_session,
    ):
        assert (await http.post("/api/v2/auth/logout", headers=leaving)).status_code == 204

        assert revoked(await logged_out.ended())
        await still_open(runtime, chat_id, other_session, "after-logout")


async def test_a_password_change_ends_the_streams_of_the_other_sessions(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    _, member, chat_id = await _members(runtime)
    changing = await headers_for(http, member)
    elsewhere = await headers_for(http, member)

    async with (
        watching(http, chat_id, elsewhere) as other_session,
        watching(http, chat_id, changing) as this_session,
    ):
        body = {"current_password": PASSWORD, "new_password": "AnotherPass456"}
        changed = await http.patch("/api/v2/users/me", json=body, headers=changing)
        assert changed.status_code == 200, changed.text

        assert revoked(await other_session.ended())
        await still_open(runtime, chat_id, this_session, "after-password-change")


async def test_revoking_an_api_key_ends_its_streams(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = served
    _, member, chat_id = await _members(runtime)
    headers = await headers_for(http, member)
    key = await create_api_key(http, headers)

    async with (
        watching(http, chat_id, bearer(key["key"])) as by_key,
        watching(http, chat_id, headers) as by_session,
    ):
        revoke = await http.delete(f"/api/v2/api-keys/{key['id']}", headers=headers)
        assert revoke.status_code in (200, 204), revoke.text

        assert revoked(await by_key.ended())
        await still_open(runtime, chat_id, by_session, "after-key-revoked")
