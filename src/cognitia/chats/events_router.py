"""GET /api/v2/chats/{chat_id}/events: a chat's live events as Server-Sent Events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask

from cognitia.auth.dependencies import BearerCredentials, Caller, get_caller
from cognitia.chats import service
from cognitia.chats.deps import WatchersDep
from cognitia.chats.shutdown import stream_grace_seconds
from cognitia.chats.watchers import Watcher
from cognitia.errors import Unauthorized
from cognitia.http.deps import DbDep, EventsDep, SettingsDep

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
async def chat_events(  # noqa: PLR0913 - path and dependencies
    chat_id: str,
    request: Request,
    caller: Caller,
    credentials: BearerCredentials,
    db: DbDep,
    events: EventsDep,
    watchers: WatchersDep,
    settings: SettingsDep,
) -> EventSourceResponse:
    """Every event of the chat from now on (`ready` first), to any participant.

    The response starts once the subscription is live. A comment line every 15 seconds
    keeps proxies from closing a quiet stream. The stream ends with an `error` event
    when the caller loses access (access_revoked) or the server shuts down
    (server_shutting_down); docs/events.md.
    """

    async def admitted() -> None:
        """What a new request would be asked: valid credentials, then membership."""
        principal = await get_caller(request, db, settings, credentials)
        async with db.read() as session:
            await service.get_for_member(session, user=principal.user, chat_id=chat_id)

    watcher = Watcher(
        user_id=caller.user.id, chat_id=chat_id, session_id=caller.session_id, check=admitted
    )
    stream = await watchers.open(events, watcher)
    return EventSourceResponse(
        stream,
        sep="\n",
        ping=PING_SECONDS,
        shutdown_grace_period=stream_grace_seconds(settings),
        background=BackgroundTask(watchers.release, stream),
    )
