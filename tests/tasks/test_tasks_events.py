"""GET /api/v2/tasks/{id}/events over real HTTP: the task's progress, live, until it ends."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from cognitia.app import create_app
from cognitia.config import Settings
from tests.chats.helpers import create_character
from tests.support.factories import bearer, create_user, login
from tests.support.fake_upstream import FakeUpstream
from tests.support.live import live_server
from tests.tasks.helpers import ACCEPT, plan, step

pytestmark = pytest.mark.asyncio


async def test_the_events_show_each_step_and_end_with_the_finished_task(
    settings: Settings, upstream: FakeUpstream
) -> None:
    upstream.script("planner-model", reply=plan(step("one"), step("two", depends_on=("one",))))
    upstream.script("planner-model", reply=ACCEPT, times=None)
    upstream.script("rp-model", reply="One.", hold=True)
    upstream.script("summary-model", reply="Both done.")
    app = create_app(settings)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        runtime = app.state.runtime
        user = await create_user(runtime)
        lead = await create_character(runtime, owner=user, name="Lead")
        headers = bearer((await login(http, user.email))["access_token"])
        body = {"goal": "Two things.", "character_id": lead.id}
        created = (await http.post("/api/v2/tasks", json=body, headers=headers)).json()

        seen: list[tuple[str, dict[str, Any]]] = []
        path = f"/api/v2/tasks/{created['id']}/events"
        async with aconnect_sse(http, "GET", path, headers=headers) as source:
            assert source.response.status_code == 200
            async for sse in source.aiter_sse():
                seen.append((sse.event, json.loads(sse.data)))
                if _first_step_running(*seen[-1]):
                    upstream.release_held()  # it was held until seen running, live
    assert seen[0] == ("ready", {"task_id": created["id"]})
    tasks = [data for name, data in seen if name == "task.updated"]
    assert tasks[-1]["status"] == "succeeded"
    assert tasks[-1]["result"] == "Both done."
    steps = [(d["step"]["key"], d["step"]["status"]) for n, d in seen if n == "task.step.updated"]
    assert tasks[0]["status"] in ("queued", "planning", "running")  # as it was on opening
    for expected in [("one", "succeeded"), ("two", "running"), ("two", "succeeded")]:
        assert expected in steps
    assert steps.index(("one", "succeeded")) < steps.index(("two", "running"))


def _first_step_running(name: str, data: dict[str, Any]) -> bool:
    if name == "task.updated":  # the task with its steps
        steps = data.get("steps", [])
    elif name == "task.step.updated":
        steps = [data["step"]]
    else:
        return False
    return any(s["key"] == "one" and s["status"] == "running" for s in steps)
