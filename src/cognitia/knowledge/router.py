"""Documents: /api/v2/characters/{id}/documents and the data bank at /api/v2/documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile, status

from cognitia.auth.dependencies import Caller, CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.http.deps import BlobsDep, DbDep, SessionDep, SettingsDep
from cognitia.knowledge import service
from cognitia.knowledge.formats import DocumentTooLarge
from cognitia.knowledge.schemas import DocumentList, DocumentRead

character_router = APIRouter(
    prefix="/api/v2/characters/{character_id}/documents", tags=["knowledge"]
)
bank_router = APIRouter(prefix="/api/v2/documents", tags=["knowledge"])

DocumentFile = Annotated[
    UploadFile, File(description="txt, md, html, pdf or docx; the type is read from the content.")
]


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in (401, *codes)}


UPLOAD_ERRORS = _errors(403, 404, 409, 413, 415, 422)


def _intake(db: DbDep, blobs: BlobsDep, settings: SettingsDep) -> service.Intake:
    return service.Intake(db, blobs, settings.knowledge)


IntakeDep = Annotated[service.Intake, Depends(_intake)]


async def _read(file: UploadFile, intake: service.Intake) -> service.Upload:
    limit = intake.settings.max_document_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise DocumentTooLarge(f"The document is larger than the limit of {limit} bytes.")
    return service.Upload(file.filename, data, file.content_type)


# A character's documents, managed by its owner.


@character_router.post("", status_code=status.HTTP_201_CREATED, responses=UPLOAD_ERRORS)
async def upload_character_document(
    character_id: ResourceId,
    file: DocumentFile,
    caller: Caller,
    session: SessionDep,
    intake: IntakeDep,
) -> DocumentRead:
    """Upload a document; it is ingested in the background (watch `status` and `progress`)."""
    document = await service.upload(
        session,
        intake,
        owner=caller.user,
        character_id=character_id,
        file=await _read(file, intake),
    )
    return DocumentRead.model_validate(document)


@character_router.get("", responses=_errors(403, 404))
async def list_character_documents(
    character_id: ResourceId, user: CurrentUser, session: SessionDep
) -> DocumentList:
    found = await service.list_documents(session, owner=user, character_id=character_id)
    return DocumentList(items=[DocumentRead.model_validate(d) for d in found])


@character_router.get("/{document_id}", responses=_errors(403, 404))
async def get_character_document(
    character_id: ResourceId, document_id: ResourceId, user: CurrentUser, session: SessionDep
) -> DocumentRead:
    document = await service.get(
        session, owner=user, character_id=character_id, document_id=document_id
    )
    return DocumentRead.model_validate(document)


@dataclass(frozen=True)
class CharacterDocumentPath:
    character_id: ResourceId
    document_id: ResourceId


@character_router.put("/{document_id}", responses=UPLOAD_ERRORS)
async def replace_character_document(
    path: Annotated[CharacterDocumentPath, Depends()],
    file: DocumentFile,
    caller: Caller,
    session: SessionDep,
    intake: IntakeDep,
) -> DocumentRead:
    """Replace the document's file with a new version and ingest it again."""
    where = service.DocumentRef(path.character_id, path.document_id)
    document = await service.replace(
        session, intake, owner=caller.user, where=where, file=await _read(file, intake)
    )
    return DocumentRead.model_validate(document)


@character_router.post(
    "/{document_id}/retry", status_code=status.HTTP_202_ACCEPTED, responses=_errors(403, 404, 409)
)
async def retry_character_document(
    character_id: ResourceId, document_id: ResourceId, user: CurrentUser, session: SessionDep
) -> DocumentRead:
    """Ingest a failed document again."""
    document = await service.retry(
        session, owner=user, character_id=character_id, document_id=document_id
    )
    return DocumentRead.model_validate(document)


@character_router.delete(
    "/{document_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(403, 404)
)
async def delete_character_document(
    character_id: ResourceId, document_id: ResourceId, user: CurrentUser, session: SessionDep
) -> None:
    await service.delete(session, owner=user, character_id=character_id, document_id=document_id)


# The caller's own data bank, usable in any of their chats.


@bank_router.post("", status_code=status.HTTP_201_CREATED, responses=UPLOAD_ERRORS)
async def upload_document(
    file: DocumentFile, caller: Caller, session: SessionDep, intake: IntakeDep
) -> DocumentRead:
    """Upload a document to your data bank; it is ingested in the background."""
    document = await service.upload(
        session, intake, owner=caller.user, character_id=None, file=await _read(file, intake)
    )
    return DocumentRead.model_validate(document)


@bank_router.get("", responses=_errors())
async def list_documents(user: CurrentUser, session: SessionDep) -> DocumentList:
    found = await service.list_documents(session, owner=user, character_id=None)
    return DocumentList(items=[DocumentRead.model_validate(d) for d in found])


@bank_router.get("/{document_id}", responses=_errors(404))
async def get_document(
    document_id: ResourceId, user: CurrentUser, session: SessionDep
) -> DocumentRead:
    document = await service.get(session, owner=user, character_id=None, document_id=document_id)
    return DocumentRead.model_validate(document)


@bank_router.put("/{document_id}", responses=UPLOAD_ERRORS)
async def replace_document(
    document_id: ResourceId,
    file: DocumentFile,
    caller: Caller,
    session: SessionDep,
    intake: IntakeDep,
) -> DocumentRead:
    """Replace the document's file with a new version and ingest it again."""
    where = service.DocumentRef(None, document_id)
    document = await service.replace(
        session, intake, owner=caller.user, where=where, file=await _read(file, intake)
    )
    return DocumentRead.model_validate(document)


@bank_router.post(
    "/{document_id}/retry", status_code=status.HTTP_202_ACCEPTED, responses=_errors(404, 409)
)
async def retry_document(
    document_id: ResourceId, user: CurrentUser, session: SessionDep
) -> DocumentRead:
    document = await service.retry(session, owner=user, character_id=None, document_id=document_id)
    return DocumentRead.model_validate(document)


@bank_router.delete(
    "/{document_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(404)
)
async def delete_document(document_id: ResourceId, user: CurrentUser, session: SessionDep) -> None:
    await service.delete(session, owner=user, character_id=None, document_id=document_id)
