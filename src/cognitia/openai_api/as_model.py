"""A character as a model of the OpenAI-compatible API (`model: "character/<id>"`).

The client sends the conversation; the character's card, lorebook, template, model and
sampling shape the prompt exactly as in a 1:1 chat, without storing anything.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.billing.quotas import ModelsOf
from cognitia.characters import service as characters
from cognitia.chats import repository
from cognitia.chats.context import FALLBACK_USER_NAME, ReplySource, build_request, card
from cognitia.chats.context import lorebook as lorebook_of
from cognitia.chats.privacy import Audience
from cognitia.db import Database
from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatMessage, ChatRequest
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.service import CallContext
from cognitia.models.character import Character
from cognitia.models.user import User
from cognitia.prompting.types import HistoryMessage

PREFIX = "character/"


def character_id_of(model: str) -> str | None:
    return model[len(PREFIX) :] if model.startswith(PREFIX) else None


def _history(
    messages: list[ChatMessage], *, user_name: str, character: Character
) -> list[HistoryMessage]:
    roles = {"user": "user", "assistant": "character", "system": "system", "tool": "system"}
    names = {"user": user_name, "assistant": character.name}
    return [
        HistoryMessage(
            role=roles[m.role],  # type: ignore[arg-type]
            name=m.name or names.get(m.role, ""),
            content=m.content,
            character_id=character.id if m.role == "assistant" else None,
        )
        for m in messages
    ]


async def request_for(
    db: Database, models: ModelRegistry, *, user: User, character_id: str, request: ChatRequest
) -> tuple[ChatRequest, Target, CallContext]:
    """The model request a character makes of this conversation (404 if not visible)."""
    async with db.read() as session:
        character = await characters.get_visible(session, user=user, character_id=character_id)
        books = await repository.lorebooks_for(
            session, chat_id="", character_lorebook_id=character.lorebook_id
        )
    user_name = user.first_name.strip() or FALLBACK_USER_NAME
    sampling = request.sampling
    source = ReplySource(
        character=card(character),
        model=character.model,
        temperature=sampling.temperature
        if sampling.temperature is not None
        else character.temperature,
        top_p=sampling.top_p if sampling.top_p is not None else character.top_p,
        max_tokens=sampling.max_tokens or character.max_tokens,
        user_name=user_name,
        persona_description="",
        history=_history(list(request.messages), user_name=user_name, character=character),
        other_characters=[],
        lorebooks=[lorebook_of(book, entries) for book, entries in books],
        continue_last=False,
        audience=Audience(shared=False, private_user_id=user.id),
    )
    chat_request, target = await build_request(models, source)
    context = CallContext(user_id=user.id, character_id=character.id)
    return chat_request, target, context


async def list_ids(db: Database, *, user: User) -> list[str]:
    """The caller's own characters, as /v1/models ids."""
    async with db.read() as session:
        page = await characters.page_for_owner(session, owner=user, limit=200, offset=0)
    return [f"{PREFIX}{c.id}" for c in page[0]]


def models_of(user: User, model: str) -> ModelsOf:
    """The catalogue model a /v1 request names: its own, or its character's."""

    async def read(session: AsyncSession) -> set[str]:
        character_id = character_id_of(model)
        if character_id is None:
            return {model}
        character = await characters.get_visible(session, user=user, character_id=character_id)
        return {character.model} if character.model else set()

    return read
