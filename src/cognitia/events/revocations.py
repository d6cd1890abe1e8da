"""Access that ended, told to every process so that open streams ask again at once.

Whatever takes access away (a member removed or leaving, a chat deleted, an account
disabled, a session ended, credentials revoked) records a `Revocation` in its unit of
work with `revoke_after_commit`. Once the transaction commits, `RevocationPublisher` (a
commit hook of the Database, like the job queue) publishes it on REVOKED_CHANNEL, which
every API process follows (chats/watchers.py). A revocation only says whom to re-check:
the database, already committed, says what is still allowed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.events.ports import EventBus

log = logging.getLogger(__name__)

REVOKED_CHANNEL = "access:revoked"
_KEY = "cognitia.revocations"


@dataclass(frozen=True)
class Revocation:
    """Streams to re-check: those matching every field given (None matches anything)."""

    user_id: str | None = None
    chat_id: str | None = None
    session_id: str | None = None

    def concerns(self, *, user_id: str, chat_id: str, session_id: str | None) -> bool:
        return (
            self.user_id in (None, user_id)
            and self.chat_id in (None, chat_id)
            and self.session_id in (None, session_id)
        )

    def to_event(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Revocation:
        def text(name: str) -> str | None:
            value = event.get(name)
            return value if isinstance(value, str) else None

        return cls(user_id=text("user_id"), chat_id=text("chat_id"), session_id=text("session_id"))


def revoke_after_commit(session: AsyncSession, revocation: Revocation) -> None:
    """Publish `revocation` once the session's transaction commits (never on rollback)."""
    session.info.setdefault(_KEY, []).append(revocation)


class RevocationPublisher:
    """The Database commit hook that publishes what `revoke_after_commit` recorded."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def before_commit(self, session: AsyncSession) -> None:
        return None

    async def after_commit(self, session: AsyncSession) -> None:
        revocations: list[Revocation] = session.info.pop(_KEY, [])
        for revocation in dict.fromkeys(revocations):  # once each, in order
            try:
                await self._bus.publish(REVOKED_CHANNEL, revocation.to_event())
            except Exception:
                # The database already refuses the reader's next request; open streams
                # are checked again at the next revocation that concerns them.
                log.warning("could not publish a revocation", exc_info=True)
