"""Factories and SSE reading for the chats tests."""

from __future__ import annotations

from typing import Any

import httpx
from httpx_sse import aconnect_sse

from cognitia.models.character import Character, Visibility
from cognitia.models.user import User
from cognitia.runtime import Runtime

Event = tuple[str, dict[str, Any]]


async def create_character(
    runtime: Runtime,
    *,
    owner: User,
    name: str = "Aria",
    visibility: Visibility = Visibility.PRIVATE,
    **fields: Any,
) -> Character:
    async with runtime.db.unit_of_work() as session:
        character = Character(owner_id=owner.id, name=name, visibility=visibility, **fields)
        session.add(character)
        await session.flush()
        return character


async def create_chat(
    client: httpx.AsyncClient, headers: dict[str, str], *character_ids: str, **fields: Any
) -> dict[str, Any]:
    body = {"title": fields.pop("title", "A chat"), "character_ids": list(character_ids), **fields}
    body.setdefault("participant_ids", [])
    response = await client.post("/api/v2/chats", json=body, headers=headers)
    assert response.status_code == 201, response.text
    chat: dict[str, Any] = response.json()
    return chat


async def stream(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, Any] | None = None
) -> list[Event]:
    """POST and read the whole SSE answer: (event name, data) pairs."""
    async with aconnect_sse(client, "POST", url, headers=headers, json=body) as source:
        assert source.response.status_code == 200, await source.response.aread()
        return [(sse.event, sse.json()) async for sse in source.aiter_sse()]


def named(events: list[Event], name: str) -> list[dict[str, Any]]:
    return [data for event, data in events if event == name]


async def messages(
    client: httpx.AsyncClient, chat_id: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v2/chats/{chat_id}/messages", headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
