"""Real `cognitia worker` processes, configured through the environment as in production,
and the test process's own runtime that hands them jobs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from cognitia.config import Settings
from cognitia.jobs.providers.redis_streams import RedisStreamJobQueue
from cognitia.runtime import Runtime, build_runtime
from tests.support.processes import process_env

ROOT = Path(__file__).resolve().parents[2]  # so the processes can import `tests.support.jobs`


def settings_env(settings: Settings) -> dict[str, str]:
    """COGNITIA_* variables that make `Settings()` in another process equal `settings`."""
    env = {}
    for key, value in settings.model_dump(exclude_unset=True).items():
        pairs = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, item in pairs:
            name = f"COGNITIA_{key}__{sub}" if sub else f"COGNITIA_{key}"
            env[name.upper()] = _env_value(item)
    return env


def _env_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, str | Path):
        return str(value)
    return json.dumps(value)


class WorkerProcesses:
    """`cognitia worker` processes started by one test, each logging to its own file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, settings: Settings) -> subprocess.Popen[bytes]:
        self.directory.mkdir(parents=True, exist_ok=True)
        python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = process_env(PYTHONPATH=python_path, **settings_env(settings))
        log = self._log(len(self.started))
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "cognitia", "worker"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        process.kill()
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                self.kill(process)

    def logs(self) -> str:
        parts = []
        for index, process in enumerate(self.started):
            path = self._log(index)
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- worker {index} (pid {process.pid}, exit {process.poll()})\n{text}")
        return "\n".join(parts)

    def _log(self, index: int) -> Path:
        return self.directory / f"worker-{index}.log"


@asynccontextmanager
async def producer(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime for the test process: it queues jobs and reads results, and runs none."""
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        await runtime.close()


def _stream(runtime: Runtime) -> tuple[RedisStreamJobQueue, str]:
    assert isinstance(runtime.queue, RedisStreamJobQueue)
    return runtime.queue, runtime.settings.jobs.queue_name


async def queued_messages(runtime: Runtime) -> list[bytes]:
    """Every message in the taskiq stream, acknowledged or not."""
    queue, stream = _stream(runtime)
    return [fields[b"data"] for _id, fields in await queue.redis.xrange(stream)]


async def pending_messages(runtime: Runtime) -> int:
    """Messages delivered to a taskiq worker and not acknowledged yet."""
    queue, stream = _stream(runtime)
    summary: dict[str, Any] = await queue.redis.xpending(stream, queue.broker.consumer_group_name)
    return int(summary["pending"])


async def all_acknowledged(runtime: Runtime) -> bool:
    return await pending_messages(runtime) == 0
