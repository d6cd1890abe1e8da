"""Live chat events: the closed set of event types, each chat's channel, the SSE relay.

Whatever changes a chat publishes one event on `channel(chat_id)` of the EventBus;
`GET /api/v2/chats/{id}/events` relays that channel to every participant who listens,
and a request that generates streams its turn's events (chats/fanout.py) as SSE.

Events are typed values (below) from where they are made to the edge. They become JSON
only there: `to_bus` for the EventBus (`{"event": <name>, "data": {...}}`) and `to_sse`
for sse-starlette (`event: <name>` and `data: <json>`). The shapes are in docs/events.md;
the `data` methods below are the one place they are written.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cognitia.chats.schemas import MessageRead
from cognitia.events.ports import EventBus, Subscription

log = logging.getLogger(__name__)

MESSAGE_CREATED = "message.created"
TOKEN = "token"
SENTENCE = "sentence"
MESSAGE_COMPLETED = "message.completed"
AUDIO = "audio"
AUDIO_ERROR = "audio.error"
ERROR = "error"
MESSAGE_UPDATED = "message.updated"
MESSAGE_DELETED = "message.deleted"
TOOL_CALL = "tool.call"
TOOL_RESULT = "tool.result"
TOOL_APPROVAL = "tool.approval"  # a call waits for a member's approval (policy ask)
READY = "ready"  # first event of every /events stream: from here on nothing is missed
# Internal, never relayed: "the /events streams of `owner` end here, with `final`".
CLOSING = "stream.closing"
# The codes of an /events stream's last `error` event (docs/events.md).
ACCESS_REVOKED = "access_revoked"
SHUTTING_DOWN = "server_shutting_down"

EVENT_NAMES = frozenset(
    {
        MESSAGE_CREATED,
        TOKEN,
        SENTENCE,
        AUDIO,
        AUDIO_ERROR,
        MESSAGE_COMPLETED,
        ERROR,
        MESSAGE_UPDATED,
        MESSAGE_DELETED,
        TOOL_CALL,
        TOOL_RESULT,
        TOOL_APPROVAL,
    }
)

# A reply's token counts as recorded on its message: prompt_tokens, completion_tokens,
# total_tokens, and `estimated` when the provider gave none.
UsageCounts = Mapping[str, int | bool]


@dataclass(frozen=True)
class MessageCreated:
    """A message was stored: a person's, or a character's reply about to stream."""

    NAME: ClassVar[str] = MESSAGE_CREATED
    message: MessageRead

    def data(self) -> dict[str, Any]:
        return {"message": self.message.model_dump(mode="json")}


@dataclass(frozen=True)
class Token:
    """A piece of a reply as the model produced it."""

    NAME: ClassVar[str] = TOKEN
    message_id: str
    text: str

    def data(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "text": self.text}


@dataclass(frozen=True)
class Sentence:
    """A whole sentence of a reply (numbered from 0), for speech and tidy rendering."""

    NAME: ClassVar[str] = SENTENCE
    message_id: str
    index: int
    text: str

    def data(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "index": self.index, "text": self.text}


@dataclass(frozen=True)
class Audio:
    """One sentence of a reply spoken: a complete audio file (base64 on the wire)."""

    NAME: ClassVar[str] = AUDIO
    message_id: str
    index: int  # the sentence's, as in its `sentence` event
    text: str
    voice: str  # the catalogue name of the voice that spoke
    format: str  # wav, mp3, opus, ogg or pcm, as asked
    media_type: str
    sample_rate: int | None
    duration_s: float | None
    audio: bytes = field(repr=False)

    def data(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "index": self.index,
            "text": self.text,
            "voice": self.voice,
            "format": self.format,
            "media_type": self.media_type,
            "sample_rate": self.sample_rate,
            "duration_s": self.duration_s,
            "audio_base64": base64.b64encode(self.audio).decode("ascii"),
        }


@dataclass(frozen=True)
class AudioError:
    """Speaking a reply failed: no more audio for it (its text goes on regardless).
    `index` is the sentence that could not be spoken, None when no voice could be found."""

    NAME: ClassVar[str] = AUDIO_ERROR
    message_id: str
    index: int | None
    voice: str | None
    code: str
    detail: str

    def data(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "index": self.index,
            "voice": self.voice,
            "error": self.code,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class MessageCompleted:
    """A reply ended (finished, stopped or failed), with the tokens it used."""

    NAME: ClassVar[str] = MESSAGE_COMPLETED
    message: MessageRead
    usage: UsageCounts

    def data(self) -> dict[str, Any]:
        return {"message": self.message.model_dump(mode="json"), "usage": dict(self.usage)}


@dataclass(frozen=True)
class Error:
    """Generating a reply failed, or an /events stream ends; `code` and `detail` as in
    the API's error bodies, and the text generated before the failure (kept in the
    message)."""

    NAME: ClassVar[str] = ERROR
    code: str | None
    detail: str | None
    message_id: str | None = None
    partial_text: str = ""

    def data(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "error": self.code,
            "detail": self.detail,
            "partial_text": self.partial_text,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Error:
        return cls(
            code=data.get("error"),
            detail=data.get("detail"),
            message_id=data.get("message_id"),
            partial_text=str(data.get("partial_text", "")),
        )


@dataclass(frozen=True)
class MessageUpdated:
    """A message was edited, or another alternative (swipe) was chosen or added."""

    NAME: ClassVar[str] = MESSAGE_UPDATED
    message: MessageRead

    def data(self) -> dict[str, Any]:
        return {"message": self.message.model_dump(mode="json")}


@dataclass(frozen=True)
class ToolCalled:
    """The model called a tool while writing a reply (before the tool runs)."""

    NAME: ClassVar[str] = TOOL_CALL
    message_id: str
    call_id: str
    name: str
    arguments: str  # the JSON text as the model wrote it (possibly malformed)

    def data(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "id": self.call_id,
            "name": self.name,
            "arguments": self.arguments,
        }


@dataclass(frozen=True)
class ToolAnswered:
    """A tool call's result, as the model is shown it; `ok` false for an error result.
    `limit`: the plan's refusal (quota_exceeded: its limit, reset_at, upgrade_to) when the
    call was over the day's tool limit and did not run; else None, and not sent."""

    NAME: ClassVar[str] = TOOL_RESULT
    message_id: str
    call_id: str
    name: str
    result: str
    ok: bool
    limit: dict[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        data = {
            "message_id": self.message_id,
            "id": self.call_id,
            "name": self.name,
            "result": self.result,
            "ok": self.ok,
        }
        # Only on a refused call, so every other result's wire is as it was.
        return data if self.limit is None else {**data, "limit": self.limit}


@dataclass(frozen=True)
class ToolApprovalAsked:
    """A call to a tool with the policy ask waits for a member of the chat to approve or
    decline it (POST .../tool-calls/{id}/approve | decline) until `expires_at`."""

    NAME: ClassVar[str] = TOOL_APPROVAL
    message_id: str
    call_id: str
    name: str
    arguments: str
    expires_at: str  # ISO 8601, UTC

    def data(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "id": self.call_id,
            "name": self.name,
            "arguments": self.arguments,
            "expires_at": self.expires_at,
        }


@dataclass(frozen=True)
class MessageDeleted:
    NAME: ClassVar[str] = MESSAGE_DELETED
    message_id: str

    def data(self) -> dict[str, Any]:
        return {"message_id": self.message_id}


@dataclass(frozen=True)
class Ready:
    """The first event of every /events stream: from here on nothing is missed."""

    NAME: ClassVar[str] = READY
    chat_id: str

    def data(self) -> dict[str, Any]:
        return {"chat_id": self.chat_id}


@dataclass(frozen=True)
class Closing:
    """Internal, never relayed: the /events streams of `owner` end here, with `final`."""

    NAME: ClassVar[str] = CLOSING
    owner: str
    final: Error

    def data(self) -> dict[str, Any]:
        return {"owner": self.owner, "final": to_bus(self.final)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Closing:
        final = data.get("final") or {}
        return cls(owner=str(data.get("owner", "")), final=Error.from_data(final.get("data", {})))


# What a reply's turn emits (chats/fanout.py).
TurnEvent = (
    MessageCreated
    | Token
    | Sentence
    | Audio
    | AudioError
    | MessageCompleted
    | Error
    | ToolCalled
    | ToolAnswered
    | ToolApprovalAsked
)
# Everything published on a chat's channel.
ChatEvent = TurnEvent | MessageUpdated | MessageDeleted | Closing
# Everything an SSE stream sends.
StreamEvent = ChatEvent | Ready


def channel(chat_id: str) -> str:
    """The EventBus channel of one chat."""
    return f"chat:{chat_id}"


def to_bus(item: StreamEvent) -> dict[str, Any]:
    """The event as the EventBus carries it: `{"event": <name>, "data": {...}}`."""
    return {"event": item.NAME, "data": item.data()}


def to_sse(item: StreamEvent) -> dict[str, str]:
    """The event as sse-starlette's dict: `event: <name>` and `data: <json>`."""
    return _sse(to_bus(item))


def _sse(carried: Mapping[str, Any]) -> dict[str, str]:
    return {
        "event": str(carried.get("event", "message")),
        "data": json.dumps(carried.get("data", {})),
    }


async def publish(bus: EventBus, chat_id: str, item: ChatEvent) -> None:
    """Publish on the chat's channel; a failure is logged, never raised.

    Live events are a courtesy to those watching: the database holds the truth, and a
    reply must not fail because Redis hiccuped.
    """
    try:
        await bus.publish(channel(chat_id), to_bus(item))
    except Exception:
        log.warning("could not publish %s on chat %s", item.NAME, chat_id, exc_info=True)


class Relay:
    """A chat's events as SSE dicts: `ready` first, then everything published, and a
    last `error` event when the stream is cut off (`end`) or its process shuts down.

    What the bus delivers is already in its wire form (it may come from another
    process): it goes out as it came, only CLOSING is read.

    An iterator object rather than a generator, so `aclose()` ends the subscription
    even when the stream never started (a client gone before the first event), and
    `end()` can interrupt a wait for the next event.
    """

    def __init__(self, subscription: Subscription, chat_id: str, *, owner: str = "") -> None:
        self._subscription = subscription
        self._chat_id = chat_id
        self._owner = owner  # whose CLOSING events end this relay (chats/watchers.py)
        self._started = False
        self._finished = False
        self._closed = False
        self._final: Error | None = None

    def __aiter__(self) -> Relay:
        return self

    async def __anext__(self) -> dict[str, str]:
        if self._finished:
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            return to_sse(Ready(self._chat_id))
        while True:
            try:
                carried = await anext(self._subscription)
            except StopAsyncIteration:
                return self._last(self._final)
            if carried.get("event") != CLOSING:
                return _sse(carried)
            closing = Closing.from_data(carried.get("data", {}))
            if closing.owner == self._owner:
                return self._last(closing.final)

    def _last(self, final: Error | None) -> dict[str, str]:
        self._finished = True
        if final is None:
            raise StopAsyncIteration
        return to_sse(final)

    async def end(self, final: Error) -> None:
        """Stop at once: nothing more is relayed but `final`, then the stream ends."""
        if self._final is None:
            self._final = final
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._subscription.aclose()


async def relay(bus: EventBus, chat_id: str, *, owner: str = "") -> Relay:
    """Subscribe to the chat's channel and return once the subscription is live.

    Everything published after this returns is in the relay; close it when done.
    """
    subscription = bus.subscribe(channel(chat_id))
    stream = Relay(subscription, chat_id, owner=owner)
    try:
        await subscription.ready()
    except BaseException:
        await stream.aclose()
        raise
    return stream
