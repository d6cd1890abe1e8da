"""A character's picture: checked by content, kept in the blob store under a fresh key.

A replaced or deleted picture's blob is deleted only after the change commits
(storage.tasks), so a rolled-back request never leaves a character without its picture.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters import images, repository
from cognitia.characters.errors import AvatarNotFound
from cognitia.characters.images import CheckedImage
from cognitia.characters.service.characters import get_owned, get_visible
from cognitia.kit.ids import new_id
from cognitia.models.character import Character
from cognitia.models.user import User
from cognitia.storage.ports import BlobNotFound, BlobStore
from cognitia.storage.tasks import delete_after_commit


async def set_avatar(
    session: AsyncSession, blobs: BlobStore, *, owner: User, character_id: str, data: bytes
) -> Character:
    """Replace the picture with `data`: a PNG, JPEG, WebP or GIF of at most 5 MB."""
    character = await get_owned(session, user=owner, character_id=character_id)
    image = await asyncio.to_thread(images.check_image, data)
    await store_avatar(session, blobs, character=character, image=image)
    return character


async def store_avatar(
    session: AsyncSession, blobs: BlobStore, *, character: Character, image: CheckedImage
) -> None:
    key = f"avatars/{character.id}/{new_id()}.{image.extension}"
    await blobs.put(key, image.data, content_type=image.mime)
    if character.avatar_key:
        delete_after_commit(session, [character.avatar_key])
    character.avatar_key, character.avatar_mime = key, image.mime
    await session.flush()


async def get_avatar(
    session: AsyncSession, blobs: BlobStore, *, user: User, character_id: str
) -> tuple[bytes, str]:
    """The picture's bytes and media type; AvatarNotFound when there is none."""
    character = await get_visible(session, user=user, character_id=character_id)
    data = await read_avatar(blobs, character)
    if data is None:
        raise AvatarNotFound()
    return data, character.avatar_mime or "application/octet-stream"


async def read_avatar(blobs: BlobStore, character: Character) -> bytes | None:
    if not character.avatar_key:
        return None
    try:
        return await blobs.get(character.avatar_key)
    except BlobNotFound:
        return None


async def delete_avatar(session: AsyncSession, *, owner: User, character_id: str) -> None:
    character = await get_owned(session, user=owner, character_id=character_id)
    if not character.avatar_key:
        raise AvatarNotFound()
    delete_after_commit(session, [character.avatar_key])
    character.avatar_key = character.avatar_mime = None
    await session.flush()


async def forget_blobs_of(session: AsyncSession, *, owner: User) -> None:
    """Before an account is deleted: its characters' pictures go once the deletion commits."""
    delete_after_commit(session, await repository.avatar_keys_of_owner(session, owner.id))
