"""The wire format of every chat event, pinned byte for byte: what an SSE client reads
(`event: <name>` and `data: <json>`, sse-starlette with sep="\\n") and what the event bus
carries between processes. A change here is a change of the public API (docs/events.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sse_starlette import ServerSentEvent

from cognitia.chats import live
from cognitia.chats.schemas import MessageRead
from cognitia.models.message import AuthorType, MessageStatus

MESSAGE = MessageRead(
    id="m1",
    chat_id="c1",
    seq=3,
    author_type=AuthorType.CHARACTER,
    user_id=None,
    character_id="ch1",
    name="Aria",
    content="Hello there.",
    status=MessageStatus.COMPLETE,
    swipe_index=0,
    swipe_count=1,
    model="rp-model",
    error=None,
    usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    context_sources=[{"id": "s1", "kind": "memory", "text": "likes tea"}],
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    updated_at=datetime(2026, 1, 2, 3, 4, 6, 123456, tzinfo=UTC),
)
MESSAGE_JSON = (
    '{"id": "m1", "chat_id": "c1", "seq": 3, "author_type": "character", "user_id": null,'
    ' "character_id": "ch1", "name": "Aria", "content": "Hello there.", "status": "complete",'
    ' "swipe_index": 0, "swipe_count": 1, "model": "rp-model", "error": null,'
    ' "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},'
    ' "context_sources": [{"id": "s1", "kind": "memory", "text": "likes tea"}],'
    ' "tool_calls": [],'
    ' "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:06.123456Z"}'
)
USAGE = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}

WIRE: list[tuple[live.StreamEvent, str]] = [
    (live.MessageCreated(MESSAGE), f'event: message.created\ndata: {{"message": {MESSAGE_JSON}}}'),
    (live.Token("m1", "Hel"), 'event: token\ndata: {"message_id": "m1", "text": "Hel"}'),
    (
        live.Sentence("m1", 0, 'She said "hi".\n'),
        'event: sentence\ndata: {"message_id": "m1", "index": 0, "text": "She said \\"hi\\".\\n"}',
    ),
    (
        live.Audio("m1", 0, "Hello there.", "joe", "wav", "audio/wav", 22050, 0.5, b"RIFF"),
        'event: audio\ndata: {"message_id": "m1", "index": 0, "text": "Hello there.",'
        ' "voice": "joe", "format": "wav", "media_type": "audio/wav", "sample_rate": 22050,'
        ' "duration_s": 0.5, "audio_base64": "UklGRg=="}',
    ),
    (
        live.AudioError("m1", 1, "nova", "voice_unavailable", "The speech server answered 500."),
        'event: audio.error\ndata: {"message_id": "m1", "index": 1, "voice": "nova",'
        ' "error": "voice_unavailable", "detail": "The speech server answered 500."}',
    ),
    (
        live.MessageCompleted(MESSAGE, USAGE),
        "event: message.completed\n"
        f'data: {{"message": {MESSAGE_JSON}, "usage": {{"prompt_tokens": 5,'
        ' "completion_tokens": 2, "total_tokens": 7}}',
    ),
    (
        live.Error("upstream_error", "The model failed.", "m1", "Hel"),
        'event: error\ndata: {"message_id": "m1", "error": "upstream_error",'
        ' "detail": "The model failed.", "partial_text": "Hel"}',
    ),
    (
        live.Error(live.ACCESS_REVOKED, "No such chat."),
        'event: error\ndata: {"message_id": null, "error": "access_revoked",'
        ' "detail": "No such chat.", "partial_text": ""}',
    ),
    (live.MessageUpdated(MESSAGE), f'event: message.updated\ndata: {{"message": {MESSAGE_JSON}}}'),
    (live.MessageDeleted("m1"), 'event: message.deleted\ndata: {"message_id": "m1"}'),
    (
        live.ToolCalled("m1", "c1", "calculator", '{"expression": "6*7"}'),
        'event: tool.call\ndata: {"message_id": "m1", "id": "c1", "name": "calculator",'
        ' "arguments": "{\\"expression\\": \\"6*7\\"}"}',
    ),
    (
        live.ToolAnswered("m1", "c1", "calculator", "6*7 = 42", True),
        'event: tool.result\ndata: {"message_id": "m1", "id": "c1", "name": "calculator",'
        ' "result": "6*7 = 42", "ok": true}',
    ),
    (
        live.ToolApprovalAsked(
            "m1", "c1", "http_fetch", '{"url": "https://a.test"}', "2026-12-07T10:00:00+00:00"
        ),
        'event: tool.approval\ndata: {"message_id": "m1", "id": "c1", "name": "http_fetch",'
        ' "arguments": "{\\"url\\": \\"https://a.test\\"}",'
        ' "expires_at": "2026-12-07T10:00:00+00:00"}',
    ),
    (live.Ready("c1"), 'event: ready\ndata: {"chat_id": "c1"}'),
    (live.Token("m1", "é✓"), 'event: token\ndata: {"message_id": "m1", "text": "\\u00e9\\u2713"}'),
]


@pytest.mark.parametrize(("event", "wire"), WIRE)
def test_each_event_reaches_an_sse_client_byte_for_byte(event: live.StreamEvent, wire: str) -> None:
    sent = ServerSentEvent(**live.to_sse(event), sep="\n").encode()
    assert sent == f"{wire}\n\n".encode()


def test_every_public_event_is_pinned() -> None:
    assert {event.NAME for event, _ in WIRE} == {*live.EVENT_NAMES, live.READY}


@pytest.mark.parametrize(("event", "wire"), WIRE)
def test_the_bus_carries_the_same_data(event: live.StreamEvent, wire: str) -> None:
    name, data = wire.removeprefix("event: ").split("\ndata: ", 1)
    carried = live.to_bus(event)
    assert carried["event"] == name
    assert live.to_sse(event) == {"event": name, "data": data}


def test_a_closing_event_carries_its_final_error_and_reads_back() -> None:
    final = live.Error(live.SHUTTING_DOWN, "The server is restarting; connect again.")
    carried = live.to_bus(live.Closing("owner-1", final))
    assert carried == {
        "event": "stream.closing",
        "data": {
            "owner": "owner-1",
            "final": {
                "event": "error",
                "data": {
                    "message_id": None,
                    "error": "server_shutting_down",
                    "detail": "The server is restarting; connect again.",
                    "partial_text": "",
                },
            },
        },
    }
    assert live.Closing.from_data(carried["data"]) == live.Closing("owner-1", final)
