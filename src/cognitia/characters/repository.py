"""SQL for characters, their tags and voice permissions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from cognitia.characters.schemas import MarketplaceQuery
from cognitia.db import insert_for
from cognitia.models.character import Character, CharacterTag, Visibility, VoicePermission


async def get(session: AsyncSession, character_id: str) -> Character | None:
    return await session.get(Character, character_id)


async def get_many(session: AsyncSession, character_ids: Iterable[str]) -> list[Character]:
    ids = list(set(character_ids))
    if not ids:
        return []
    return list((await session.scalars(select(Character).where(Character.id.in_(ids)))).all())


async def add(session: AsyncSession, character: Character) -> None:
    session.add(character)
    await session.flush()


async def set_tags(session: AsyncSession, character_id: str, tags: Iterable[str]) -> None:
    """The lower-cased tag rows the marketplace filters on, one per distinct tag."""
    await session.execute(delete(CharacterTag).where(CharacterTag.character_id == character_id))
    rows = [{"character_id": character_id, "tag": tag} for tag in sorted({t.lower() for t in tags})]
    if rows:
        await session.execute(insert(CharacterTag), rows)


async def delete_character(session: AsyncSession, character: Character) -> None:
    """Tags, voice permissions and chat memberships cascade."""
    await session.delete(character)
    await session.flush()


async def _page(
    session: AsyncSession, query: Select[Character], *, limit: int, offset: int
) -> tuple[list[Character], int]:
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)


async def page_for_owner(
    session: AsyncSession, *, owner_id: str, limit: int, offset: int
) -> tuple[list[Character], int]:
    query = (
        select(Character)
        .where(Character.owner_id == owner_id)
        .order_by(Character.created_at.desc(), Character.id.desc())
    )
    return await _page(session, query, limit=limit, offset=offset)


async def marketplace(
    session: AsyncSession, *, search: MarketplaceQuery
) -> tuple[list[Character], int]:
    stmt = select(Character).where(Character.visibility == Visibility.PUBLIC)
    if search.q:
        stmt = stmt.where(Character.name.icontains(search.q, autoescape=True))
    if search.tag:
        tag = search.tag.lower()
        tagged = (CharacterTag.character_id == Character.id) & (CharacterTag.tag == tag)
        stmt = stmt.where(exists().where(tagged))
    newest = (Character.created_at.desc(), Character.id.desc())
    order = (Character.chat_count.desc(), *newest) if search.sort == "popular" else newest
    return await _page(session, stmt.order_by(*order), limit=search.limit, offset=search.offset)


async def avatar_keys_of_owner(session: AsyncSession, owner_id: str) -> list[str]:
    rows = await session.scalars(
        select(Character.avatar_key).where(
            Character.owner_id == owner_id, Character.avatar_key.is_not(None)
        )
    )
    return [key for key in rows.all() if key]


async def increment_chat_count(session: AsyncSession, character_ids: Sequence[str]) -> None:
    if character_ids:
        await session.execute(
            update(Character)
            .where(Character.id.in_(set(character_ids)))
            .values(chat_count=Character.chat_count + 1)
            .execution_options(synchronize_session=False)
        )


async def grant_voice(session: AsyncSession, *, character_id: str, user_id: str) -> None:
    """Idempotent, also when two grants race."""
    insert_fn = insert_for(session)
    stmt = insert_fn(VoicePermission).values(character_id=character_id, user_id=user_id)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["character_id", "user_id"]))


async def voice_permission(
    session: AsyncSession, *, character_id: str, user_id: str
) -> VoicePermission | None:
    return await session.get(VoicePermission, (character_id, user_id))


async def voice_permissions(session: AsyncSession, character_id: str) -> list[VoicePermission]:
    rows = await session.scalars(
        select(VoicePermission)
        .where(VoicePermission.character_id == character_id)
        .order_by(VoicePermission.created_at, VoicePermission.user_id)
    )
    return list(rows.all())


async def revoke_voice(session: AsyncSession, *, character_id: str, user_id: str) -> bool:
    result = await session.execute(
        delete(VoicePermission)
        .where(VoicePermission.character_id == character_id, VoicePermission.user_id == user_id)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
