"""Tasks through the API on the embedded runner: a plan with parallel and dependent steps,
an invalid plan retried then failed, the critic sending a step back once, cancel, another
person's task, bad requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cognitia.models.character import Character
from cognitia.models.job import Job, JobStatus
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream, tool_call
from tests.support.waiting import eventually
from tests.tasks.helpers import ACCEPT, create, plan, read, revise, shown, step, until

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]


async def _person(task_app: App) -> tuple[Runtime, User, dict[str, str], str]:
    """A person, their headers and a character of theirs (on the chat lane, rp-model)."""
    app, client = task_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    lead = await create_character(runtime, owner=user, name="Lead")
    return runtime, user, headers, lead.id


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_parallel_steps_run_together_and_the_dependent_one_after_both(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    runtime, user, headers, lead = await _person(task_app)
    ada = await create_character(runtime, owner=user, name="Ada", model="alpha")
    ben = await create_character(runtime, owner=user, name="Ben", model="beta")
    upstream.script(
        "planner-model",
        reply=plan(
            step("facts", agent="researcher"),
            step("draft", agent="writer"),
            step("report", depends_on=("facts", "draft")),
        ),
    )
    upstream.script("planner-model", reply=ACCEPT, times=None)  # the critic, every step
    upstream.script("alpha-model", reply="Tides follow the moon.", hold=True)
    upstream.script("beta-model", reply="A draft about the sea.", hold=True)
    upstream.script("rp-model", reply="The report.")
    upstream.script("summary-model", reply="Tides, explained.")
    agents = [
        {"character_id": ada.id, "role": "researcher"},
        {"character_id": ben.id, "role": "writer"},
    ]

    created = await create(client, headers, lead, agents=agents)
    assert created["status"] == "queued"
    assert created["prompt_versions"] == {
        "planner": "planner.v1",
        "executor": "executor.v1",
        "critic": "critic.v1",
        "summarizer": "summarizer.v1",
    }
    # Both replies are held until both were asked for: the two steps run at once.
    await eventually(lambda: _asked(upstream, "alpha-model", "beta-model"))
    assert not upstream.requests_for("rp-model")  # the report waits for both
    upstream.release_held()

    task = await until(client, headers, created["id"], "succeeded", "failed")
    assert task["status"] == "succeeded", task
    assert task["result"] == "Tides, explained."
    steps = {s["key"]: s for s in task["steps"]}
    assert [s["status"] for s in task["steps"]] == ["succeeded"] * 3
    assert steps["facts"]["character_id"] == ada.id
    assert steps["report"]["critic_verdict"] == "accept"
    assert _when(steps["report"]["started_at"]) >= max(
        _when(steps["facts"]["finished_at"]), _when(steps["draft"]["finished_at"])
    )
    report_prompt = shown(upstream.last("rp-model"))
    assert "Tides follow the moon." in report_prompt
    assert "A draft about the sea." in report_prompt
    _check_usage(task, lead=lead, agents={ada.id, ben.id})


async def _asked(upstream: FakeUpstream, *models: str) -> bool:
    return all(upstream.requests_for(model) for model in models)


def _check_usage(task: dict[str, Any], *, lead: str, agents: set[str]) -> None:
    """Costs per step and per agent add up to the task's."""
    total = task["usage"]
    assert total["prompt_tokens"] > 0
    assert total["cost_usd"] > 0
    by_agent = {a["character_id"]: a for a in task["usage_by_agent"]}
    assert set(by_agent) == {lead, *agents}
    assert sum(a["prompt_tokens"] for a in by_agent.values()) == total["prompt_tokens"]
    steps = sum(s["usage"]["prompt_tokens"] for s in task["steps"])
    assert 0 < steps < total["prompt_tokens"]  # the planner and the summary cost too
    assert all(s["usage"]["prompt_tokens"] > 0 for s in task["steps"])


async def test_an_invalid_plan_is_asked_again_then_the_task_fails_saying_why(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    _, _, headers, lead = await _person(task_app)
    cycle = plan(step("a", depends_on=("b",)), step("b", depends_on=("a",)))
    upstream.script("planner-model", reply=cycle)
    upstream.script("planner-model", reply=plan(step("a", depends_on=("nowhere",))))

    created = await create(client, headers, lead)
    task = await until(client, headers, created["id"], "failed", "succeeded")

    assert task["status"] == "failed"
    assert task["error_code"] == "plan_invalid"
    assert "unknown steps: nowhere" in task["error"]
    asked = upstream.requests_for("planner-model")
    assert len(asked) == 2
    assert "cycle" in shown(asked[1])  # the second request says what was wrong
    assert task["steps"] == []
    assert task["finished_at"] is not None


async def test_a_plan_fixed_on_the_second_answer_runs(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    _, _, headers, lead = await _person(task_app)
    upstream.script("planner-model", reply="Sure! First we research, then we write.")
    upstream.script("planner-model", reply=plan(step("only", agent="nobody")))  # unknown agent
    upstream.script("planner-model", reply="unused")

    created = await create(client, headers, lead)
    task = await until(client, headers, created["id"], "failed", "succeeded")

    assert task["error_code"] == "plan_invalid"
    assert "unknown agent 'nobody'" in task["error"]
    assert "not a JSON object" in shown(upstream.requests_for("planner-model")[1])

    upstream.reset()
    upstream.script("planner-model", reply="{not json")
    upstream.script("planner-model", reply=plan(step("only")))
    upstream.script("planner-model", reply=ACCEPT, times=None)
    upstream.script("summary-model", reply="Done.")
    second = await create(client, headers, lead)
    task = await until(client, headers, second["id"], "failed", "succeeded")
    assert task["status"] == "succeeded", task
    assert task["result"] == "Done."


async def test_the_critic_sends_a_step_back_once(task_app: App, upstream: FakeUpstream) -> None:
    _, client = task_app
    _, _, headers, lead = await _person(task_app)
    upstream.script("planner-model", reply=plan(step("count", instruction="Count the tides.")))
    upstream.script("planner-model", reply=revise("Give the number per day."))
    upstream.script("planner-model", reply=revise("Never satisfied."), times=None)
    upstream.script("rp-model", reply="Some tides.")
    upstream.script("rp-model", reply="Two tides a day.")
    upstream.script("summary-model", reply="Two a day.")

    created = await create(client, headers, lead)
    task = await until(client, headers, created["id"], "succeeded", "failed")

    assert task["status"] == "succeeded", task
    [only] = task["steps"]
    assert only["result"] == "Two tides a day."
    assert only["critic_verdict"] == "revise"
    assert only["critic_feedback"] == "Give the number per day."
    executions = upstream.requests_for("rp-model")
    assert len(executions) == 2
    assert "Give the number per day." in shown(executions[1])
    assert "Some tides." in shown(upstream.requests_for("planner-model")[1])
    # The planner and one critic check: the second result is not sent back again.
    assert len(upstream.requests_for("planner-model")) == 2


async def test_cancel_stops_what_has_not_started_and_a_finished_task_is_409(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    _, _, headers, lead = await _person(task_app)
    upstream.script(
        "planner-model", reply=plan(step("first"), step("second", depends_on=("first",)))
    )
    upstream.script("planner-model", reply=ACCEPT, times=None)
    upstream.script("rp-model", reply="First done.", hold=True)
    created = await create(client, headers, lead)
    await eventually(lambda: _asked(upstream, "rp-model"))

    response = await client.post(f"/api/v2/tasks/{created['id']}/cancel", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    again = await client.post(f"/api/v2/tasks/{created['id']}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"] == "task_finished"

    upstream.release_held()

    async def first_settled() -> dict[str, Any] | None:
        task = await read(client, headers, created["id"])
        return task if task["steps"][0]["status"] == "cancelled" else None

    task = await eventually(first_settled)
    assert task["status"] == "cancelled"
    assert task["steps"][0]["result"] == "First done."  # what it did is kept
    assert task["steps"][1]["status"] == "cancelled"
    assert len(upstream.requests_for("rp-model")) == 1  # the second step never ran
    assert not upstream.requests_for("summary-model")


async def test_another_persons_task_is_not_found(task_app: App, upstream: FakeUpstream) -> None:
    _, client = task_app
    runtime, _, headers, lead = await _person(task_app)
    upstream.script("planner-model", reply="no plan", times=None)
    created = await create(client, headers, lead)
    _, stranger = await user_with_token(runtime, client)

    for method, path in [
        ("GET", f"/api/v2/tasks/{created['id']}"),
        ("POST", f"/api/v2/tasks/{created['id']}/cancel"),
        ("GET", f"/api/v2/tasks/{created['id']}/events"),
    ]:
        response = await client.request(method, path, headers=stranger)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"] == "task_not_found"
    listed = await client.get("/api/v2/tasks", headers=stranger)
    assert listed.json()["items"] == []
    mine = await client.get("/api/v2/tasks", headers=headers)
    assert [t["id"] for t in mine.json()["items"]] == [created["id"]]


async def test_bad_requests_are_refused_with_their_codes(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    runtime, _, headers, lead = await _person(task_app)
    other, _ = await user_with_token(runtime, client)
    private = await create_character(runtime, owner=other, name="Theirs")

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post("/api/v2/tasks", json=body, headers=headers)

    blank = await post({"goal": "   ", "character_id": lead})
    assert blank.status_code == 422
    assert blank.json()["error"] == "validation_error"
    nul = await post({"goal": "a\x00b", "character_id": lead})
    assert nul.status_code == 422
    for agents in (
        [{"character_id": lead, "role": "primary"}],
        [{"character_id": lead, "role": "x"}, {"character_id": lead, "role": "x"}],
    ):
        response = await post({"goal": "Go", "character_id": lead, "agents": agents})
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "task_agents_invalid"
    theirs = await post({"goal": "Go", "character_id": private.id})
    assert theirs.status_code == 404
    assert theirs.json()["error"] == "character_not_found"
    as_agent = [{"character_id": private.id, "role": "spy"}]
    response = await post({"goal": "Go", "character_id": lead, "agents": as_agent})
    assert response.status_code == 404
    assert (await client.get("/api/v2/tasks", headers=headers)).json()["total"] == 0


async def test_jobs_delivered_again_after_their_work_finished_do_nothing(
    task_app: App, upstream: FakeUpstream
) -> None:
    """As when a worker dies after committing a step but before its job was acknowledged."""
    _, client = task_app
    runtime, _, headers, lead = await _person(task_app)
    upstream.script("planner-model", reply=plan(step("only")))
    upstream.script("planner-model", reply=ACCEPT, times=None)
    upstream.script("summary-model", reply="Done.")
    created = await create(client, headers, lead)
    before = await until(client, headers, created["id"], "succeeded", "failed")
    asked = len(upstream.requests)

    task_id = created["id"]
    for name, payload in [
        ("tasks.plan", {"task_id": task_id}),
        ("tasks.step", {"task_id": task_id, "key": "only"}),
        ("tasks.summarize", {"task_id": task_id}),
    ]:
        await runtime.queue.enqueue(name, payload)
    await _all_jobs_done(runtime)

    assert len(upstream.requests) == asked
    after = await read(client, headers, task_id)
    assert after == before


async def _all_jobs_done(runtime: Runtime) -> None:
    async def done() -> bool:
        async with runtime.db.read() as session:
            jobs = (await session.scalars(select(Job).where(Job.name.like("tasks.%")))).all()
        return all(job.status == JobStatus.DONE for job in jobs)

    await eventually(done)


async def test_a_step_calls_its_tool_through_its_agents_model(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    runtime, user, headers, lead = await _person(task_app)
    ben = await create_character(runtime, owner=user, name="Ben", model="beta")
    upstream.script(
        "planner-model", reply=plan(step("sum", agent="maths", tool="calculator"), step("say"))
    )
    upstream.script("planner-model", reply=ACCEPT, times=None)
    upstream.script("beta-model", tool_calls=(tool_call("calculator", {"expression": "6*7"}),))
    upstream.script("beta-model", reply="It is 42.")
    upstream.script("rp-model", reply="Said.")
    upstream.script("summary-model", reply="42.")
    agents = [{"character_id": ben.id, "role": "maths"}]

    created = await create(client, headers, lead, agents=agents)
    task = await until(client, headers, created["id"], "succeeded", "failed")

    assert task["status"] == "succeeded", task
    assert task["steps"][0]["result"] == "It is 42."
    first, second = upstream.requests_for("beta-model")
    assert [t["function"]["name"] for t in first.body["tools"]] == ["calculator"]
    tool_turns = [m for m in second.body["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_turns] == ["6*7 = 42"]
    # A model without the tools capability is offered none, whatever the step names.
    assert "tools" not in upstream.last("rp-model").body
    planned = shown(upstream.requests_for("planner-model")[0])
    assert "calculator" in planned  # the planner is told which tools there are


async def test_a_step_that_fails_every_attempt_fails_its_task(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    _, _, headers, lead = await _person(task_app)
    upstream.script(
        "planner-model", reply=plan(step("doomed"), step("after", depends_on=("doomed",)))
    )
    upstream.script("rp-model", status=500, times=None)

    created = await create(client, headers, lead)
    task = await until(client, headers, created["id"], "failed", "succeeded")

    assert task["error_code"] == "step_failed"
    assert "'Step doomed' failed after 3 attempts" in task["error"]
    doomed, after = task["steps"]
    assert (doomed["status"], doomed["attempts"]) == ("failed", 3)
    assert after["status"] == "cancelled"
    assert len(upstream.requests_for("rp-model")) == 3


async def test_an_agent_whose_character_was_deleted_still_does_its_step(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    runtime, user, headers, lead = await _person(task_app)
    ada = await create_character(runtime, owner=user, name="Ada", model="alpha")
    upstream.script("planner-model", reply=plan(step("facts", agent="researcher")), hold=True)
    upstream.script("planner-model", reply=ACCEPT, times=None)
    upstream.script("rp-model", reply="Facts, anyway.")
    upstream.script("summary-model", reply="Done.")
    agents = [{"character_id": ada.id, "role": "researcher"}]
    created = await create(client, headers, lead, agents=agents)
    await eventually(lambda: _asked(upstream, "planner-model"))
    async with runtime.db.unit_of_work() as session:
        await session.delete(await session.get(Character, ada.id))
    upstream.release_held()

    task = await until(client, headers, created["id"], "succeeded", "failed")

    assert task["status"] == "succeeded", task
    assert task["steps"][0]["result"] == "Facts, anyway."
    assert "the researcher agent" in shown(upstream.last("rp-model"))  # on the chat lane
    assert not upstream.requests_for("alpha-model")


async def test_a_task_cancelled_while_it_is_planned_starts_no_step(
    task_app: App, upstream: FakeUpstream
) -> None:
    _, client = task_app
    runtime, _, headers, lead = await _person(task_app)
    upstream.script("planner-model", reply=plan(step("never")), hold=True)
    created = await create(client, headers, lead)
    await eventually(lambda: _asked(upstream, "planner-model"))

    cancelled = await client.post(f"/api/v2/tasks/{created['id']}/cancel", headers=headers)
    assert cancelled.json()["status"] == "cancelled"
    upstream.release_held()
    await _all_jobs_done(runtime)
    await runtime.usage.drain()  # the planner's call is written off the job's path

    task = await read(client, headers, created["id"])
    assert (task["status"], task["steps"]) == ("cancelled", [])
    assert not upstream.requests_for("rp-model")
    assert task["usage"]["prompt_tokens"] > 0  # the planner's call, asked before the cancel
