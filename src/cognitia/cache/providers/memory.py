"""In-process cache: for one API process (the embedded default)."""

from __future__ import annotations

import time


class MemoryCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._values: dict[str, tuple[float, bytes]] = {}
        self._max_entries = max_entries

    def _live(self, key: str) -> bytes | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= time.monotonic():
            del self._values[key]
            return None
        return value

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None:
        if len(self._values) >= self._max_entries:
            self._evict_expired()
        self._values[key] = (time.monotonic() + ttl_seconds, value)

    async def add(self, key: str, value: bytes, *, ttl_seconds: float) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl_seconds=ttl_seconds)
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    def _evict_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, (exp, _) in self._values.items() if exp <= now]:
            del self._values[key]
        while len(self._values) >= self._max_entries:
            self._values.pop(next(iter(self._values)))
