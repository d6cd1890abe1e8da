"""run_python(): untrusted code in bubblewrap, never in the API or worker process."""

from __future__ import annotations

from cognitia.agents.sandbox.errors import SandboxUnavailable
from cognitia.agents.sandbox.probe import available
from cognitia.agents.sandbox.process import SandboxResult, run_confined
from cognitia.config import SandboxSettings


async def run_python(
    code: str, settings: SandboxSettings, *, files: dict[str, bytes] | None = None
) -> SandboxResult:
    """Run code with python3 in a fresh sandbox; raises SandboxUnavailable rather than
    run it unconfined when bubblewrap does not work on this host."""
    if not await available(settings):
        raise SandboxUnavailable()
    return await run_confined(code, settings, files or {})
