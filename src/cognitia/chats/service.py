"""Chats: creation with greetings, listing with unread counts, membership, settings,
participants and characters. Messages live in messages.py.

Membership rules: a chat is visible to its participants only (anyone else gets 404
chat_not_found); its settings, members and characters are changed by its owner
(other members get 403 not_owner).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters import service as character_service
from cognitia.chats import privacy, repository
from cognitia.chats.errors import (
    ChatCharacterNotFound,
    ChatNotFound,
    LastCharacter,
    NotOwner,
    NotYourself,
    OwnerStays,
    PersonaNotFound,
    UserNotFound,
)
from cognitia.chats.schemas import (
    ChatCharacterRead,
    ChatCreate,
    ChatPage,
    ChatRead,
    ChatUpdate,
    MessageRead,
    ParticipantRead,
)
from cognitia.events.revocations import Revocation, revoke_after_commit
from cognitia.kit.clock import utcnow
from cognitia.models.character import Character
from cognitia.models.chat import Chat, ChatCharacter, ChatParticipant
from cognitia.models.message import AuthorType, Message, MessageSwipe
from cognitia.models.persona import Persona
from cognitia.models.user import User
from cognitia.prompting import macros

FALLBACK_USER_NAME = "User"
MAX_TITLE = 200


async def get_for_member(session: AsyncSession, *, user: User, chat_id: str) -> Chat:
    """The chat if `user` takes part in it; 404 chat_not_found otherwise."""
    chat = await repository.get_member_chat(session, chat_id=chat_id, user_id=user.id)
    if chat is None:
        raise ChatNotFound()
    return chat


async def get_owned(session: AsyncSession, *, user: User, chat_id: str) -> Chat:
    """The chat if `user` owns it; members get 403 not_owner, others 404."""
    chat = await get_for_member(session, user=user, chat_id=chat_id)
    if chat.owner_id != user.id:
        raise NotOwner()
    return chat


async def visible_characters(
    session: AsyncSession, *, user: User, ids: Sequence[str]
) -> list[Character]:
    """The characters, in the order asked; 404 if any is missing or someone's private one."""
    return [
        await character_service.get_visible(session, user=user, character_id=character_id)
        for character_id in ids
    ]


async def _users(session: AsyncSession, ids: Sequence[str]) -> list[User]:
    found = {u.id: u for u in await repository.existing_users(session, ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise UserNotFound(f"No such user: {missing[0]}.")
    return [found[i] for i in ids]


async def _persona(session: AsyncSession, *, user: User, persona_id: str | None) -> Persona | None:
    if persona_id is None:
        return None
    persona = await repository.get_persona(session, persona_id=persona_id, owner_id=user.id)
    if persona is None:
        raise PersonaNotFound()
    return persona


async def create(session: AsyncSession, *, user: User, data: ChatCreate) -> ChatRead:
    """A chat with its characters and people; the characters greet."""
    characters = await visible_characters(session, user=user, ids=data.character_ids)
    others = await _users(session, [i for i in data.participant_ids if i != user.id])
    persona = await _persona(session, user=user, persona_id=data.persona_id)
    title = data.title or ", ".join(c.name for c in characters)[:MAX_TITLE]
    chat = Chat(
        owner_id=user.id,
        title=title,
        strategy=data.strategy,
        auto_turns=data.auto_turns,
        persona_id=persona.id if persona else None,
        last_seq=0,
    )
    session.add(chat)
    await session.flush()
    for position, character in enumerate(characters):
        session.add(ChatCharacter(chat_id=chat.id, character_id=character.id, position=position))
    for person in [user, *others]:
        session.add(ChatParticipant(chat_id=chat.id, user_id=person.id, last_read_seq=0))
    await session.flush()
    await repository.count_chats_for(session, [c.id for c in characters])
    user_name = persona.name if persona else (user.first_name.strip() or FALLBACK_USER_NAME)
    last = await _greet(session, chat_id=chat.id, characters=characters, user_name=user_name)
    # The creator has seen the greetings; the other people have not.
    await repository.mark_read(session, chat_id=chat.id, user_id=user.id, seq=last)
    return await read_one(session, chat=chat, user=user)


def greetings(character: Character, *, group: bool) -> list[str]:
    """A character's opening texts: the first is shown, the rest are its alternatives."""
    if group and any(g.strip() for g in character.group_only_greetings):
        texts = list(character.group_only_greetings)
    else:
        texts = [character.first_message, *character.alternate_greetings]
    return [t for t in texts if t.strip()]


async def _greet(
    session: AsyncSession, *, chat_id: str, characters: Sequence[Character], user_name: str
) -> int:
    """Write each character's greeting; the last seq written (0 if none)."""
    now, last = utcnow(), 0
    for character in characters:
        texts = greetings(character, group=len(characters) > 1)
        texts = [macros.render(t, char=character.name, user=user_name, now=now) for t in texts]
        if not texts:
            continue
        last = await repository.allocate_seq(session, chat_id)
        message = Message(
            chat_id=chat_id,
            seq=last,
            author_type=AuthorType.CHARACTER,
            character_id=character.id,
            name=character.name,
            content=texts[0],
            swipe_index=0,
            swipe_count=len(texts),
            usage={},
            context_sources=[],
        )
        session.add(message)
        await session.flush()
        for index, text in enumerate(texts):
            session.add(MessageSwipe(message_id=message.id, index=index, content=text))
    await session.flush()
    return last


async def read_many(
    session: AsyncSession, *, rows: Sequence[tuple[Chat, int]], user: User
) -> list[ChatRead]:
    """Chats as the API shows them to `user` (rows: each chat with its unread count)."""
    ids = [chat.id for chat, _ in rows]
    if not ids:
        return []
    roster = await repository.characters_of(session, ids)
    people = await repository.participants_of(session, ids)
    last = await repository.last_messages(session, ids)
    result = []
    for chat, unread in rows:
        characters = [
            ChatCharacterRead(
                id=c.id,
                name=c.name,
                position=link.position,
                model=c.model,
                talkativeness=c.talkativeness,
            )
            for link, c in roster
            if link.chat_id == chat.id
        ]
        participants = [
            ParticipantRead(
                user_id=p.user_id,
                first_name=person.first_name,
                is_owner=p.user_id == chat.owner_id,
                last_read_seq=p.last_read_seq,
                share_private=p.share_private,
            )
            for p, person in people
            if p.chat_id == chat.id
        ]
        message = last.get(chat.id)
        result.append(
            ChatRead(
                id=chat.id,
                owner_id=chat.owner_id,
                title=chat.title,
                strategy=chat.strategy,
                auto_turns=chat.auto_turns,
                persona_id=chat.persona_id,
                branched_from_message_id=chat.branched_from_message_id,
                closed_at=chat.closed_at,
                last_seq=chat.last_seq,
                characters=characters,
                participants=participants,
                unread_count=unread,
                last_message=MessageRead.model_validate(message) if message else None,
                created_at=chat.created_at,
                updated_at=chat.updated_at,
            )
        )
    return result


async def read_one(session: AsyncSession, *, chat: Chat, user: User) -> ChatRead:
    await session.flush()
    await session.refresh(chat)
    unread = await repository.unread_count(session, chat_id=chat.id, user_id=user.id)
    [read] = await read_many(session, rows=[(chat, unread)], user=user)
    return read


async def get(session: AsyncSession, *, user: User, chat_id: str) -> ChatRead:
    chat = await get_for_member(session, user=user, chat_id=chat_id)
    return await read_one(session, chat=chat, user=user)


async def page(session: AsyncSession, *, user: User, limit: int, offset: int) -> ChatPage:
    """The user's chats, most recently active first, with unread counts and last messages."""
    rows, total = await repository.page_for_user(
        session, user_id=user.id, limit=limit, offset=offset
    )
    items = await read_many(session, rows=rows, user=user)
    return ChatPage(items=items, total=total, limit=limit, offset=offset)


async def update(session: AsyncSession, *, user: User, chat_id: str, data: ChatUpdate) -> ChatRead:
    chat = await get_owned(session, user=user, chat_id=chat_id)
    given = data.model_fields_set
    if data.title is not None:
        chat.title = data.title
    if data.strategy is not None:
        chat.strategy = data.strategy
    if data.auto_turns is not None:
        chat.auto_turns = data.auto_turns
    if "persona_id" in given:
        persona = await _persona(session, user=user, persona_id=data.persona_id)
        chat.persona_id = persona.id if persona else None
    chat.updated_at = utcnow()
    return await read_one(session, chat=chat, user=user)


async def delete(session: AsyncSession, *, user: User, chat_id: str) -> None:
    chat = await get_owned(session, user=user, chat_id=chat_id)
    await repository.delete_chat(session, chat.id)
    revoke_after_commit(session, Revocation(chat_id=chat.id))  # its open streams end


async def add_participant(
    session: AsyncSession, *, user: User, chat_id: str, user_id: str
) -> ChatRead:
    """Add a person (owner only); adding a member again changes nothing."""
    chat = await get_owned(session, user=user, chat_id=chat_id)
    [person] = await _users(session, [user_id])
    if await repository.get_participant(session, chat_id=chat.id, user_id=person.id) is None:
        session.add(ChatParticipant(chat_id=chat.id, user_id=person.id, last_read_seq=0))
        # The history is about to be read by someone else.
        await privacy.scrub_chat(session, chat.id)
    return await read_one(session, chat=chat, user=user)


async def share_private(
    session: AsyncSession, *, user: User, chat_id: str, user_id: str, share: bool
) -> ChatRead:
    """A member opts this chat in to their private memory, or out again (only themselves)."""
    chat = await get_for_member(session, user=user, chat_id=chat_id)
    if user_id != user.id:
        raise NotYourself()
    member = await repository.get_participant(session, chat_id=chat.id, user_id=user.id)
    if member is not None:
        member.share_private = share
    return await read_one(session, chat=chat, user=user)


async def remove_participant(
    session: AsyncSession, *, user: User, chat_id: str, user_id: str
) -> None:
    """The owner removes anyone but themselves; a member may leave."""
    chat = await get_for_member(session, user=user, chat_id=chat_id)
    if user_id == chat.owner_id:
        raise OwnerStays()
    if user.id not in (chat.owner_id, user_id):
        raise NotOwner()
    if not await repository.remove_participant(session, chat_id=chat.id, user_id=user_id):
        raise UserNotFound("That user is not in this chat.")
    revoke_after_commit(session, Revocation(user_id=user_id, chat_id=chat.id))


async def add_character(
    session: AsyncSession, *, user: User, chat_id: str, character_id: str
) -> ChatRead:
    """Add a character the owner may use, after the others; again changes nothing."""
    chat = await get_owned(session, user=user, chat_id=chat_id)
    [character] = await visible_characters(session, user=user, ids=[character_id])
    roster = await repository.characters_of(session, [chat.id])
    if all(c.id != character.id for _, c in roster):
        position = await repository.next_position(session, chat.id)
        session.add(ChatCharacter(chat_id=chat.id, character_id=character.id, position=position))
        await repository.count_chats_for(session, [character.id])
    return await read_one(session, chat=chat, user=user)


async def remove_character(
    session: AsyncSession, *, user: User, chat_id: str, character_id: str
) -> ChatRead:
    chat = await get_owned(session, user=user, chat_id=chat_id)
    roster = await repository.characters_of(session, [chat.id])
    if all(c.id != character_id for _, c in roster):
        raise ChatCharacterNotFound("That character is not in this chat.")
    if len(roster) == 1:
        raise LastCharacter()
    await repository.remove_character(session, chat_id=chat.id, character_id=character_id)
    return await read_one(session, chat=chat, user=user)
