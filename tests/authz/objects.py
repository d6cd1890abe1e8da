"""The matrix's description: what the spec does not say.

- KINDS: for each path parameter, how to make its object for a person (and a shared one).
  A route whose path names a parameter missing here fails the matrix until it is added.
- MEMBER_MAY: what a member of someone's chat may do there; everything else needs the owner.
- KEY_REACH: where an API key of each scope may go.
- VALUES, BODIES, BODY_REFERENCES, UPLOADS: what makes a sampled request body valid, and
  body properties that name objects in their own way.

Every factory goes through the real API as the person who will own the object, with a
body sampled from the spec (so a new required field is filled in too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.authz import spec
from tests.authz.world import Description, Kind, Person, Read, World
from tests.characters.helpers import image_bytes
from tests.support.factories import PASSWORD
from tests.support.waiting import eventually

# Routes only an admin may call: a signed-in non-admin gets 403 there, whatever the ids.
ADMIN_PREFIX = "/api/v2/admin/"

_serial = {"n": 0}


def _unique(text: str) -> str:
    _serial["n"] += 1
    return f"{text} {_serial['n']}"


async def create(
    world: World, person: Person, path: str, ids: Mapping[str, str], **fields: Any
) -> dict[str, Any]:
    """POST `path` as `person` with the spec's minimal body plus `fields`; the new object."""
    [op] = [o for o in spec.operations() if o.method == "POST" and o.path == path]
    body = await world.body(op, person, ids)
    if "json" in body:
        body["json"] = {**body["json"], **fields}
    response = await world.request(op, ids, person.headers, body)
    assert response.is_success, f"{op} as {person}: {response.status_code} {response.text}"
    created: dict[str, Any] = response.json()
    return created


async def create_id(
    world: World, person: Person, path: str, ids: Mapping[str, str], **fields: Any
) -> str:
    """create(), and just the new object's id."""
    return str((await create(world, person, path, ids, **fields))["id"])


async def _get(world: World, person: Person, url: str) -> dict[str, Any]:
    response = await world.client.get(url, headers=person.headers)
    assert response.status_code == 200, f"GET {url} as {person}: {response.text}"
    found: dict[str, Any] = response.json()
    return found


# -- characters --------------------------------------------------------------------------


async def _character(world: World, person: Person, visibility: str) -> str:
    """A character with a greeting, an avatar and a voice granted to the world's friend."""
    made = await create(
        world,
        person,
        "/api/v2/characters",
        {},
        name=_unique("Ava"),
        first_message="Hello!",
        visibility=visibility,
    )
    headers = person.headers
    url = f"/api/v2/characters/{made['id']}"
    files = {"file": UPLOADS["/api/v2/characters/{character_id}/avatar"]}
    assert (await world.client.put(f"{url}/avatar", files=files, headers=headers)).is_success
    grant = {"user_id": world.friend.user_id}
    voice = await world.client.post(f"{url}/voice-permission", json=grant, headers=headers)
    assert voice.is_success, voice.text
    character_id: str = made["id"]
    return character_id


async def private_character(world: World, person: Person, _: Mapping[str, str]) -> str:
    return await _character(world, person, "private")


async def public_character(world: World, person: Person, _: Mapping[str, str]) -> str:
    return await _character(world, person, "public")


# -- chats and messages ------------------------------------------------------------------


async def _chat(world: World, person: Person, *, shared: bool) -> str:
    character_id = await world.obtain("character_id", person, {}, shared=shared)
    people = [world.friend.user_id] + ([world.outsider.user_id] if shared else [])
    fields = {"character_ids": [character_id], "participant_ids": people}
    return await create_id(world, person, "/api/v2/chats", {}, title=_unique("Chat"), **fields)


async def private_chat(world: World, person: Person, _: Mapping[str, str]) -> str:
    """A chat with the person's private character and the world's friend."""
    return await _chat(world, person, shared=False)


async def shared_chat(world: World, person: Person, _: Mapping[str, str]) -> str:
    """A chat with the person's public character, the friend and the outsider."""
    return await _chat(world, person, shared=True)


async def say(world: World, person: Person, chat_id: str) -> dict[str, Any]:
    """One exchange (the fake model answers); the person's message."""
    url = f"/api/v2/chats/{chat_id}/messages"
    response = await world.client.post(url, json={"content": "Hi"}, headers=person.headers)
    assert response.status_code == 200, response.text
    said: dict[str, Any] = response.json()["user_message"]
    return said


async def own_message(world: World, person: Person, ids: Mapping[str, str]) -> str:
    """The person's own message in the chat (a member who is not its author may not edit it)."""
    said = await say(world, person, ids["chat_id"])
    message_id: str = said["id"]
    return message_id


# -- coaching sessions --------------------------------------------------------------------


async def coaching_session(world: World, person: Person, _: Mapping[str, str]) -> str:
    """An ended session with the person's character, with notes holding one action item
    (written by hand: the matrix's catalogue has no notes model)."""
    character_id = await world.obtain("character_id", person, {}, shared=False)
    session_id = await create_id(world, person, "/api/v2/sessions", {}, character_id=character_id)
    url, headers = f"/api/v2/sessions/{session_id}", person.headers
    ended = await world.client.post(f"{url}/end", json={"generate_notes": False}, headers=headers)
    assert ended.is_success, ended.text
    notes = {
        "summary": "Walked through the week.",
        "action_items": [{"text": "Walk daily", "owner": "me"}],
    }
    written = await world.client.patch(f"{url}/notes", json=notes, headers=headers)
    assert written.is_success, written.text
    return session_id


async def action_item(world: World, _: Person, __: Mapping[str, str]) -> str:
    """The first action item of the session in the path: a position, owned by no one."""
    return "0"


# -- tasks -------------------------------------------------------------------------------


async def task(world: World, person: Person, _: Mapping[str, str]) -> str:
    """A task of the person's character, settled: the matrix's fake model answers the
    planner with prose, so the task has failed (plan_invalid) and nothing runs on."""
    character_id = await world.obtain("character_id", person, {}, shared=False)
    task_id = await create_id(world, person, "/api/v2/tasks", {}, character_id=character_id)
    await world.settled()
    return task_id


# -- what a character knows: memories and documents --------------------------------------


async def memory(world: World, person: Person, ids: Mapping[str, str]) -> str:
    """Something the character remembers of the person: an episode of a fresh exchange."""
    fields = {"character_ids": [ids["character_id"]], "participant_ids": []}
    await say(world, person, await create_id(world, person, "/api/v2/chats", {}, **fields))
    url = f"/api/v2/characters/{ids['character_id']}/memories"

    async def remembered() -> str | None:
        page = await _get(world, person, url)
        return str(page["items"][0]["id"]) if page["total"] else None

    return await eventually(remembered)


async def document(world: World, person: Person, ids: Mapping[str, str]) -> str:
    """A document of the character in the path, or of the person's data bank; ingested."""
    scope = f"/characters/{ids['character_id']}" if "character_id" in ids else ""
    url = f"/api/v2{scope}/documents"
    text = _unique("The lighthouse keeper feeds the gulls at dawn.").encode()
    files = {"file": ("notes.txt", text, "text/plain")}
    response = await world.client.post(url, files=files, headers=person.headers)
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]

    async def ingested() -> bool:
        found = await _get(world, person, f"{url}/{document_id}")
        assert found["status"] != "failed", found
        return bool(found["status"] == "ready")

    await eventually(ingested)
    return document_id


# -- lorebooks, personas, keys, people ---------------------------------------------------


async def lorebook(world: World, person: Person, _: Mapping[str, str]) -> str:
    return await create_id(world, person, "/api/v2/lorebooks", {}, name=_unique("Lore"))


async def entry(world: World, person: Person, ids: Mapping[str, str]) -> str:
    path = "/api/v2/lorebooks/{lorebook_id}/entries"
    return await create_id(world, person, path, ids, keys=["tide"], content="High tide at six.")


async def persona(world: World, person: Person, _: Mapping[str, str]) -> str:
    return await create_id(world, person, "/api/v2/personas", {}, name=_unique("Sam"))


async def api_key(world: World, person: Person, _: Mapping[str, str]) -> str:
    return await create_id(world, person, "/api/v2/api-keys", {}, name=_unique("script"))


async def friend(world: World, _: Person, __: Mapping[str, str]) -> str:
    """The person the owners deal with: a member of their chats, granted their voices."""
    return world.friend.user_id


def friend_reads(world: World, _: str) -> Read:
    return "/api/v2/users/me", world.friend.headers


async def plan(world: World, _: Person, __: Mapping[str, str]) -> str:
    """A seeded plan: everyone's to read, no one's to change but an admin's."""
    return "free"


def plan_reads(world: World, _: str) -> Read:
    return "/api/v2/subscription/plans", world.friend.headers


KINDS: dict[str, Kind] = {
    "character_id": Kind(make=private_character, share=public_character),
    "chat_id": Kind(make=private_chat, share=shared_chat),
    "message_id": Kind(make=own_message),
    "memory_id": Kind(make=memory),
    "document_id": Kind(make=document),
    "lorebook_id": Kind(make=lorebook),
    "entry_id": Kind(make=entry),
    "persona_id": Kind(make=persona),
    "key_id": Kind(make=api_key),
    "user_id": Kind(make=friend, watch=friend_reads, owned=False),
    "plan_id": Kind(make=plan, watch=plan_reads, owned=False),
    "session_id": Kind(make=coaching_session),
    "index": Kind(make=action_item, owned=False),
    "task_id": Kind(make=task),
}

# What a member of the owner's chat, or anyone who sees the owner's public character, may
# do there. Every other route under a shared chat or character needs its owner: 403.
MEMBER_MAY = {
    "GET /api/v2/characters/{character_id}",
    "GET /api/v2/characters/{character_id}/export",
    "GET /api/v2/characters/{character_id}/avatar",
    # A character's memories are of the caller: their own, whoever owns the character.
    "GET /api/v2/characters/{character_id}/memories",
    "DELETE /api/v2/characters/{character_id}/memories",
    "PATCH /api/v2/characters/{character_id}/memories/{memory_id}",
    "DELETE /api/v2/characters/{character_id}/memories/{memory_id}",
    "GET /api/v2/chats/{chat_id}",
    "GET /api/v2/chats/{chat_id}/events",
    "POST /api/v2/chats/{chat_id}/branch",
    "GET /api/v2/chats/{chat_id}/messages",
    "POST /api/v2/chats/{chat_id}/messages",
    "GET /api/v2/chats/{chat_id}/messages/{message_id}",
    "PUT /api/v2/chats/{chat_id}/messages/{message_id}/swipe",
    "POST /api/v2/chats/{chat_id}/messages/{message_id}/regenerate",
    "POST /api/v2/chats/{chat_id}/messages/{message_id}/continue",
    "POST /api/v2/chats/{chat_id}/messages/{message_id}/stop",
}

# Where an API key of each scope may go, as docs/security.md and the key's schema say:
# path prefixes, or None for everywhere its account may (None: keys without scopes).
KEY_REACH: dict[str | None, tuple[str, ...] | None] = {
    None: None,
    "full": None,
    "chat": ("/api/v2/chats", "/v1/"),
}

# Body properties the spec's types can't make valid on their own.
VALUES: dict[str, Any] = {
    "content": "Hello",
    "goal": "Plan a picnic.",
    "name": "Ava",
    "title": "A chat",
    "password": PASSWORD,
    "current_password": PASSWORD,
}

# Whole-body fields for routes whose minimal body is not enough ("METHOD /path").
BODIES: dict[str, dict[str, Any]] = {
    "POST /v1/chat/completions": {"messages": [{"role": "user", "content": "Hi"}]},
}

# Body properties that name an object other than by `<kind>` or `<kind>s`: route, then
# property -> (kind, how the id is written).
BODY_REFERENCES: dict[str, dict[str, tuple[str, str]]] = {
    "POST /v1/chat/completions": {"model": ("character_id", "character/{id}")},
}

UPLOADS: dict[str, tuple[str, bytes, str]] = {
    "/api/v2/characters/{character_id}/avatar": ("a.png", image_bytes(), "image/png"),
    "*": ("notes.txt", b"The ferry to Skerryvore leaves at noon.\n", "text/plain"),
}

DESCRIPTION = Description(kinds=KINDS, values=VALUES, bodies=BODIES, uploads=UPLOADS)
