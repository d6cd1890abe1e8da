"""Consent for tools with the policy ask, over real HTTP (SQLite and PostgreSQL): the reply
waits with a `tool.approval` event until a member approves (the tool runs, the reply goes
on) or declines (the model reads "declined by the user"), or until tools.approval_seconds
pass; 404 for people outside the chat, 409 for a call decided already or no longer
waiting; a decision that reaches another API process, and a client that left, change
nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse

from cognitia.app import create_app
from cognitia.config import Settings
from cognitia.models.message import Message, MessageStatus
from cognitia.runtime import Runtime
from tests.agents.conftest import tool_catalogue
from tests.conftest import make_settings
from tests.support.factories import bearer, create_user, login
from tests.support.fake_upstream import FakeUpstream, tool_call
from tests.support.live import live_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

Events = AsyncIterator[ServerSentEvent]


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    app = create_app(settings)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        yield http, app.state.runtime


async def person(http: httpx.AsyncClient, runtime: Runtime) -> tuple[str, dict[str, str]]:
    user = await create_user(runtime)
    return user.id, bearer((await login(http, user.email))["access_token"])


async def shared_chat(
    http: httpx.AsyncClient, headers: dict[str, str], member_id: str, **character: Any
) -> str:
    """A chat of the caller and `member_id` with Aria, who may use the calculator."""
    body = {"name": "Aria", "tools": ["calculator"], **character}
    made = await http.post("/api/v2/characters", json=body, headers=headers)
    assert made.status_code == 201, made.text
    chat = {"title": "Sums", "character_ids": [made.json()["id"]], "participant_ids": [member_id]}
    created = await http.post("/api/v2/chats", json=chat, headers=headers)
    assert created.status_code == 201, created.text
    chat_id: str = created.json()["id"]
    return chat_id


def script_a_sum(upstream: FakeUpstream) -> None:
    upstream.script(
        "rp-model",
        reply="Let me count.",
        tool_calls=(tool_call("calculator", {"expression": "6*7"}, "c1"),),
    )
    upstream.script("rp-model", reply=" Done.")


async def until(events: Events, name: str) -> dict[str, Any]:
    async for sse in events:
        if sse.event == name:
            data: dict[str, Any] = sse.json()
            return data
    raise AssertionError(f"the stream ended before {name}")


async def rest(events: Events) -> list[tuple[str, dict[str, Any]]]:
    return [(sse.event, sse.json()) async for sse in events]


def named(events: list[tuple[str, dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    return [data for event, data in events if event == name]


def decision_url(chat_id: str, call_id: str, verb: str) -> str:
    return f"/api/v2/chats/{chat_id}/tool-calls/{call_id}/{verb}"


ASK = {"tool_policies": {"calculator": "ask"}}


async def test_a_member_approves_and_the_reply_goes_on(
    settings: Settings, upstream: FakeUpstream
) -> None:
    script_a_sum(upstream)
    async with serving(settings) as (http, runtime):
        _, owner = await person(http, runtime)
        member_id, member = await person(http, runtime)
        _, stranger = await person(http, runtime)
        chat_id = await shared_chat(http, owner, member_id, **ASK)
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(http, "POST", url, json={"content": "6*7?"}, headers=owner) as sse:
            events = sse.aiter_sse()
            asked = await until(events, "tool.approval")
            assert (asked["id"], asked["name"]) == ("c1", "calculator")
            assert json.loads(asked["arguments"]) == {"expression": "6*7"}
            assert len(upstream.requests_for("rp-model")) == 1  # the reply waits
            listed = await http.get(f"/api/v2/chats/{chat_id}/tool-calls", headers=member)
            hidden = await http.get(f"/api/v2/chats/{chat_id}/tool-calls", headers=stranger)

            outside = await http.post(decision_url(chat_id, "c1", "approve"), headers=stranger)
            nothing = await http.post(decision_url(chat_id, "c9", "approve"), headers=member)
            approved = await http.post(decision_url(chat_id, "c1", "approve"), headers=member)
            again = await http.post(decision_url(chat_id, "c1", "approve"), headers=owner)
            late = await http.post(decision_url(chat_id, "c1", "decline"), headers=owner)
            after = await rest(events)

    assert [(c["id"], c["status"], c["message_id"]) for c in listed.json()["items"]] == [
        ("c1", "pending", asked["message_id"])
    ]
    assert (hidden.status_code, hidden.json()["error"]) == (404, "chat_not_found")
    assert (outside.status_code, outside.json()["error"]) == (404, "chat_not_found")
    assert (nothing.status_code, nothing.json()["error"]) == (404, "tool_call_not_found")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", member_id)
    assert approved.json()["id"] == "c1"
    for refused in (again, late):
        assert (refused.status_code, refused.json()["error"]) == (409, "tool_call_not_pending")
    [result] = named(after, "tool.result")
    assert (result["ok"], result["result"]) == (True, "6*7 = 42")
    [completed] = named(after, "message.completed")
    reply = completed["message"]
    assert (reply["status"], reply["content"]) == ("complete", "Let me count. Done.")
    assert [(c["name"], c["ok"], c["result"]) for c in reply["tool_calls"]] == [
        ("calculator", True, "6*7 = 42")
    ]


async def test_a_declined_call_tells_the_model_so(
    settings: Settings, upstream: FakeUpstream
) -> None:
    script_a_sum(upstream)
    async with serving(settings) as (http, runtime):
        _, owner = await person(http, runtime)
        member_id, _ = await person(http, runtime)
        chat_id = await shared_chat(http, owner, member_id, **ASK)
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(http, "POST", url, json={"content": "6*7?"}, headers=owner) as sse:
            events = sse.aiter_sse()
            await until(events, "tool.approval")
            declined = await http.post(decision_url(chat_id, "c1", "decline"), headers=owner)
            after = await rest(events)
            approve = await http.post(decision_url(chat_id, "c1", "approve"), headers=owner)

    assert (declined.status_code, declined.json()["status"]) == (200, "declined")
    assert (approve.status_code, approve.json()["error"]) == (409, "tool_call_not_pending")
    [result] = named(after, "tool.result")
    assert result["ok"] is False
    assert "declined by the user" in result["result"]
    assert named(after, "message.completed")[0]["message"]["status"] == "complete"
    assert "declined by the user" in json.dumps(upstream.last("rp-model").body["messages"])


# The admin forces ask on a character that chose nothing; nobody answers in time.
@pytest.mark.parametrize(
    "tool_settings", [{"policies": {"calculator": "ask"}, "approval_seconds": 0.05}]
)
async def test_a_call_nobody_decides_is_declined_in_time(
    settings: Settings, upstream: FakeUpstream
) -> None:
    script_a_sum(upstream)
    async with serving(settings) as (http, runtime):
        _, owner = await person(http, runtime)
        member_id, _ = await person(http, runtime)
        chat_id = await shared_chat(http, owner, member_id, tool_policies={"calculator": "always"})
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(http, "POST", url, json={"content": "6*7?"}, headers=owner) as sse:
            after = await rest(sse.aiter_sse())
        late = await http.post(decision_url(chat_id, "c1", "approve"), headers=owner)

    assert len(named(after, "tool.approval")) == 1
    [result] = named(after, "tool.result")
    assert (result["ok"], result["result"]) == (
        False,
        "tool 'calculator' declined: nobody approved it in time",
    )
    assert named(after, "message.completed")[0]["message"]["content"] == "Let me count. Done."
    assert (late.status_code, late.json()["error"]) == (409, "tool_call_not_pending")


async def test_a_stop_while_waiting_ends_the_wait(
    settings: Settings, upstream: FakeUpstream
) -> None:
    script_a_sum(upstream)
    async with serving(settings) as (http, runtime):
        _, owner = await person(http, runtime)
        member_id, _ = await person(http, runtime)
        chat_id = await shared_chat(http, owner, member_id, **ASK)
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(http, "POST", url, json={"content": "6*7?"}, headers=owner) as sse:
            events = sse.aiter_sse()
            asked = await until(events, "tool.approval")
            stop = await http.post(f"{url}/{asked['message_id']}/stop", headers=owner)
            after = await rest(events)
        late = await http.post(decision_url(chat_id, "c1", "approve"), headers=owner)
        waiting = await http.get(f"/api/v2/chats/{chat_id}/tool-calls", headers=owner)

    assert stop.json()["message"]["status"] == "stopped"
    assert named(after, "message.completed")[0]["message"]["status"] == "stopped"
    assert (late.status_code, late.json()["error"]) == (409, "tool_call_not_pending")
    assert len(upstream.requests_for("rp-model")) == 1
    assert waiting.json()["items"] == []


async def test_a_decision_at_another_process_after_the_client_left(
    database_url: str, tmp_path: Path, redis_url: str, upstream: FakeUpstream
) -> None:
    """The reply runs in the first process; its client leaves while the call waits; the
    approval reaches the second process, and the first finishes the reply."""
    catalogue = tmp_path / "models.toml"
    catalogue.write_text(tool_catalogue(upstream))
    settings = make_settings(
        database_url,
        tmp_path,
        llm={"catalogue_path": catalogue},
        redis_url=redis_url,
        jobs={"backend": "embedded"},
    )
    script_a_sum(upstream)
    async with serving(settings) as (first, runtime), serving(settings) as (second, _):
        _, owner = await person(first, runtime)
        member_id, member = await person(first, runtime)
        chat_id = await shared_chat(first, owner, member_id, **ASK)
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(first, "POST", url, json={"content": "6*7?"}, headers=owner) as sse:
            asked = await until(sse.aiter_sse(), "tool.approval")
        # The client has gone; the reply still waits in the first process, its text so
        # far saved for whoever opens the chat meanwhile.
        async with runtime.db.read() as session:
            waiting = await session.get(Message, asked["message_id"])
            assert waiting is not None
            assert (waiting.status, waiting.content) == (MessageStatus.STREAMING, "Let me count.")

        approved = await second.post(decision_url(chat_id, "c1", "approve"), headers=member)

        async def finished() -> Message | None:
            async with runtime.db.read() as session:
                message = await session.get(Message, asked["message_id"])
            return message if message and message.status != MessageStatus.STREAMING else None

        message = await eventually(finished)

    assert approved.status_code == 200, approved.text
    assert (message.status, message.content) == (MessageStatus.COMPLETE, "Let me count. Done.")
    assert [(c["ok"], c["result"]) for c in message.tool_calls] == [(True, "6*7 = 42")]


async def test_a_tool_the_owner_set_to_never_is_not_offered(
    settings: Settings, upstream: FakeUpstream
) -> None:
    upstream.script("rp-model", reply="Hello.")
    async with serving(settings) as (http, runtime):
        _, owner = await person(http, runtime)
        member_id, _ = await person(http, runtime)
        chat_id = await shared_chat(
            http,
            owner,
            member_id,
            tools=["calculator", "current_time"],
            tool_policies={"calculator": "never"},
        )
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(http, "POST", url, json={"content": "Hi"}, headers=owner) as sse:
            await rest(sse.aiter_sse())

    offered = [t["function"]["name"] for t in upstream.last("rp-model").body["tools"]]
    assert offered == ["current_time"]
