"""Live chat events: each chat's channel, the event names and payloads, the SSE relay.

Whatever changes a chat publishes one event on `channel(chat_id)` of the runtime's
EventBus; `GET /api/v2/chats/{id}/events` relays that channel to every participant who
listens. Events are `{"event": <name>, "data": {...}}` and go out as SSE with the same
name and the data as JSON. The shapes are in docs/events.md; the builders below are the
one place they are written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from cognitia.events.ports import EventBus, Subscription

log = logging.getLogger(__name__)

MESSAGE_CREATED = "message.created"
TOKEN = "token"
SENTENCE = "sentence"
MESSAGE_COMPLETED = "message.completed"
ERROR = "error"
MESSAGE_UPDATED = "message.updated"
MESSAGE_DELETED = "message.deleted"
READY = "ready"  # first event of every /events stream: from here on nothing is missed
# Internal, never relayed: "the /events streams of `owner` end here, with `final`".
CLOSING = "stream.closing"
# The codes of an /events stream's last `error` event (docs/events.md).
ACCESS_REVOKED = "access_revoked"
SHUTTING_DOWN = "server_shutting_down"

EVENT_NAMES = frozenset(
    {MESSAGE_CREATED, TOKEN, SENTENCE, MESSAGE_COMPLETED, ERROR, MESSAGE_UPDATED, MESSAGE_DELETED}
)


def channel(chat_id: str) -> str:
    """The EventBus channel of one chat."""
    return f"chat:{chat_id}"


def event(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A bus event; `data` must be JSON-ready (dump models with mode="json")."""
    return {"event": name, "data": dict(data)}


def message_created(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message was stored: a person's, or a character's reply about to stream."""
    return event(MESSAGE_CREATED, {"message": dict(message)})


def token(message_id: str, text: str) -> dict[str, Any]:
    """A piece of a reply as the model produced it."""
    return event(TOKEN, {"message_id": message_id, "text": text})


def sentence(message_id: str, index: int, text: str) -> dict[str, Any]:
    """A whole sentence of a reply (numbered from 0), for speech and tidy rendering."""
    return event(SENTENCE, {"message_id": message_id, "index": index, "text": text})


def message_completed(message: Mapping[str, Any], usage: Mapping[str, Any]) -> dict[str, Any]:
    """A reply ended (finished, stopped or failed), with the tokens it used."""
    return event(MESSAGE_COMPLETED, {"message": dict(message), "usage": dict(usage)})


def error(
    code: str, detail: str, *, message_id: str | None = None, partial_text: str = ""
) -> dict[str, Any]:
    """Generating a reply failed; `code` and `detail` as in the API's error bodies, and
    the text generated before the failure (kept in the message)."""
    data = {"message_id": message_id, "error": code, "detail": detail}
    return event(ERROR, {**data, "partial_text": partial_text})


def message_updated(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message was edited, or another alternative (swipe) was chosen or added."""
    return event(MESSAGE_UPDATED, {"message": dict(message)})


def message_deleted(message_id: str) -> dict[str, Any]:
    return event(MESSAGE_DELETED, {"message_id": message_id})


def closing(owner: str, final: Mapping[str, Any]) -> dict[str, Any]:
    """Ends `owner`'s streams of the chat with `final`, after what was published before."""
    return event(CLOSING, {"owner": owner, "final": dict(final)})


async def publish(bus: EventBus, chat_id: str, item: Mapping[str, Any]) -> None:
    """Publish on the chat's channel; a failure is logged, never raised.

    Live events are a courtesy to those watching: the database holds the truth, and a
    reply must not fail because Redis hiccuped.
    """
    try:
        await bus.publish(channel(chat_id), dict(item))
    except Exception:
        log.warning("could not publish %s on chat %s", item.get("event"), chat_id, exc_info=True)


def to_sse(item: Mapping[str, Any]) -> dict[str, str]:
    """A bus event as sse-starlette's dict: `event: <name>` and `data: <json>`."""
    return {"event": str(item.get("event", "message")), "data": json.dumps(item.get("data", {}))}


class Relay:
    """A chat's events as SSE dicts: `ready` first, then everything published, and a
    last `error` event when the stream is cut off (`end`) or its process shuts down.

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
        self._final: dict[str, Any] | None = None

    def __aiter__(self) -> Relay:
        return self

    async def __anext__(self) -> dict[str, str]:
        if self._finished:
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            return to_sse(event(READY, {"chat_id": self._chat_id}))
        while True:
            try:
                item = await anext(self._subscription)
            except StopAsyncIteration:
                return self._last(self._final)
            if item.get("event") != CLOSING:
                return to_sse(item)
            data = item.get("data", {})
            if data.get("owner") == self._owner:
                return self._last(data.get("final"))

    def _last(self, final: Mapping[str, Any] | None) -> dict[str, str]:
        self._finished = True
        if final is None:
            raise StopAsyncIteration
        return to_sse(final)

    async def end(self, final: Mapping[str, Any]) -> None:
        """Stop at once: nothing more is relayed but `final`, then the stream ends."""
        if self._final is None:
            self._final = dict(final)
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
