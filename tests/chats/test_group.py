"""Group chats: three characters, each with its own model, answering in turn."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.chats.helpers import Event, create_character, create_chat, named, stream
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]
JSON = {"Accept": "application/json"}
NAMES = ("Alpha", "Beta", "Gamma")


class Group:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], chat: dict[str, Any]):
        self.client, self.headers, self.chat = client, headers, chat
        self.ids = {c["name"]: c["id"] for c in chat["characters"]}

    @property
    def url(self) -> str:
        return f"/api/v2/chats/{self.chat['id']}/messages"

    async def send(self, content: str, **extra: Any) -> list[Event]:
        return await stream(self.client, self.url, self.headers, {"content": content, **extra})


async def group(
    chat_app: App, upstream: FakeUpstream, *, talkativeness: float = 0.5, **chat: Any
) -> Group:
    """Alpha, Beta and Gamma on models alpha, beta and gamma; each says who it is."""
    app, client = chat_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    ids = []
    for name in NAMES:
        model = name.lower()
        character = await create_character(
            runtime,
            owner=user,
            name=name,
            model=model,
            description=f"{name} is one of three friends.",
            talkativeness=talkativeness,
        )
        ids.append(character.id)
        upstream.script(f"{model}-model", reply=f"I am {name}.", times=None)
    created = await create_chat(client, headers, *ids, **chat)
    return Group(client, headers, created)


def speakers(events: list[Event]) -> list[str]:
    """The names of the characters whose replies started, in order."""
    created = [d["message"] for d in named(events, "message.created")]
    return [m["name"] for m in created if m["author_type"] == "character"]


def replies_are_sequential(events: list[Event]) -> bool:
    """Each reply's tokens come after its start and before its end, one reply at a time."""
    current = None
    for name, data in events:
        if name == "message.created" and data["message"]["author_type"] == "character":
            if current is not None:
                return False
            current = data["message"]["id"]
        elif name in ("token", "sentence") and data["message_id"] != current:
            return False
        elif name == "message.completed":
            if data["message"]["id"] != current:
                return False
            current = None
    return current is None


async def test_list_order_with_follow_up_turns(chat_app: App, upstream: FakeUpstream) -> None:
    g = await group(chat_app, upstream, strategy="list", auto_turns=2)

    first = await g.send("Hello everyone")
    second = await g.send("And again")

    assert speakers(first) == ["Alpha", "Beta", "Gamma", "Alpha", "Beta"]
    assert speakers(second) == ["Gamma", "Alpha", "Beta", "Gamma", "Alpha"]
    assert replies_are_sequential(first)
    completed = [d["message"] for d in named(first, "message.completed")]
    assert [(m["name"], m["content"], m["model"]) for m in completed[:3]] == [
        ("Alpha", "I am Alpha.", "alpha"),
        ("Beta", "I am Beta.", "beta"),
        ("Gamma", "I am Gamma.", "gamma"),
    ]
    assert [m["seq"] for m in completed] == [2, 3, 4, 5, 6]
    # Each speaks through its own model, with its own card and what the others said.
    beta_prompt = upstream.requests_for("beta-model")[0].body["messages"]
    text = "\n".join(m["content"] for m in beta_prompt)
    assert "Beta is one of three friends." in text
    assert "I am Alpha." in text
    assert len(upstream.requests_for("alpha-model")) == 4


async def test_manual_turns_need_the_speaker(chat_app: App, upstream: FakeUpstream) -> None:
    g = await group(chat_app, upstream, strategy="manual", auto_turns=3)

    missing = await g.client.post(g.url, json={"content": "Anyone?"}, headers=g.headers)
    stranger = await g.client.post(
        g.url, json={"content": "You?", "character_id": "nobody"}, headers=g.headers
    )
    events = await g.send("Beta, you go", character_id=g.ids["Gamma"])

    assert (missing.status_code, missing.json()["error"]) == (422, "speaker_required")
    assert (stranger.status_code, stranger.json()["error"]) == (422, "speaker_not_in_chat")
    assert speakers(events) == ["Gamma"]
    assert upstream.requests_for("beta-model") == []


async def test_pooled_turns_let_everyone_speak_once(chat_app: App, upstream: FakeUpstream) -> None:
    g = await group(chat_app, upstream, strategy="pooled", auto_turns=2)

    events = await g.send("Round one")

    assert sorted(speakers(events)) == sorted(NAMES)
    assert replies_are_sequential(events)


async def test_natural_turns_answer_a_mention_first(chat_app: App, upstream: FakeUpstream) -> None:
    g = await group(chat_app, upstream, strategy="natural", talkativeness=0.0)

    events = await g.send("gamma, what do you think?")

    assert speakers(events) == ["Gamma"]


async def test_a_group_turn_as_json(chat_app: App, upstream: FakeUpstream) -> None:
    g = await group(chat_app, upstream, strategy="list")

    response = await g.client.post(g.url, json={"content": "Hi all"}, headers={**g.headers, **JSON})

    assert response.status_code == 200, response.text
    assert [r["name"] for r in response.json()["replies"]] == list(NAMES)


async def test_a_failing_speaker_ends_the_turn(chat_app: App, upstream: FakeUpstream) -> None:
    g = await group(chat_app, upstream, strategy="list")
    upstream.reset()
    upstream.script("alpha-model", reply="I am Alpha.")
    upstream.script("beta-model", status=400)

    events = await g.send("Hi all")

    assert speakers(events) == ["Alpha", "Beta"]
    assert [e["error"] for e in named(events, "error")] == ["upstream_rejected"]
    assert upstream.requests_for("gamma-model") == []
