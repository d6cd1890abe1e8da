"""The BlobStore port: a local folder by default, S3-compatible storage in production."""

from __future__ import annotations

from typing import Protocol


class BlobNotFound(LookupError):
    pass


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """The stored bytes, or BlobNotFound."""
        ...

    async def delete(self, key: str) -> None:
        """Remove; a missing key is not an error."""
        ...

    async def close(self) -> None:
        """Release connections (a no-op for a local folder)."""
        ...
