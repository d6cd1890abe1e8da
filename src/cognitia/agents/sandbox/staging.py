"""The host side of a run's files: the code and inputs in, the work folder's tar out."""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

from cognitia.agents.sandbox.errors import InvalidSandboxFile

_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


def stage(code: str, files: dict[str, bytes]) -> Path:
    """A fresh folder the sandbox user can read: main.py and files/<name> (blocking I/O)."""
    for name in files:
        if not _NAME.match(name) or ".." in name.split("/"):
            raise InvalidSandboxFile(f"Bad file name: {name!r}")
    root = Path(tempfile.mkdtemp(prefix="cognitia-sandbox-"))
    os.chmod(root, 0o755)  # the sandbox may run as another uid (nobody)
    (root / "main.py").write_text(code, encoding="utf-8")
    for name, content in files.items():
        path = root / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (root / "files").mkdir(exist_ok=True)
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return root


def discard(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


def unpack(data: bytes, *, inputs: dict[str, bytes], limit: int) -> tuple[dict[str, bytes], bool]:
    """Regular files the run wrote or changed, at most `limit`; True when some were left out.

    The tar stream comes from inside the sandbox and is read in memory only: nothing is
    extracted, links and devices are skipped, and a cut or broken stream ends the list.
    """
    found: dict[str, bytes] = {}
    left_out = False
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as archive:
            for member in archive:
                name = member.name.removeprefix("./")
                if not member.isfile() or not name:
                    continue
                handle = archive.extractfile(member)
                content = handle.read() if handle else b""
                if inputs.get(name) == content:
                    continue
                if len(found) >= limit:
                    left_out = True
                    continue
                found[name] = content
    except (tarfile.TarError, OSError, EOFError):
        left_out = True
    return found, left_out
