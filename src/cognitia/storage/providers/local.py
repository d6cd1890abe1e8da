"""BlobStore on the local file system: one file per key under a root folder.

Keys are relative paths of safe segments (letters, digits, `.`, `_`, `-`, never starting
with a dot), so no key can name a file outside the root, a hidden file, or a temporary
file. A write goes to a temporary file in the target folder, is flushed to disk and then
renamed over the target: a reader sees the old bytes or the new ones, never a part.
The content type is not kept; callers store it beside the key (e.g. `avatar_mime`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path

from cognitia.storage.ports import BlobNotFound

MAX_KEY_LENGTH = 512
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_KEY = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


class InvalidBlobKey(ValueError):
    pass


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        """The file that holds `key`; InvalidBlobKey for a key that could leave the root."""
        if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
            raise InvalidBlobKey(f"invalid blob key: {key[:80]!r}")
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root):  # a symbolic link inside the root pointing out
            raise InvalidBlobKey(f"invalid blob key: {key[:80]!r}")
        return path

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        path = self.path_of(key)
        await asyncio.to_thread(_write_atomically, path, data)

    async def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None

    async def delete(self, key: str) -> None:
        path = self.path_of(key)
        await asyncio.to_thread(self._remove, path)

    async def close(self) -> None:
        return None

    def _remove(self, path: Path) -> None:
        # Missing, or a folder (which no key names): nothing to delete.
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            path.unlink()
        # Drop folders left empty, up to the root; a folder still in use stays.
        root = self.root.resolve()
        parent = path.parent
        while parent != root and parent.is_relative_to(root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def _temporary_beside(path: Path) -> tuple[int, str]:
    # A concurrent delete may remove the (empty) folder between mkdir and mkstemp: retry.
    for _ in range(3):
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            # The temporary name starts with a dot, which no key can.
            return tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix=".partial-")


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temporary = _temporary_beside(path)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
