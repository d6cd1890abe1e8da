"""Personas: each user's own; at most one is the default."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters.errors import PersonaNotFound
from cognitia.characters.personas import repository
from cognitia.characters.personas.schemas import PersonaCreate, PersonaUpdate
from cognitia.models.persona import Persona
from cognitia.models.user import User


async def create(session: AsyncSession, *, owner: User, data: PersonaCreate) -> Persona:
    persona = Persona(owner_id=owner.id, **data.model_dump())
    if data.is_default:
        await repository.lock_owner(session, owner.id)
    await repository.add(session, persona)
    if data.is_default:
        await repository.clear_default(session, owner.id, except_id=persona.id)
    return persona


async def list_for_user(session: AsyncSession, *, owner: User) -> list[Persona]:
    return await repository.list_for_owner(session, owner.id)


async def get_owned(session: AsyncSession, *, owner: User, persona_id: str) -> Persona:
    """The caller's persona, or PersonaNotFound (also for anyone else's)."""
    persona = await repository.get(session, persona_id)
    if persona is None or persona.owner_id != owner.id:
        raise PersonaNotFound()
    return persona


async def get_default(session: AsyncSession, *, owner: User) -> Persona | None:
    return await repository.get_default(session, owner.id)


async def update(
    session: AsyncSession, *, owner: User, persona_id: str, data: PersonaUpdate
) -> Persona:
    persona = await get_owned(session, owner=owner, persona_id=persona_id)
    if data.is_default:
        await repository.lock_owner(session, owner.id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(persona, name, value)
    await session.flush()
    if data.is_default:
        await repository.clear_default(session, owner.id, except_id=persona.id)
    return persona


async def delete(session: AsyncSession, *, owner: User, persona_id: str) -> None:
    persona = await get_owned(session, owner=owner, persona_id=persona_id)
    await repository.delete(session, persona)
