"""The plan's tool calls a day, where a reply runs tools: a call over the limit does not
run, the model is told the day's tool limit is reached and the reply goes on (no 429 for
the reply), and its `tool.result` event carries the refusal (quota_exceeded, the limit,
the reset time). Calls that never run (an unknown tool, malformed arguments) do not
count. Counted per person per UTC day, shown in GET /subscription/usage (SQLite and
PostgreSQL, the database counters; tests/billing/test_daily_limits.py has Redis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update

from cognitia.models.plan import Plan
from cognitia.runtime import Runtime
from tests.agents.test_chat_tools import character, say
from tests.chats.helpers import create_chat, messages, named
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream, tool_call

pytestmark = pytest.mark.asyncio

NOON = datetime(2026, 12, 6, 12, tzinfo=UTC)
MIDNIGHT = "2026-12-07T00:00:00+00:00"


async def _tool_calls_per_day(runtime: Runtime, limit: int | None) -> None:
    """The tests' default plan (`unlimited`) with a daily tool limit."""
    async with runtime.db.unit_of_work() as session:
        await session.execute(
            update(Plan).where(Plan.id == "unlimited").values(tool_calls_per_day=limit)
        )


async def test_a_call_over_the_limit_is_told_to_the_model_and_the_reply_goes_on(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    runtime.quotas.clock = lambda: NOON
    await _tool_calls_per_day(runtime, 2)
    _, headers = await user_with_token(runtime, client)
    aria = await character(client, headers)
    chat = await create_chat(client, headers, aria["id"])
    calls = (
        tool_call("calculator", {"expression": "1+1"}, "c1"),
        tool_call("launch_rockets", {}, "c2"),  # never runs: not counted
        tool_call("calculator", '{"expression": ', "c3"),  # malformed: not counted
        tool_call("calculator", {"expression": "2+2"}, "c4"),
        tool_call("calculator", {"expression": "3+3"}, "c5"),  # the third that runs
    )
    upstream.script("rp-model", reply="Counting.", tool_calls=calls)
    upstream.script("rp-model", reply=" Done.")

    response_events = await say(client, headers, chat["id"], "Add things up.")

    results = {r["id"]: r for r in named(response_events, "tool.result")}
    assert [results[c]["ok"] for c in ("c1", "c2", "c3", "c4", "c5")] == [
        True,
        False,
        False,
        True,
        False,
    ]
    assert ["limit" in results[c] for c in ("c1", "c2", "c3", "c4")] == [False] * 4
    refused = results["c5"]
    assert refused["result"].startswith("daily tool limit reached")
    assert refused["limit"]["error"] == "quota_exceeded"
    assert refused["limit"]["limit"] == "tool_calls_per_day"
    assert refused["limit"]["reset_at"] == MIDNIGHT
    assert "(Unlimited)" in refused["limit"]["detail"]  # the person's own chat: their plan
    assert refused["limit"]["upgrade_to"] == "free"  # the first public plan allowing more
    [completed] = named(response_events, "message.completed")
    assert completed["message"]["status"] == "complete"
    assert completed["message"]["content"] == "Counting. Done."
    stored = {c["id"]: c for c in completed["message"]["tool_calls"]}
    assert stored["c5"]["limit"] == refused["limit"]  # a reload shows the refusal too
    assert "limit" not in stored["c1"]
    sent = json.dumps(upstream.last("rp-model").body["messages"])
    assert "daily tool limit reached" in sent  # what the model was told
    usage = (await client.get("/api/v2/subscription/usage", headers=headers)).json()
    assert usage["today"]["tool_calls"] == {"used": 2, "limit": 2}


async def test_the_limit_resets_at_midnight_utc(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    now = [NOON]
    runtime.quotas.clock = lambda: now[0]
    await _tool_calls_per_day(runtime, 1)
    _, headers = await user_with_token(runtime, client)
    chat = await create_chat(client, headers, (await character(client, headers))["id"])
    clock = (tool_call("current_time", {}, "t1"),)

    async def ask() -> bool:
        upstream.script("rp-model", reply="Let me look.", tool_calls=clock)
        upstream.script("rp-model", reply=" Here.")
        [result] = named(await say(client, headers, chat["id"], "Time?"), "tool.result")
        return bool(result["ok"])

    first, second = await ask(), await ask()
    now[0] = datetime(2026, 12, 7, 0, 0, 1, tzinfo=UTC)  # just past midnight UTC
    next_day = await ask()

    assert (first, second, next_day) == (True, False, True)


async def test_unlimited_plans_count_for_the_usage_page(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    await _tool_calls_per_day(runtime, None)
    _, headers = await user_with_token(runtime, client)
    chat = await create_chat(client, headers, (await character(client, headers))["id"])
    upstream.script("rp-model", reply="Hm.", tool_calls=(tool_call("current_time", {}),))
    upstream.script("rp-model", reply=" Ok.")

    [result] = named(await say(client, headers, chat["id"], "Time?"), "tool.result")

    assert result["ok"]
    usage = (await client.get("/api/v2/subscription/usage", headers=headers)).json()
    assert usage["today"]["tool_calls"] == {"used": 1, "limit": None}


async def test_in_a_shared_chat_the_refusal_does_not_show_the_persons_plan(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    """Every member reads the reply and its events: they see that the day's tool calls are
    used up and when they reset, not whose plan it is or what to upgrade to."""
    runtime.quotas.clock = lambda: NOON
    await _tool_calls_per_day(runtime, 0)
    _, alice = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    chat = await create_chat(client, alice, (await character(client, alice))["id"])
    url = f"/api/v2/chats/{chat['id']}/participants"
    added = await client.post(url, json={"user_id": bob.id}, headers=alice)
    assert added.status_code == 200, added.text
    upstream.script("rp-model", reply="Let me see.", tool_calls=(tool_call("current_time", {}),))
    upstream.script("rp-model", reply=" No clock today.")

    [result] = named(await say(client, alice, chat["id"], "Time?"), "tool.result")

    assert result["limit"]["limit"] == "tool_calls_per_day"
    assert result["limit"]["reset_at"] == MIDNIGHT
    assert "upgrade_to" not in result["limit"]
    stored = (await messages(client, chat["id"], bob_headers))[-1]["tool_calls"]
    for seen in (result["result"], result["limit"]["detail"], stored[0]["result"]):
        assert "Unlimited" not in seen
        assert "plan" not in seen.lower()
