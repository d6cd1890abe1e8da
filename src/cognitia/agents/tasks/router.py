"""/api/v2/tasks: goals that characters work on in planned steps (docs/tasks.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sse_starlette import EventSourceResponse

from cognitia.agents.tasks import live, service
from cognitia.agents.tasks.schemas import TaskCreate, TaskDetail, TaskPage, TaskRead
from cognitia.auth.dependencies import Caller
from cognitia.auth.schemas import ResourceId
from cognitia.chats.shutdown import stream_grace_seconds
from cognitia.http.deps import DbDep, EventsDep, SettingsDep

router = APIRouter(prefix="/api/v2/tasks", tags=["tasks"])

MAX_OFFSET = 2**31 - 1  # PostgreSQL takes OFFSET as a 32-bit integer
PING_SECONDS = 15

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    404: {"description": "task_not_found (also another person's task)"},
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        401: _ERRORS[401],
        404: {"description": "character_not_found: a character the caller may not use"},
        422: {"description": "validation_error, task_agents_invalid"},
    },
)
async def create_task(data: TaskCreate, caller: Caller, db: DbDep) -> TaskRead:
    """Set a goal: it is planned and run in the background; follow it with GET or /events."""
    return await service.create(db, user=caller.user, data=data)


@router.get("", responses={401: _ERRORS[401]})
async def list_tasks(
    caller: Caller,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> TaskPage:
    return await service.page(db, user=caller.user, limit=limit, offset=offset)


@router.get("/{task_id}", responses=_ERRORS)
async def get_task(task_id: ResourceId, caller: Caller, db: DbDep) -> TaskDetail:
    """The task with its steps, usage per step and per agent, and its prompts' versions."""
    return await service.detail(db, user=caller.user, task_id=task_id)


@router.post("/{task_id}/cancel", responses={**_ERRORS, 409: {"description": "task_finished"}})
async def cancel_task(
    task_id: ResourceId, caller: Caller, db: DbDep, events: EventsDep
) -> TaskDetail:
    return await service.cancel(db, events, user=caller.user, task_id=task_id)


@router.get(
    "/{task_id}/events",
    response_class=EventSourceResponse,
    responses={
        **_ERRORS,
        200: {"content": {"text/event-stream": {}}, "description": "The task's events."},
    },
)
async def task_events(
    task_id: ResourceId, caller: Caller, db: DbDep, events: EventsDep, settings: SettingsDep
) -> EventSourceResponse:
    """`ready`, the task now (`task.updated`), then `task.updated` and `task.step.updated`
    as it runs; the stream ends once the task has finished."""
    user = caller.user
    await service.visible(db, user=user, task_id=task_id)

    async def current() -> TaskRead:
        return await service.detail(db, user=user, task_id=task_id)

    return EventSourceResponse(
        live.stream(events, task_id, current),
        sep="\n",
        ping=PING_SECONDS,
        shutdown_grace_period=stream_grace_seconds(settings),
    )
