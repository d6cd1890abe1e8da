"""Migration 0016 on both backends: the task tables and llm_call's task columns up, down,
and up again."""

from __future__ import annotations

from cognitia.migrations import runner
from tests.support.schema_shape import columns

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
    found = {table: columns(url, table) for table in ("task", "task_step", "llm_call")}
    return {table: names for table, names in found.items() if names is not None}


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
