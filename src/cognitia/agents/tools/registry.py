"""The tools there are, by name, and how one call is run: the arguments parsed and checked
against the tool's schema, its policy applied, a time limit and a size cap. Every outcome
is a ToolResult; nothing a model sends can raise out of `execute`.

More tools register with one line each: `registry.register(http_fetch.TOOL)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents import sandbox
from cognitia.agents.tools import calculator, clock, knowledge, memories, python, web
from cognitia.agents.tools.base import Policy, Tool, ToolContext, ToolError, ToolResult
from cognitia.agents.tools.mcp import naming
from cognitia.agents.tools.mcp import repository as mcp_servers
from cognitia.agents.tools.mcp.tools import McpTools
from cognitia.billing.errors import QuotaExceeded
from cognitia.billing.quotas import DAILY, Quotas
from cognitia.config import ToolSettings
from cognitia.llm.ports import ToolCall
from cognitia.retrieval.service import Retrieval

log = logging.getLogger(__name__)

# What a call with the policy ask gets when it ran without a member's approval.
NEEDS_APPROVAL = "needs a member's approval, which this call did not have"
DECLINED = "declined by the user: do not run it again unless they ask"
EXPIRED = "declined: nobody approved it in time"
# Decides, before a valid call runs, whether it may (None) or what it gets instead.
Admit = Callable[[Tool], Awaitable[ToolResult | None]]


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        Draft202012Validator.check_schema(tool.parameters)  # a bad schema fails at start
        self._tools[tool.name] = tool
        self._validators[tool.name] = Draft202012Validator(tool.parameters)

    def extended(self, tools: Iterable[Tool]) -> ToolRegistry:
        """This registry plus `tools` (one reply's MCP tools), leaving this one as it is."""
        more = ToolRegistry()
        more._tools = dict(self._tools)
        more._validators = dict(self._validators)
        for tool in tools:
            more.register(tool)
        return more

    def names(self) -> list[str]:
        return sorted(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def unknown(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if name not in self._tools]

    async def unknown_for(
        self, session: AsyncSession, owner_id: str, names: Iterable[str]
    ) -> list[str]:
        """The names that are no tool for `owner_id`'s characters: not built in, and not
        `mcp-<server>-<tool>` of a server that owner may use. The tool itself is not asked
        for (its server may be down); a tool the server does not list is not offered."""
        unknown = self.unknown(names)
        servers = {p[0] for n in unknown if (p := naming.split(n)) is not None}
        if not servers:
            return unknown
        usable = await mcp_servers.visible_names(session, owner_id, sorted(servers))
        return [n for n in unknown if (p := naming.split(n)) is None or p[0] not in usable]

    def specs(
        self, names: Iterable[str], policy: Callable[[Tool], Policy] | None = None
    ) -> list[dict[str, Any]]:
        """The named tools (those that exist and may run, by `policy`: the tool's own when
        None) as a ChatRequest offers them."""
        policy_of = policy or (lambda tool: tool.policy)
        tools = [self._tools.get(name) for name in names]
        return [t.spec() for t in tools if t is not None and policy_of(t) is not Policy.NEVER]

    def refusal(self, name: str, arguments: str, policy: Policy | None = None) -> ToolResult | None:
        """Why this call cannot run whatever a member says (an unknown tool, the policy
        never, bad arguments), or None; checked before anyone is asked to approve it."""
        checked = self._checked(name, arguments, policy)
        return checked if isinstance(checked, ToolResult) else None

    async def execute(  # noqa: PLR0913 - the call, whom it is for, its policy and limits
        self,
        name: str,
        arguments: str,
        context: ToolContext,
        *,
        policy: Policy | None = None,
        approved: bool = False,
        seconds: float = 20.0,
        max_chars: int = 8000,
        admit: Admit | None = None,
    ) -> ToolResult:
        """Run one call the model made under `policy` (the tool's own when None); a call
        whose policy is ask runs only when `approved`. A refusal, a bad call or a failure
        is a result whose text tells the model what went wrong. `admit`, for a call that
        would run, may refuse it (the plan's daily tool limits) with a result of its own."""
        checked = self._checked(name, arguments, policy)
        if isinstance(checked, ToolResult):
            return checked
        tool, args, effective = checked
        if effective is Policy.ASK and not approved:
            return ToolResult(False, f"tool {name!r} {NEEDS_APPROVAL}")
        if admit is not None and (refused := await admit(tool)) is not None:
            return refused
        result = await _run(tool, args, context, tool.timeout_seconds or seconds)
        return ToolResult(result.ok, _capped(result.text, max_chars))

    def _checked(
        self, name: str, arguments: str, policy: Policy | None
    ) -> tuple[Tool, dict[str, Any], Policy] | ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self.names()) or "none"
            return ToolResult(False, f"unknown tool {name!r} (tools: {known})")
        effective = policy or tool.policy
        if effective is Policy.NEVER:
            return ToolResult(False, f"tool {name!r} is not allowed to run (policy never)")
        args = self._arguments(name, arguments)
        if isinstance(args, ToolResult):
            return args
        return tool, args, effective

    def _arguments(self, name: str, arguments: str) -> dict[str, Any] | ToolResult:
        try:
            args = json.loads(arguments or "{}")
        except ValueError as exc:
            return ToolResult(False, f"malformed arguments (not JSON: {exc})")
        if not isinstance(args, dict):
            return ToolResult(False, "malformed arguments (expected a JSON object)")
        errors = sorted(self._validators[name].iter_errors(args), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "arguments"
            return ToolResult(False, f"invalid arguments: {where}: {errors[0].message}")
        return args


async def _run(
    tool: Tool, args: dict[str, Any], context: ToolContext, seconds: float
) -> ToolResult:
    try:
        async with asyncio.timeout(seconds):
            return ToolResult(True, await tool.run(args, context))
    except ToolError as exc:
        return ToolResult(False, str(exc))
    except TimeoutError:
        return ToolResult(False, f"tool {tool.name!r} timed out after {seconds:g}s")
    except Exception:
        # A bug or an outage in one tool: logged with its trace, the model told briefly.
        log.exception("tool %s failed", tool.name)
        return ToolResult(False, f"tool {tool.name!r} failed")


def _capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[cut: {len(text) - limit} more characters]"


@dataclass(frozen=True)
class ToolBox:
    """What a reply runs tools with: the registry, the limits, the search index, and the
    plans' daily tool limits (None: not enforced)."""

    registry: ToolRegistry
    limits: ToolSettings
    index: Retrieval | None = None
    mcp: McpTools | None = None
    quotas: Quotas | None = None

    async def for_reply(self, owner_id: str | None, names: list[str]) -> ToolBox:
        """The box a reply runs with: the named MCP tools of the servers `owner_id` may use
        (None: only those an admin offers to everyone) join the registry (those whose
        server answers)."""
        if self.mcp is None:
            return self
        tools = await self.mcp.for_owner(owner_id, names)
        return replace(self, registry=self.registry.extended(tools)) if tools else self

    def policy(self, tool: str, chosen: Mapping[str, str]) -> Policy:
        """A tool's policy for a character: the admin's (tools.policies) over the owner's
        choice (`chosen`, the character's tool_policies) over the tool's default."""
        forced = self.limits.policies.get(tool)
        if forced is not None:
            return Policy(forced)
        if tool in chosen:
            return Policy(chosen[tool])
        found = self.registry.get(tool)
        return found.policy if found is not None else Policy.NEVER

    def specs(self, names: list[str], chosen: Mapping[str, str]) -> list[dict[str, Any]]:
        return self.registry.specs(names, lambda tool: self.policy(tool.name, chosen))

    async def run(
        self,
        call: ToolCall,
        context: ToolContext,
        policy: Policy,
        *,
        approved: bool = False,
        charged_to: str | None = None,
    ) -> ToolResult:
        """Run `call` under `policy`; it counts against `charged_to`'s plan (the person whose
        message the reply answers), a refused call is a result saying so, and the reply
        goes on."""
        admit = None
        if self.quotas is not None and charged_to is not None:
            admit = partial(_admit, self.quotas, context, charged_to)
        return await self.registry.execute(
            call.name,
            call.arguments,
            context,
            policy=policy,
            approved=approved,
            seconds=self.limits.timeout_seconds,
            max_chars=self.limits.max_result_chars,
            admit=admit,
        )


async def _admit(
    quotas: Quotas, context: ToolContext, user_id: str, tool: Tool
) -> ToolResult | None:
    """A call over the day's tool calls (or Python runs) is not run: the model is told the
    limit is reached, and the event carries the refusal (its limit and reset time)."""
    try:
        await quotas.charge_tool(context.db, user_id=user_id, sandboxed=tool.sandboxed)
    except QuotaExceeded as refusal:
        # Where others read the reply (a shared chat the person did not open their private
        # things to), their plan stays theirs: no plan name, no upgrade.
        shown = _as_seen(refusal, private=context.user_id == user_id)
        resets = f"{refusal.reset_at:%H:%M} UTC"
        text = f"daily tool limit reached: {shown['detail']} It resets at {resets}."
        return ToolResult(False, text, limit=shown)
    return None


def _as_seen(refusal: QuotaExceeded, *, private: bool) -> dict[str, Any]:
    """The refusal's body, or for the members of a shared chat the same without the plan:
    its limit and reset time, not whose plan or which."""
    body = refusal.body()
    if private:
        return body
    shared = {key: value for key, value in body.items() if key != "upgrade_to"}
    _, noun = DAILY[refusal.limit]
    return {**shared, "detail": f"The day's {noun} of the person answered are used up."}


def builtin_tools() -> list[Tool]:
    return [
        clock.CURRENT_TIME,
        calculator.CALCULATOR,
        knowledge.SEARCH_KNOWLEDGE,
        memories.SEARCH_MEMORIES,
        memories.SAVE_MEMORY,
    ]


def default_registry(settings: ToolSettings | None = None) -> ToolRegistry:
    """The built-ins and http_fetch; run_python joins at start where the sandbox works
    (offer_python)."""
    fetching = (settings or ToolSettings()).fetch
    return ToolRegistry([*builtin_tools(), web.http_fetch_tool(fetching)])


async def offer_python(registry: ToolRegistry, settings: ToolSettings) -> bool:
    """Register run_python when bubblewrap confines code on this host (probed once per
    process); otherwise the tool is not offered at all, never run unconfined."""
    try:
        works = await sandbox.available(settings.sandbox)
    except Exception:  # whatever went wrong, the server starts, without the tool
        log.warning("run_python is not offered: probing the sandbox failed", exc_info=True)
        return False
    if not works:
        log.info("run_python is not offered: the sandbox (bubblewrap) does not work here")
        return False
    registry.register(python.run_python_tool(settings.sandbox))
    return True
