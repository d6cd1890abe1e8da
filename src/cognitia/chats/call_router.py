"""WebSocket /api/v2/chats/{chat_id}/call: a live voice call with the chat's characters.

The socket is accepted, then the caller is admitted or refused with a close code
(docs/voice.md#live-calls): a `start` frame within the start timeout, the token (its
`Authorization` header, or the frame's `token` for browsers) checked as every API route
checks it, the chat's membership (another person's chat is 4404), a chat still open (an
ended coaching session's chat is 4409 chat_closed), a voice that can listen
and speak (4503), the plan's live calls (4403 feature_not_in_plan), and the bounds on
calls (4429). Then chats/call/session.py runs it; each turn is one of the day's messages
(chats/charging.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from cognitia.auth.dependencies import authenticate_token
from cognitia.billing.bans import user_subject
from cognitia.chats import messages, service
from cognitia.chats.call import protocol
from cognitia.chats.call.answer import Caller, CallPorts, VoiceOf
from cognitia.chats.call.limits import Calls
from cognitia.chats.call.session import Call, listen
from cognitia.chats.errors import NotInChat
from cognitia.errors import CognitiaError, Unauthorized
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import TurnDetector

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v2/chats", tags=["chats"])
ROUTE = "/api/v2/chats/{chat_id}/call"

# The close code of each refusal, by the error's HTTP status.
_CLOSE_CODES = {
    401: protocol.NOT_AUTHENTICATED,
    403: protocol.FORBIDDEN,
    404: protocol.NOT_FOUND,
    409: protocol.CONFLICT,
    422: protocol.BAD_FRAME,
    429: protocol.TOO_MANY_CALLS,
    503: protocol.VOICE_UNAVAILABLE,
}


@router.websocket("/{chat_id}/call")
async def call(websocket: WebSocket, chat_id: str) -> None:
    await websocket.accept()
    try:
        code = await _call(websocket, chat_id)
    except protocol.ProtocolError as exc:
        await _refuse(websocket, protocol.error("invalid_frame", str(exc)), protocol.BAD_FRAME)
    except CognitiaError as exc:
        close = _CLOSE_CODES.get(exc.status_code, protocol.INTERNAL_ERROR)
        await _refuse(websocket, protocol.refusal(exc), close)
    except WebSocketDisconnect:
        return
    except Exception:
        log.exception("a live call failed")
        failed = protocol.error("internal_error", "Something went wrong on our side.")
        await _refuse(websocket, failed, protocol.INTERNAL_ERROR)
    else:
        if code:
            await _close(websocket, code)


async def _call(websocket: WebSocket, chat_id: str) -> int:
    runtime = websocket.app.state.runtime
    calls: Calls = runtime.calls
    start = await _start(websocket, calls.settings.start_timeout_seconds)
    token = _header_token(websocket) or start.token or ""
    principal = await authenticate_token(runtime.db, runtime.settings, token, route_path=ROUTE)
    # Outside the HTTP rate-limit dependency (it needs a Request): the ban is checked here.
    await runtime.bans.refuse_if_banned(user_subject(principal.user.id))
    caller = Caller(principal.user, chat_id, start.character_id, start.language)
    voice_name = await _admissible(runtime, caller)
    turns, ports = _voice_ports(runtime)
    holder: dict[str, Call] = {}

    async def hang_up() -> None:
        if "call" in holder:
            await holder["call"].hang_up()

    with calls.admit(principal.user.id, hang_up):
        hearing = await listen(turns, calls.settings)
        session = holder["call"] = Call(ports, websocket, caller, turns, hearing, calls.settings)
        await session.outbox.send(protocol.ready(f"call_{secrets.token_hex(8)}", voice_name, None))
        return await session.run()


async def _start(websocket: WebSocket, wait_seconds: float) -> protocol.Start:
    try:
        async with asyncio.timeout(wait_seconds):
            message = await websocket.receive()
    except TimeoutError:
        raise Unauthorized("No start frame came in time.") from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is None:
        raise protocol.ProtocolError("the first frame is the JSON start frame")
    return protocol.start_frame(message["text"])


def _header_token(websocket: WebSocket) -> str | None:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _admissible(runtime: Any, caller: Caller) -> str:
    """The chat's membership and the answering character; the name of the voice it speaks."""
    async with runtime.db.read() as session:
        chat = await service.get_for_member(session, user=caller.user, chat_id=caller.chat_id)
        messages.require_open(chat)
        roster = await messages.usable_roster(session, chat)
        await runtime.quotas.require_feature(session, user_id=caller.user.id, feature="live_calls")
    await runtime.quotas.check_audio(runtime.db, user_id=caller.user.id)
    characters = [c for _, c in roster]
    if caller.character_id is not None:
        characters = [c for c in characters if c.id == caller.character_id]
        if not characters:
            raise NotInChat()
    first = characters[0] if characters else None
    speech = runtime.generations.speech
    if speech is None:
        raise VoiceUnavailable("Voice is turned off on this server.")
    voiced = VoiceOf(first.voice_model, dict(first.voice_settings or {})) if first else VoiceOf()
    name: str = speech.voice_for(voiced, "pcm").name
    return name


def _voice_ports(runtime: Any) -> tuple[TurnDetector, CallPorts]:
    voices = runtime.voices
    speech = runtime.generations.speech
    if voices.turns is None or voices.transcriber is None or speech is None:
        raise VoiceUnavailable("Live calls need a voice that listens and one that speaks.")
    ports = CallPorts(
        runtime.db, runtime.generations, voices.transcriber, speech, runtime.quotas, runtime.meter
    )
    return voices.turns, ports


async def _refuse(websocket: WebSocket, frame: dict[str, Any], close: int) -> None:
    """The error frame, then the close code."""
    with contextlib.suppress(Exception):
        if websocket.application_state == WebSocketState.CONNECTED:
            await websocket.send_json(frame)
    await _close(websocket, close)


async def _close(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(Exception):
        if websocket.application_state == WebSocketState.CONNECTED:
            await websocket.close(code)
