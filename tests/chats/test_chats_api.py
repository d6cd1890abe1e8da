"""Chats: creation with greetings, validation, listing, membership and ownership rules."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cognitia.chats import repository
from cognitia.models.character import Character, Visibility
from cognitia.models.message import AuthorType, Message, MessageSwipe
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat, messages
from tests.support.factories import runtime_of, user_with_token

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]


async def test_a_one_to_one_chat_opens_with_the_first_message_and_its_alternatives(
    chat_app: App,
) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    aria = await create_character(
        runtime,
        owner=user,
        first_message="Hello {{user}}, I am {{char}}.",
        alternate_greetings=["Oh, {{user}}!", "  "],
        group_only_greetings=["Hi all."],
    )

    chat = await create_chat(client, headers, aria.id, title="")

    assert chat["title"] == "Aria"
    assert chat["owner_id"] == user.id
    assert [c["id"] for c in chat["characters"]] == [aria.id]
    assert [(p["user_id"], p["is_owner"]) for p in chat["participants"]] == [(user.id, True)]
    assert chat["unread_count"] == 0, "the creator has seen the greeting"
    greeting = chat["last_message"]
    assert greeting["content"] == "Hello Test, I am Aria."
    assert (greeting["author_type"], greeting["name"], greeting["seq"]) == ("character", "Aria", 1)
    assert (greeting["swipe_index"], greeting["swipe_count"]) == (0, 2)
    detail = await client.get(
        f"/api/v2/chats/{chat['id']}/messages/{greeting['id']}", headers=headers
    )
    assert [s["content"] for s in detail.json()["swipes"]] == [
        "Hello Test, I am Aria.",
        "Oh, Test!",
    ]
    async with runtime.db.unit_of_work() as session:
        assert (await session.get(Character, aria.id)).chat_count == 1  # type: ignore[union-attr]


async def test_a_group_chat_greets_with_group_only_greetings_else_first_messages(
    chat_app: App,
) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    aria = await create_character(
        runtime,
        owner=user,
        first_message="Solo hello.",
        group_only_greetings=["Hello, {{user}} and all."],
    )
    bram = await create_character(runtime, owner=user, name="Bram", first_message="Bram here.")
    mute = await create_character(runtime, owner=user, name="Mute")

    chat = await create_chat(client, headers, aria.id, bram.id, mute.id)

    items = await messages(client, chat["id"], headers)
    assert [(m["name"], m["content"], m["seq"]) for m in items] == [
        ("Aria", "Hello, Test and all.", 1),
        ("Bram", "Bram here.", 2),
    ]
    assert [c["name"] for c in chat["characters"]] == ["Aria", "Bram", "Mute"]
    assert [c["position"] for c in chat["characters"]] == [0, 1, 2]


async def test_creation_is_validated(chat_app: App) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    stranger, _ = await user_with_token(runtime, client)
    mine = await create_character(runtime, owner=user)
    private = await create_character(runtime, owner=stranger, name="Secret")
    public = await create_character(
        runtime, owner=stranger, name="Open", visibility=Visibility.PUBLIC
    )
    unlisted = await create_character(
        runtime, owner=stranger, name="Link", visibility=Visibility.UNLISTED
    )

    async def create(**body: object) -> httpx.Response:
        return await client.post("/api/v2/chats", json=body, headers=headers)

    assert (await create(title="x", character_ids=[], participant_ids=[])).status_code == 422
    assert (await create(title="x", participant_ids=[])).status_code == 422
    assert (await create(character_ids=[mine.id], strategy="loudest")).status_code == 422
    assert (await create(character_ids=[mine.id], auto_turns=99)).status_code == 422
    assert (await create(character_ids=[mine.id], title="t" * 201)).status_code == 422
    assert (await create(character_ids=[mine.id], extra=1)).status_code == 422
    hidden = await create(title="x", character_ids=[mine.id, private.id], participant_ids=[])
    assert hidden.status_code == 404
    nobody = await create(title="x", character_ids=[mine.id], participant_ids=["no-such-user"])
    assert nobody.status_code == 404
    assert nobody.json()["error"] == "user_not_found"
    persona = await create(character_ids=[mine.id], persona_id="no-such-persona")
    assert persona.status_code == 404
    ok = await create(
        title="x", character_ids=[public.id, unlisted.id, mine.id], participant_ids=[stranger.id]
    )
    assert ok.status_code == 201, ok.text
    assert {p["user_id"] for p in ok.json()["participants"]} == {user.id, stranger.id}
    async with runtime.db.unit_of_work() as session:
        assert (await session.get(Character, private.id)).chat_count == 0  # type: ignore[union-attr]


async def test_no_request_to_create_a_chat_leaves_anything_behind_on_failure(chat_app: App) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=user, alternate_greetings=["hi"])
    bad = {"title": "x", "character_ids": [aria.id], "participant_ids": ["ghost"]}
    assert (await client.post("/api/v2/chats", json=bad, headers=headers)).status_code == 404
    assert (await client.get("/api/v2/chats", headers=headers)).json()["total"] == 0
    async with runtime.db.unit_of_work() as session:
        assert not (await session.scalars(select(MessageSwipe))).all()


async def test_non_members_see_nothing_and_members_cannot_manage(chat_app: App) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    owner, owner_headers = await user_with_token(runtime, client)
    member, member_headers = await user_with_token(runtime, client)
    _, outsider_headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=owner)
    chat = await create_chat(client, owner_headers, aria.id, participant_ids=[member.id])
    base = f"/api/v2/chats/{chat['id']}"

    for path in (base, f"{base}/messages"):
        response = await client.get(path, headers=outsider_headers)
        assert response.status_code == 404
        assert response.json()["error"] == "chat_not_found"
    assert (await client.get(base, headers=member_headers)).status_code == 200
    send = await client.post(f"{base}/messages", json={"content": "hi"}, headers=outsider_headers)
    assert send.status_code == 404

    patch = await client.patch(base, json={"title": "mine now"}, headers=member_headers)
    assert (patch.status_code, patch.json()["error"]) == (403, "not_owner")
    delete = await client.delete(base, headers=member_headers)
    assert (delete.status_code, delete.json()["error"]) == (403, "not_owner")
    assert (await client.delete(base, headers=outsider_headers)).status_code == 404
    assert (await client.delete(base, headers=owner_headers)).status_code == 204
    assert (await client.get(base, headers=owner_headers)).status_code == 404


async def test_the_owner_changes_settings(chat_app: App) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    owner, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=owner)
    chat = await create_chat(client, headers, aria.id)
    base = f"/api/v2/chats/{chat['id']}"

    response = await client.patch(
        base, json={"title": "Renamed", "strategy": "list", "auto_turns": 2}, headers=headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["strategy"], body["auto_turns"]) == ("Renamed", "list", 2)
    missing = await client.patch(base, json={"persona_id": "nope"}, headers=headers)
    assert missing.status_code == 404
    assert (await client.patch(base, json={"auto_turns": -1}, headers=headers)).status_code == 422


async def test_participants_are_added_and_removed_by_the_owner(chat_app: App) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    owner, headers = await user_with_token(runtime, client)
    bea, bea_headers = await user_with_token(runtime, client)
    cid, cid_headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=owner)
    chat = await create_chat(client, headers, aria.id)
    base = f"/api/v2/chats/{chat['id']}/participants"

    added = await client.post(base, json={"user_id": bea.id}, headers=headers)
    again = await client.post(base, json={"user_id": bea.id}, headers=headers)
    ghost = await client.post(base, json={"user_id": "ghost"}, headers=headers)
    by_member = await client.post(base, json={"user_id": cid.id}, headers=bea_headers)

    assert added.status_code == again.status_code == 200
    assert len(again.json()["participants"]) == 2
    assert ghost.status_code == 404
    assert by_member.status_code == 403
    assert (await client.get(f"/api/v2/chats/{chat['id']}", headers=bea_headers)).status_code == 200
    assert (await client.get(f"/api/v2/chats/{chat['id']}", headers=cid_headers)).status_code == 404
    owner_leaves = await client.delete(f"{base}/{owner.id}", headers=headers)
    assert (owner_leaves.status_code, owner_leaves.json()["error"]) == (409, "owner_stays")
    assert (await client.delete(f"{base}/{bea.id}", headers=bea_headers)).status_code == 204
    assert (await client.get(f"/api/v2/chats/{chat['id']}", headers=bea_headers)).status_code == 404
    assert (await client.delete(f"{base}/{bea.id}", headers=headers)).status_code == 404


async def test_characters_are_added_and_removed(chat_app: App) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    owner, headers = await user_with_token(runtime, client)
    stranger, _ = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=owner)
    bram = await create_character(runtime, owner=owner, name="Bram")
    hidden = await create_character(runtime, owner=stranger, name="Hidden")
    chat = await create_chat(client, headers, aria.id)
    base = f"/api/v2/chats/{chat['id']}/characters"

    added = await client.post(base, json={"character_id": bram.id}, headers=headers)
    refused = await client.post(base, json={"character_id": hidden.id}, headers=headers)

    assert added.status_code == 200
    assert [(c["name"], c["position"]) for c in added.json()["characters"]] == [
        ("Aria", 0),
        ("Bram", 1),
    ]
    assert refused.status_code == 404
    removed = await client.delete(f"{base}/{aria.id}", headers=headers)
    assert [c["name"] for c in removed.json()["characters"]] == ["Bram"]
    last = await client.delete(f"{base}/{bram.id}", headers=headers)
    assert (last.status_code, last.json()["error"]) == (409, "last_character")


async def _post_user_message(runtime: Runtime, chat_id: str, user_id: str, text: str) -> None:
    """A message from another person, written as the send endpoint writes it."""
    async with runtime.db.unit_of_work() as session:
        seq = await repository.allocate_seq(session, chat_id)
        session.add(
            Message(
                chat_id=chat_id, seq=seq, author_type=AuthorType.USER, user_id=user_id, content=text
            )
        )


async def test_the_list_shows_unread_counts_last_messages_and_pages(chat_app: App) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    alice, alice_headers = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice, first_message="Welcome.")
    first = await create_chat(
        client, alice_headers, aria.id, title="first", participant_ids=[bob.id]
    )
    second = await create_chat(client, alice_headers, aria.id, title="second")
    await _post_user_message(runtime, first["id"], alice.id, "one")
    await _post_user_message(runtime, first["id"], alice.id, "two")

    listed = (await client.get("/api/v2/chats", headers=alice_headers)).json()
    bobs = (await client.get("/api/v2/chats", headers=bob_headers)).json()

    assert listed["total"] == 2
    by_title = {c["title"]: c for c in listed["items"]}
    assert by_title["first"]["unread_count"] == 2
    assert by_title["first"]["last_message"]["content"] == "two"
    assert by_title["second"]["unread_count"] == 0
    assert by_title["second"]["last_message"]["content"] == "Welcome."
    assert [c["title"] for c in bobs["items"]] == ["first"]
    assert bobs["items"][0]["unread_count"] == 3, "the greeting is news to Bob"

    await messages(client, first["id"], bob_headers)
    bobs = (await client.get("/api/v2/chats", headers=bob_headers)).json()
    assert bobs["items"][0]["unread_count"] == 0

    page = (await client.get("/api/v2/chats", params={"limit": 1}, headers=alice_headers)).json()
    rest = await client.get(
        "/api/v2/chats", params={"limit": 1, "offset": 1}, headers=alice_headers
    )
    assert (page["total"], len(page["items"])) == (2, 1)
    assert {page["items"][0]["id"], rest.json()["items"][0]["id"]} == {first["id"], second["id"]}
    assert (
        await client.get("/api/v2/chats", params={"limit": 0}, headers=alice_headers)
    ).status_code == 422


async def test_the_chat_endpoints_are_in_the_openapi_schema(chat_app: App) -> None:
    _, client = chat_app

    paths = (await client.get("/openapi.json")).json()["paths"]

    for path in (
        "/api/v2/chats",
        "/api/v2/chats/{chat_id}",
        "/api/v2/chats/{chat_id}/messages",
        "/api/v2/chats/{chat_id}/messages/{message_id}/stop",
        "/api/v2/chats/{chat_id}/branch",
    ):
        assert path in paths, path
