"""A character's memories of the caller: /api/v2/characters/{id}/memories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from cognitia.auth.dependencies import CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.http.deps import DbDep, ModelsDep, SessionDep, VectorsDep
from cognitia.memory import service
from cognitia.memory.schemas import MemoryPage, MemoryRead, MemoryUpdate
from cognitia.retrieval.service import Retrieval

router = APIRouter(prefix="/api/v2/characters/{character_id}/memories", tags=["memory"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=100_000)]
SearchText = Annotated[str | None, Query(max_length=2000, description="Search instead of listing.")]


def _retrieval(db: DbDep, models: ModelsDep, vectors: VectorsDep) -> Retrieval:
    return Retrieval(db, models.embedder, vectors)


RetrievalDep = Annotated[Retrieval, Depends(_retrieval)]


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in (401, 404, *codes)}


@router.get("", responses=_errors())
async def list_memories(  # noqa: PLR0913 - query parameters and dependencies
    character_id: ResourceId,
    user: CurrentUser,
    session: SessionDep,
    index: RetrievalDep,
    q: SearchText = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MemoryPage:
    """What the character remembers about you: facts, then episodes; with `q`, the best
    matches for it (`offset` is ignored)."""
    if q is not None and q.strip():
        return await service.search(
            session, index, user=user, character_id=character_id, query=q, limit=limit
        )
    return await service.page(
        session, user=user, character_id=character_id, limit=limit, offset=offset
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=_errors())
async def clear_memories(
    character_id: ResourceId, user: CurrentUser, session: SessionDep
) -> Response:
    """Make the character forget everything about you."""
    await service.clear(session, user=user, character_id=character_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{memory_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_errors())
async def delete_memory(
    character_id: ResourceId,
    memory_id: ResourceId,
    user: CurrentUser,
    session: SessionDep,
) -> Response:
    await service.delete(session, user=user, character_id=character_id, memory_id=memory_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{memory_id}", responses=_errors(409, 422))
async def update_memory(  # noqa: PLR0913 - path, body and dependencies
    character_id: ResourceId,
    memory_id: ResourceId,
    data: MemoryUpdate,
    user: CurrentUser,
    session: SessionDep,
    index: RetrievalDep,
) -> MemoryRead:
    """Correct a fact; episodes are not editable (409)."""
    return await service.update(
        session,
        index,
        user=user,
        character_id=character_id,
        memory_id=memory_id,
        content=data.content,
    )
