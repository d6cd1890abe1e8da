"""/api/v2/lorebooks: a user's lorebooks and their entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from cognitia.auth.dependencies import CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.characters.lorebooks import service
from cognitia.characters.lorebooks.schemas import (
    EntryCreate,
    EntryRead,
    EntryUpdate,
    LorebookCreate,
    LorebookDetail,
    LorebookPage,
    LorebookRead,
    LorebookUpdate,
)
from cognitia.http.deps import SessionDep

router = APIRouter(prefix="/api/v2/lorebooks", tags=["lorebooks"])

MAX_OFFSET = 2**31 - 1


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in (401, *codes)}


@router.post("", status_code=status.HTTP_201_CREATED, responses=_errors(422))
async def create_lorebook(
    data: LorebookCreate, user: CurrentUser, session: SessionDep
) -> LorebookRead:
    return LorebookRead.model_validate(await service.create(session, owner=user, data=data))


@router.get("", responses=_errors())
async def list_lorebooks(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> LorebookPage:
    books, total = await service.page(session, owner=user, limit=limit, offset=offset)
    items = [LorebookRead.model_validate(book) for book in books]
    return LorebookPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{lorebook_id}", responses=_errors(404))
async def get_lorebook(
    lorebook_id: ResourceId, user: CurrentUser, session: SessionDep
) -> LorebookDetail:
    book, entries = await service.get_detail(session, owner=user, lorebook_id=lorebook_id)
    base = LorebookRead.model_validate(book).model_dump()
    return LorebookDetail(**base, entries=[EntryRead.model_validate(e) for e in entries])


@router.patch("/{lorebook_id}", responses=_errors(404, 422))
async def update_lorebook(
    lorebook_id: ResourceId, data: LorebookUpdate, user: CurrentUser, session: SessionDep
) -> LorebookRead:
    book = await service.update(session, owner=user, lorebook_id=lorebook_id, data=data)
    return LorebookRead.model_validate(book)


@router.delete("/{lorebook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(404))
async def delete_lorebook(lorebook_id: ResourceId, user: CurrentUser, session: SessionDep) -> None:
    await service.delete(session, owner=user, lorebook_id=lorebook_id)


@router.post(
    "/{lorebook_id}/entries", status_code=status.HTTP_201_CREATED, responses=_errors(404, 422)
)
async def create_entry(
    lorebook_id: ResourceId, data: EntryCreate, user: CurrentUser, session: SessionDep
) -> EntryRead:
    entry = await service.add_entry(session, owner=user, lorebook_id=lorebook_id, data=data)
    return EntryRead.model_validate(entry)


@router.get("/{lorebook_id}/entries", responses=_errors(404))
async def list_entries(
    lorebook_id: ResourceId, user: CurrentUser, session: SessionDep
) -> list[EntryRead]:
    entries = await service.list_entries(session, owner=user, lorebook_id=lorebook_id)
    return [EntryRead.model_validate(entry) for entry in entries]


@router.get("/{lorebook_id}/entries/{entry_id}", responses=_errors(404))
async def get_entry(
    lorebook_id: ResourceId, entry_id: ResourceId, user: CurrentUser, session: SessionDep
) -> EntryRead:
    entry = await service.get_entry(session, owner=user, lorebook_id=lorebook_id, entry_id=entry_id)
    return EntryRead.model_validate(entry)


@router.patch("/{lorebook_id}/entries/{entry_id}", responses=_errors(404, 422))
async def update_entry(
    lorebook_id: ResourceId,
    entry_id: ResourceId,
    data: EntryUpdate,
    user: CurrentUser,
    session: SessionDep,
) -> EntryRead:
    entry = await service.update_entry(
        session, owner=user, lorebook_id=lorebook_id, entry_id=entry_id, data=data
    )
    return EntryRead.model_validate(entry)


@router.delete(
    "/{lorebook_id}/entries/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_errors(404),
)
async def delete_entry(
    lorebook_id: ResourceId, entry_id: ResourceId, user: CurrentUser, session: SessionDep
) -> None:
    await service.delete_entry(session, owner=user, lorebook_id=lorebook_id, entry_id=entry_id)
