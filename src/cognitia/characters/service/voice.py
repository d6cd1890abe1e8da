"""Who may use a character's voice model: its owner, and the users the owner names."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.auth import service as auth
from cognitia.characters import repository
from cognitia.characters.errors import UserNotFound
from cognitia.characters.service.characters import get_owned
from cognitia.errors import Unprocessable
from cognitia.models.character import Character, VoicePermission
from cognitia.models.user import User


async def can_use_voice(session: AsyncSession, *, user: User, character: Character) -> bool:
    if character.owner_id == user.id:
        return True
    found = await repository.voice_permission(session, character_id=character.id, user_id=user.id)
    return found is not None


async def voice_usable_by_all(
    session: AsyncSession, *, character: Character, user_ids: Collection[str]
) -> bool:
    """Whether every one of these users may use the character's voice (owner or granted):
    a cloned voice speaks in a chat only when all of its people may hear it made."""
    others = set(user_ids) - {character.owner_id}
    if not others:
        return True
    granted = await repository.voice_permissions(session, character.id)
    return others <= {permission.user_id for permission in granted}


async def grant_voice(
    session: AsyncSession, *, owner: User, character_id: str, user_id: str
) -> VoicePermission:
    """Let `user_id` use the voice; granting twice is no error."""
    character = await get_owned(session, user=owner, character_id=character_id)
    if user_id == owner.id:
        raise Unprocessable("The owner may always use the character's voice.")
    if "\x00" in user_id or await auth.get_user(session, user_id) is None:
        raise UserNotFound()
    await repository.grant_voice(session, character_id=character.id, user_id=user_id)
    found = await repository.voice_permission(session, character_id=character.id, user_id=user_id)
    assert found is not None
    return found


async def revoke_voice(
    session: AsyncSession, *, owner: User, character_id: str, user_id: str
) -> None:
    character = await get_owned(session, user=owner, character_id=character_id)
    revoked = await repository.revoke_voice(session, character_id=character.id, user_id=user_id)
    if not revoked:
        raise UserNotFound("This user has no permission to use the voice.")


async def list_voice_permissions(
    session: AsyncSession, *, owner: User, character_id: str
) -> list[VoicePermission]:
    character = await get_owned(session, user=owner, character_id=character_id)
    return await repository.voice_permissions(session, character.id)
