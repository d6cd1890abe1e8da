"""Request and response bodies for /api/v2/sessions, and the notes' schema.

SessionNotes is both what the summarize lane is asked for (its JSON schema goes out as
`response_format`) and what validates the answer: one definition, no drift.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cognitia.auth.schemas import ResourceId, Strict
from cognitia.chats.schemas import Content
from cognitia.models.coaching_session import SessionStatus

MAX_GOAL_CHARS = 2_000
MAX_SUMMARY_CHARS = 8_000
MAX_ITEMS = 30


def _printable(value: str) -> str:
    # PostgreSQL text and JSONB cannot hold NUL; line breaks and tabs are welcome.
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValueError("Control characters other than line breaks and tabs are not allowed.")
    return value


Text = Annotated[str, Field(min_length=1, max_length=2_000), AfterValidator(_printable)]
Owner = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
Summary = Annotated[str, Field(max_length=MAX_SUMMARY_CHARS), AfterValidator(_printable)]
Goal = Annotated[str, Field(max_length=MAX_GOAL_CHARS), AfterValidator(_printable)]


class ActionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text
    owner: Owner  # who does it: the person's name, or the coach's
    due_date: date | None = None
    done: bool = False


class SessionNotes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: Summary
    insights: Annotated[list[Text], Field(max_length=MAX_ITEMS)] = []
    action_items: Annotated[list[ActionItem], Field(max_length=MAX_ITEMS)] = []
    follow_up_questions: Annotated[list[Text], Field(max_length=MAX_ITEMS)] = []


class NotesUpdate(Strict):
    """Only the fields given change."""

    summary: Summary | None = None
    insights: Annotated[list[Text], Field(max_length=MAX_ITEMS)] | None = None
    action_items: Annotated[list[ActionItem], Field(max_length=MAX_ITEMS)] | None = None
    follow_up_questions: Annotated[list[Text], Field(max_length=MAX_ITEMS)] | None = None


class SessionCreate(Strict):
    character_id: ResourceId
    goal: Goal = ""


class TurnCreate(Strict):
    content: Content


class EndRequest(Strict):
    generate_notes: bool = True


class ActionItemUpdate(Strict):
    done: bool


class CarriedItem(BaseModel):
    """An open action item of an earlier session with the same coach."""

    session_id: str
    index: int  # its place in that session's action_items
    text: str
    owner: str
    due_date: date | None = None


class SessionRead(BaseModel):
    id: str
    character_id: str
    chat_id: str  # the session's conversation, readable through /api/v2/chats
    goal: str
    status: SessionStatus
    carried_items: list[CarriedItem]
    notes: SessionNotes | None
    notes_error: str | None
    turns: int  # the person's messages
    started_at: datetime
    ended_at: datetime | None


class TurnItem(BaseModel):
    role: str  # user, character or system
    name: str
    content: str
    created_at: datetime


class SessionDetail(SessionRead):
    transcript: list[TurnItem]


class SessionPage(BaseModel):
    items: list[SessionRead]  # newest first
    total: int
    limit: int
    offset: int


class SessionStats(BaseModel):
    scope: str  # "mine" or "all" (admins)
    active_sessions: int
    turns_today: int  # the person's messages in sessions since 00:00 UTC


def notes_json_schema() -> dict[str, Any]:
    return SessionNotes.model_json_schema()
