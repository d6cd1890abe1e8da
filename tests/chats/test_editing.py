"""Regenerate, choose among alternatives, continue, edit, delete, branch; message pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cognitia.chats import repository
from cognitia.models.character import Visibility
from cognitia.models.message import AuthorType, Message
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat, messages, named, stream
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]
JSON = {"Accept": "application/json"}


class Room:
    """A chat of an owner and a member with one character."""

    def __init__(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        self.client, self.runtime = client, runtime
        self.owner: User
        self.member: User
        self.headers: dict[str, str] = {}
        self.member_headers: dict[str, str] = {}
        self.chat_id = ""

    @property
    def base(self) -> str:
        return f"/api/v2/chats/{self.chat_id}"

    async def say(self, content: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.base}/messages",
            json={"content": content},
            headers={**(headers or self.headers), **JSON},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def room(chat_app: App, visibility: Visibility = Visibility.PRIVATE) -> Room:
    app, client = chat_app
    r = Room(client, runtime_of(app))
    r.owner, r.headers = await user_with_token(r.runtime, client)
    r.member, r.member_headers = await user_with_token(r.runtime, client)
    aria = await create_character(r.runtime, owner=r.owner, visibility=visibility)
    chat = await create_chat(client, r.headers, aria.id, participant_ids=[r.member.id])
    r.chat_id = chat["id"]
    return r


async def test_regenerate_adds_an_alternative_and_swipe_chooses_among_them(
    chat_app: App, upstream: FakeUpstream
) -> None:
    r = await room(chat_app)
    upstream.script("rp-model", reply="First answer.")
    upstream.script("rp-model", reply="Second answer.")
    turn = await r.say("Hi")
    reply = turn["replies"][0]
    url = f"{r.base}/messages/{reply['id']}"

    events = await stream(r.client, f"{url}/regenerate", r.member_headers)

    [created] = named(events, "message.created")
    assert created["message"]["id"] == reply["id"]
    assert (created["message"]["swipe_index"], created["message"]["swipe_count"]) == (1, 2)
    [completed] = named(events, "message.completed")
    assert completed["message"]["content"] == "Second answer."
    prompt = upstream.last("rp-model").body["messages"]
    assert all("First answer." not in m["content"] for m in prompt)

    back = await r.client.put(f"{url}/swipe", json={"index": 0}, headers=r.headers)
    assert back.status_code == 200, back.text
    assert (back.json()["content"], back.json()["swipe_index"]) == ("First answer.", 0)
    detail = (await r.client.get(url, headers=r.headers)).json()
    assert [s["content"] for s in detail["swipes"]] == ["First answer.", "Second answer."]
    missing = await r.client.put(f"{url}/swipe", json={"index": 2}, headers=r.headers)
    assert (missing.status_code, missing.json()["error"]) == (404, "swipe_not_found")
    assert (
        await r.client.put(f"{url}/swipe", json={"index": -1}, headers=r.headers)
    ).status_code == 422


async def test_only_the_last_reply_can_be_regenerated_or_continued(
    chat_app: App, upstream: FakeUpstream
) -> None:
    r = await room(chat_app)
    upstream.script("rp-model", reply="One.", times=2)
    first = await r.say("a")
    second = await r.say("b")

    for target in (first["replies"][0], second["user_message"]):
        for action in ("regenerate", "continue"):
            response = await r.client.post(
                f"{r.base}/messages/{target['id']}/{action}", headers={**r.headers, **JSON}
            )
            assert (response.status_code, response.json()["error"]) == (409, "not_last_reply")
    unknown = await r.client.post(f"{r.base}/messages/nope/regenerate", headers=r.headers)
    assert unknown.status_code == 404


async def test_continue_appends_to_the_last_reply(chat_app: App, upstream: FakeUpstream) -> None:
    r = await room(chat_app)
    upstream.script("rp-model", reply="Once upon")
    upstream.script("rp-model", reply=" a time.")
    reply = (await r.say("Tell me a story"))["replies"][0]

    events = await stream(r.client, f"{r.base}/messages/{reply['id']}/continue", r.headers)

    assert "".join(t["text"] for t in named(events, "token")) == " a time."
    [completed] = named(events, "message.completed")
    assert (completed["message"]["id"], completed["message"]["content"]) == (
        reply["id"],
        "Once upon a time.",
    )
    prompt = upstream.last("rp-model").body["messages"]
    assert any("Once upon" in m["content"] for m in prompt)
    stored = await messages(r.client, r.chat_id, r.headers)
    assert [m["content"] for m in stored] == ["Tell me a story", "Once upon a time."]


async def test_people_edit_their_own_messages_and_owners_the_characters(
    chat_app: App, upstream: FakeUpstream
) -> None:
    r = await room(chat_app)
    upstream.script("rp-model", reply="Original.")
    turn = await r.say("my words", headers=r.member_headers)
    mine, reply = turn["user_message"], turn["replies"][0]

    async def edit(message: dict[str, Any], headers: dict[str, str], text: str) -> httpx.Response:
        return await r.client.patch(
            f"{r.base}/messages/{message['id']}", json={"content": text}, headers=headers
        )

    assert (await edit(mine, r.headers, "not yours")).status_code == 403
    assert (await edit(reply, r.member_headers, "not yours")).status_code == 403
    assert (await edit(mine, r.member_headers, "")).status_code == 422
    edited = await edit(mine, r.member_headers, "better words")
    assert (edited.status_code, edited.json()["content"]) == (200, "better words")
    fixed = await edit(reply, r.headers, "Improved.")
    assert fixed.json()["content"] == "Improved."
    detail = (await r.client.get(f"{r.base}/messages/{reply['id']}", headers=r.headers)).json()
    assert [s["content"] for s in detail["swipes"]] == ["Improved."]


async def test_deleting_messages(chat_app: App, upstream: FakeUpstream) -> None:
    r = await room(chat_app)
    upstream.script("rp-model", reply="Bye.", times=2)
    members = await r.say("from the member", headers=r.member_headers)
    owners = await r.say("from the owner")

    def url(message: dict[str, Any]) -> str:
        return f"{r.base}/messages/{message['id']}"

    refused = await r.client.delete(url(owners["user_message"]), headers=r.member_headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_author")
    assert (
        await r.client.delete(url(members["user_message"]), headers=r.member_headers)
    ).status_code == 204
    assert (await r.client.delete(url(members["replies"][0]), headers=r.headers)).status_code == 204
    assert (await r.client.delete(url(members["replies"][0]), headers=r.headers)).status_code == 404
    stored = await messages(r.client, r.chat_id, r.headers)
    assert [m["content"] for m in stored] == ["from the owner", "Bye."]


async def test_a_branch_copies_the_chat_up_to_a_message(
    chat_app: App, upstream: FakeUpstream
) -> None:
    r = await room(chat_app, Visibility.PUBLIC)  # the member may use it (test_character_access)
    _, outsider_headers = await user_with_token(r.runtime, r.client)
    upstream.script("rp-model", reply="Answer one.")
    upstream.script("rp-model", reply="Answer two.")
    upstream.script("rp-model", reply="Answer three.")
    await r.say("one")
    first_reply = (await messages(r.client, r.chat_id, r.headers))[-1]
    await r.client.post(
        f"{r.base}/messages/{first_reply['id']}/regenerate", headers={**r.headers, **JSON}
    )
    await r.say("two")

    response = await r.client.post(
        f"{r.base}/branch", json={"message_id": first_reply["id"]}, headers=r.member_headers
    )

    assert response.status_code == 201, response.text
    branch = response.json()
    assert branch["id"] != r.chat_id
    assert branch["owner_id"] == r.member.id
    assert branch["branched_from_message_id"] == first_reply["id"]
    assert {p["user_id"] for p in branch["participants"]} == {r.owner.id, r.member.id}
    assert branch["last_seq"] == 2
    assert branch["unread_count"] == 0
    copied = await messages(r.client, branch["id"], r.member_headers)
    assert [(m["seq"], m["content"]) for m in copied] == [(1, "one"), (2, "Answer two.")]
    detail = await r.client.get(
        f"/api/v2/chats/{branch['id']}/messages/{copied[1]['id']}", headers=r.headers
    )
    assert [s["content"] for s in detail.json()["swipes"]] == ["Answer one.", "Answer two."]
    original = await messages(r.client, r.chat_id, r.headers)
    assert len(original) == 4
    refused = await r.client.post(
        f"{r.base}/branch", json={"message_id": first_reply["id"]}, headers=outsider_headers
    )
    assert refused.status_code == 404


async def _write_messages(runtime: Runtime, chat_id: str, count: int) -> None:
    async with runtime.db.unit_of_work() as session:
        for n in range(count):
            seq = await repository.allocate_seq(session, chat_id)
            session.add(
                Message(chat_id=chat_id, seq=seq, author_type=AuthorType.USER, content=f"m{n + 1}")
            )


async def test_messages_page_by_seq(chat_app: App) -> None:
    r = await room(chat_app)
    await _write_messages(r.runtime, r.chat_id, 7)

    async def page(**params: Any) -> tuple[list[int], bool]:
        response = await r.client.get(f"{r.base}/messages", params=params, headers=r.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return [m["seq"] for m in body["items"]], body["has_more"]

    assert await page(limit=3) == ([5, 6, 7], True)
    assert await page(limit=3, before=5) == ([2, 3, 4], True)
    assert await page(limit=3, before=2) == ([1], False)
    assert await page(limit=2, after=4) == ([5, 6], True)
    assert await page(limit=2, after=5) == ([6, 7], False)
    assert await page() == ([1, 2, 3, 4, 5, 6, 7], False)
    both = await r.client.get(
        f"{r.base}/messages", params={"before": 3, "after": 1}, headers=r.headers
    )
    assert both.status_code == 422
    assert (
        await r.client.get(f"{r.base}/messages", params={"limit": 201}, headers=r.headers)
    ).status_code == 422
