"""Talking to a character and waiting for the exchange to be remembered."""

from __future__ import annotations

from typing import Any

import httpx

from tests.chats.helpers import named, stream
from tests.support.waiting import eventually


async def say(
    client: httpx.AsyncClient, headers: dict[str, str], chat_id: str, content: str
) -> dict[str, Any]:
    """Send a message; the completed reply."""
    events = await stream(
        client, f"/api/v2/chats/{chat_id}/messages", headers, {"content": content}
    )
    [completed] = named(events, "message.completed")
    reply: dict[str, Any] = completed["message"]
    return reply


async def memories(
    client: httpx.AsyncClient, headers: dict[str, str], character_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"/api/v2/characters/{character_id}/memories", headers=headers, params=params
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def remembered(
    client: httpx.AsyncClient, headers: dict[str, str], character_id: str, count: int
) -> dict[str, Any]:
    """Wait until the character remembers `count` items about the caller."""

    async def probe() -> dict[str, Any] | None:
        page = await memories(client, headers, character_id)
        return page if page["total"] >= count else None

    return await eventually(probe)
