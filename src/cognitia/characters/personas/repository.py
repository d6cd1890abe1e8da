"""SQL for personas."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.persona import Persona
from cognitia.models.user import User


async def get(session: AsyncSession, persona_id: str) -> Persona | None:
    return await session.get(Persona, persona_id)


async def list_for_owner(session: AsyncSession, owner_id: str) -> list[Persona]:
    rows = await session.scalars(
        select(Persona).where(Persona.owner_id == owner_id).order_by(Persona.created_at, Persona.id)
    )
    return list(rows.all())


async def get_default(session: AsyncSession, owner_id: str) -> Persona | None:
    query = select(Persona).where(Persona.owner_id == owner_id, Persona.is_default.is_(True))
    return (await session.scalars(query.limit(1))).first()


async def lock_owner(session: AsyncSession, owner_id: str) -> None:
    """Serialise default changes of one user: on PostgreSQL, lock the user's row (SQLite's
    writers are serialised already, and SQLAlchemy leaves FOR UPDATE out there)."""
    await session.execute(select(User.id).where(User.id == owner_id).with_for_update())


async def clear_default(session: AsyncSession, owner_id: str, *, except_id: str) -> None:
    await session.execute(
        update(Persona)
        .where(Persona.owner_id == owner_id, Persona.id != except_id, Persona.is_default.is_(True))
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )


async def add(session: AsyncSession, persona: Persona) -> None:
    session.add(persona)
    await session.flush()


async def delete(session: AsyncSession, persona: Persona) -> None:
    await session.delete(persona)
    await session.flush()
