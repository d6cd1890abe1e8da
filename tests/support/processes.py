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


def child_running(parent: int, marker: bytes) -> int:
    """The pid of `parent`'s child whose command line holds `marker` (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # ended while we looked
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and marker in cmdline:
            return int(entry.name)
    raise LookupError(f"no child of {parent} running {marker.decode()}")
