"""/api/v2/sessions: coaching sessions, their turns (SSE or JSON), their end and notes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import PlainTextResponse
from sse_starlette import EventSourceResponse

from cognitia.agents.sessions import service
from cognitia.agents.sessions.schemas import (
    ActionItemUpdate,
    EndRequest,
    NotesUpdate,
    SessionCreate,
    SessionDetail,
    SessionPage,
    SessionRead,
    SessionStats,
    TurnCreate,
)
from cognitia.auth.dependencies import Caller
from cognitia.auth.schemas import ResourceId
from cognitia.billing.deps import QuotasDep
from cognitia.billing.rates import rate_limited
from cognitia.chats import messages
from cognitia.chats.answering import answer
from cognitia.chats.charging import charged
from cognitia.chats.deps import GenerationsDep
from cognitia.chats.schemas import MessageCreate, TurnRead
from cognitia.errors import AdminRequired
from cognitia.http.deps import DbDep, ModelsDep, UsageDep

router = APIRouter(prefix="/api/v2/sessions", tags=["sessions"])

MAX_OFFSET = 2**31 - 1  # PostgreSQL takes OFFSET as a 32-bit integer
MAX_ITEM = 1_000

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    404: {"description": "session_not_found (also another person's session)"},
}
_NOTES_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    409: {"description": "session_active: the session has not ended"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 404: {"description": "character_not_found"}},
)
async def create_session(data: SessionCreate, caller: Caller, db: DbDep) -> SessionRead:
    """Start a session with a coach: the person's own character or a public one."""
    return await service.create(db, user=caller.user, data=data)


@router.get("", responses=_ERRORS)
async def list_sessions(
    caller: Caller,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> SessionPage:
    return await service.page(db, user=caller.user, limit=limit, offset=offset)


@router.get("/stats", responses={**_ERRORS, 403: {"description": "admin_required (scope=all)"}})
async def session_stats(
    caller: Caller, db: DbDep, scope: Literal["mine", "all"] = "mine"
) -> SessionStats:
    """Active sessions and turns since 00:00 UTC: yours, or everyone's for an admin."""
    if scope == "all" and not caller.user.is_admin:
        raise AdminRequired()
    return await service.stats(db, user=caller.user, everyone=scope == "all")


@router.get("/{session_id}", responses=_ERRORS)
async def get_session(session_id: ResourceId, caller: Caller, db: DbDep) -> SessionDetail:
    return await service.detail(db, user=caller.user, session_id=session_id)


@router.post(
    "/{session_id}/turns",
    response_model=None,
    dependencies=[Depends(rate_limited("generate"))],
    responses={
        **_ERRORS,
        200: {
            "description": "With `Accept: text/event-stream`: the chat's SSE events"
            " (docs/chats.md); otherwise the finished turn as JSON.",
            "content": {"text/event-stream": {}},
        },
        409: {"description": "session_ended"},
        429: {"description": "quota_exceeded, too_many_generations (as chats)"},
    },
)
async def add_turn(  # noqa: PLR0913 - path, body and dependencies
    session_id: ResourceId,
    data: TurnCreate,
    caller: Caller,
    db: DbDep,
    generations: GenerationsDep,
    quotas: QuotasDep,
    request: Request,
) -> TurnRead | EventSourceResponse:
    """Say something; the coach answers. Charged as a chat message."""
    user = caller.user
    chat_id = await service.active_chat(db, user=user, session_id=session_id)
    message = MessageCreate(content=data.content)
    turn = await charged(
        quotas,
        db,
        user.id,
        lambda: messages.send(db, generations, user=user, chat_id=chat_id, data=message),
        models=messages.models_of_send(user, chat_id, message),
    )
    return await answer(request, turn)


@router.post(
    "/{session_id}/end",
    responses={
        **_ERRORS,
        409: {"description": "session_ended"},
        502: {"description": "notes_invalid, notes_unavailable (the session has ended)"},
    },
)
async def end_session(  # noqa: PLR0913 - path, body and dependencies
    session_id: ResourceId,
    data: EndRequest,
    caller: Caller,
    db: DbDep,
    models: ModelsDep,
    usage: UsageDep,
) -> SessionRead:
    return await service.end(
        db,
        models,
        usage,
        user=caller.user,
        session_id=session_id,
        generate_notes=data.generate_notes,
    )


@router.patch("/{session_id}/notes", responses=_NOTES_ERRORS)
async def update_notes(
    session_id: ResourceId, data: NotesUpdate, caller: Caller, db: DbDep
) -> SessionRead:
    return await service.update_notes(db, user=caller.user, session_id=session_id, data=data)


@router.get(
    "/{session_id}/notes.md",
    response_class=PlainTextResponse,
    responses={**_NOTES_ERRORS, 404: {"description": "session_not_found, notes_not_found"}},
)
async def export_notes(session_id: ResourceId, caller: Caller, db: DbDep) -> PlainTextResponse:
    text = await service.export(db, user=caller.user, session_id=session_id)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.patch(
    "/{session_id}/action-items/{index}",
    responses={
        **_NOTES_ERRORS,
        404: {"description": "session_not_found, notes_not_found, action_item_not_found"},
    },
)
async def mark_action_item(
    session_id: ResourceId,
    index: Annotated[int, Path(ge=0, le=MAX_ITEM)],
    data: ActionItemUpdate,
    caller: Caller,
    db: DbDep,
) -> SessionRead:
    """Mark action item `index` (from 0) done or open again."""
    return await service.mark_item(
        db, user=caller.user, session_id=session_id, index=index, done=data.done
    )
