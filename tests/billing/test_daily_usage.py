"""The daily metrics job (00:05 UTC) writes yesterday's usage per user, model and plan into
usage_daily, replacing the day's rows; GET /admin/usage/daily reads them back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from cognitia.billing import metrics
from cognitia.billing.tasks import DAILY_METRICS
from cognitia.config import Settings
from cognitia.jobs import registry
from cognitia.kit.clock import utcnow
from cognitia.models.audio_usage import AudioUsage
from cognitia.models.llm_call import LlmCall
from cognitia.models.subscription import Subscription
from cognitia.models.usage_daily import UsageDaily
from cognitia.runtime import Runtime, build_runtime
from tests.support.factories import create_user, user_with_token

pytestmark = pytest.mark.asyncio

DAY = date(2025, 6, 15)  # not yesterday: the app's own startup run leaves it alone
URL = "/api/v2/admin/usage/daily"


@pytest_asyncio.fixture
async def bare(settings: Settings) -> AsyncIterator[Runtime]:
    """A process's adapters without the app: no scheduler runs the job behind the test."""
    built = build_runtime(settings)
    yield built
    await built.close()


def _call(user_id: str, model: str, at: datetime, *, cost: int, outcome: str = "ok") -> LlmCall:
    return LlmCall(
        user_id=user_id,
        provider="fake",
        model=model,
        upstream_model=f"{model}-model",
        prompt_tokens=10,
        completion_tokens=5,
        cost_nanousd=cost,
        outcome=outcome,
        created_at=at,
    )


async def _usage(runtime: Runtime, day: date) -> tuple[str, str]:
    """Two users' calls on `day`, the day before and the day after; one also spoke."""
    ada, bob = await create_user(runtime), await create_user(runtime)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    async with runtime.db.unit_of_work() as session:
        session.add(Subscription(user_id=bob.id, plan_id="pro"))
        session.add_all(
            [
                _call(ada.id, "rp", start, cost=100),
                _call(ada.id, "rp", start + timedelta(hours=23, minutes=59), cost=200),
                _call(ada.id, "alpha", start + timedelta(hours=1), cost=7, outcome="error"),
                _call(bob.id, "rp", start + timedelta(hours=12), cost=1000),
                _call(ada.id, "rp", start - timedelta(seconds=1), cost=5000),
                _call(bob.id, "rp", start + timedelta(days=1), cost=5000),
                AudioUsage(user_id=ada.id, day=day, synthesized_s=30.0, transcribed_s=12.5),
                AudioUsage(user_id=bob.id, day=day + timedelta(days=1), synthesized_s=9.0),
            ]
        )
    return ada.id, bob.id


async def _rows(runtime: Runtime, day: date) -> list[tuple[Any, ...]]:
    async with runtime.db.read() as session:
        rows = await session.scalars(select(UsageDaily).where(UsageDaily.day == day))
        return sorted(
            (
                r.user_id,
                r.model,
                r.plan_id,
                r.requests,
                r.prompt_tokens,
                r.completion_tokens,
                r.cost_nanousd,
                r.audio_seconds,
            )
            for r in rows
        )


async def test_a_day_is_aggregated_by_user_model_and_plan_and_twice_is_once(
    bare: Runtime,
) -> None:
    ada, bob = await _usage(bare, DAY)

    for _ in range(2):
        async with bare.db.unit_of_work() as session:
            await metrics.aggregate_day(session, DAY, default_plan="unlimited")
    rows = await _rows(bare, DAY)

    assert rows == sorted(
        [
            (ada, "", "unlimited", 0, 0, 0, 0, 42.5),
            (ada, "alpha", "unlimited", 1, 10, 5, 7, 0.0),
            (ada, "rp", "unlimited", 2, 20, 10, 300, 0.0),
            (bob, "rp", "pro", 1, 10, 5, 1000, 0.0),
        ]
    )


async def test_late_rows_are_counted_when_the_day_is_aggregated_again(bare: Runtime) -> None:
    ada, _ = await _usage(bare, DAY)
    async with bare.db.unit_of_work() as session:
        await metrics.aggregate_day(session, DAY, default_plan="unlimited")
        session.add(_call(ada, "rp", datetime(2025, 6, 15, 18, tzinfo=UTC), cost=1))
    async with bare.db.unit_of_work() as session:
        await metrics.aggregate_day(session, DAY, default_plan="unlimited")

    rp = [r for r in await _rows(bare, DAY) if r[:2] == (ada, "rp")]
    assert rp == [(ada, "rp", "unlimited", 3, 30, 15, 301, 0.0)]


async def test_the_job_aggregates_yesterday(bare: Runtime) -> None:
    yesterday = utcnow().date() - timedelta(days=1)
    ada, _ = await _usage(bare, yesterday)

    await registry.get(DAILY_METRICS).run(bare, {})

    assert (ada, "rp") in {r[:2] for r in await _rows(bare, yesterday)}
    assert await _rows(bare, utcnow().date()) == []


async def test_the_admin_reads_a_range_with_totals(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    ada, bob = await _usage(runtime, DAY)
    async with runtime.db.unit_of_work() as session:
        await metrics.aggregate_day(session, DAY, default_plan="unlimited")
    _, admin = await user_with_token(runtime, client, admin=True)

    everyone = await client.get(
        URL, params={"start": "2025-06-01", "end": "2025-06-15"}, headers=admin
    )
    bobs = await client.get(
        URL, params={"start": "2025-06-15", "end": "2025-06-15", "user_id": bob}, headers=admin
    )

    assert everyone.status_code == 200, everyone.text
    body = everyone.json()
    assert len(body["rows"]) == 4
    assert body["totals"] == {
        "requests": 4,
        "prompt_tokens": 40,
        "completion_tokens": 20,
        "cost_nanousd": 1307,
        "cost_usd": pytest.approx(1307 / 1e9),
        "audio_seconds": 42.5,
    }
    assert [(r["user_id"], r["model"], r["plan_id"]) for r in bobs.json()["rows"]] == [
        (bob, "rp", "pro")
    ]
    assert ada not in {r["user_id"] for r in bobs.json()["rows"]}


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-12-06", "end": "2026-12-01"},
        {"start": "2025-01-01", "end": "2026-01-02"},
        {"start": "2026-13-01", "end": "2026-12-06"},
        {"start": "yesterday", "end": "2026-12-06"},
        {"end": "2026-12-06"},
    ],
)
async def test_bad_ranges_are_422(
    runtime: Runtime, client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    response = await client.get(URL, params=params, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"


async def test_a_whole_leap_year_is_allowed_and_only_admins_read(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    _, someone = await user_with_token(runtime, client)
    params = {"start": "2028-01-01", "end": "2028-12-31"}
    assert (await client.get(URL, params=params, headers=admin)).status_code == 200
    refused = await client.get(URL, params=params, headers=someone)
    assert (refused.status_code, refused.json()["error"]) == (403, "admin_required")
