"""The model runner as a real child process: the bundled SmolLM2 and MiniLM served over
its socket, and the supervisor's answers to a runner that is killed, crashes on start
or hangs. The misbehaving runners are tests/support/fake_runner.py, speaking the real
protocol; nothing in-process is mocked."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

from cognitia.app import create_app
from cognitia.config import RunnerSettings, Settings
from cognitia.llm.catalogue import EmbedderConfig, ProviderConfig
from cognitia.llm.ports import (
    ChatMessage,
    ChatRequest,
    Finish,
    ProviderUnavailable,
    Sampling,
    StreamEvent,
    TextDelta,
    Usage,
)
from cognitia.llm.runner.clients import RunnerChatModel, RunnerEmbedder
from cognitia.llm.runner.supervisor import ChildRunner
from cognitia.migrations.runner import upgrade as migrate
from tests.conftest import make_settings
from tests.support.waiting import eventually

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

FAST = {
    "health_interval_seconds": 0.2,
    "restart_backoff_seconds": 0.1,
    "restart_backoff_max_seconds": 0.5,
    "stop_grace_seconds": 2.0,
}


def ask(prompt: str, max_tokens: int = 8) -> ChatRequest:
    sampling = Sampling(temperature=0.0, max_tokens=max_tokens)
    return ChatRequest([ChatMessage("user", prompt)], sampling=sampling)


@pytest_asyncio.fixture(scope="module")
async def runner() -> AsyncIterator[ChildRunner]:
    child = ChildRunner(RunnerSettings(**FAST))  # type: ignore[arg-type]
    await child.start()
    await child.ready(120)
    yield child
    await child.close()


def chat_model(runner: ChildRunner, **config: object) -> RunnerChatModel:
    return RunnerChatModel("local", ProviderConfig(type="local", **config), runner)  # type: ignore[arg-type]


async def test_streams_a_reply_from_the_bundled_model(runner: ChildRunner) -> None:
    model = chat_model(runner)
    events = [e async for e in model.stream(ask("Say hello."), model="smollm2-135m")]
    await model.close()

    *deltas, usage, finish = events
    assert "".join(e.text for e in deltas if isinstance(e, TextDelta)).strip()
    assert isinstance(usage, Usage)
    assert usage.completion_tokens > 0
    assert isinstance(finish, Finish)
    assert runner.describe() == "ok"


async def test_counts_tokens_with_the_model_tokenizer(runner: ChildRunner) -> None:
    model = chat_model(runner)
    short = await model.count_tokens("Hello", model="smollm2-135m")
    long = await model.count_tokens("Hello there, how are you today?", model="smollm2-135m")
    await model.close()

    assert short is not None
    assert long is not None
    assert 0 < short < long


async def test_embeds_unit_vectors_through_the_runner(runner: ChildRunner) -> None:
    embedder = RunnerEmbedder("minilm", EmbedderConfig(type="local", batch_size=2), runner)
    cat, kitten, money = await embedder.embed(
        ["A cat sleeps.", "A kitten naps.", "Revenue grew by ten percent."]
    )
    await embedder.close()

    assert len(cat) == 384
    assert math.isclose(math.hypot(*cat), 1.0, abs_tol=1e-4)
    similar = sum(a * b for a, b in zip(cat, kitten, strict=True))
    unrelated = sum(a * b for a, b in zip(cat, money, strict=True))
    assert similar > unrelated + 0.2


async def test_a_client_that_goes_away_stops_the_generation(runner: ChildRunner) -> None:
    model = chat_model(runner)
    request = ask("Write a very long story about a dragon.", max_tokens=400)
    async with aclosing(model.stream(request, model="smollm2-135m")) as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                break  # leave after the first token

    async def idle() -> bool:
        return await generating(runner) == 0

    await eventually(idle, timeout=10)
    await model.close()


async def generating(runner: ChildRunner) -> int:
    async with httpx.AsyncClient(transport=runner.transport(), base_url=runner.base_url) as http:
        return int((await http.get("/health")).json()["generating"])


async def test_sigkill_mid_stream_ends_the_reply_and_the_runner_comes_back(
    runner: ChildRunner,
) -> None:
    model = chat_model(runner)
    restarts = runner.restarts
    request = ask("Write a very long story about a dragon.", max_tokens=400)
    received: list[str] = []
    with pytest.raises(ProviderUnavailable):
        await kill_after_three_tokens(model.stream(request, model="smollm2-135m"), runner, received)

    assert len(received) >= 3  # what came before the crash was delivered
    events = [e async for e in model.stream(ask("Say hi."), model="smollm2-135m")]
    await model.close()
    assert isinstance(events[-1], Finish)
    assert runner.restarts == restarts + 1
    assert runner.describe() == "ok"


async def kill_after_three_tokens(
    stream: AsyncIterator[StreamEvent], runner: ChildRunner, received: list[str]
) -> None:
    async for event in stream:
        if isinstance(event, TextDelta):
            received.append(event.text)
            if len(received) == 3:
                assert runner.process is not None
                os.kill(runner.process.pid, signal.SIGKILL)


def fake_runner(mode: str, **settings: object) -> ChildRunner:
    command = [sys.executable, "-m", "tests.support.fake_runner", mode]
    return ChildRunner(RunnerSettings(command=command, **{**FAST, **settings}))  # type: ignore[arg-type]


async def test_a_runner_that_crashes_on_start_is_reported_and_retried() -> None:
    runner = fake_runner("crash")
    await runner.start()
    try:
        with pytest.raises(ProviderUnavailable, match="exited with code 3"):
            await runner.ready(3)

        async def retried() -> bool:
            return runner.restarts >= 2

        await eventually(retried, timeout=20)
        assert runner.describe().startswith("restarting: exited with code 3")
    finally:
        await runner.close()


async def test_a_runner_command_that_does_not_exist_is_reported() -> None:
    runner = ChildRunner(RunnerSettings(command=["/nonexistent/runner"], **FAST))  # type: ignore[arg-type]
    try:
        with pytest.raises(ProviderUnavailable, match="cannot be started"):
            await runner.ready(2)
    finally:
        await runner.close()


async def test_a_runner_that_hangs_times_out_and_is_restarted() -> None:
    runner = fake_runner("hang", stall_seconds=1.0)
    model = chat_model(runner, first_token_timeout_seconds=1.0)
    try:
        await runner.ready(30)
        with pytest.raises(ProviderUnavailable, match="no token within 1s"):
            async for _ in model.stream(ask("Hello"), model="smollm2-135m"):
                pass

        async def restarted() -> bool:
            return runner.restarts >= 1

        await eventually(restarted, timeout=20)
        await runner.ready(30)  # and it comes back
    finally:
        await model.close()
        await runner.close()


async def test_close_ends_the_child_process() -> None:
    runner = fake_runner("hang")
    await runner.ready(30)
    process = runner.process
    assert process is not None

    await runner.close()

    assert process.returncode is not None
    assert runner.describe().startswith("stopped")


async def test_the_runner_exits_when_its_parent_goes_away(tmp_path: Path) -> None:
    """A child watches the pipe on its stdin: closing it is what a parent's death does."""
    socket = str(tmp_path / "r.sock")
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "cognitia", "model-runner", "--uds", socket, "--watch-parent"],
        stdin=asyncio.subprocess.PIPE,
    )
    transport = httpx.AsyncHTTPTransport(uds=socket)
    async with httpx.AsyncClient(transport=transport, base_url="http://runner") as http:

        async def up() -> bool:
            try:
                return (await http.get("/health")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(up, timeout=120)
    assert process.stdin is not None
    process.stdin.close()

    code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0


async def readyz(settings: Settings) -> httpx.Response:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            runner = app.state.runtime.models.runner
            with contextlib.suppress(ProviderUnavailable):
                await runner.ready(3)
            return await http.get("/readyz")


@pytest.mark.parametrize(
    ("mode", "status", "check"), [("hang", 200, "ok"), ("crash", 503, "exited")]
)
async def test_readyz_reports_the_runner(
    tmp_path: Path, mode: str, status: int, check: str
) -> None:
    command = [sys.executable, "-m", "tests.support.fake_runner", mode]
    runner = {"start_at_boot": True, "command": command, **FAST}
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    settings.llm.runner = RunnerSettings(**runner)  # type: ignore[arg-type]
    await asyncio.to_thread(migrate, settings.resolved_database_url)

    response = await readyz(settings)

    assert response.status_code == status
    assert check in response.json()["checks"]["model_runner"]
