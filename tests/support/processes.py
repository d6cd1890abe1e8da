"""Running the installed `cognitia` command as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COGNITIA = str(Path(sys.executable).with_name("cognitia"))


def process_env(**values: str) -> dict[str, str]:
    """This process's environment without any COGNITIA_ setting, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNITIA_")}
    env.update(values)
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it is still there after 20 s (a hang guard)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
