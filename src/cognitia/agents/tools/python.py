"""run_python: a short Python program run in the sandbox (agents/sandbox: bubblewrap, no
network, a tmpfs work folder, limits on time, memory, processes and output). Offered only
where the sandbox works on this host (registry.offer_python)."""

from __future__ import annotations

from typing import Any

from cognitia.agents.sandbox import Sandbox, SandboxBusy, SandboxResult, SandboxUnavailable
from cognitia.agents.tools.base import Policy, Tool, ToolContext, ToolError, object_schema
from cognitia.config import SandboxSettings

MAX_CODE_CHARS = 20_000


def describe(result: SandboxResult) -> str:
    lines = [f"exit code: {result.exit_code}" + (" (timed out)" if result.timed_out else "")]
    if result.stdout:
        lines.append("stdout:\n" + result.stdout + ("\n[cut]" if result.stdout_truncated else ""))
    if result.stderr:
        lines.append("stderr:\n" + result.stderr + ("\n[cut]" if result.stderr_truncated else ""))
    if result.files:
        listed = ", ".join(f"{name} ({len(data)} bytes)" for name, data in result.files.items())
        lines.append(f"files written: {listed}")
    return "\n".join(lines)


def run_python_tool(settings: SandboxSettings) -> Tool:
    sandbox = Sandbox(settings)  # one per process: the tool is registered once, at start

    async def run(args: dict[str, Any], context: ToolContext) -> str:
        try:
            return describe(await sandbox.run(args["code"]))
        except (SandboxUnavailable, SandboxBusy) as exc:
            raise ToolError(exc.detail) from None

    return Tool(
        name="run_python",
        description="Run a Python 3 program (no network, no packages beyond the standard"
        " library) and return its output.",
        parameters=object_schema(
            {"code": {"type": "string", "maxLength": MAX_CODE_CHARS}}, required=("code",)
        ),
        runner=run,
        # ask by default: the code the model writes runs on this host (confined, but on its CPU).
        policy=Policy.ASK,
        sandboxed=True,
    )
