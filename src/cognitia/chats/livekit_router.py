"""POST /api/v2/voice/livekit-token: a LiveKit room token for a chat the caller is in.

It lives with the chats (not in cognitia.voice) because it asks the chats whether the
caller is a member, and voice sits below chats in the domain layers."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cognitia.auth.dependencies import CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.billing.deps import QuotasDep
from cognitia.chats import livekit
from cognitia.http.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v2/voice", tags=["voice"])


class LiveKitTokenCreate(BaseModel):
    chat_id: ResourceId = Field(description="The chat whose room to join; the caller is in it.")


class LiveKitTokenRead(BaseModel):
    token: str = Field(description="The access token (a JWT) to give the LiveKit client.")
    url: str = Field(description="The LiveKit server to connect to.")
    room: str = Field(description="The chat's room: chat-<chat id>.")
    identity: str = Field(description="The caller's participant identity: their user id.")
    expires_at: datetime


@router.post(
    "/livekit-token",
    responses={
        401: {"description": "Not authenticated"},
        403: {"description": "feature_not_in_plan: live calls are not in the caller's plan"},
        404: {"description": "chat_not_found (also for chats the caller is not in)"},
        503: {"description": "livekit_not_configured, or voice_unavailable (voice is off)"},
    },
)
async def create_livekit_token(
    data: LiveKitTokenCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    quotas: QuotasDep,
) -> LiveKitTokenRead:
    """Mint a LiveKit token that joins the chat's room as the caller (a live call)."""
    await quotas.require_feature(session, user_id=user.id, feature="live_calls")
    minted = await livekit.room_token(
        session, user=user, chat_id=data.chat_id, settings=settings.voice
    )
    return LiveKitTokenRead(
        token=minted.token,
        url=minted.url,
        room=minted.room,
        identity=minted.identity,
        expires_at=minted.expires_at,
    )
