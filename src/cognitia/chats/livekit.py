"""LiveKit room tokens for a chat's people: the room is the chat's, the identity the
person's. Only a member of the chat gets one (others: 404 chat_not_found)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.chats.service import get_for_member
from cognitia.config import VoiceSettings
from cognitia.kit.clock import utcnow
from cognitia.models.user import User
from cognitia.voice import livekit
from cognitia.voice.errors import VoiceUnavailable

FALLBACK_NAME = "User"


async def room_token(
    session: AsyncSession, *, user: User, chat_id: str, settings: VoiceSettings
) -> livekit.RoomToken:
    """A token to join the chat's LiveKit room; 503 when voice or LiveKit is off."""
    if not settings.enabled:
        raise VoiceUnavailable("Voice is turned off on this server.")
    chat = await get_for_member(session, user=user, chat_id=chat_id)
    name = f"{user.first_name} {user.last_name}".strip() or FALLBACK_NAME
    return livekit.mint(
        settings.livekit, chat_id=chat.id, identity=user.id, name=name, now=utcnow()
    )
