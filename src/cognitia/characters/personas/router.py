"""/api/v2/personas: who the user is in a chat."""

from __future__ import annotations

from fastapi import APIRouter, status

from cognitia.auth.dependencies import CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.characters.personas import service
from cognitia.characters.personas.schemas import PersonaCreate, PersonaRead, PersonaUpdate
from cognitia.http.deps import SessionDep

router = APIRouter(prefix="/api/v2/personas", tags=["personas"])


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in (401, *codes)}


@router.post("", status_code=status.HTTP_201_CREATED, responses=_errors(422))
async def create_persona(
    data: PersonaCreate, user: CurrentUser, session: SessionDep
) -> PersonaRead:
    return PersonaRead.model_validate(await service.create(session, owner=user, data=data))


@router.get("", responses=_errors())
async def list_personas(user: CurrentUser, session: SessionDep) -> list[PersonaRead]:
    personas = await service.list_for_user(session, owner=user)
    return [PersonaRead.model_validate(persona) for persona in personas]


@router.get("/{persona_id}", responses=_errors(404))
async def get_persona(
    persona_id: ResourceId, user: CurrentUser, session: SessionDep
) -> PersonaRead:
    persona = await service.get_owned(session, owner=user, persona_id=persona_id)
    return PersonaRead.model_validate(persona)


@router.patch("/{persona_id}", responses=_errors(404, 422))
async def update_persona(
    persona_id: ResourceId, data: PersonaUpdate, user: CurrentUser, session: SessionDep
) -> PersonaRead:
    persona = await service.update(session, owner=user, persona_id=persona_id, data=data)
    return PersonaRead.model_validate(persona)


@router.delete("/{persona_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(404))
async def delete_persona(persona_id: ResourceId, user: CurrentUser, session: SessionDep) -> None:
    await service.delete(session, owner=user, persona_id=persona_id)
