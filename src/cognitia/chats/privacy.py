"""What a reply may draw on when people share a chat: the one place the rule lives.

A chat with one person in it is private to that person: a reply may draw on their memory
with the character, their data bank and their chat persona. In a chat shared by several
people a reply draws only on what every member may read (the chat itself, its summary,
the character's own documents, and the memory that belongs to this chat), unless the
person it answers has opted this chat in (`ChatParticipant.share_private`). What the
reply drew on is recorded as its `context_sources`; in a shared chat those never carry
private text, and a chat that becomes shared has it removed from its earlier replies.
docs/security.md describes the model for users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.chats import repository

# A recorded source's flag: it came from one person's private memory or data bank.
PRIVATE = "private"
# Sources recorded before the flag existed: these kinds could hold private text.
_LEGACY_PRIVATE_KINDS = ("memory", "knowledge")


@dataclass(frozen=True)
class Audience:
    """Who reads a reply, as far as recall is concerned."""

    shared: bool  # more than one person is in the chat
    private_user_id: str | None  # whose private memory, data bank and persona it may use

    def may_use_private(self, user_id: str) -> bool:
        return self.private_user_id == user_id


async def audience(session: AsyncSession, *, chat_id: str, user_id: str | None) -> Audience:
    """The audience of a reply to `user_id` in the chat."""
    rows = await repository.member_sharing(session, chat_id)
    shared = len(rows) > 1
    opted_in = {member for member, share in rows if share}
    allowed = user_id is not None and (not shared or user_id in opted_in)
    return Audience(shared=shared, private_user_id=user_id if allowed else None)


def recorded(sources: Sequence[dict[str, Any]], audience: Audience) -> list[dict[str, Any]]:
    """The sources as a reply keeps them: private text only while the chat is private."""
    return [without_private_text(s) for s in sources] if audience.shared else list(sources)


def without_private_text(source: dict[str, Any]) -> dict[str, Any]:
    legacy = PRIVATE not in source and source.get("kind") in _LEGACY_PRIVATE_KINDS
    if source.get(PRIVATE) or legacy:
        return {**{k: v for k, v in source.items() if k != "text"}, PRIVATE: True}
    return source


async def scrub_chat(session: AsyncSession, chat_id: str) -> None:
    """Remove private text from the recorded sources of a chat's replies (it is becoming
    shared, so its history is about to be read by someone else)."""
    for message in await repository.character_messages(session, chat_id):
        cleaned = [without_private_text(s) for s in message.context_sources]
        if cleaned != message.context_sources:
            message.context_sources = cleaned
