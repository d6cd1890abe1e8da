"""Coaching sessions: start (with the open action items of earlier sessions with the same
coach), turns, the end with notes, editing the notes, stats.

A session owns a 1:1 chat with its coach and a turn is a message of that chat
(chats/messages.py): the coach's memory of the person, the plan's quotas and the
streaming are the chats' own. What the coach must know of the session (its goal, the
open action items) is a system message at the start of that chat, so it is in the
coach's prompt and in the chat's history for the person to read.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents.sessions import notes as session_notes
from cognitia.agents.sessions import repository
from cognitia.agents.sessions.errors import (
    ActionItemNotFound,
    NotesInvalid,
    NotesNotFound,
    NotesUnavailable,
    SessionActive,
    SessionEnded,
    SessionNotFound,
)
from cognitia.agents.sessions.schemas import (
    CarriedItem,
    NotesUpdate,
    SessionCreate,
    SessionDetail,
    SessionNotes,
    SessionPage,
    SessionRead,
    SessionStats,
    TurnItem,
)
from cognitia.characters.errors import CharacterNotFound
from cognitia.chats import repository as chat_repository
from cognitia.chats import service as chat_service
from cognitia.chats.errors import ChatCharacterNotFound
from cognitia.chats.schemas import ChatCreate, ChatRead
from cognitia.db import Database
from cognitia.kit.clock import utcnow
from cognitia.llm import service as llm
from cognitia.llm.ports import ChatRequest
from cognitia.llm.registry import ModelRegistry
from cognitia.models.coaching_session import CoachingSession, SessionStatus
from cognitia.models.message import AuthorType, Message, MessageStatus
from cognitia.models.user import User

CHAT_TITLE = "Coaching session"
SYSTEM_NAME = "Session"
MAX_CARRIED = 20


async def _own(session: AsyncSession, *, user: User, session_id: str) -> CoachingSession:
    row = await repository.get_for_user(session, session_id=session_id, user_id=user.id)
    if row is None:
        raise SessionNotFound()
    return row


async def _carried(session: AsyncSession, *, user: User, character_id: str) -> list[CarriedItem]:
    """The open action items of the latest ended sessions with this coach, newest first."""
    carried: list[CarriedItem] = []
    for earlier in await repository.earlier_ended(
        session, user_id=user.id, character_id=character_id
    ):
        if not earlier.notes:
            continue
        for index, item in enumerate(SessionNotes.model_validate(earlier.notes).action_items):
            if not item.done:
                carried.append(
                    CarriedItem(
                        session_id=earlier.id,
                        index=index,
                        text=item.text,
                        owner=item.owner,
                        due_date=item.due_date,
                    )
                )
    return carried[:MAX_CARRIED]


def briefing(goal: str, carried: list[CarriedItem]) -> str:
    """The system message that opens a session: what the coach starts from."""
    lines = ["A coaching session starts."]
    if goal:
        lines.append(f"The person's goal for this session: {goal}")
    if carried:
        lines.append("Open action items from earlier sessions (ask how they went):")
        for item in carried:
            due = f", due {item.due_date.isoformat()}" if item.due_date else ""
            lines.append(f"- {item.text} ({item.owner}{due})")
    return "\n".join(lines)


async def create(db: Database, *, user: User, data: SessionCreate) -> SessionRead:
    """A session and its chat (404 character_not_found for a coach the person may not use)."""
    async with db.unit_of_work() as session:
        chat = await _chat(session, user=user, character_id=data.character_id)
        carried = await _carried(session, user=user, character_id=data.character_id)
        seq = await chat_repository.allocate_seq(session, chat.id)
        session.add(
            Message(
                chat_id=chat.id,
                seq=seq,
                author_type=AuthorType.SYSTEM,
                name=SYSTEM_NAME,
                content=briefing(data.goal, carried),
                status=MessageStatus.COMPLETE,
                usage={},
                context_sources=[],
            )
        )
        await chat_repository.mark_read(session, chat_id=chat.id, user_id=user.id, seq=seq)
        row = CoachingSession(
            user_id=user.id,
            character_id=data.character_id,
            chat_id=chat.id,
            goal=data.goal,
            status=SessionStatus.ACTIVE,
            carried_items=[item.model_dump(mode="json") for item in carried],
            notes=None,
            started_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        return _read(row, turns=0)


async def _chat(session: AsyncSession, *, user: User, character_id: str) -> ChatRead:
    data = ChatCreate(title=CHAT_TITLE, character_ids=[character_id])
    try:
        return await chat_service.create(session, user=user, data=data)
    except CharacterNotFound as error:  # its code is the generic not_found
        raise ChatCharacterNotFound() from error


def _read(row: CoachingSession, *, turns: int) -> SessionRead:
    return SessionRead(
        id=row.id,
        character_id=row.character_id,
        chat_id=row.chat_id,
        goal=row.goal,
        status=row.status,
        carried_items=[CarriedItem.model_validate(item) for item in row.carried_items],
        notes=SessionNotes.model_validate(row.notes) if row.notes else None,
        notes_error=row.notes_error,
        turns=turns,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


async def _read_one(session: AsyncSession, row: CoachingSession) -> SessionRead:
    counts = await repository.turn_counts(session, [row.chat_id])
    return _read(row, turns=counts.get(row.chat_id, 0))


async def page(db: Database, *, user: User, limit: int, offset: int) -> SessionPage:
    async with db.read() as session:
        rows, total = await repository.page(session, user_id=user.id, limit=limit, offset=offset)
        counts = await repository.turn_counts(session, [row.chat_id for row in rows])
    items = [_read(row, turns=counts.get(row.chat_id, 0)) for row in rows]
    return SessionPage(items=items, total=total, limit=limit, offset=offset)


async def detail(db: Database, *, user: User, session_id: str) -> SessionDetail:
    async with db.read() as session:
        row = await _own(session, user=user, session_id=session_id)
        read = await _read_one(session, row)
        rows = await repository.transcript(session, row.chat_id)
    transcript = [
        TurnItem(role=m.author_type.value, name=m.name, content=m.content, created_at=m.created_at)
        for m in rows
        if m.content.strip()
    ]
    return SessionDetail(**read.model_dump(), transcript=transcript)


async def active_chat(db: Database, *, user: User, session_id: str) -> str:
    """The chat a turn goes to; 404 for another's session, 409 session_ended."""
    async with db.read() as session:
        row = await _own(session, user=user, session_id=session_id)
        if row.status == SessionStatus.ENDED:
            raise SessionEnded()
        return row.chat_id


async def end(  # noqa: PLR0913 - the session, what to do, and the models to ask
    db: Database,
    models: ModelRegistry,
    usage: llm.UsageRecorder,
    *,
    user: User,
    session_id: str,
    generate_notes: bool,
) -> SessionRead:
    """End the session (committed first: a failure to write notes leaves it ended), then
    ask for its notes. Ending again is 409 session_ended, except to ask for notes that
    the first end could not get."""
    async with db.unit_of_work() as session:
        row = await repository.lock_for_user(session, session_id=session_id, user_id=user.id)
        if row is None:
            raise SessionNotFound()
        if row.status == SessionStatus.ENDED and (not generate_notes or row.notes):
            raise SessionEnded()
        row.status = SessionStatus.ENDED
        row.ended_at = row.ended_at or utcnow()
        await chat_repository.close(session, chat_id=row.chat_id, at=row.ended_at)
        request = await _notes_request(session, row, user) if generate_notes else None
        chat_id, character_id = row.chat_id, row.character_id
    if request is not None:
        context = llm.CallContext(
            user_id=user.id, chat_id=chat_id, character_id=character_id, lane=session_notes.LANE
        )
        try:
            notes = await session_notes.generate(models, usage, request=request, context=context)
        except (NotesInvalid, NotesUnavailable) as error:
            await _store_notes(db, user=user, session_id=session_id, notes=None, error=error.code)
            raise
        await _store_notes(db, user=user, session_id=session_id, notes=notes, error=None)
    async with db.read() as session:
        return await _read_one(session, await _own(session, user=user, session_id=session_id))


async def _notes_request(session: AsyncSession, row: CoachingSession, user: User) -> ChatRequest:
    character = await chat_repository.get_character(session, row.character_id)
    coach = character.name if character is not None else "the coach"
    rows = await repository.transcript(session, row.chat_id)
    lines = [(m.name, m.content) for m in rows if m.author_type != AuthorType.SYSTEM]
    person = user.first_name.strip() or "the person"
    return session_notes.build_request(person=person, coach=coach, goal=row.goal, lines=lines)


async def _store_notes(
    db: Database, *, user: User, session_id: str, notes: SessionNotes | None, error: str | None
) -> None:
    async with db.unit_of_work() as session:
        row = await _own(session, user=user, session_id=session_id)
        row.notes = notes.model_dump(mode="json") if notes is not None else None
        row.notes_error = error


async def _ended_notes(session: AsyncSession, row: CoachingSession) -> SessionNotes:
    if row.status != SessionStatus.ENDED:
        raise SessionActive()
    if not row.notes:
        raise NotesNotFound()
    return SessionNotes.model_validate(row.notes)


async def update_notes(
    db: Database, *, user: User, session_id: str, data: NotesUpdate
) -> SessionRead:
    """Replace the fields given; a session without notes gets them (written by hand)."""
    async with db.unit_of_work() as session:
        row = await _own(session, user=user, session_id=session_id)
        if row.status != SessionStatus.ENDED:
            raise SessionActive()
        current = row.notes or SessionNotes(summary="").model_dump(mode="json")
        changes = data.model_dump(mode="json", exclude_unset=True)
        row.notes = SessionNotes.model_validate({**current, **changes}).model_dump(mode="json")
        row.notes_error = None
        return await _read_one(session, row)


async def mark_item(
    db: Database, *, user: User, session_id: str, index: int, done: bool
) -> SessionRead:
    async with db.unit_of_work() as session:
        row = await _own(session, user=user, session_id=session_id)
        notes = await _ended_notes(session, row)
        if index >= len(notes.action_items):
            raise ActionItemNotFound()
        notes.action_items[index].done = done
        row.notes = notes.model_dump(mode="json")
        return await _read_one(session, row)


async def export(db: Database, *, user: User, session_id: str) -> str:
    async with db.read() as session:
        row = await _own(session, user=user, session_id=session_id)
        notes = await _ended_notes(session, row)
        character = await chat_repository.get_character(session, row.character_id)
    coach = character.name if character is not None else "coach"
    day = (row.ended_at or row.started_at).date().isoformat()
    return session_notes.markdown(notes, title=f"Session with {coach}, {day}")


async def stats(db: Database, *, user: User, everyone: bool) -> SessionStats:
    """Active sessions and turns since 00:00 UTC: the person's, or everyone's (admins)."""
    whose = None if everyone else user.id
    midnight = datetime.combine(utcnow().date(), time.min, tzinfo=UTC)
    async with db.read() as session:
        active = await repository.active_count(session, user_id=whose)
        turns = await repository.turns_since(session, user_id=whose, since=midnight)
    return SessionStats(
        scope="all" if everyone else "mine", active_sessions=active, turns_today=turns
    )
