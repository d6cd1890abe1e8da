"""`cognitia serve` runs on uvloop, whose subprocesses take no user/group arguments: as root
the sandbox drops to its uid with setpriv instead (a server running as root once failed to
start on the probe)."""

from __future__ import annotations

import shutil

import pytest
import uvloop

from cognitia.agents.sandbox import run_python
from cognitia.config import SandboxSettings


def test_runs_on_uvloop_as_the_server_does() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (./dev installs it)")

    result = uvloop.run(run_python("import os\nprint(os.getuid() != 0)", SandboxSettings()))

    assert result.exit_code == 0
    assert result.stdout == "True\n"
