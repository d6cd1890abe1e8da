"""Sandboxed Python for tools: bubblewrap namespaces, a read-only /usr, tmpfs and rlimits."""

from cognitia.agents.sandbox.errors import InvalidSandboxFile, SandboxBusy, SandboxUnavailable
from cognitia.agents.sandbox.probe import available
from cognitia.agents.sandbox.process import SandboxResult
from cognitia.agents.sandbox.runner import Sandbox, run_python

__all__ = [
    "InvalidSandboxFile",
    "Sandbox",
    "SandboxBusy",
    "SandboxResult",
    "SandboxUnavailable",
    "available",
    "run_python",
]
