"""The command line that confines one run. Pure: no I/O.

    [setpriv <uid> --] prlimit <limits> -- bwrap <namespaces, mounts> /bin/sh -c '<script>'

prlimit sets the rlimits (inherited by bwrap and everything in the sandbox) without a
preexec_fn, which is unsafe in a process with threads. Inside, only /usr is visible
(read-only, with the merged-/usr symlinks), plus /proc, a minimal /dev, a size-capped
tmpfs work folder and /tmp, and the staged code and input files read-only at /sandbox.
The shell copies the inputs into /work, runs the code without the result pipe, then
writes /work as a tar stream to that pipe, so the code cannot spoof the files' channel.
"""

from __future__ import annotations

import shlex

from cognitia.config import SandboxSettings

SANDBOX_DIR = "/sandbox"
WORK_DIR = "/work"
MERGED_USR_LINKS = (
    ("usr/bin", "/bin"),
    ("usr/sbin", "/sbin"),
    ("usr/lib", "/lib"),
    ("usr/lib64", "/lib64"),
)


def rlimits(settings: SandboxSettings) -> list[str]:
    return [
        "prlimit",
        f"--as={settings.memory_bytes}",
        f"--cpu={settings.cpu_seconds}",
        f"--nproc={settings.max_processes}",
        f"--fsize={settings.file_size_bytes}",
        "--core=0",
        "--nofile=256",
        "--",
    ]


def bwrap(settings: SandboxSettings, *, staged: str) -> list[str]:
    args = [
        settings.bwrap,
        # no --unshare-all: it includes --unshare-cgroup/user, which fail as root here
        *("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"),
        *("--cap-drop", "ALL", "--die-with-parent", "--new-session"),
        *("--ro-bind", "/usr", "/usr"),
    ]
    for target, link in MERGED_USR_LINKS:
        args += ["--symlink", target, link]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(settings.work_bytes), "--tmpfs", WORK_DIR]
    args += ["--size", str(settings.work_bytes), "--tmpfs", "/tmp"]
    args += ["--ro-bind", staged, SANDBOX_DIR, "--chdir", WORK_DIR, "--clearenv"]
    for name, value in (("PATH", "/usr/bin:/bin"), ("HOME", WORK_DIR), ("LANG", "C.UTF-8")):
        args += ["--setenv", name, value]
    return args


def script(settings: SandboxSettings) -> str:
    """The shell's stdin is the files pipe (sh only names fds 0-9, so it cannot be a high
    one); the code gets /dev/null as stdin instead and never sees the pipe."""
    python = shlex.quote(settings.python)
    return (
        f"cp -R {SANDBOX_DIR}/files/. {WORK_DIR}/ || exit 125\n"
        f"{python} -I {SANDBOX_DIR}/main.py </dev/null\n"
        "rc=$?\n"
        f"tar -C {WORK_DIR} -cf - . >&0 2>/dev/null\n"
        "exit $rc\n"
    )


def as_user(uid: int | None) -> list[str]:
    """Drop to `uid` first (the server runs as root): setpriv rather than the subprocess
    module's user/group arguments, which uvloop (the server's event loop) does not take."""
    if uid is None:
        return []
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def command(settings: SandboxSettings, *, staged: str, uid: int | None = None) -> list[str]:
    confined = [*bwrap(settings, staged=staged), "/bin/sh", "-c", script(settings)]
    return [*as_user(uid), *rlimits(settings), *confined]
