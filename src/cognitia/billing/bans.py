"""Temporary bans after repeated refusals, as LibreChat's violation scores.

Every 429 (rate_limited, quota_exceeded, too_many_generations) adds `score` points to
whom the request counted against (billing/rates.py `subject_of`: the user, the API key,
or the IP); reaching `threshold` points within `window_seconds` bans that caller for
`duration_seconds`, during which every request is refused 403 `temporarily_banned` with
Retry-After. Points and bans live in a BanStore (billing/providers/bans.py): Redis when
configured, else the database, so every API process sees them. Off while the threshold
is 0.
"""

from __future__ import annotations

from cognitia.billing.errors import TemporarilyBanned
from cognitia.billing.ports import BanStore
from cognitia.config import BanSettings
from cognitia.kit.clock import utcnow


def user_subject(user_id: str) -> str:
    """A signed-in person's subject: their points and ban, whatever route or socket."""
    return f"user:{user_id}"


class Bans:
    def __init__(self, store: BanStore, settings: BanSettings) -> None:
        self.store = store
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings.threshold > 0

    async def seconds_left(self, subject: str) -> int:
        """How long `subject` is still banned; 0 when it is not."""
        if not self.enabled:
            return 0
        until = await self.store.banned_until(subject)
        if until is None:
            return 0
        return max(0, int(until - utcnow().timestamp() + 0.999))

    async def refuse_if_banned(self, subject: str) -> None:
        """403 temporarily_banned, with Retry-After, while `subject` is banned."""
        if banned_for := await self.seconds_left(subject):
            raise TemporarilyBanned(banned_for)

    async def violation(self, subject: str) -> None:
        """A refusal: count its points, and ban once they reach the threshold."""
        if not self.enabled:
            return
        for _ in range(self.settings.score):
            if await self.store.add_point(subject):
                until = utcnow().timestamp() + self.settings.duration_seconds
                await self.store.ban(subject, until=until)  # a new ban starts afresh
                return

    async def lift(self, subject: str) -> None:
        await self.store.lift(subject)
