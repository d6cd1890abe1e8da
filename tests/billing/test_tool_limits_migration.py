"""Migration 0020 on both backends: the plans' tool, Python-run and task limits (seeded on
the default plans, kept unlimited on an operator's own plan) and the violation and ban
tables; up from the revision before, down, and up again."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.migrations import runner
from tests.billing.test_payments_migration import _insert
from tests.conftest import migration_module

LIMITS = ("tool_calls_per_day", "python_runs_per_day", "tasks_per_day")
# The revision before it, however the chain is ordered when branches meet.
BEFORE = migration_module("0020_tool_limits_and_bans").down_revision


def _state(url: str) -> tuple[set[str], set[str], dict[str, tuple[object, ...]]]:
    """The plan's columns, the tables, and each plan's new limits (when it has them)."""

    async def read() -> tuple[set[str], set[str], dict[str, tuple[object, ...]]]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            columns, tables = await conn.run_sync(
                lambda sync: (
                    {c["name"] for c in inspect(sync).get_columns("plan")},
                    set(inspect(sync).get_table_names()),
                )
            )
            limits: dict[str, tuple[object, ...]] = {}
            if columns >= set(LIMITS):
                rows = await conn.execute(text(f"SELECT id, {', '.join(LIMITS)} FROM plan"))
                limits = {row[0]: tuple(row[1:]) for row in rows}
        await engine.dispose()
        return columns, tables, limits

    return asyncio.run(read())


def test_0020_seeds_the_tool_limits_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, BEFORE)
    mine = {"id": "mine", "name": "Mine", "public": True, "position": 60}
    asyncio.run(_insert(empty_url, "plan", mine))

    runner.upgrade(empty_url, "0020")
    columns, tables, limits = _state(empty_url)
    assert columns >= set(LIMITS)
    assert {"violation", "ban"} <= tables
    assert limits == {
        "free": (20, 5, 5),
        "basic": (200, 50, 50),
        "pro": (2000, 500, 500),
        "enterprise": (None, None, None),
        "unlimited": (None, None, None),
        "mine": (None, None, None),
    }

    runner.downgrade(empty_url, BEFORE)
    columns, tables, _ = _state(empty_url)
    assert set(LIMITS).isdisjoint(columns)
    assert {"violation", "ban"}.isdisjoint(tables)

    runner.upgrade(empty_url, "0020")
    assert _state(empty_url)[2]["free"] == (20, 5, 5)
