"""Migration 0016 on both backends: the task tables and llm_call's task columns up, down,
and up again."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.migrations import runner

TASK_COLUMNS = {
    "id",
    "user_id",
    "character_id",
    "goal",
    "agents",
    "status",
    "plan",
    "result",
    "error_code",
    "error",
    "prompt_versions",
    "prompt_tokens",
    "completion_tokens",
    "cost_nanousd",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
}
STEP_COLUMNS = {
    "id",
    "task_id",
    "position",
    "key",
    "title",
    "instruction",
    "role",
    "character_id",
    "tool",
    "depends_on",
    "status",
    "attempts",
    "result",
    "error",
    "critic_verdict",
    "critic_feedback",
    "prompt_tokens",
    "completion_tokens",
    "cost_nanousd",
    "started_at",
    "finished_at",
    "updated_at",
}

Schema = dict[str, set[str]]  # table -> columns


def _schema(url: str) -> Schema:
    async def read() -> Schema:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:

            def look(sync: object) -> Schema:
                inspector = inspect(sync)
                tables = set(inspector.get_table_names()) & {"task", "task_step", "llm_call"}
                return {t: {c["name"] for c in inspector.get_columns(t)} for t in tables}

            found = await conn.run_sync(look)
        await engine.dispose()
        return found

    return asyncio.run(read())


def test_0016_adds_the_task_tables_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, "0015")
    before = _schema(empty_url)
    assert set(before) == {"llm_call"}
    assert "task_id" not in before["llm_call"]

    runner.upgrade(empty_url)
    found = _schema(empty_url)
    assert found["task"] == TASK_COLUMNS
    assert found["task_step"] == STEP_COLUMNS
    assert {"task_id", "task_step_id"} <= found["llm_call"]

    runner.downgrade(empty_url, "0015")
    assert _schema(empty_url) == before
    runner.upgrade(empty_url)
    assert set(_schema(empty_url)) == {"task", "task_step", "llm_call"}
