"""Request and response bodies for /api/v2/chats."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cognitia.auth.schemas import ResourceId, Strict
from cognitia.kit.names import check_name
from cognitia.models.chat import TurnStrategy
from cognitia.models.message import AuthorType, MessageStatus
from cognitia.models.tool_approval import ApprovalStatus
from cognitia.voice.ports import AudioFormat

# The longest message a person may send or write by hand, in characters.
MAX_CONTENT_CHARS = 32_000
MAX_CHARACTERS = 16
MAX_PARTICIPANTS = 64
MAX_AUTO_TURNS = 10


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("The content is empty.")
    # PostgreSQL text cannot hold NUL; line breaks and tabs are welcome.
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValueError("Control characters other than line breaks and tabs are not allowed.")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


# A chat's title is its name in everyone's list: nothing in it may change how it reads.
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(check_name)
]
Content = Annotated[
    str, Field(min_length=1, max_length=MAX_CONTENT_CHARS), AfterValidator(_not_blank)
]
AutoTurns = Annotated[int, Field(ge=0, le=MAX_AUTO_TURNS)]
CharacterIds = Annotated[
    list[ResourceId], Field(min_length=1, max_length=MAX_CHARACTERS), AfterValidator(_unique)
]
ParticipantIds = Annotated[
    list[ResourceId], Field(max_length=MAX_PARTICIPANTS), AfterValidator(_unique)
]


class ChatCreate(Strict):
    title: Title = ""
    character_ids: CharacterIds
    participant_ids: ParticipantIds = Field(default_factory=list)
    strategy: TurnStrategy = TurnStrategy.NATURAL
    auto_turns: AutoTurns = 0
    persona_id: ResourceId | None = None


class ChatUpdate(Strict):
    """Only the fields given change; `persona_id: null` clears the persona."""

    title: Title | None = None
    strategy: TurnStrategy | None = None
    auto_turns: AutoTurns | None = None
    persona_id: ResourceId | None = None


class ParticipantAdd(Strict):
    user_id: ResourceId


class ParticipantUpdate(Strict):
    # Let the characters draw on your private memory, data bank and persona in this chat
    # although other people are in it (they may then read what the replies say of it).
    share_private: bool


class CharacterAdd(Strict):
    character_id: ResourceId


class Speaking(Strict):
    """Ask for the replies spoken: `audio` events beside the text (docs/voice.md)."""

    speak: bool = Field(
        False,
        description="Speak the replies: each sentence as an `audio` event, in each"
        " character's voice (503 voice_unavailable when no voice can speak).",
    )
    audio_format: AudioFormat = Field("wav", description="The format of each audio chunk.")

    @property
    def spoken_format(self) -> AudioFormat | None:
        """The format to speak in, None when no audio was asked for."""
        return self.audio_format if self.speak else None


class MessageCreate(Speaking):
    content: Content
    character_id: ResourceId | None = None  # who answers (manual turn-taking; others: a wish)


class ReplyOptions(Speaking):
    """The optional body of regenerate and continue."""


class MessageEdit(Strict):
    content: Content


class SwipeChoice(Strict):
    index: int = Field(ge=0)


class BranchRequest(Strict):
    message_id: ResourceId
    title: Title | None = None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    chat_id: str
    seq: int
    author_type: AuthorType
    user_id: str | None
    character_id: str | None
    name: str
    content: str
    status: MessageStatus
    swipe_index: int
    swipe_count: int
    model: str | None
    error: str | None
    usage: dict[str, Any]
    # What the reply's prompt drew on: memories, knowledge chunks, the summary ({id, kind, text}).
    context_sources: list[dict[str, Any]]
    # The reply's tool calls in order: {id, name, arguments, result, ok} (docs/tools.md).
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class SwipeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    index: int
    content: str
    status: MessageStatus
    model: str | None


class MessageDetail(MessageRead):
    swipes: list[SwipeRead]


class MessagePage(BaseModel):
    items: list[MessageRead]  # oldest first
    has_more: bool  # older messages exist (newest page, `before`) or newer ones (`after`)


class ChatCharacterRead(BaseModel):
    id: str
    name: str
    position: int
    model: str | None
    talkativeness: float


class ParticipantRead(BaseModel):
    user_id: str
    first_name: str
    is_owner: bool
    last_read_seq: int
    share_private: bool  # opted this chat in to their private memory (docs/security.md)


class ChatRead(BaseModel):
    id: str
    owner_id: str
    title: str
    strategy: TurnStrategy
    auto_turns: int
    persona_id: str | None
    branched_from_message_id: str | None
    last_seq: int
    closed_at: datetime | None  # set: no new turns (an ended coaching session's chat)
    characters: list[ChatCharacterRead]
    participants: list[ParticipantRead]
    unread_count: int  # the caller's
    last_message: MessageRead | None
    created_at: datetime
    updated_at: datetime


class ChatPage(BaseModel):
    items: list[ChatRead]  # most recently active first
    total: int
    limit: int
    offset: int


class TurnRead(BaseModel):
    """The non-streaming answer: the user's message (if this request wrote one) and the
    replies, finished."""

    user_message: MessageRead | None
    replies: list[MessageRead]


class StopRead(BaseModel):
    message: MessageRead
    # True when the reply runs in another API process: the stop was sent there, and the
    # final state (status stopped) arrives as `message.completed` on the chat's events.
    forwarded: bool


class ToolApprovalRead(BaseModel):
    """A tool call that asked a member's approval, and how it was decided."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(validation_alias="call_id", description="The call's id, as in tool.call.")
    message_id: str
    name: str
    arguments: str
    status: ApprovalStatus
    decided_by: str | None
    expires_at: datetime


class ToolApprovalList(BaseModel):
    items: list[ToolApprovalRead]
