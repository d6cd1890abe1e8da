"""The sandbox against escapes: host files, sockets, fork and memory bombs, loops, output.

These run real bubblewrap (./dev installs Debian's `bubblewrap`). Limits are small so
each bomb ends fast; nothing here measures time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from cognitia.agents.sandbox import (
    InvalidSandboxFile,
    SandboxResult,
    SandboxUnavailable,
    available,
    run_python,
)
from cognitia.config import SandboxSettings
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

SETTINGS = SandboxSettings(
    timeout_seconds=60, cpu_seconds=2, memory_bytes=256 * 1024 * 1024, max_processes=16
)


@pytest.fixture(autouse=True)
def _bwrap_present() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (./dev installs it)")


async def run(
    code: str, settings: SandboxSettings = SETTINGS, files: dict[str, bytes] | None = None
) -> SandboxResult:
    return await run_python(textwrap.dedent(code), settings, files=files)


async def test_the_probe_passes_on_this_host() -> None:
    assert await available(SETTINGS)


async def test_prints_and_returns_written_files() -> None:
    result = await run(
        """
        print("hello")
        open("out.txt", "w").write(open("in.txt").read().upper())
        """,
        files={"in.txt": b"data", "sub/keep.txt": b"same"},
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hello\n", "")
    assert result.files == {"out.txt": b"DATA"}  # unchanged inputs are not sent back
    assert not result.timed_out
    assert not result.stdout_truncated
    assert not result.files_truncated


async def test_an_error_comes_back_on_stderr() -> None:
    result = await run("raise SystemExit('boom')")
    assert result.exit_code == 1
    assert "boom" in result.stderr


async def test_host_files_are_not_visible(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    result = await run(
        f"""
        for path in ["/etc/shadow", "/etc/passwd", {str(secret)!r}, "/root"]:
            try:
                open(path).read()
                print("READ", path)
            except OSError as exc:
                print("refused", type(exc).__name__)
        """
    )
    assert "READ" not in result.stdout
    assert "top secret" not in result.stdout
    assert result.stdout.count("refused") == 4


async def test_writes_outside_the_work_folder_do_not_reach_the_host(tmp_path: Path) -> None:
    result = await run(
        f"""
        import os
        for path in ["/usr/evil", {str(tmp_path / "evil")!r}, "/sandbox/main.py"]:
            try:
                with open(path, "w") as f:
                    f.write("x")
                print("WROTE", path)
            except OSError as exc:
                print("refused", type(exc).__name__)
        """
    )
    assert "WROTE" not in result.stdout
    assert result.stdout.count("refused") == 3
    assert await asyncio.to_thread(lambda: list(tmp_path.iterdir())) == []
    assert not await asyncio.to_thread(Path("/usr/evil").exists)


async def test_no_network_not_even_to_a_local_server() -> None:
    connections: list[object] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await run(
            f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=5)
                print("CONNECTED")
            except OSError as exc:
                print("refused", type(exc).__name__)
            """
        )
    assert result.stdout.startswith("refused")
    assert connections == []


async def test_a_fork_bomb_hits_the_process_limit() -> None:
    result = await run(
        """
        import os, time
        started = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                started += 1
        except OSError as exc:
            print("stopped after", started, type(exc).__name__)
        """
    )
    assert result.stdout.startswith("stopped after")
    assert int(result.stdout.split()[2]) < SETTINGS.max_processes
    assert not result.timed_out  # the sleeping children die with the sandbox


async def test_a_memory_bomb_hits_the_address_space_limit() -> None:
    result = await run("blob = bytearray(1024 * 1024 * 1024)")
    assert result.exit_code != 0
    assert "MemoryError" in result.stderr


async def test_an_endless_loop_hits_the_cpu_limit() -> None:
    result = await run("while True: pass")
    assert result.exit_code != 0
    assert not result.timed_out  # RLIMIT_CPU ended it, not the wall clock


async def test_a_sleeping_run_hits_the_wall_clock_limit() -> None:
    settings = SETTINGS.model_copy(update={"timeout_seconds": 0.5})
    result = await run("import time; print('started', flush=True); time.sleep(60)", settings)
    assert result.timed_out
    assert result.stdout == "started\n"


async def test_huge_output_and_files_are_cut() -> None:
    settings = SETTINGS.model_copy(
        update={"output_bytes": 1024, "file_size_bytes": 4096, "max_files": 2}
    )
    result = await run(
        """
        import sys
        sys.stdout.write("x" * 5_000_000)
        for i in range(5):
            open(f"f{i}.txt", "w").write("y")
        try:
            open("big.bin", "wb").write(b"z" * 100_000)
        except OSError as exc:
            print("too big", file=sys.stderr)
        """,
        settings,
    )
    assert result.stdout == "x" * 1024
    assert result.stdout_truncated
    assert result.files_truncated
    assert len(result.files) == 2
    assert all(len(content) <= 4096 for content in result.files.values())


async def test_refuses_instead_of_running_unconfined() -> None:
    settings = SETTINGS.model_copy(update={"bwrap": "/nonexistent/bwrap"})
    assert not await available(settings)
    with pytest.raises(SandboxUnavailable) as caught:
        await run_python("print(1)", settings)
    assert caught.value.code == "sandbox_unavailable"


async def test_bad_file_names_are_refused() -> None:
    for name in ("../x", "/etc/x", "a/../../x", ""):
        with pytest.raises(InvalidSandboxFile):
            await run_python("print(1)", SETTINGS, files={name: b"x"})


async def test_a_cancelled_run_leaves_nothing_running() -> None:
    task = asyncio.create_task(
        run("import time; print('started', flush=True); time.sleep(60)", SETTINGS)
    )
    sleepers = await eventually(lambda: asyncio.to_thread(_sandbox_sleepers))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not set(sleepers) & set(await asyncio.to_thread(_sandbox_sleepers))


def _sandbox_sleepers() -> list[str]:
    """Processes whose command line is the staged sandbox script."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if b"/sandbox/main.py" in cmdline and b"python" in cmdline.split(b"\0")[0]:
            found.append(pid)
    return found
