"""run_python(): untrusted code in bubblewrap, never in the API or worker process; and the
Sandbox that a process runs it through, at most `max_concurrent_runs` at once."""

from __future__ import annotations

import asyncio

from cognitia.agents.sandbox.errors import SandboxBusy, SandboxUnavailable
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


class Sandbox:
    """The sandbox of one process. Each run may take a core for cpu_seconds and
    memory_bytes per process; without a bound, a burst of tool calls would starve the
    replies streaming beside them on the same machine."""

    def __init__(self, settings: SandboxSettings) -> None:
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.max_concurrent_runs)
        self.running = 0

    async def run(self, code: str, *, files: dict[str, bytes] | None = None) -> SandboxResult:
        """run_python in a free slot; SandboxBusy when none frees within queue_seconds."""
        try:
            async with asyncio.timeout(self._settings.queue_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise SandboxBusy() from None
        self.running += 1
        try:
            return await run_python(code, self._settings, files=files)
        finally:
            self.running -= 1
            self._slots.release()
