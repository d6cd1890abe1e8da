"""Messages of a chat: reading pages, sending (which starts the replies), regenerating,
continuing, stopping, choosing among alternatives, editing, deleting, branching.

Sending and the other requests that generate run their own short units of work: the
person's message is committed before any model is asked, and the replies are generated
by a task of the process (chats/generation.py), not of the request.
"""

from __future__ import annotations

import random

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.billing.quotas import ModelsOf
from cognitia.characters.access import usable_by
from cognitia.chats import live, privacy, repository, service
from cognitia.chats.context import user_identity
from cognitia.chats.errors import (
    CharacterUnavailable,
    ChatClosed,
    MessageBusy,
    MessageNotFound,
    NotAuthor,
    NotInChat,
    NotLastReply,
    SwipeNotFound,
)
from cognitia.chats.fanout import Turn, TurnPlan
from cognitia.chats.generation import Generations
from cognitia.chats.replies import Mode, ensure_swipes
from cognitia.chats.schemas import (
    BranchRequest,
    ChatRead,
    MessageCreate,
    MessageDetail,
    MessageEdit,
    MessagePage,
    MessageRead,
    ReplyOptions,
    StopRead,
    SwipeRead,
    TurnRead,
)
from cognitia.chats.turns import Speaker, choose_speakers
from cognitia.db import Database
from cognitia.events.ports import EventBus
from cognitia.memory import tasks as memory
from cognitia.models.character import Character
from cognitia.models.chat import Chat, ChatCharacter, ChatParticipant
from cognitia.models.message import AuthorType, Message, MessageStatus, MessageSwipe
from cognitia.models.user import User

# Character messages looked at to know who spoke last (turn-taking).
RECENT_SPEAKERS = 20


async def page(  # noqa: PLR0913 - the page's coordinates
    session: AsyncSession,
    *,
    user: User,
    chat_id: str,
    before: int | None,
    after: int | None,
    limit: int,
) -> MessagePage:
    """A page of messages, oldest first; what the caller sees counts as read."""
    chat = await service.get_for_member(session, user=user, chat_id=chat_id)
    rows, has_more = await repository.page_messages(
        session, chat_id=chat.id, before=before, after=after, limit=limit
    )
    if rows:
        await repository.mark_read(session, chat_id=chat.id, user_id=user.id, seq=rows[-1].seq)
    return MessagePage(items=[MessageRead.model_validate(m) for m in rows], has_more=has_more)


async def _message(
    session: AsyncSession, *, user: User, chat_id: str, message_id: str
) -> tuple[Chat, Message]:
    chat = await service.get_for_member(session, user=user, chat_id=chat_id)
    message = await repository.get_message(session, chat_id=chat.id, message_id=message_id)
    if message is None:
        raise MessageNotFound()
    return chat, message


async def detail(
    session: AsyncSession, *, user: User, chat_id: str, message_id: str
) -> MessageDetail:
    """One message with its alternatives."""
    _, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
    swipes = await repository.swipes_of(session, [message.id])
    base = MessageRead.model_validate(message).model_dump()
    return MessageDetail(**base, swipes=[SwipeRead.model_validate(s) for s in swipes])


# -- generating ------------------------------------------------------------------------


async def send(
    db: Database, generations: Generations, *, user: User, chat_id: str, data: MessageCreate
) -> Turn:
    """Store the person's message (committed), then start the replies."""
    if data.speak:
        generations.check_speech()
    # Paid for (chats/charging.py): recall's embedding runs while the message is stored.
    generations.warm(data.content)
    async with db.unit_of_work() as session:
        chat = await service.get_for_member(session, user=user, chat_id=chat_id)
        require_open(chat)
        recent = await repository.recent_speakers(session, chat_id=chat.id, limit=RECENT_SPEAKERS)
        name, _ = await user_identity(session, chat=chat, user=user)
        seq = await repository.allocate_seq(session, chat.id)
        speakers = await _speakers(session, chat=chat, data=data, recent=recent, seq=seq)
        message = Message(
            chat_id=chat.id,
            seq=seq,
            author_type=AuthorType.USER,
            user_id=user.id,
            name=name,
            content=data.content,
            status=MessageStatus.COMPLETE,
            usage={},
            context_sources=[],
        )
        session.add(message)
        await session.flush()
        await repository.mark_read(session, chat_id=chat.id, user_id=user.id, seq=seq)
        created = MessageRead.model_validate(message)

    plan = TurnPlan(
        chat_id=chat.id, user_id=user.id, speakers=speakers, audio_format=data.spoken_format
    )
    return generations.start(plan, user_message=created)


async def finished(turn: Turn) -> TurnRead:
    """The turn's messages once it has ended; a first reply that failed before any text
    raises its error (502 upstream_rejected, 503 models_unavailable ...)."""
    await turn.wait()
    if turn.failure is not None:
        raise turn.failure
    return TurnRead(user_message=turn.user_message, replies=list(turn.replies))


async def _speakers(
    session: AsyncSession, *, chat: Chat, data: MessageCreate, recent: list[str], seq: int
) -> list[str]:
    """Who answers: the one asked for, else the chat's turn-taking strategy."""
    roster = await usable_roster(session, chat)
    ids = {c.id for _, c in roster}
    if data.character_id is not None:
        if data.character_id not in ids:
            raise NotInChat()
        return [data.character_id]
    if not roster:
        raise CharacterUnavailable()
    speakers = [Speaker(c.id, c.name, c.talkativeness, link.position) for link, c in roster]
    return choose_speakers(
        chat.strategy,
        speakers,
        message=data.content,
        recent=recent,
        auto_turns=chat.auto_turns,
        chosen=None,
        # Seeded by the message, so a turn's choice can be reproduced.
        rng=random.Random(f"{chat.id}:{seq}"),
    )


async def usable_roster(session: AsyncSession, chat: Chat) -> list[tuple[ChatCharacter, Character]]:
    """The chat's characters that its owner may still use (a character made private by
    its owner leaves the chats of others silent, not readable)."""
    roster = await repository.characters_of(session, [chat.id])
    return [(link, c) for link, c in roster if usable_by(c, chat.owner_id)]


async def _rework(  # noqa: PLR0913 - the ports and the reply's coordinates
    db: Database,
    generations: Generations,
    *,
    user: User,
    chat_id: str,
    message_id: str,
    mode: Mode,
    options: ReplyOptions,
) -> Turn:
    """Regenerate or continue the chat's last message, a character's reply."""
    if options.speak:
        generations.check_speech()
    async with db.read() as session:
        chat, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
        require_open(chat)
        last = await repository.last_message(session, chat.id)
    if last is None or last.id != message.id or message.author_type != AuthorType.CHARACTER:
        raise NotLastReply()
    if message.character_id is None:
        raise NotLastReply("The character of this reply no longer exists.")
    if message.status == MessageStatus.STREAMING:
        raise MessageBusy()
    plan = TurnPlan(
        chat_id=chat.id,
        user_id=user.id,
        speakers=[message.character_id],
        mode=mode,
        message_id=message.id,
        audio_format=options.spoken_format,
    )
    return generations.start(plan, user_message=None)


async def regenerate(  # noqa: PLR0913 - the ports and the reply's coordinates
    db: Database,
    generations: Generations,
    *,
    user: User,
    chat_id: str,
    message_id: str,
    options: ReplyOptions | None = None,
) -> Turn:
    """A new alternative (swipe) of the last reply, which becomes the chosen one."""
    return await _rework(
        db,
        generations,
        user=user,
        chat_id=chat_id,
        message_id=message_id,
        mode="regenerate",
        options=options or ReplyOptions(),
    )


async def continue_reply(  # noqa: PLR0913 - the ports and the reply's coordinates
    db: Database,
    generations: Generations,
    *,
    user: User,
    chat_id: str,
    message_id: str,
    options: ReplyOptions | None = None,
) -> Turn:
    """More text appended to the last reply."""
    return await _rework(
        db,
        generations,
        user=user,
        chat_id=chat_id,
        message_id=message_id,
        mode="continue",
        options=options or ReplyOptions(),
    )


async def stop(
    db: Database, generations: Generations, *, user: User, chat_id: str, message_id: str
) -> StopRead:
    """End a reply early, keeping its text; wherever it is being generated."""
    async with db.read() as session:
        _, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
        status = message.status
    stopped_here = True
    if status == MessageStatus.STREAMING:
        stopped_here = await generations.stop(message_id)
    async with db.read() as session:
        _, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
        forwarded = not stopped_here and message.status == MessageStatus.STREAMING
        return StopRead(message=MessageRead.model_validate(message), forwarded=forwarded)


# -- changing messages ---------------------------------------------------------------------


def require_open(chat: Chat) -> None:
    """Every path that adds a turn (messages, regenerate, continue, a live call) asks here."""
    if chat.closed_at is not None:
        raise ChatClosed()


def _may_change(chat: Chat, message: Message, user: User) -> None:
    """People change their own messages; the chat's owner changes the characters'."""
    if message.author_type == AuthorType.USER:
        allowed = message.user_id == user.id
    else:
        allowed = chat.owner_id == user.id
    if not allowed:
        raise NotAuthor()
    if message.status == MessageStatus.STREAMING:
        raise MessageBusy()


async def choose_swipe(  # noqa: PLR0913 - the swipe's coordinates
    session: AsyncSession,
    events: EventBus,
    *,
    user: User,
    chat_id: str,
    message_id: str,
    index: int,
) -> MessageRead:
    """Show another alternative; the message's text becomes that alternative's."""
    _, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
    if message.status == MessageStatus.STREAMING:
        raise MessageBusy()
    swipe = await repository.get_swipe(session, message_id=message.id, index=index)
    if swipe is None:
        raise SwipeNotFound()
    message.swipe_index = swipe.index
    message.content = swipe.content
    message.status = swipe.status
    message.model = swipe.model
    message.usage = swipe.usage
    return await _updated(session, events, message)


async def edit(  # noqa: PLR0913 - the edit's coordinates
    session: AsyncSession,
    events: EventBus,
    *,
    user: User,
    chat_id: str,
    message_id: str,
    data: MessageEdit,
) -> MessageRead:
    chat, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
    _may_change(chat, message, user)
    if message.author_type == AuthorType.CHARACTER:
        await ensure_swipes(session, message)
        await session.flush()
        swipe = await repository.get_swipe(
            session, message_id=message.id, index=message.swipe_index
        )
        if swipe is not None:
            swipe.content = data.content
    message.content = data.content
    memory.reindex_after_commit(session, message_id=message.id)
    return await _updated(session, events, message)


async def _updated(session: AsyncSession, events: EventBus, message: Message) -> MessageRead:
    await session.flush()
    await session.refresh(message)
    read = MessageRead.model_validate(message)
    await live.publish(events, message.chat_id, live.MessageUpdated(read))
    return read


async def delete(
    session: AsyncSession,
    events: EventBus,
    *,
    user: User,
    chat_id: str,
    message_id: str,
) -> None:
    """Authors delete their own messages; the chat's owner deletes any."""
    chat, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
    if chat.owner_id != user.id:
        _may_change(chat, message, user)
    elif message.status == MessageStatus.STREAMING:
        raise MessageBusy()
    await repository.delete_message(session, message.id)
    await memory.forget_message(session, message_id=message.id)
    await live.publish(events, chat.id, live.MessageDeleted(message.id))


async def branch(
    session: AsyncSession, *, user: User, chat_id: str, data: BranchRequest
) -> ChatRead:
    """A new chat (owned by the caller) with the same characters and people, and a copy
    of the messages up to and including `data.message_id`."""
    chat, until = await _message(session, user=user, chat_id=chat_id, message_id=data.message_id)
    # A branch keeps only the characters its new owner may use: branching never extends
    # access to someone else's private character.
    roster = [
        (link, c)
        for link, c in await repository.characters_of(session, [chat.id])
        if usable_by(c, user.id)
    ]
    if not roster:
        raise CharacterUnavailable("None of this chat's characters is yours to use.")
    new = Chat(
        owner_id=user.id,
        title=data.title or chat.title,
        strategy=chat.strategy,
        auto_turns=chat.auto_turns,
        persona_id=chat.persona_id if chat.owner_id == user.id else None,
        last_seq=until.seq,
        branched_from_message_id=until.id,
    )
    session.add(new)
    await session.flush()
    for link, _ in roster:
        session.add(
            ChatCharacter(chat_id=new.id, character_id=link.character_id, position=link.position)
        )
    people = await repository.participants_of(session, [chat.id])
    member_ids = dict.fromkeys([user.id, *(p.user_id for p, _ in people)])
    for member_id in member_ids:
        # The copied history is not news to anyone.
        session.add(ChatParticipant(chat_id=new.id, user_id=member_id, last_read_seq=until.seq))
    await repository.count_chats_for(session, [link.character_id for link, _ in roster])
    await _copy_messages(session, source=chat, target=new, until_seq=until.seq)
    if len(member_ids) > 1:
        await privacy.scrub_chat(session, new.id)
    return await service.read_one(session, chat=new, user=user)


async def _copy_messages(
    session: AsyncSession, *, source: Chat, target: Chat, until_seq: int
) -> None:
    messages = await repository.messages_up_to(session, chat_id=source.id, seq=until_seq)
    swipes = await repository.swipes_of(session, [m.id for m in messages])
    copies: dict[str, Message] = {}
    for m in messages:
        status = MessageStatus.STOPPED if m.status == MessageStatus.STREAMING else m.status
        copies[m.id] = Message(
            chat_id=target.id,
            seq=m.seq,
            author_type=m.author_type,
            user_id=m.user_id,
            character_id=m.character_id,
            name=m.name,
            content=m.content,
            swipe_index=m.swipe_index,
            swipe_count=m.swipe_count,
            status=status,
            model=m.model,
            error=m.error,
            usage=dict(m.usage),
            context_sources=list(m.context_sources),
            tool_calls=list(m.tool_calls),
        )
    session.add_all(copies.values())
    await session.flush()
    for s in swipes:
        status = MessageStatus.STOPPED if s.status == MessageStatus.STREAMING else s.status
        session.add(
            MessageSwipe(
                message_id=copies[s.message_id].id,
                index=s.index,
                content=s.content,
                status=status,
                model=s.model,
                usage=dict(s.usage),
            )
        )
    await session.flush()


# -- the models a turn may use (billing/quotas.py holds them to the plan) ----------------


def models_of_send(user: User, chat_id: str, data: MessageCreate) -> ModelsOf:
    """The models of whoever may answer: the character asked for, else the chat's roster."""

    async def read(session: AsyncSession) -> set[str]:
        chat = await service.get_for_member(session, user=user, chat_id=chat_id)
        roster = await usable_roster(session, chat)
        chosen = [c for _, c in roster if data.character_id in (None, c.id)]
        return {c.model for c in chosen if c.model}

    return read


def models_of_reply(user: User, chat_id: str, message_id: str) -> ModelsOf:
    """The model of the character whose reply is regenerated or continued."""

    async def read(session: AsyncSession) -> set[str]:
        _, message = await _message(session, user=user, chat_id=chat_id, message_id=message_id)
        if message.character_id is None:
            return set()
        character = await session.get(Character, message.character_id)
        return {character.model} if character is not None and character.model else set()

    return read
