"""A turn's replies as an HTTP answer, for every route that starts one (chat messages,
regenerate, continue, a coaching session's turn): SSE when the client accepts it, else
the finished replies as JSON. The turn's task runs on either way, so a client that leaves
loses nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sse_starlette import EventSourceResponse

from cognitia.chats import live, messages
from cognitia.chats.fanout import Turn
from cognitia.chats.schemas import TurnRead
from cognitia.chats.shutdown import stream_grace_seconds

PING_SECONDS = 15


async def _relay(turn: Turn) -> AsyncIterator[dict[str, str]]:
    async for item in turn.events():
        yield live.to_sse(item)


async def answer(request: Request, turn: Turn) -> TurnRead | EventSourceResponse:
    if "text/event-stream" in request.headers.get("accept", ""):
        # At shutdown the stream lasts until the turn ends (chats/shutdown.py).
        grace = stream_grace_seconds(request.app.state.settings)
        return EventSourceResponse(
            _relay(turn), sep="\n", ping=PING_SECONDS, shutdown_grace_period=grace
        )
    return await messages.finished(turn)
