"""Where an API or worker process finds its model runner, and the supervisor that keeps a
child runner alive.

`ChildRunner` starts `cognitia model-runner --uds PATH` and watches it: the process
exiting (a crash), health checks failing in a row, or a generation stalled past
`stall_seconds` (a hang) each end in a kill and a restart after a backoff that doubles
per failure in a row. Callers wait for `ready()` (bounded), so a message sent while the
runner restarts is answered once it is back. A runner that fails to START (it exits before
it answers, as with a broken model or voice file) is different: waiting would only reach
the timeout, so callers are told at once, until a later try (the same backoff) is up.
`ExternalRunner` is a shared runner that someone else supervises; only its health is asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal, Protocol

import httpx

from cognitia.config import RunnerSettings
from cognitia.kit.tls import client_context
from cognitia.llm.ports import ProviderUnavailable
from cognitia.llm.runner import protocol

log = logging.getLogger(__name__)
State = Literal["stopped", "starting", "ready", "restarting"]
# A runner that stayed up this long has recovered: the next crash waits the first backoff.
STABLE_SECONDS = 60.0
HEALTH_TIMEOUT_SECONDS = 2.0
CHILD_BASE_URL = "http://runner"


class Runner(Protocol):
    """What clients need: where the runner is, and a wait until it can answer."""

    base_url: str

    def transport(self) -> httpx.AsyncBaseTransport | None: ...

    async def ready(self, wait_seconds: float) -> None:
        """Return when the runner answers; ProviderUnavailable after `wait_seconds`."""
        ...

    async def lost(self) -> bool:
        """After a request could not reach the runner: whether it is really gone (then
        `ready()` waits for it to come back, and the request may be tried again)."""
        ...

    def describe(self) -> str:
        """'ok', or what is wrong, for /readyz."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class ExternalRunner:
    """A runner started elsewhere (`cognitia model-runner --port`), shared by processes."""

    def __init__(self, url: str) -> None:
        self.base_url = url.rstrip("/")
        self._problem: str | None = None

    def transport(self) -> httpx.AsyncBaseTransport | None:
        return None

    async def ready(self, wait_seconds: float) -> None:
        return None  # a request to a runner that is down fails by itself, as for any server

    async def start(self) -> None:
        return None

    async def lost(self) -> bool:
        return False  # its supervisor is someone else's: the error stands

    def describe(self) -> str:
        return "external"

    async def close(self) -> None:
        return None


class ChildRunner:
    """A runner process of our own, restarted whenever it dies, stops answering or hangs."""

    def __init__(self, settings: RunnerSettings, *, subcommand: str = "model-runner") -> None:
        self.settings = settings
        # The `cognitia` command it runs (model-runner, voice-runner) and its name in logs.
        self.subcommand = subcommand
        self.name = subcommand.replace("-", " ")
        self.base_url = CHILD_BASE_URL
        self.state: State = "stopped"
        self.problem = "not started"
        self.restarts = 0
        # A folder of our own (created at start, mode 0700): a Unix socket path must be
        # short, and other local users must not reach the runner.
        self._folder = Path(tempfile.gettempdir()) / f"cognitia-runner-{secrets.token_hex(8)}"
        self.socket = str(self._folder / "runner.sock")
        self._ready = asyncio.Event()
        # Set when the last try to start never got as far as ready; cleared once one does.
        self._start_failed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.process: asyncio.subprocess.Process | None = None

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport(uds=self.socket, verify=client_context())

    async def start(self) -> None:
        if self._task is None:
            _make_private_folder(self._folder)
            self.state, self.problem = "starting", "loading its models"
            self._task = asyncio.create_task(self._supervise(), name=self.subcommand)

    async def ready(self, wait_seconds: float) -> None:
        """Return once the runner answers; ProviderUnavailable after `wait_seconds`, or at
        once when it failed to start (it is tried again in the background)."""
        await self.start()
        if not self._ready.is_set() and not self._start_failed.is_set():
            waits = [asyncio.ensure_future(e.wait()) for e in (self._ready, self._start_failed)]
            try:
                await asyncio.wait(waits, timeout=wait_seconds, return_when="FIRST_COMPLETED")
            finally:
                for wait in waits:
                    wait.cancel()
        if self._ready.is_set():
            return
        if self._start_failed.is_set():
            raise ProviderUnavailable(
                f"local {self.name} failed to start ({self.problem}); it is tried again"
                " in the background"
            )
        raise ProviderUnavailable(f"local {self.name} is not ready: {self.problem}")

    async def lost(self) -> bool:
        # The supervisor may not have seen the death yet (it learns of it a moment later):
        # ask now, and hold callers back until it has restarted the runner.
        async with self._client() as client:
            if await self._health(client) is not None:
                return False
        self._ready.clear()
        return True

    def describe(self) -> str:
        return "ok" if self.state == "ready" else f"{self.state}: {self.problem}"

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport(), base_url=self.base_url, timeout=HEALTH_TIMEOUT_SECONDS
        )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._stop_process()
        self.state = "stopped"
        _remove_folder(self._folder)

    # -- supervision ----------------------------------------------------------

    async def _supervise(self) -> None:
        backoff = self.settings.restart_backoff_seconds
        while True:
            started = time.monotonic()
            self.problem = await self._run_once()
            self._ready.clear()
            if self.state != "ready":  # it never came up: callers stop waiting for it
                self._start_failed.set()
            await self._stop_process()
            if time.monotonic() - started > STABLE_SECONDS:
                backoff = self.settings.restart_backoff_seconds
            self.state, self.restarts = "restarting", self.restarts + 1
            log.error("%s %s; restarting in %.1fs", self.name, self.problem, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.restart_backoff_max_seconds)

    async def _run_once(self) -> str:
        """Start one runner process and watch it; return why it has to go."""
        try:
            self.process = await self._spawn()
        except OSError as exc:  # a COGNITIA_LLM__RUNNER__COMMAND that does not exist
            return f"cannot be started: {exc}"
        async with self._client() as client:
            problem = await self._wait_until_up(client)
            if problem is not None:
                return problem
            self.state, self.problem = "ready", ""
            self._start_failed.clear()
            self._ready.set()
            log.info("%s ready", self.name, extra={"pid": self.process.pid})
            return await self._watch(client)

    async def _spawn(self) -> asyncio.subprocess.Process:
        _remove_stale_socket(self.socket)
        command = self.settings.command or [sys.executable, "-m", "cognitia", self.subcommand]
        return await asyncio.create_subprocess_exec(
            *command, "--uds", self.socket, "--watch-parent", stdin=asyncio.subprocess.PIPE
        )

    async def _wait_until_up(self, client: httpx.AsyncClient) -> str | None:
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        while time.monotonic() < deadline:
            if (exited := self._exit_problem()) is not None:
                return exited
            if await self._health(client) is not None:
                return None
            await asyncio.sleep(0.1)
        return f"did not become ready within {self.settings.start_timeout_seconds:g}s"

    async def _watch(self, client: httpx.AsyncClient) -> str:
        failures = 0
        while True:
            await self._wait_exit(self.settings.health_interval_seconds)
            if (exited := self._exit_problem()) is not None:
                return exited
            health = await self._health(client)
            failures = 0 if health is not None else failures + 1
            if health is not None:
                self._ready.set()  # again, if a caller's `lost()` doubted it meanwhile
            if failures >= self.settings.health_failures:
                return f"failed {failures} health checks in a row"
            stalled = _stalled_seconds(health)
            if stalled > self.settings.stall_seconds:
                return f"hangs (no progress for {stalled:.0f}s)"

    async def _wait_exit(self, seconds: float) -> None:
        assert self.process is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), seconds)

    def _exit_problem(self) -> str | None:
        code = None if self.process is None else self.process.returncode
        if code is None:
            return None
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"was killed by {signal.Signals(-code).name}"
            return f"was killed by signal {-code}"
        return f"exited with code {code}"

    async def _health(self, client: httpx.AsyncClient) -> dict[str, object] | None:
        try:
            response = await client.get(protocol.HEALTH)
            response.raise_for_status()
            body: dict[str, object] = response.json()
            return body
        except (httpx.HTTPError, ValueError):
            return None

    async def _stop_process(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), self.settings.stop_grace_seconds)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def _stalled_seconds(health: dict[str, object] | None) -> float:
    value = (health or {}).get("stalled_seconds")
    return float(value) if isinstance(value, int | float) else 0.0


def _remove_stale_socket(path: str) -> None:
    """A socket file left by a runner that was killed: binding would fail on it."""
    Path(path).unlink(missing_ok=True)


def _make_private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, exist_ok=True)


def _remove_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            entry.unlink()
        folder.rmdir()
