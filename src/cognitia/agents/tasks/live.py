"""Live task events on the EventBus: `task.updated` (the task) and `task.step.updated`
(one step), on the task's channel; GET /api/v2/tasks/{id}/events relays them as SSE.

Best-effort, like the chats' events: the database holds the truth (GET the task), and
a step must not fail because Redis hiccuped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from cognitia.agents.tasks.schemas import StepRead, TaskRead
from cognitia.events.ports import EventBus
from cognitia.models.task import FINISHED

log = logging.getLogger(__name__)

TASK_UPDATED = "task.updated"
STEP_UPDATED = "task.step.updated"


def channel(task_id: str) -> str:
    return f"task:{task_id}"


async def _publish(bus: EventBus, task_id: str, event: dict[str, Any]) -> None:
    try:
        await bus.publish(channel(task_id), event)
    except Exception:
        log.warning("could not publish %s on task %s", event["event"], task_id, exc_info=True)


async def task_updated(bus: EventBus, task: TaskRead) -> None:
    await _publish(bus, task.id, {"event": TASK_UPDATED, "data": task.model_dump(mode="json")})


async def step_updated(bus: EventBus, task_id: str, step: StepRead) -> None:
    data = {"task_id": task_id, "step": step.model_dump(mode="json")}
    await _publish(bus, task_id, {"event": STEP_UPDATED, "data": data})


async def stream(
    bus: EventBus, task_id: str, current: Callable[[], Awaitable[TaskRead]]
) -> AsyncIterator[dict[str, str]]:
    """The task's events as SSE dicts: `ready`, the task as it is now (`task.updated`), then
    everything published, ending after the task has finished. Subscribed before the task is
    read, so nothing falls between the two."""
    subscription = bus.subscribe(channel(task_id))
    try:
        await subscription.ready()
        yield {"event": "ready", "data": json.dumps({"task_id": task_id})}
        now = await current()
        yield {"event": TASK_UPDATED, "data": now.model_dump_json()}
        if now.status in FINISHED:
            return
        async for item in subscription:
            yield {"event": str(item.get("event")), "data": json.dumps(item.get("data", {}))}
            if item.get("event") == TASK_UPDATED and item["data"].get("status") in FINISHED:
                return
    finally:
        await subscription.aclose()
