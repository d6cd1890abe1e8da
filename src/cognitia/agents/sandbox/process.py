"""One confined run of python3 in bubblewrap (command.py builds the command line).

The subprocess is driven by asyncio (the loop never blocks); stdout, stderr and the
files' tar stream are read concurrently with caps, the rest of each drained and dropped.
On the wall-clock limit the process group is killed; --die-with-parent and the PID
namespace take everything inside with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass, field

from cognitia.agents.sandbox import staging
from cognitia.agents.sandbox.command import command
from cognitia.config import SandboxSettings

_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class SandboxResult:
    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    files: dict[str, bytes] = field(default_factory=dict)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    files_truncated: bool = False


async def run_confined(
    code: str, settings: SandboxSettings, files: dict[str, bytes]
) -> SandboxResult:
    staged = await asyncio.to_thread(staging.stage, code, files)
    try:
        raw = await _execute(settings, staged=str(staged))
    finally:
        await asyncio.to_thread(staging.discard, staged)
    out_files, files_cut = staging.unpack(raw.tar, inputs=files, limit=settings.max_files)
    return SandboxResult(
        stdout=raw.stdout.decode("utf-8", errors="replace"),
        stderr=raw.stderr.decode("utf-8", errors="replace"),
        exit_code=raw.exit_code,
        timed_out=raw.timed_out,
        files=out_files,
        stdout_truncated=raw.stdout_cut,
        stderr_truncated=raw.stderr_cut,
        files_truncated=files_cut or raw.tar_cut,
    )


@dataclass(frozen=True, slots=True)
class _Raw:
    stdout: bytes
    stderr: bytes
    tar: bytes
    exit_code: int
    timed_out: bool
    stdout_cut: bool
    stderr_cut: bool
    tar_cut: bool


async def _execute(settings: SandboxSettings, *, staged: str) -> _Raw:
    uid = _sandbox_uid(settings)
    read_fd, write_fd = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            *command(settings, staged=staged, uid=uid),
            stdin=write_fd,  # the files' pipe: see command.script
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    assert proc.stdout is not None
    assert proc.stderr is not None
    tar_reader, tar_pipe = await _pipe_reader(read_fd)
    readers = (
        asyncio.create_task(_read_capped(proc.stdout, settings.output_bytes)),
        asyncio.create_task(_read_capped(proc.stderr, settings.output_bytes)),
        asyncio.create_task(_read_capped(tar_reader, settings.work_bytes * 2)),
    )
    timed_out = False
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            await proc.wait()
    except TimeoutError:
        timed_out = True
    finally:
        _kill(proc)  # also when cancelled: nothing outlives the call
        exit_code = await proc.wait()
        # with bwrap gone the PID namespace is gone, so every pipe reaches its end
        try:
            outputs = await asyncio.gather(*readers)
        finally:
            tar_pipe.close()  # asyncio closes it at EOF by itself; uvloop does not
    (stdout, out_cut), (stderr, err_cut), (tar, tar_cut) = outputs
    return _Raw(stdout, stderr, tar, exit_code, timed_out, out_cut, err_cut, tar_cut)


def _sandbox_uid(settings: SandboxSettings) -> int | None:
    # root ignores RLIMIT_NPROC, so as root the sandbox runs as an unprivileged uid; bwrap
    # then makes its namespaces through an unprivileged user namespace.
    return settings.run_as_uid if os.geteuid() == 0 else None


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


async def _pipe_reader(fd: int) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_CHUNK)
    pipe = os.fdopen(fd, "rb", buffering=0)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader, transport


async def _read_capped(reader: asyncio.StreamReader, cap: int) -> tuple[bytes, bool]:
    """Up to cap bytes; the rest is read and dropped so the writer never blocks on us."""
    kept = bytearray()
    cut = False
    while chunk := await reader.read(_CHUNK):
        room = cap - len(kept)
        if len(chunk) > room:
            cut = True
        kept += chunk[: max(room, 0)]
    return bytes(kept), cut
