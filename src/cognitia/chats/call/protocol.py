"""The call protocol's frames and close codes (docs/voice.md#live-calls), written and read
here only: the rest of the call speaks in these types.

From the browser: binary frames of 16 kHz mono s16le PCM, and JSON text frames `start`,
`interrupt`, `mute`, `unmute`, `hangup`. From the server: JSON text frames, each caption
followed by its audio as one binary frame.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cognitia.auth.schemas import ResourceId
from cognitia.errors import CognitiaError

SAMPLE_RATE = 16_000
MAX_FRAME_BYTES = 64 * 1024

# Close codes (the socket is accepted, then closed with one of these).
NORMAL = 1000
GOING_AWAY = 1001
INTERNAL_ERROR = 1011
NOT_AUTHENTICATED = 4401
FORBIDDEN = 4403  # the plan has no live calls
NOT_FOUND = 4404
CONFLICT = 4409  # the chat is closed (its coaching session has ended)
BAD_FRAME = 4422
TOO_MANY_CALLS = 4429
VOICE_UNAVAILABLE = 4503


class ProtocolError(Exception):
    """A frame the protocol does not allow: the call ends with 4422."""


class Start(BaseModel):
    """The first text frame: the token (browsers), who answers, the language spoken."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    token: str | None = Field(None, max_length=4096)
    character_id: ResourceId | None = None
    language: str | None = Field(None, pattern=r"^[a-z]{2}$")


Command = Literal["interrupt", "mute", "unmute", "hangup"]
COMMANDS: frozenset[str] = frozenset({"interrupt", "mute", "unmute", "hangup"})


def start_frame(text: str) -> Start:
    try:
        return Start.model_validate(_json(text))
    except ValidationError as exc:
        raise ProtocolError(f"bad start frame: {exc.errors()[0]['msg']}") from None


def command(text: str) -> Command:
    kind = _json(text).get("type")
    if kind not in COMMANDS:
        raise ProtocolError(f"unknown frame type {kind!r}")
    return kind  # type: ignore[no-any-return]


def pcm(data: bytes) -> bytes:
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError(f"an audio frame is at most {MAX_FRAME_BYTES} bytes")
    if len(data) % 2:
        raise ProtocolError("an audio frame is whole 16-bit samples (an even byte length)")
    return data


def _json(text: str) -> dict[str, Any]:
    try:
        frame = json.loads(text)
    except ValueError:
        raise ProtocolError("a text frame is a JSON object") from None
    if not isinstance(frame, dict):
        raise ProtocolError("a text frame is a JSON object")
    return frame


# -- from the server -------------------------------------------------------------------


@dataclass(frozen=True)
class Caption:
    """One clause of a reply: its text, then its audio (`audio` empty: text only)."""

    message_id: str | None
    index: int
    text: str
    sample_rate: int
    audio: bytes

    def frame(self) -> dict[str, Any]:
        return {
            "type": "caption",
            "message_id": self.message_id,
            "index": self.index,
            "text": self.text,
            "sample_rate": self.sample_rate,
            "bytes": len(self.audio),
        }


def ready(call_id: str, voice: str, voice_rate: int | None) -> dict[str, Any]:
    return {
        "type": "ready",
        "call_id": call_id,
        "sample_rate": SAMPLE_RATE,
        "voice": {"name": voice, "sample_rate": voice_rate},
    }


def error(code: str, detail: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail}


def refusal(exc: CognitiaError) -> dict[str, Any]:
    """An error frame with what the HTTP refusal of `exc` carries (docs/plans.md): its
    body's fields (a limit's `limit`, `reset_at`, `upgrade_to`, `feature`, `model`) and,
    for a 429, `retry_after` in seconds, as the Retry-After header says."""
    fields = {k: v for k, v in exc.body().items() if k not in ("error", "detail")}
    if "Retry-After" in exc.headers:
        fields["retry_after"] = int(exc.headers["Retry-After"])
    return {**error(exc.code, exc.detail), **fields}


def event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **fields}
