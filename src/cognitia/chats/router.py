"""/api/v2/chats: chats, their people and characters, messages, replies (SSE or JSON).

The live event stream of a chat, GET /{chat_id}/events, is in events_router.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, status
from sse_starlette import EventSourceResponse

from cognitia.auth.dependencies import Caller, CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.billing.deps import QuotasDep
from cognitia.billing.rates import rate_limited
from cognitia.chats import approvals, messages, service
from cognitia.chats.answering import answer
from cognitia.chats.charging import charged
from cognitia.chats.deps import GenerationsDep
from cognitia.chats.schemas import (
    BranchRequest,
    CharacterAdd,
    ChatCreate,
    ChatPage,
    ChatRead,
    ChatUpdate,
    MessageCreate,
    MessageDetail,
    MessageEdit,
    MessagePage,
    MessageRead,
    ParticipantAdd,
    ParticipantUpdate,
    ReplyOptions,
    StopRead,
    SwipeChoice,
    ToolApprovalList,
    ToolApprovalRead,
    TurnRead,
)
from cognitia.errors import Unprocessable
from cognitia.http.deps import DbDep, EventsDep, SessionDep

router = APIRouter(prefix="/api/v2/chats", tags=["chats"])

MAX_OFFSET = 2**31 - 1  # PostgreSQL takes OFFSET as a 32-bit integer
MAX_SEQ = 2**63 - 1

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    404: {"description": "chat_not_found (also for chats the caller is not in)"},
}
_OWNER_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    403: {"description": "not_owner: only the chat's owner may do this"},
}
_GENERATING: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    200: {
        "description": "With `Accept: text/event-stream`: the events as SSE (docs/chats.md);"
        " otherwise the finished replies as JSON.",
        "content": {"text/event-stream": {}},
    },
    403: {
        "description": "budget_exhausted: the plan's cost budget for the month is spent;"
        " model_not_in_plan: a character's model is not in the plan; temporarily_banned"
    },
    409: {"description": "not_last_reply, message_streaming"},
    422: {"description": "validation_error, speaker_required, speaker_not_in_chat"},
    429: {
        "description": "quota_exceeded: the plan's messages per day, or its audio minutes when"
        " `speak` is asked; too_many_generations: the plan's concurrent generations are"
        " running (Retry-After)"
    },
    502: {"description": "upstream_rejected (JSON answers only)"},
    503: {
        "description": "voice_unavailable (`speak` asked, no voice can speak; nothing is"
        " stored), models_unavailable (JSON answers only)"
    },
}
# The routes that make a model answer have a rate limit of their own (billing/rates.py).
GENERATE = [Depends(rate_limited("generate"))]
# regenerate and continue take an optional body: {"speak": true, "audio_format": "wav"}
OptionsBody = Annotated[ReplyOptions | None, Body()]


# -- chats ---------------------------------------------------------------------------


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 404: {"description": "character_not_found, user_not_found"}},
)
async def create_chat(data: ChatCreate, user: CurrentUser, session: SessionDep) -> ChatRead:
    return await service.create(session, user=user, data=data)


@router.get("", responses=_ERRORS)
async def list_chats(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ChatPage:
    return await service.page(session, user=user, limit=limit, offset=offset)


@router.get("/{chat_id}", responses=_ERRORS)
async def get_chat(chat_id: ResourceId, user: CurrentUser, session: SessionDep) -> ChatRead:
    return await service.get(session, user=user, chat_id=chat_id)


@router.patch("/{chat_id}", responses=_OWNER_ERRORS)
async def update_chat(
    chat_id: ResourceId, data: ChatUpdate, user: CurrentUser, session: SessionDep
) -> ChatRead:
    return await service.update(session, user=user, chat_id=chat_id, data=data)


@router.delete("/{chat_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_OWNER_ERRORS)
async def delete_chat(chat_id: ResourceId, user: CurrentUser, session: SessionDep) -> None:
    await service.delete(session, user=user, chat_id=chat_id)


@router.post("/{chat_id}/participants", responses=_OWNER_ERRORS)
async def add_participant(
    chat_id: ResourceId, data: ParticipantAdd, user: CurrentUser, session: SessionDep
) -> ChatRead:
    return await service.add_participant(session, user=user, chat_id=chat_id, user_id=data.user_id)


@router.patch(
    "/{chat_id}/participants/{user_id}",
    responses={**_ERRORS, 403: {"description": "not_yourself: only for yourself"}},
)
async def update_participant(
    chat_id: ResourceId,
    user_id: ResourceId,
    data: ParticipantUpdate,
    user: CurrentUser,
    session: SessionDep,
) -> ChatRead:
    """Opt this chat in (or out) to your private memory, data bank and persona."""
    return await service.share_private(
        session, user=user, chat_id=chat_id, user_id=user_id, share=data.share_private
    )


@router.delete(
    "/{chat_id}/participants/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_OWNER_ERRORS, 409: {"description": "owner_stays"}},
)
async def remove_participant(
    chat_id: ResourceId, user_id: ResourceId, user: CurrentUser, session: SessionDep
) -> None:
    await service.remove_participant(session, user=user, chat_id=chat_id, user_id=user_id)


@router.post("/{chat_id}/characters", responses=_OWNER_ERRORS)
async def add_character(
    chat_id: ResourceId, data: CharacterAdd, user: CurrentUser, session: SessionDep
) -> ChatRead:
    return await service.add_character(
        session, user=user, chat_id=chat_id, character_id=data.character_id
    )


@router.delete(
    "/{chat_id}/characters/{character_id}",
    responses={**_OWNER_ERRORS, 409: {"description": "last_character"}},
)
async def remove_character(
    chat_id: ResourceId, character_id: ResourceId, user: CurrentUser, session: SessionDep
) -> ChatRead:
    return await service.remove_character(
        session, user=user, chat_id=chat_id, character_id=character_id
    )


@router.post("/{chat_id}/branch", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
async def branch_chat(
    chat_id: ResourceId, data: BranchRequest, user: CurrentUser, session: SessionDep
) -> ChatRead:
    return await messages.branch(session, user=user, chat_id=chat_id, data=data)


# -- messages ------------------------------------------------------------------------


@router.get("/{chat_id}/messages", responses=_ERRORS)
async def list_messages(  # noqa: PLR0913 - path, paging and dependencies
    chat_id: ResourceId,
    user: CurrentUser,
    session: SessionDep,
    before: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """Newest page by default; `before=<seq>` pages back, `after=<seq>` forward."""
    if before is not None and after is not None:
        raise Unprocessable("Give `before` or `after`, not both.")
    return await messages.page(
        session, user=user, chat_id=chat_id, before=before, after=after, limit=limit
    )


@router.post(
    "/{chat_id}/messages", response_model=None, responses=_GENERATING, dependencies=GENERATE
)
async def send_message(  # noqa: PLR0913 - path, body and dependencies
    chat_id: ResourceId,
    data: MessageCreate,
    caller: Caller,
    db: DbDep,
    generations: GenerationsDep,
    quotas: QuotasDep,
    request: Request,
) -> TurnRead | EventSourceResponse:
    turn = await charged(
        quotas,
        db,
        caller.user.id,
        lambda: messages.send(db, generations, user=caller.user, chat_id=chat_id, data=data),
        speak=data.speak,
        models=messages.models_of_send(caller.user, chat_id, data),
    )
    return await answer(request, turn)


@router.get("/{chat_id}/messages/{message_id}", responses=_ERRORS)
async def get_message(
    chat_id: ResourceId, message_id: ResourceId, user: CurrentUser, session: SessionDep
) -> MessageDetail:
    return await messages.detail(session, user=user, chat_id=chat_id, message_id=message_id)


@router.patch(
    "/{chat_id}/messages/{message_id}",
    responses={**_ERRORS, 403: {"description": "not_author"}, 409: {"description": "busy"}},
)
async def edit_message(  # noqa: PLR0913 - path, body and dependencies
    chat_id: ResourceId,
    message_id: ResourceId,
    data: MessageEdit,
    user: CurrentUser,
    session: SessionDep,
    events: EventsDep,
) -> MessageRead:
    return await messages.edit(
        session, events, user=user, chat_id=chat_id, message_id=message_id, data=data
    )


@router.delete(
    "/{chat_id}/messages/{message_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ERRORS, 403: {"description": "not_author"}, 409: {"description": "busy"}},
)
async def delete_message(
    chat_id: ResourceId,
    message_id: ResourceId,
    user: CurrentUser,
    session: SessionDep,
    events: EventsDep,
) -> None:
    await messages.delete(session, events, user=user, chat_id=chat_id, message_id=message_id)


@router.put(
    "/{chat_id}/messages/{message_id}/swipe",
    responses={**_ERRORS, 409: {"description": "message_streaming"}},
)
async def choose_swipe(  # noqa: PLR0913 - path, body and dependencies
    chat_id: ResourceId,
    message_id: ResourceId,
    data: SwipeChoice,
    user: CurrentUser,
    session: SessionDep,
    events: EventsDep,
) -> MessageRead:
    return await messages.choose_swipe(
        session, events, user=user, chat_id=chat_id, message_id=message_id, index=data.index
    )


@router.post(
    "/{chat_id}/messages/{message_id}/regenerate",
    response_model=None,
    responses=_GENERATING,
    dependencies=GENERATE,
)
async def regenerate_message(  # noqa: PLR0913 - path and dependencies
    chat_id: ResourceId,
    message_id: ResourceId,
    caller: Caller,
    db: DbDep,
    generations: GenerationsDep,
    quotas: QuotasDep,
    request: Request,
    options: OptionsBody = None,
) -> TurnRead | EventSourceResponse:
    turn = await charged(
        quotas,
        db,
        caller.user.id,
        lambda: messages.regenerate(
            db,
            generations,
            user=caller.user,
            chat_id=chat_id,
            message_id=message_id,
            options=options,
        ),
        speak=options is not None and options.speak,
        models=messages.models_of_reply(caller.user, chat_id, message_id),
    )
    return await answer(request, turn)


@router.post(
    "/{chat_id}/messages/{message_id}/continue",
    response_model=None,
    responses=_GENERATING,
    dependencies=GENERATE,
)
async def continue_message(  # noqa: PLR0913 - path and dependencies
    chat_id: ResourceId,
    message_id: ResourceId,
    caller: Caller,
    db: DbDep,
    generations: GenerationsDep,
    quotas: QuotasDep,
    request: Request,
    options: OptionsBody = None,
) -> TurnRead | EventSourceResponse:
    turn = await charged(
        quotas,
        db,
        caller.user.id,
        lambda: messages.continue_reply(
            db,
            generations,
            user=caller.user,
            chat_id=chat_id,
            message_id=message_id,
            options=options,
        ),
        speak=options is not None and options.speak,
        models=messages.models_of_reply(caller.user, chat_id, message_id),
    )
    return await answer(request, turn)


@router.post("/{chat_id}/messages/{message_id}/stop", responses=_ERRORS)
async def stop_message(
    chat_id: ResourceId,
    message_id: ResourceId,
    caller: Caller,
    db: DbDep,
    generations: GenerationsDep,
) -> StopRead:
    """End a reply early, keeping its text (status stopped), in whichever process runs it."""
    return await messages.stop(
        db, generations, user=caller.user, chat_id=chat_id, message_id=message_id
    )


# -- tool calls waiting for consent (docs/tools.md) -----------------------------------------

_DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    404: {
        "description": "chat_not_found (also for chats the caller is not in), tool_call_not_found"
    },
    409: {"description": "tool_call_not_pending: decided already, timed out, or its reply ended"},
}
CallId = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/{chat_id}/tool-calls", responses=_ERRORS)
async def waiting_tool_calls(chat_id: ResourceId, caller: Caller, db: DbDep) -> ToolApprovalList:
    """The chat's tool calls waiting for a member's approval now, oldest first."""
    return ToolApprovalList(items=await approvals.waiting(db, user=caller.user, chat_id=chat_id))


@router.post("/{chat_id}/tool-calls/{call_id}/approve", responses=_DECISION_ERRORS)
async def approve_tool_call(
    chat_id: ResourceId, call_id: CallId, caller: Caller, db: DbDep, events: EventsDep
) -> ToolApprovalRead:
    """Let a call to a tool with the policy ask run; the reply goes on, in whichever
    process writes it. Any member of the chat may decide."""
    return await approvals.decide(
        db, events, user=caller.user, chat_id=chat_id, call_id=call_id, approve=True
    )


@router.post("/{chat_id}/tool-calls/{call_id}/decline", responses=_DECISION_ERRORS)
async def decline_tool_call(
    chat_id: ResourceId, call_id: CallId, caller: Caller, db: DbDep, events: EventsDep
) -> ToolApprovalRead:
    """Refuse a call: the model is told the user declined it, and the reply goes on."""
    return await approvals.decide(
        db, events, user=caller.user, chat_id=chat_id, call_id=call_id, approve=False
    )
