"""A reply's message in the database while it is generated: opened, saved as it grows,
finished. Each step is its own short unit of work, so what was generated survives a
client that went away, a stop, or a model that failed half-way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters import service as characters
from cognitia.characters.access import usable_by
from cognitia.chats import context, privacy, repository
from cognitia.chats.context import ReplySource
from cognitia.chats.errors import (
    CharacterUnavailable,
    ChatNotFound,
    MessageBusy,
    MessageNotFound,
    NotLastReply,
)
from cognitia.chats.schemas import MessageRead
from cognitia.db import Database
from cognitia.memory import tasks as memory
from cognitia.models.character import Character
from cognitia.models.message import AuthorType, Message, MessageStatus, MessageSwipe

Mode = Literal["reply", "regenerate", "continue"]


@dataclass(frozen=True)
class SpeakerVoice:
    """The speaking character's voice fields, to choose its voice by (voice.speaking.ChatVoiced)."""

    voice_model: str | None = None
    voice_settings: Mapping[str, Any] = field(default_factory=dict)
    # Every person in the chat may use the character's voice (its owner, or granted):
    # a cloned voice speaks only then (docs/voice.md).
    granted_to_all: bool = False


@dataclass(frozen=True)
class OpenedReply:
    message: MessageRead  # the message as the API shows it, at the start
    source: ReplySource
    swipe_index: int  # the alternative being written
    base_text: str  # text the generation appends to (a continued reply's)
    voice: SpeakerVoice = field(default_factory=SpeakerVoice)

    @property
    def message_id(self) -> str:
        return self.message.id


@dataclass(frozen=True)
class FinalState:
    """How a reply ended, as its message and its swipe record it."""

    content: str
    status: MessageStatus
    model: str | None
    usage: dict[str, Any]
    error: str | None  # "<code>: <detail>" when it failed
    context_sources: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def read(message: Message) -> MessageRead:
    """The message as the API shows it."""
    return MessageRead.model_validate(message)


async def open_reply(  # noqa: PLR0913 - a reply's coordinates
    db: Database,
    *,
    chat_id: str,
    user_id: str,
    character_id: str,
    mode: Mode,
    message_id: str | None,
) -> OpenedReply:
    """Create the reply's message (or claim the one regenerated or continued), status
    streaming, and read what its prompt is made of."""
    async with db.unit_of_work() as session:
        chat = await repository.get_chat(session, chat_id)
        speaker = await repository.get_character(session, character_id)
        if chat is None or speaker is None:
            raise ChatNotFound("The chat or the character is gone.")
        if not usable_by(speaker, chat.owner_id):
            raise CharacterUnavailable()
        user = await repository.get_user(session, user_id)
        if mode == "reply":
            message = await _new_reply(session, chat_id=chat_id, speaker=speaker)
            below, base = message.seq, ""
        else:
            message = await _claim(session, chat_id=chat_id, message_id=message_id)
            if mode == "regenerate":
                await _new_swipe(session, message)
                below, base = message.seq, ""
            else:
                below, base = message.seq + 1, message.content
        await session.flush()
        source = await context.read_source(
            session,
            chat=chat,
            speaker=speaker,
            user=user,
            below_seq=below,
            continue_last=mode == "continue",
        )
        voice = await _speaker_voice(session, chat_id=chat_id, speaker=speaker)
        return OpenedReply(read(message), source, message.swipe_index, base, voice)


async def _speaker_voice(
    session: AsyncSession, *, chat_id: str, speaker: Character
) -> SpeakerVoice:
    granted = False
    if speaker.voice_model:  # without one there is no clone to ask about
        people = [p.user_id for p, _ in await repository.participants_of(session, [chat_id])]
        granted = await characters.voice_usable_by_all(session, character=speaker, user_ids=people)
    return SpeakerVoice(speaker.voice_model, dict(speaker.voice_settings or {}), granted)


async def _new_reply(session: AsyncSession, *, chat_id: str, speaker: Character) -> Message:
    seq = await repository.allocate_seq(session, chat_id)
    message = Message(
        chat_id=chat_id,
        seq=seq,
        author_type=AuthorType.CHARACTER,
        character_id=speaker.id,
        name=speaker.name,
        content="",
        status=MessageStatus.STREAMING,
        swipe_index=0,
        swipe_count=1,
        usage={},
        context_sources=[],
    )
    session.add(message)
    await session.flush()
    session.add(MessageSwipe(message_id=message.id, index=0, status=MessageStatus.STREAMING))
    return message


async def _claim(session: AsyncSession, *, chat_id: str, message_id: str | None) -> Message:
    """The chat's last message, a character's, locked and not being generated."""
    message = await repository.lock_message(session, message_id) if message_id else None
    if message is None or message.chat_id != chat_id:
        raise MessageNotFound()
    last = await repository.last_message(session, chat_id)
    if last is None or last.id != message.id or message.author_type != AuthorType.CHARACTER:
        raise NotLastReply()
    if message.status == MessageStatus.STREAMING:
        raise MessageBusy()
    await ensure_swipes(session, message)
    message.status = MessageStatus.STREAMING
    message.error = None
    return message


async def ensure_swipes(session: AsyncSession, message: Message) -> None:
    """Give the chosen text a swipe row if it lacks one (messages written by hand)."""
    if await repository.get_swipe(session, message_id=message.id, index=message.swipe_index):
        return
    session.add(
        MessageSwipe(
            message_id=message.id,
            index=message.swipe_index,
            content=message.content,
            status=message.status,
            model=message.model,
            usage=message.usage,
        )
    )


async def _new_swipe(session: AsyncSession, message: Message) -> None:
    index = message.swipe_count
    session.add(MessageSwipe(message_id=message.id, index=index, status=MessageStatus.STREAMING))
    message.swipe_index = index
    message.swipe_count = index + 1
    message.content = ""
    message.model = None
    message.usage = {}


async def save(db: Database, *, message_id: str, swipe_index: int, content: str) -> None:
    async with db.unit_of_work() as session:
        await repository.save_progress(
            session, message_id=message_id, swipe_index=swipe_index, values={"content": content}
        )


async def finish(
    db: Database, *, message_id: str, swipe_index: int, final: FinalState, remember: bool = True
) -> MessageRead | None:
    """Write the reply's final state, and once it commits index a complete exchange
    (unless `remember` is off); the message as the API shows it (None if deleted)."""
    async with db.unit_of_work() as session:
        await repository.save_progress(
            session, message_id=message_id, swipe_index=swipe_index, values=asdict(final)
        )
        message = await repository.reread_message(session, message_id)
        if message is None:
            return None
        if remember and message.status == MessageStatus.COMPLETE:
            audience = await privacy.audience(session, chat_id=message.chat_id, user_id=None)
            memory.index_after_commit(session, message_id=message.id, shared=audience.shared)
        return read(message)
