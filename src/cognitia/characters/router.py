"""/api/v2/characters: characters, the marketplace, avatars, voice permissions, cards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from cognitia.auth.dependencies import CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.billing.deps import QuotasDep
from cognitia.characters import service
from cognitia.characters.cards.reading import MAX_IMPORT_BYTES
from cognitia.characters.errors import FileTooLarge, UnknownTool
from cognitia.characters.images import AVATAR_MAX_BYTES
from cognitia.characters.lorebooks.schemas import LorebookRead
from cognitia.characters.schemas import (
    CharacterCreate,
    CharacterPage,
    CharacterRead,
    CharacterUpdate,
    ExportFormat,
    ImportResult,
    MarketplaceQuery,
    VoicePermissionGrant,
    VoicePermissionRead,
)
from cognitia.http.deps import BlobsDep, ModelsDep, SessionDep, ToolsDep

router = APIRouter(prefix="/api/v2/characters", tags=["characters"])

MAX_OFFSET = 2**31 - 1
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in (401, *codes)}


async def _check_tools(
    names: list[str] | None,
    policies: Mapping[str, str] | None,
    tools: ToolsDep,
    session: SessionDep,
    owner_id: str,
) -> None:
    named = [*(names or []), *(policies or {})]
    unknown = sorted(set(await tools.unknown_for(session, owner_id, named)))
    if unknown:
        known = ", ".join(tools.names())
        raise UnknownTool(f"Unknown tool(s): {', '.join(unknown)}; known: {known}.")


async def _read(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"The file may be at most {limit // (1024 * 1024)} MB.")
    return data


@router.post("", status_code=status.HTTP_201_CREATED, responses=_errors(403, 404, 422))
async def create_character(  # noqa: PLR0913 - the body, caller and the adapters used
    data: CharacterCreate,
    user: CurrentUser,
    session: SessionDep,
    models: ModelsDep,
    quotas: QuotasDep,
    tools: ToolsDep,
) -> CharacterRead:
    """403 plan_limit_reached when the plan's number of characters (or of cloned voices)
    is reached; 403 feature_not_in_plan for a cloned voice on a plan without any;
    422 unknown_tool for a name in `tools` or `tool_policies` that is no tool."""
    await _check_tools(data.tools, data.tool_policies, tools, session, user.id)
    character = await service.create(session, models, owner=user, data=data)
    await quotas.check_characters(session, user_id=user.id)  # refused: nothing is kept
    return CharacterRead.model_validate(character)


@router.get("", responses=_errors())
async def list_characters(
    user: CurrentUser, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> CharacterPage:
    """The caller's own characters, newest first."""
    found, total = await service.page_for_owner(session, owner=user, limit=limit, offset=offset)
    items = [CharacterRead.model_validate(c) for c in found]
    return CharacterPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/marketplace", responses=_errors())
async def marketplace(
    _: CurrentUser, session: SessionDep, search: Annotated[MarketplaceQuery, Query()]
) -> CharacterPage:
    """Public characters: search by name (`q`) and `tag`; sort `newest` or `popular`."""
    found, total = await service.marketplace(session, search=search)
    items = [CharacterRead.model_validate(c) for c in found]
    return CharacterPage(items=items, total=total, limit=search.limit, offset=search.offset)


@router.post("/import", status_code=status.HTTP_201_CREATED, responses=_errors(403, 413, 415, 422))
async def import_card(  # noqa: PLR0913 - the upload and the adapters it goes through
    user: CurrentUser,
    session: SessionDep,
    models: ModelsDep,
    blobs: BlobsDep,
    quotas: QuotasDep,
    file: Annotated[UploadFile, File(description="PNG, JSON, CHARX or World Info JSON.")],
) -> ImportResult:
    """Import a Character Card (V1/V2/V3: PNG, JSON, CHARX) or a World Info lorebook.
    A character beyond the plan's number is refused (403 plan_limit_reached)."""
    data = await _read(file, MAX_IMPORT_BYTES)
    outcome = await service.import_file(
        session, models, blobs, owner=user, filename=file.filename or "", data=data
    )
    if outcome.character is not None:
        await quotas.check_characters(session, user_id=user.id)
        return ImportResult(
            kind="character", character=CharacterRead.model_validate(outcome.character)
        )
    return ImportResult(kind="lorebook", lorebook=LorebookRead.model_validate(outcome.lorebook))


@router.get("/{character_id}", responses=_errors(404))
async def get_character(
    character_id: ResourceId, user: CurrentUser, session: SessionDep
) -> CharacterRead:
    character = await service.get_visible(session, user=user, character_id=character_id)
    return CharacterRead.model_validate(character)


@router.patch("/{character_id}", responses=_errors(403, 404, 422))
async def update_character(  # noqa: PLR0913 - path, body, caller and the adapters used
    character_id: ResourceId,
    data: CharacterUpdate,
    user: CurrentUser,
    session: SessionDep,
    models: ModelsDep,
    quotas: QuotasDep,
    tools: ToolsDep,
) -> CharacterRead:
    """403 when a cloned voice is beyond the plan (feature_not_in_plan, plan_limit_reached);
    422 unknown_tool for a name in `tools` or `tool_policies` that is no tool."""
    await _check_tools(data.tools, data.tool_policies, tools, session, user.id)
    character = await service.update(
        session, models, owner=user, character_id=character_id, data=data
    )
    if data.voice_model is not None:
        await quotas.check_characters(session, user_id=user.id)
    return CharacterRead.model_validate(character)


@router.delete(
    "/{character_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(403, 404)
)
async def delete_character(
    character_id: ResourceId, user: CurrentUser, session: SessionDep
) -> None:
    await service.delete(session, owner=user, character_id=character_id)


@router.get(
    "/{character_id}/export",
    response_class=Response,
    responses={
        **_errors(404),
        200: {
            "description": "`format=png`: the card in a PNG; `format=json`: the V3 card.",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "object"}},
            },
        },
    },
)
async def export_card(
    character_id: ResourceId,
    user: CurrentUser,
    session: SessionDep,
    blobs: BlobsDep,
    format: ExportFormat = "png",  # noqa: A002 - the contract's query parameter name
) -> Response:
    """PNG with `chara` (V2) and `ccv3` (V3) text chunks, or the V3 card as JSON."""
    card = await service.export_card(
        session, blobs, user=user, character_id=character_id, fmt=format
    )
    disposition = f'attachment; filename="{card.filename}"'
    return Response(
        card.content, media_type=card.media_type, headers={"Content-Disposition": disposition}
    )


@router.put("/{character_id}/avatar", responses=_errors(403, 404, 413, 415))
async def put_avatar(
    character_id: ResourceId,
    user: CurrentUser,
    session: SessionDep,
    blobs: BlobsDep,
    file: Annotated[UploadFile, File(description="PNG, JPEG, WebP or GIF, at most 5 MB.")],
) -> CharacterRead:
    data = await _read(file, AVATAR_MAX_BYTES)
    character = await service.set_avatar(
        session, blobs, owner=user, character_id=character_id, data=data
    )
    return CharacterRead.model_validate(character)


@router.get(
    "/{character_id}/avatar",
    response_class=Response,
    responses={**_errors(404), 200: {"content": {"image/*": {}}, "description": "The picture."}},
)
async def get_avatar(
    character_id: ResourceId, user: CurrentUser, session: SessionDep, blobs: BlobsDep
) -> Response:
    data, media_type = await service.get_avatar(
        session, blobs, user=user, character_id=character_id
    )
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=60"})


@router.delete(
    "/{character_id}/avatar", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(403, 404)
)
async def delete_avatar(character_id: ResourceId, user: CurrentUser, session: SessionDep) -> None:
    await service.delete_avatar(session, owner=user, character_id=character_id)


@router.get("/{character_id}/voice-permission", responses=_errors(403, 404))
async def list_voice_permissions(
    character_id: ResourceId, user: CurrentUser, session: SessionDep
) -> list[VoicePermissionRead]:
    found = await service.list_voice_permissions(session, owner=user, character_id=character_id)
    return [VoicePermissionRead.model_validate(p) for p in found]


@router.post("/{character_id}/voice-permission", responses=_errors(403, 404, 422))
async def grant_voice_permission(
    character_id: ResourceId, data: VoicePermissionGrant, user: CurrentUser, session: SessionDep
) -> VoicePermissionRead:
    """Let another user use this character's voice model (owner only)."""
    granted = await service.grant_voice(
        session, owner=user, character_id=character_id, user_id=data.user_id
    )
    return VoicePermissionRead.model_validate(granted)


@router.delete(
    "/{character_id}/voice-permission/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_errors(403, 404),
)
async def revoke_voice_permission(
    character_id: ResourceId, user_id: ResourceId, user: CurrentUser, session: SessionDep
) -> None:
    await service.revoke_voice(session, owner=user, character_id=character_id, user_id=user_id)
