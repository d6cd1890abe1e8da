"""Characters: who may see which, create/read/update/delete, the marketplace.

Visibility: the owner sees their own; anyone signed in sees public and unlisted ones
(unlisted ones only by id, never in a list). Another user's private character is
CharacterNotFound (404) everywhere, so its id cannot be probed. A character someone can
see but does not own answers NotOwner (403) to changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters import repository
from cognitia.characters.access import usable_by
from cognitia.characters.errors import CharacterNotFound, NotOwner, UnknownModel, UnknownTemplate
from cognitia.characters.lorebooks import service as lorebooks
from cognitia.characters.schemas import (
    PROMPT_TEMPLATES,
    CharacterCreate,
    CharacterUpdate,
    MarketplaceQuery,
)
from cognitia.llm import service as llm
from cognitia.llm.logic import parse_target
from cognitia.llm.registry import ModelRegistry
from cognitia.models.character import Character
from cognitia.models.user import User
from cognitia.retrieval import service as retrieval
from cognitia.storage.tasks import delete_after_commit


class BeforeDelete(Protocol):
    async def __call__(self, session: AsyncSession, *, character_id: str) -> None: ...


# Clean-ups of domains built on characters (the composition root registers knowledge's):
# run in the deleting unit of work, so characters need not import those domains.
_before_delete: list[BeforeDelete] = []


def on_delete(hook: BeforeDelete) -> None:
    """Run `hook` in the unit of work that deletes a character, before the row goes."""
    if hook not in _before_delete:
        _before_delete.append(hook)


def is_visible(character: Character, user: User) -> bool:
    return usable_by(character, user.id)


async def get_visible(session: AsyncSession, *, user: User, character_id: str) -> Character:
    """The character if `user` may see it, else CharacterNotFound (404)."""
    character = await repository.get(session, character_id)
    if character is None or not is_visible(character, user):
        raise CharacterNotFound()
    return character


async def get_owned(session: AsyncSession, *, user: User, character_id: str) -> Character:
    """The character if `user` owns it; NotOwner (403) if they only see it; else 404."""
    character = await get_visible(session, user=user, character_id=character_id)
    if character.owner_id != user.id:
        raise NotOwner()
    return character


def _storable(ids: Sequence[str]) -> list[str]:
    # PostgreSQL cannot even compare text holding NUL; such an id names nothing.
    return [i for i in ids if "\x00" not in i]


async def list_visible_by_ids(
    session: AsyncSession, *, user: User, character_ids: Sequence[str]
) -> list[Character]:
    """The characters in the order asked (repeats dropped); CharacterNotFound (404) naming
    the first id that does not exist or that `user` may not see."""
    found = {c.id: c for c in await repository.get_many(session, _storable(character_ids))}
    ordered: list[Character] = []
    for character_id in dict.fromkeys(character_ids):
        character = found.get(character_id)
        if character is None or not is_visible(character, user):
            raise CharacterNotFound(f"No such character: {character_id[:36]}.")
        ordered.append(character)
    return ordered


async def list_by_ids(session: AsyncSession, *, character_ids: Sequence[str]) -> list[Character]:
    """The characters that exist, in the order asked, whoever may see them (for a chat
    that holds them already)."""
    found = {c.id: c for c in await repository.get_many(session, _storable(character_ids))}
    return [found[i] for i in dict.fromkeys(character_ids) if i in found]


async def _check_settings(
    session: AsyncSession, models: ModelRegistry, *, owner: User, values: dict[str, Any]
) -> None:
    template = values.get("prompt_template")
    if template is not None and template not in PROMPT_TEMPLATES:
        raise UnknownTemplate(
            f"Unknown prompt template {template!r}; one of: {', '.join(PROMPT_TEMPLATES)}."
        )
    model = values.get("model")
    if model is not None and not model_exists(models, model):
        raise UnknownModel(f"Unknown model or lane {model!r}.")
    if values.get("lorebook_id") is not None:
        await lorebooks.get_owned(session, owner=owner, lorebook_id=values["lorebook_id"])


def model_exists(models: ModelRegistry, name: str) -> bool:
    """A catalogue model, `lane/<name>` of a catalogue lane, or `lane/auto`."""
    try:
        llm.check_target(models, parse_target(name))
    except llm.UnknownModelError:
        return False
    return True


async def create(
    session: AsyncSession, models: ModelRegistry, *, owner: User, data: CharacterCreate
) -> Character:
    values = data.columns()
    await _check_settings(session, models, owner=owner, values=values)
    character = Character(owner_id=owner.id, **values)
    await repository.add(session, character)
    await repository.set_tags(session, character.id, character.tags)
    return character


async def update(
    session: AsyncSession,
    models: ModelRegistry,
    *,
    owner: User,
    character_id: str,
    data: CharacterUpdate,
) -> Character:
    character = await get_owned(session, user=owner, character_id=character_id)
    changes = data.changes()
    await _check_settings(session, models, owner=owner, values=changes)
    for name, value in changes.items():
        setattr(character, name, value)
    if "tags" in changes:
        await repository.set_tags(session, character.id, character.tags)
    await session.flush()
    return character


async def delete(session: AsyncSession, *, owner: User, character_id: str) -> None:
    """The character goes, with its documents' originals and everything indexed in its
    scopes (documents, memories); its lorebook stays (a lorebook of the owner's own)."""
    character = await get_owned(session, user=owner, character_id=character_id)
    if character.avatar_key:
        delete_after_commit(session, [character.avatar_key])
    for hook in _before_delete:
        await hook(session, character_id=character.id)
    await retrieval.forget_character(session, character_id=character.id)
    await repository.delete_character(session, character)


async def page_for_owner(
    session: AsyncSession, *, owner: User, limit: int, offset: int
) -> tuple[list[Character], int]:
    """The caller's own characters, newest first."""
    return await repository.page_for_owner(session, owner_id=owner.id, limit=limit, offset=offset)


async def marketplace(
    session: AsyncSession, *, search: MarketplaceQuery
) -> tuple[list[Character], int]:
    """Public characters, by part of the name and by tag; newest or most chatted first."""
    return await repository.marketplace(session, search=search)


async def increment_chat_count(session: AsyncSession, *, character_ids: Sequence[str]) -> None:
    """Count a new chat for each character (the marketplace's "popular" order)."""
    await repository.increment_chat_count(session, character_ids)
