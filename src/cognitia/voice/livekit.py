"""LiveKit room access tokens: HS256 JWTs signed with the operator's API secret.

The claims are LiveKit's (https://docs.livekit.io/home/get-started/authentication/):
`iss` the API key, `sub` the participant's identity, `nbf`/`exp`, `name`, and the
`video` grant naming the room. PyJWT mints them; nothing of LiveKit's SDK is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from cognitia.config import LiveKitSettings
from cognitia.voice.errors import LiveKitNotConfigured

ROOM_PREFIX = "chat-"


@dataclass(frozen=True)
class RoomToken:
    token: str
    url: str
    room: str
    identity: str
    expires_at: datetime


def room_for(chat_id: str) -> str:
    """One LiveKit room per chat."""
    return f"{ROOM_PREFIX}{chat_id}"


def mint(
    settings: LiveKitSettings, *, chat_id: str, identity: str, name: str, now: datetime
) -> RoomToken:
    """A token that lets `identity` join the chat's room, publish, subscribe and send data;
    LiveKitNotConfigured (503) without a url, key and secret."""
    if not settings.configured:
        raise LiveKitNotConfigured(
            "Set COGNITIA_VOICE__LIVEKIT__URL, __API_KEY and __API_SECRET to use LiveKit."
        )
    assert settings.url is not None
    assert settings.api_key is not None
    assert settings.api_secret is not None
    room = room_for(chat_id)
    not_before = int(now.timestamp())
    expires = not_before + settings.token_ttl_seconds
    claims = {
        "iss": settings.api_key,
        "sub": identity,
        "nbf": not_before,
        "exp": expires,
        "name": name,
        "video": {
            "room": room,
            "roomJoin": True,
            "canPublish": True,
            "canSubscribe": True,
            "canPublishData": True,
        },
    }
    token = jwt.encode(claims, settings.api_secret.get_secret_value(), algorithm="HS256")
    expires_at = now.replace(microsecond=0) + timedelta(seconds=settings.token_ttl_seconds)
    return RoomToken(token, settings.url, room, identity, expires_at)
