"""Scripted planner and critic answers, and waiting for a task to get somewhere."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.fake_upstream import Received
from tests.support.waiting import eventually

ACCEPT = json.dumps({"verdict": "accept", "feedback": ""})


def step(
    key: str, *, agent: str = "primary", depends_on: tuple[str, ...] = (), **more: Any
) -> dict[str, Any]:
    return {
        "key": key,
        "title": more.pop("title", f"Step {key}"),
        "instruction": more.pop("instruction", f"Do {key}."),
        "agent": agent,
        "tool": more.pop("tool", None),
        "depends_on": list(depends_on),
    }


def plan(*steps: dict[str, Any]) -> str:
    return json.dumps({"steps": list(steps)})


def revise(feedback: str) -> str:
    return json.dumps({"verdict": "revise", "feedback": feedback})


def shown(received: Received) -> str:
    """Everything the model was shown in one request."""
    return "\n".join(str(m.get("content")) for m in received.body.get("messages", []))


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], character_id: str, **body: Any
) -> dict[str, Any]:
    data = {
        "goal": body.pop("goal", "Write a short report on tides."),
        "character_id": character_id,
    }
    response = await client.post("/api/v2/tasks", json={**data, **body}, headers=headers)
    assert response.status_code == 202, response.text
    task: dict[str, Any] = response.json()
    return task


async def read(client: httpx.AsyncClient, headers: dict[str, str], task_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v2/tasks/{task_id}", headers=headers)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


async def until(
    client: httpx.AsyncClient, headers: dict[str, str], task_id: str, *statuses: str
) -> dict[str, Any]:
    """The task once its status is one of `statuses`."""

    async def probe() -> dict[str, Any] | None:
        task = await read(client, headers, task_id)
        return task if task["status"] in statuses else None

    return await eventually(probe, timeout=60)
