"""The daily counts a plan caps beside messages: tool calls, sandboxed Python runs (each
also a tool call) and tasks. Counted with the message counters' machinery, on the
database (SQLite, PostgreSQL) and on Redis; refused with quota_exceeded until midnight
UTC, naming the limit and a plan that allows more."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy import update

from cognitia.agents.tools.base import Policy, Tool, ToolContext
from cognitia.agents.tools.registry import ToolBox, ToolRegistry
from cognitia.billing import service
from cognitia.billing.errors import QuotaExceeded
from cognitia.billing.ports import QuotaCounters
from cognitia.billing.providers.database import DatabaseQuotaCounters
from cognitia.billing.providers.redis import RedisQuotaCounters
from cognitia.billing.quotas import Quotas
from cognitia.billing.schemas import PlanAssign
from cognitia.config import ToolSettings
from cognitia.llm.ports import ToolCall
from cognitia.models.plan import Plan
from cognitia.runtime import Runtime
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio

NOON = datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def quotas(
    runtime: Runtime, backend: str, request: pytest.FixtureRequest
) -> AsyncIterator[Quotas]:
    """The process's quota rules on one backend's counters, at noon on one day."""
    redis: Redis | None = None
    counters: QuotaCounters = DatabaseQuotaCounters(runtime.db)
    if backend == "redis":
        redis = Redis.from_url(request.getfixturevalue("redis_url"))
        counters = RedisQuotaCounters(redis)
    yield Quotas(counters, runtime.settings.billing, clock=lambda: NOON)
    if redis is not None:
        await redis.aclose()


async def _on_free(runtime: Runtime, **limits: int | None) -> str:
    """A user on Free, its limits changed as given."""
    user = await create_user(runtime)
    async with runtime.db.unit_of_work() as session:
        await session.execute(update(Plan).where(Plan.id == "free").values(**limits))
        await service.assign_plan(
            session, runtime.quotas, user_id=user.id, data=PlanAssign(plan_id="free")
        )
    return user.id


async def _refusal(charge: Callable[[], Awaitable[Any]]) -> QuotaExceeded:
    with pytest.raises(QuotaExceeded) as refused:
        await charge()
    return refused.value


async def test_free_seeds_its_tool_limits(runtime: Runtime) -> None:
    async with runtime.db.read() as session:
        free = await session.get(Plan, "free")
        enterprise = await session.get(Plan, "enterprise")
    assert free is not None
    assert enterprise is not None
    assert (free.tool_calls_per_day, free.python_runs_per_day, free.tasks_per_day) == (20, 5, 5)
    assert (enterprise.tool_calls_per_day, enterprise.python_runs_per_day) == (None, None)
    assert enterprise.tasks_per_day is None


async def test_tool_calls_stop_at_the_limit_until_midnight(
    runtime: Runtime, quotas: Quotas
) -> None:
    user_id = await _on_free(runtime, tool_calls_per_day=2)
    db = runtime.db

    for _ in range(2):
        await quotas.charge_tool(db, user_id=user_id, sandboxed=False)
    refused = await _refusal(lambda: quotas.charge_tool(db, user_id=user_id, sandboxed=False))
    quotas.clock = lambda: datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    await quotas.charge_tool(db, user_id=user_id, sandboxed=False)

    body = refused.body()
    assert body["error"] == "quota_exceeded"
    assert body["limit"] == "tool_calls_per_day"
    assert body["reset_at"] == "2026-12-07T00:00:00+00:00"
    assert body["upgrade_to"] == "basic"
    assert refused.headers["Retry-After"] == str(12 * 3600)


async def test_a_python_run_over_its_limit_gives_its_tool_call_back(
    runtime: Runtime, quotas: Quotas
) -> None:
    user_id = await _on_free(runtime, tool_calls_per_day=10, python_runs_per_day=1)
    db = runtime.db

    await quotas.charge_tool(db, user_id=user_id, sandboxed=True)
    refused = await _refusal(lambda: quotas.charge_tool(db, user_id=user_id, sandboxed=True))
    await quotas.charge_tool(db, user_id=user_id, sandboxed=False)  # other tools still run

    assert refused.limit == "python_runs_per_day"
    assert await quotas.used_today(user_id, "tool_calls_per_day") == 2
    assert await quotas.used_today(user_id, "python_runs_per_day") == 1


async def test_tasks_are_counted_and_refused_past_the_limit(
    runtime: Runtime, quotas: Quotas
) -> None:
    user_id = await _on_free(runtime, tasks_per_day=1)

    charge = await quotas.charge_task(runtime.db, user_id=user_id)
    refused = await _refusal(lambda: quotas.charge_task(runtime.db, user_id=user_id))
    await charge.refund()  # a task that never started gives its unit back
    await quotas.charge_task(runtime.db, user_id=user_id)

    assert refused.limit == "tasks_per_day"
    assert "1 tasks a day" in refused.detail
    assert await quotas.used_today(user_id, "tasks_per_day") == 1


async def test_a_sandboxed_tool_over_the_limit_is_not_run(runtime: Runtime, quotas: Quotas) -> None:
    """The tool box refuses before the tool runs; the result says why, with the refusal."""
    user_id = await _on_free(runtime, python_runs_per_day=1)
    ran: list[str] = []

    async def run(args: dict[str, Any], context: ToolContext) -> str:
        ran.append(args["code"])
        return "ok"

    parameters = {"type": "object", "properties": {"code": {"type": "string"}}}
    sandboxed = Tool("run_code", "Runs code.", parameters, run, sandboxed=True)
    box = ToolBox(ToolRegistry([sandboxed]), ToolSettings(), quotas=quotas)
    context = ToolContext(db=runtime.db, user_id=user_id, character_id="c")
    call = ToolCall(id="x", name="run_code", arguments='{"code": "1"}')

    first = await box.run(call, context, Policy.ALWAYS, charged_to=user_id)
    second = await box.run(call, context, Policy.ALWAYS, charged_to=user_id)

    assert (first.ok, first.limit) == (True, None)
    assert ran == ["1"]
    assert not second.ok
    assert second.text.startswith("daily tool limit reached")
    assert second.limit is not None
    assert second.limit["limit"] == "python_runs_per_day"
