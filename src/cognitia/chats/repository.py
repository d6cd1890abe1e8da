"""All SQL of the chats domain: chats, their members and characters, messages, swipes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.character import Character
from cognitia.models.chat import Chat, ChatCharacter, ChatLorebook, ChatParticipant
from cognitia.models.lorebook import Lorebook, LorebookEntry
from cognitia.models.message import AuthorType, Message, MessageStatus, MessageSwipe
from cognitia.models.persona import Persona
from cognitia.models.user import User

# -- chats ---------------------------------------------------------------------------


async def get_chat(session: AsyncSession, chat_id: str) -> Chat | None:
    return await session.get(Chat, chat_id)


async def get_participant(
    session: AsyncSession, *, chat_id: str, user_id: str
) -> ChatParticipant | None:
    return await session.get(ChatParticipant, (chat_id, user_id))


async def get_member_chat(session: AsyncSession, *, chat_id: str, user_id: str) -> Chat | None:
    """The chat, if `user_id` takes part in it."""
    stmt = (
        select(Chat)
        .join(ChatParticipant, ChatParticipant.chat_id == Chat.id)
        .where(Chat.id == chat_id, ChatParticipant.user_id == user_id)
    )
    return (await session.scalars(stmt)).one_or_none()


def _unread() -> Any:
    """Messages above the caller's read mark, per chat (a correlated count)."""
    return (
        select(func.count(Message.id))
        .where(Message.chat_id == Chat.id, Message.seq > ChatParticipant.last_read_seq)
        .correlate(Chat, ChatParticipant)
        .scalar_subquery()
    )


def _member_chats(user_id: str) -> Select[Chat, int]:
    return (
        select(Chat, _unread().label("unread"))
        .join(ChatParticipant, ChatParticipant.chat_id == Chat.id)
        .where(ChatParticipant.user_id == user_id)
    )


async def page_for_user(
    session: AsyncSession, *, user_id: str, limit: int, offset: int
) -> tuple[list[tuple[Chat, int]], int]:
    """The user's chats, most recently active first, with their unread counts."""
    total = await session.scalar(
        select(func.count()).select_from(ChatParticipant).where(ChatParticipant.user_id == user_id)
    )
    stmt = (
        _member_chats(user_id).order_by(Chat.updated_at.desc(), Chat.id).limit(limit).offset(offset)
    )
    rows = (await session.execute(stmt)).all()
    return [(chat, int(unread)) for chat, unread in rows], int(total or 0)


async def unread_count(session: AsyncSession, *, chat_id: str, user_id: str) -> int:
    stmt = _member_chats(user_id).where(Chat.id == chat_id)
    row = (await session.execute(stmt)).first()
    return int(row[1]) if row else 0


async def last_messages(session: AsyncSession, chat_ids: Sequence[str]) -> dict[str, Message]:
    latest = (
        select(Message.chat_id, func.max(Message.seq).label("seq"))
        .where(Message.chat_id.in_(chat_ids))
        .group_by(Message.chat_id)
        .subquery()
    )
    stmt = select(Message).join(
        latest, and_(Message.chat_id == latest.c.chat_id, Message.seq == latest.c.seq)
    )
    return {m.chat_id: m for m in (await session.scalars(stmt)).all()}


async def characters_of(
    session: AsyncSession, chat_ids: Sequence[str]
) -> list[tuple[ChatCharacter, Character]]:
    """The chats' characters in speaking order."""
    stmt = (
        select(ChatCharacter, Character)
        .join(Character, Character.id == ChatCharacter.character_id)
        .where(ChatCharacter.chat_id.in_(chat_ids))
        .order_by(ChatCharacter.chat_id, ChatCharacter.position, ChatCharacter.added_at)
    )
    return [(link, character) for link, character in (await session.execute(stmt)).all()]


async def participants_of(
    session: AsyncSession, chat_ids: Sequence[str]
) -> list[tuple[ChatParticipant, User]]:
    stmt = (
        select(ChatParticipant, User)
        .join(User, User.id == ChatParticipant.user_id)
        .where(ChatParticipant.chat_id.in_(chat_ids))
        .order_by(ChatParticipant.chat_id, ChatParticipant.joined_at, ChatParticipant.user_id)
    )
    return [(p, user) for p, user in (await session.execute(stmt)).all()]


async def delete_chat(session: AsyncSession, chat_id: str) -> None:
    await session.execute(delete(Chat).where(Chat.id == chat_id))


async def remove_participant(session: AsyncSession, *, chat_id: str, user_id: str) -> bool:
    result = await session.execute(
        delete(ChatParticipant).where(
            ChatParticipant.chat_id == chat_id, ChatParticipant.user_id == user_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def remove_character(session: AsyncSession, *, chat_id: str, character_id: str) -> bool:
    result = await session.execute(
        delete(ChatCharacter).where(
            ChatCharacter.chat_id == chat_id, ChatCharacter.character_id == character_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def next_position(session: AsyncSession, chat_id: str) -> int:
    stmt = select(func.max(ChatCharacter.position)).where(ChatCharacter.chat_id == chat_id)
    highest = await session.scalar(stmt)
    return 0 if highest is None else int(highest) + 1


async def count_chats_for(session: AsyncSession, character_ids: Sequence[str]) -> None:
    """One more chat for each character (the marketplace sorts by it)."""
    await session.execute(
        update(Character)
        .where(Character.id.in_(character_ids))
        .values(chat_count=Character.chat_count + 1)
        .execution_options(synchronize_session=False)
    )


class HistoryRow(NamedTuple):
    """What a prompt reads of a message (chats/context.py): plain columns, no ORM object."""

    id: str
    seq: int
    author_type: AuthorType
    name: str
    content: str
    character_id: str | None


async def history_before(
    session: AsyncSession, *, chat_id: str, below_seq: int, limit: int
) -> list[HistoryRow]:
    """The `limit` latest messages before `below_seq`, newest first. Columns, not ORM
    objects: a long chat's history is read for every reply, and loading hundreds of
    full `Message` objects was most of that read's time."""
    stmt = (
        select(
            Message.id,
            Message.seq,
            Message.author_type,
            Message.name,
            Message.content,
            Message.character_id,
        )
        .where(Message.chat_id == chat_id, Message.seq < below_seq)
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return [HistoryRow(*row) for row in (await session.execute(stmt)).all()]


async def allocate_seq(session: AsyncSession, chat_id: str) -> int:
    """The chat's next message number; the UPDATE takes the row lock until commit."""
    stmt = (
        update(Chat)
        .where(Chat.id == chat_id)
        .values(last_seq=Chat.last_seq + 1)
        .returning(Chat.last_seq)
        .execution_options(synchronize_session=False)
    )
    seq = (await session.execute(stmt)).scalar_one()
    return int(seq)


async def set_last_seq(session: AsyncSession, *, chat_id: str, seq: int) -> None:
    await session.execute(
        update(Chat)
        .where(Chat.id == chat_id)
        .values(last_seq=seq)
        .execution_options(synchronize_session=False)
    )


async def close(session: AsyncSession, *, chat_id: str, at: datetime) -> None:
    """No new turns from now on (chats/messages.require_open); the first close stays."""
    await session.execute(
        update(Chat)
        .where(Chat.id == chat_id, Chat.closed_at.is_(None))
        .values(closed_at=at)
        .execution_options(synchronize_session=False)
    )


async def mark_read(session: AsyncSession, *, chat_id: str, user_id: str, seq: int) -> None:
    """Move the read mark forward (never back)."""
    await session.execute(
        update(ChatParticipant)
        .where(
            ChatParticipant.chat_id == chat_id,
            ChatParticipant.user_id == user_id,
            ChatParticipant.last_read_seq < seq,
        )
        .values(last_read_seq=seq)
        .execution_options(synchronize_session=False)
    )


# -- things chats refer to -------------------------------------------------------------


async def existing_users(session: AsyncSession, ids: Sequence[str]) -> list[User]:
    stmt = select(User).where(User.id.in_(ids), User.is_active.is_(True))
    return list((await session.scalars(stmt)).all())


async def get_persona(session: AsyncSession, *, persona_id: str, owner_id: str) -> Persona | None:
    persona = await session.get(Persona, persona_id)
    return persona if persona is not None and persona.owner_id == owner_id else None


async def get_persona_by_id(session: AsyncSession, persona_id: str) -> Persona | None:
    return await session.get(Persona, persona_id)


async def get_character(session: AsyncSession, character_id: str) -> Character | None:
    return await session.get(Character, character_id)


async def member_sharing(session: AsyncSession, chat_id: str) -> list[tuple[str, bool]]:
    """Each member of the chat with whether they share their private memory in it."""
    stmt = select(ChatParticipant.user_id, ChatParticipant.share_private).where(
        ChatParticipant.chat_id == chat_id
    )
    return [(user_id, share) for user_id, share in (await session.execute(stmt)).all()]


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def lorebooks_for(
    session: AsyncSession, *, chat_id: str, character_lorebook_id: str | None
) -> list[tuple[Lorebook, list[LorebookEntry]]]:
    """The speaking character's lorebook and the chat's, with their entries."""
    attached = select(ChatLorebook.lorebook_id).where(ChatLorebook.chat_id == chat_id)
    condition: ColumnElement[bool] = Lorebook.id.in_(attached)
    if character_lorebook_id:
        condition = or_(condition, Lorebook.id == character_lorebook_id)
    books = list((await session.scalars(select(Lorebook).where(condition))).all())
    if not books:
        return []
    stmt = select(LorebookEntry).where(LorebookEntry.lorebook_id.in_([b.id for b in books]))
    entries = list((await session.scalars(stmt)).all())
    return [(book, [e for e in entries if e.lorebook_id == book.id]) for book in books]


# -- messages --------------------------------------------------------------------------


async def get_message(session: AsyncSession, *, chat_id: str, message_id: str) -> Message | None:
    message = await session.get(Message, message_id)
    return message if message is not None and message.chat_id == chat_id else None


async def last_message(session: AsyncSession, chat_id: str) -> Message | None:
    stmt = select(Message).where(Message.chat_id == chat_id).order_by(Message.seq.desc()).limit(1)
    return (await session.scalars(stmt)).first()


async def page_messages(
    session: AsyncSession, *, chat_id: str, before: int | None, after: int | None, limit: int
) -> tuple[list[Message], bool]:
    """A page of messages, oldest first, and whether more lie beyond it."""
    stmt = select(Message).where(Message.chat_id == chat_id)
    if after is not None:
        stmt = stmt.where(Message.seq > after).order_by(Message.seq)
    else:
        if before is not None:
            stmt = stmt.where(Message.seq < before)
        stmt = stmt.order_by(Message.seq.desc())
    rows = list((await session.scalars(stmt.limit(limit + 1))).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    return (rows if after is not None else rows[::-1]), has_more


async def recent_speakers(session: AsyncSession, *, chat_id: str, limit: int) -> list[str]:
    """Character ids of the latest character messages, oldest first."""
    stmt = (
        select(Message.character_id)
        .where(
            Message.chat_id == chat_id,
            Message.author_type == AuthorType.CHARACTER,
            Message.character_id.is_not(None),
        )
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return [str(cid) for cid in (await session.scalars(stmt)).all()][::-1]


async def messages_up_to(session: AsyncSession, *, chat_id: str, seq: int) -> list[Message]:
    stmt = (
        select(Message).where(Message.chat_id == chat_id, Message.seq <= seq).order_by(Message.seq)
    )
    return list((await session.scalars(stmt)).all())


async def swipes_of(session: AsyncSession, message_ids: Sequence[str]) -> list[MessageSwipe]:
    stmt = (
        select(MessageSwipe)
        .where(MessageSwipe.message_id.in_(message_ids))
        .order_by(MessageSwipe.message_id, MessageSwipe.index)
    )
    return list((await session.scalars(stmt)).all())


async def get_swipe(session: AsyncSession, *, message_id: str, index: int) -> MessageSwipe | None:
    stmt = select(MessageSwipe).where(
        MessageSwipe.message_id == message_id, MessageSwipe.index == index
    )
    return (await session.scalars(stmt)).first()


async def lock_message(session: AsyncSession, message_id: str) -> Message | None:
    """The message, locked for update until the unit of work ends (SELECT ... FOR UPDATE)."""
    return await session.get(Message, message_id, with_for_update=True)


async def reread_message(session: AsyncSession, message_id: str) -> Message | None:
    """The message as the database holds it now, over what the session had loaded."""
    return await session.get(Message, message_id, populate_existing=True)


async def character_messages(session: AsyncSession, chat_id: str) -> list[Message]:
    stmt = select(Message).where(
        Message.chat_id == chat_id, Message.author_type == AuthorType.CHARACTER
    )
    return list((await session.scalars(stmt)).all())


async def stale_streaming(session: AsyncSession, *, updated_before: datetime) -> list[str]:
    """Ids of messages still `streaming` that nothing saved since `updated_before`."""
    stmt = select(Message.id).where(
        Message.status == MessageStatus.STREAMING, Message.updated_at < updated_before
    )
    return list((await session.scalars(stmt)).all())


async def mark_failed(session: AsyncSession, message_ids: Sequence[str], *, error: str) -> None:
    """Set the messages, and their swipes still streaming, to status error."""
    await session.execute(
        update(Message)
        .where(Message.id.in_(message_ids))
        .values(status=MessageStatus.ERROR, error=error)
    )
    await session.execute(
        update(MessageSwipe)
        .where(
            MessageSwipe.message_id.in_(message_ids),
            MessageSwipe.status == MessageStatus.STREAMING,
        )
        .values(status=MessageStatus.ERROR)
    )


async def delete_message(session: AsyncSession, message_id: str) -> None:
    await session.execute(delete(Message).where(Message.id == message_id))


async def save_progress(
    session: AsyncSession, *, message_id: str, swipe_index: int, values: dict[str, Any]
) -> None:
    """Write a reply's text and state to the message and to its current swipe."""
    await session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    swipe_values = {k: v for k, v in values.items() if k in {"content", "status", "model", "usage"}}
    await session.execute(
        update(MessageSwipe)
        .where(MessageSwipe.message_id == message_id, MessageSwipe.index == swipe_index)
        .values(**swipe_values)
        .execution_options(synchronize_session=False)
    )
