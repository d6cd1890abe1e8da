"""Temporary bans after repeated refusals, as LibreChat's violation scores.

Every 429 (rate_limited, quota_exceeded, too_many_generations) adds `score` points to
whom the request counted against (billing/rates.py `subject_of`: the user, the API key,
or the IP); reaching `threshold` points within `window_seconds` bans that caller for
`duration_seconds`, during which every request is refused 403 `temporarily_banned` with
Retry-After. Points are the process's RateLimiter and bans its Cache: Redis when
configured, so every API process sees them. Off while the threshold is 0.
"""

from __future__ import annotations

import time

from cognitia.billing.errors import TemporarilyBanned
from cognitia.cache.ports import Cache, RateLimit, RateLimiter
from cognitia.config import BanSettings

_BAN = "ban:"
_POINTS = "violations:"


def user_subject(user_id: str) -> str:
    """A signed-in person's subject: their points and ban, whatever route or socket."""
    return f"user:{user_id}"


class Bans:
    def __init__(self, limiter: RateLimiter, cache: Cache, settings: BanSettings) -> None:
        self.limiter = limiter
        self.cache = cache
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings.threshold > 0

    def _rate(self) -> RateLimit:
        return RateLimit(self.settings.threshold, self.settings.window_seconds)

    async def seconds_left(self, subject: str) -> int:
        """How long `subject` is still banned; 0 when it is not."""
        if not self.enabled:
            return 0
        until = await self.cache.get(_BAN + subject)
        if until is None:
            return 0
        return max(0, int(float(until) - time.time() + 0.999))

    async def refuse_if_banned(self, subject: str) -> None:
        """403 temporarily_banned, with Retry-After, while `subject` is banned."""
        if banned_for := await self.seconds_left(subject):
            raise TemporarilyBanned(banned_for)

    async def violation(self, subject: str) -> None:
        """A refusal: count its points, and ban once they reach the threshold."""
        if not self.enabled:
            return
        for _ in range(self.settings.score):
            decision = await self.limiter.hit(_POINTS + subject, self._rate())
            if decision.remaining <= 0 or not decision.allowed:
                await self._ban(subject)
                return

    async def _ban(self, subject: str) -> None:
        duration = self.settings.duration_seconds
        until = str(time.time() + duration).encode()
        await self.cache.set(_BAN + subject, until, ttl_seconds=duration)
        await self.limiter.clear(_POINTS + subject, self._rate())  # a new ban starts afresh

    async def lift(self, subject: str) -> None:
        await self.cache.delete(_BAN + subject)
        await self.limiter.clear(_POINTS + subject, self._rate())
