"""GET /api/v2/chats/{chat_id}/events: a chat's live events as Server-Sent Events."""

from __future__ import annotations

from fastapi import APIRouter
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask

from cognitia.auth.dependencies import Caller
from cognitia.chats import live, service
from cognitia.errors import Unauthorized
from cognitia.http.deps import RuntimeDep

router = APIRouter(prefix="/api/v2/chats", tags=["chats"])

PING_SECONDS = 15


@router.get(
    "/{chat_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The chat's events."},
        401: {"description": Unauthorized.default_detail},
        404: {"description": "No such chat, or the caller is not a participant."},
    },
)
async def chat_events(chat_id: str, caller: Caller, runtime: RuntimeDep) -> EventSourceResponse:
    """Every event of the chat from now on (`ready` first), to any participant.

    The response starts once the subscription is live. A comment line every 15 seconds
    keeps proxies from closing a quiet stream.
    """
    async with runtime.db.read() as session:
        await service.get_for_member(session, user=caller.user, chat_id=chat_id)
    stream = await live.relay(runtime.events, chat_id)
    return EventSourceResponse(
        stream, sep="\n", ping=PING_SECONDS, background=BackgroundTask(stream.aclose)
    )
