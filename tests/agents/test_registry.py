"""The registry runs calls as results, never exceptions; the memory and knowledge tools are
scoped to the person and the character (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest

from cognitia.agents.tools.base import Policy, Tool, ToolContext, object_schema
from cognitia.agents.tools.calculator import CALCULATOR
from cognitia.agents.tools.registry import ToolRegistry, default_registry
from cognitia.models.character import Visibility
from cognitia.models.user import User
from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character
from tests.retrieval.helpers import index_of
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio


def context(runtime: Runtime, user: User, character_id: str) -> ToolContext:
    return ToolContext(
        db=runtime.db, user_id=user.id, character_id=character_id, index=index_of(runtime)
    )


async def call(
    registry: ToolRegistry, ctx: ToolContext, name: str, args: dict[str, Any] | str, **kw: Any
) -> tuple[bool, str]:
    text = args if isinstance(args, str) else json.dumps(args)
    result = await registry.execute(name, text, ctx, **kw)
    return result.ok, result.text


async def test_bad_calls_become_error_results(runtime: Runtime) -> None:
    alice = await create_user(runtime)
    ctx = context(runtime, alice, "no-character")
    tools = default_registry()
    assert tools.names() == [
        "calculator",
        "current_time",
        "http_fetch",
        "save_memory",
        "search_knowledge",
        "search_memories",
    ]
    assert await call(tools, ctx, "calculator", {"expression": "6*7"}) == (True, "6*7 = 42")
    ok, text = await call(tools, ctx, "launch_rockets", {})
    assert not ok
    assert "unknown tool 'launch_rockets'" in text
    assert "calculator" in text
    ok, text = await call(tools, ctx, "calculator", '{"expression": "2+')
    assert not ok
    assert text.startswith("malformed arguments (not JSON")
    assert (await call(tools, ctx, "calculator", "[1]"))[1].startswith("malformed arguments")
    ok, text = await call(tools, ctx, "calculator", {})
    assert not ok
    assert "'expression' is a required property" in text
    ok, text = await call(tools, ctx, "calculator", {"expression": 5})
    assert not ok
    assert text.startswith("invalid arguments: expression:")
    ok, text = await call(tools, ctx, "calculator", {"expression": "1", "x": 1})
    assert not ok
    assert "Additional properties" in text
    ok, text = await call(tools, ctx, "calculator", {"expression": "1/0"})
    assert (ok, text) == (False, "division by zero")
    ok, text = await call(tools, ctx, "current_time", {"timezone": "Nowhere/Else"})
    assert not ok
    assert "unknown time zone" in text


async def broken(args: dict[str, Any], ctx: ToolContext) -> str:
    raise RuntimeError("secret detail")


async def stuck(args: dict[str, Any], ctx: ToolContext) -> str:
    await asyncio.Event().wait()
    return ""


async def chatty(args: dict[str, Any], ctx: ToolContext) -> str:
    return "x" * 500


async def test_policies_failures_time_limits_and_size_caps(runtime: Runtime) -> None:
    alice = await create_user(runtime)
    ctx = context(runtime, alice, "no-character")
    empty = object_schema({})
    tools = ToolRegistry(
        [
            dataclasses.replace(CALCULATOR, name="never", policy=Policy.NEVER),
            dataclasses.replace(CALCULATOR, name="ask", policy=Policy.ASK),
            Tool("broken", "Fails.", empty, broken),
            Tool("stuck", "Never answers.", empty, stuck),
            Tool("chatty", "Talks.", empty, chatty),
        ]
    )
    assert [s["function"]["name"] for s in tools.specs(["never", "ask", "gone"])] == ["ask"]
    ok, text = await call(tools, ctx, "never", {"expression": "1"})
    assert not ok
    assert "not allowed to run (policy never)" in text
    assert await call(tools, ctx, "ask", {"expression": "1"}) == (
        False,
        "tool 'ask' needs a member's approval, which this call did not have",
    )
    assert await call(tools, ctx, "ask", {"expression": "1"}, approved=True) == (True, "1 = 1")
    # The policy a call runs under (the character's or the admin's) wins over the default.
    assert await call(tools, ctx, "never", {"expression": "1"}, policy=Policy.ALWAYS) == (
        True,
        "1 = 1",
    )
    ok, text = await call(tools, ctx, "ask", {"expression": "1"}, policy=Policy.NEVER)
    assert (ok, "policy never" in text) == (False, True)
    assert tools.refusal("ask", '{"expression": "1"}') is None
    refused = tools.refusal("ask", '{"expression": 1}', Policy.ASK)
    assert refused is not None
    assert refused.text.startswith("invalid arguments")
    assert await call(tools, ctx, "broken", {}) == (False, "tool 'broken' failed")
    assert await call(tools, ctx, "stuck", {}, seconds=0.01) == (
        False,
        "tool 'stuck' timed out after 0.01s",
    )
    ok, text = await call(tools, ctx, "chatty", {}, max_chars=100)
    assert ok
    assert text == "x" * 100 + "\n[cut: 400 more characters]"


async def test_memories_are_the_callers_own(runtime: Runtime) -> None:
    alice, bob = await create_user(runtime), await create_user(runtime)
    aria = await create_character(runtime, owner=alice, visibility=Visibility.PUBLIC)
    tools = default_registry()
    as_alice, as_bob = context(runtime, alice, aria.id), context(runtime, bob, aria.id)
    saved = {"content": "Grows tomatoes in Oslo.", "category": "biography"}
    ok, text = await call(tools, as_alice, "save_memory", saved)
    assert ok
    assert text.startswith("Saved (memory ")
    assert await call(tools, as_alice, "search_memories", {"query": "tomatoes Oslo"}) == (
        True,
        "1. Grows tomatoes in Oslo.",
    )
    assert await call(tools, as_bob, "search_memories", {"query": "tomatoes Oslo"}) == (
        True,
        "No memory matches.",
    )
    ok, text = await call(tools, as_alice, "save_memory", {"content": "x", "category": "secret"})
    assert not ok
    assert text.startswith("invalid arguments: category:")


async def test_knowledge_is_the_characters_own(runtime: Runtime) -> None:
    alice = await create_user(runtime)
    aria = await create_character(runtime, owner=alice)
    other = await create_character(runtime, owner=alice, name="Other")
    chunks = [
        ChunkInput(
            "The lighthouse was built in 1854.", "document", "d1", Scope(character_id=aria.id)
        ),
        ChunkInput("The lighthouse keeper is Ada.", "document", "d2", Scope(character_id=other.id)),
    ]
    async with runtime.db.unit_of_work() as session:
        await index_of(runtime).index(chunks, session=session)
    tools = default_registry()
    found = await call(
        tools, context(runtime, alice, aria.id), "search_knowledge", {"query": "lighthouse"}
    )
    assert found == (True, "1. The lighthouse was built in 1854.")
    theirs = await call(
        tools, context(runtime, alice, other.id), "search_knowledge", {"query": "lighthouse"}
    )
    assert theirs == (True, "1. The lighthouse keeper is Ada.")
