"""What one reply is generated from: the prompt inputs read from the database, and the
model request built from them.

Reading happens inside the unit of work that creates the reply's message; building the
request (prompt assembly, the model's budget) happens after it, with plain data only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.chats import privacy, repository
from cognitia.chats.privacy import Audience
from cognitia.kit.clock import utcnow
from cognitia.llm import logic
from cognitia.llm.logic import Target, parse_target
from cognitia.llm.ports import ChatMessage, ChatRequest, Role, Sampling
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.service import resolve_chain, route_target, tokens_over
from cognitia.models.character import Character
from cognitia.models.chat import Chat
from cognitia.models.lorebook import Lorebook as LorebookRow
from cognitia.models.lorebook import LorebookEntry
from cognitia.models.message import AuthorType
from cognitia.models.user import User
from cognitia.prompting import assembly
from cognitia.prompting.types import (
    AssembledPrompt,
    CharacterCard,
    ContextSection,
    HistoryMessage,
    Lorebook,
    LoreEntry,
    PromptInputs,
)

# Characters without a model of their own speak through this lane.
DEFAULT_LANE = "roleplay"
# Tokens kept for the reply when the character sets no `max_tokens`: a chat turn, a few
# paragraphs (about 190 words), as SillyTavern's default response length of 250. Longer
# is rarely better: a small model that runs on fills it with repetition, and every token
# kept for the reply is one less of the context window for the chat's history.
DEFAULT_REPLY_TOKENS = 250
# Messages read for a prompt; assembly keeps as many of the latest as fit the budget.
HISTORY_LIMIT = 400
FALLBACK_USER_NAME = "User"
# Assemblies tried before the model layer is left to refuse a prompt (each one shrinks the
# budget by what the last was over, plus a margin: the count of a tokenizer is not
# additive over pieces of text).
FIT_ATTEMPTS = 3
FIT_MARGIN_TOKENS = 16
# OpenAI-compatible servers accept at most four stop sequences.
MAX_STOP_SEQUENCES = 4


@dataclass(frozen=True)
class ReplySource:
    """Everything a reply's prompt is made of, as plain data."""

    character: CharacterCard
    model: str | None
    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    user_name: str
    persona_description: str
    history: Sequence[HistoryMessage]
    other_characters: Sequence[CharacterCard]
    lorebooks: Sequence[Lorebook]
    continue_last: bool
    audience: Audience  # whose private memory and data the reply may draw on
    message_ids: Sequence[str] = ()  # of `history`'s rows, for leaving them out of recall
    history_is_whole: bool = True  # False: the chat is longer than HISTORY_LIMIT
    sections: Sequence[ContextSection] = ()  # recalled memories, knowledge, summary

    @property
    def query(self) -> str:
        """What recall searches with: the person's latest message."""
        said = [m.content for m in self.history if m.role == "user"]
        return said[-1] if said else ""


@dataclass(frozen=True)
class Built:
    request: ChatRequest
    target: Target
    # The recalled sections the prompt used, as a reply records them: {id, kind, text}.
    context_sources: list[dict[str, Any]] = field(default_factory=list)
    # Every stop string; the request carries only the first MAX_STOP_SEQUENCES of them.
    stops: tuple[str, ...] = ()
    assembled_tokens: int = 0  # the prompt as assembly measured it


def card(character: Character) -> CharacterCard:
    return CharacterCard(
        id=character.id,
        name=character.name,
        description=character.description,
        personality=character.personality,
        scenario=character.scenario,
        system_prompt=character.system_prompt,
        post_history_instructions=character.post_history_instructions,
        example_dialogue=character.example_dialogue,
        prompt_template=character.prompt_template,
        tools=tuple(character.tools or ()),
        owner_id=character.owner_id,
        tool_policies=tuple(sorted((character.tool_policies or {}).items())),
    )


def history_message(message: repository.HistoryRow) -> HistoryMessage | None:
    """A message as the prompt sees it; failed and empty ones are left out."""
    if not message.content.strip():
        return None
    role = {AuthorType.USER: "user", AuthorType.CHARACTER: "character"}.get(
        message.author_type, "system"
    )
    return HistoryMessage(
        role=role,  # type: ignore[arg-type]
        name=message.name,
        content=message.content,
        character_id=message.character_id,
        seq=message.seq,
    )


def lorebook(book: LorebookRow, entries: Sequence[LorebookEntry]) -> Lorebook:
    return Lorebook(
        id=book.id,
        scan_depth=book.scan_depth,
        token_budget=book.token_budget,
        recursive_scanning=book.recursive_scanning,
        entries=[
            LoreEntry(
                id=e.id,
                keys=list(e.keys),
                secondary_keys=list(e.secondary_keys),
                selective_logic=e.selective_logic.value,
                content=e.content,
                constant=e.constant,
                enabled=e.enabled,
                use_regex=e.use_regex,
                case_sensitive=e.case_sensitive,
                insertion_order=e.insertion_order,
                position=e.position.value,
                depth=e.depth,
            )
            for e in entries
        ],
    )


async def user_identity(session: AsyncSession, *, chat: Chat, user: User) -> tuple[str, str]:
    """{{user}} and its description: the chat's persona for its owner, else the first name."""
    if chat.persona_id and chat.owner_id == user.id:
        persona = await repository.get_persona_by_id(session, chat.persona_id)
        if persona is not None:
            return persona.name, persona.description
    return user.first_name.strip() or FALLBACK_USER_NAME, ""


async def read_source(  # noqa: PLR0913 - one reply's coordinates, all needed
    session: AsyncSession,
    *,
    chat: Chat,
    speaker: Character,
    user: User | None,
    below_seq: int,
    continue_last: bool = False,
) -> ReplySource:
    """Read what the reply to messages below `below_seq` is generated from."""
    latest_first = await repository.history_before(
        session, chat_id=chat.id, below_seq=below_seq, limit=HISTORY_LIMIT
    )
    rows = latest_first[::-1]
    roster = await repository.characters_of(session, [chat.id])
    books = await repository.lorebooks_for(
        session, chat_id=chat.id, character_lorebook_id=speaker.lorebook_id
    )
    audience = await privacy.audience(
        session, chat_id=chat.id, user_id=user.id if user is not None else None
    )
    if user is not None:
        user_name, persona = await user_identity(session, chat=chat, user=user)
        # A persona's description is its owner's own, like their memory: the name is
        # on their messages anyway.
        persona = persona if audience.may_use_private(user.id) else ""
    else:
        user_name, persona = FALLBACK_USER_NAME, ""
    return ReplySource(
        character=card(speaker),
        model=speaker.model,
        temperature=speaker.temperature,
        top_p=speaker.top_p,
        max_tokens=speaker.max_tokens,
        user_name=user_name,
        persona_description=persona,
        history=[h for h in map(history_message, rows) if h is not None],
        other_characters=[card(c) for _, c in roster if c.id != speaker.id],
        lorebooks=[lorebook(book, entries) for book, entries in books],
        continue_last=continue_last,
        audience=audience,
        message_ids=[row.id for row in rows],
        history_is_whole=len(rows) < HISTORY_LIMIT,
    )


def target_of(model: str | None) -> Target:
    """The character's model or lane, else the roleplay lane."""
    return parse_target(model) if model else Target(lane=DEFAULT_LANE)


_ROUTING_ROLES: dict[str, Role] = {"user": "user", "character": "assistant", "system": "system"}


def routing_messages(source: ReplySource) -> list[ChatMessage]:
    """The chat as the intent router reads it, for a character on `lane/auto`: its
    intent from the person's latest message, its length from the whole history read."""
    return [ChatMessage(_ROUTING_ROLES[h.role], h.content) for h in source.history]


async def build_request(registry: ModelRegistry, source: ReplySource) -> tuple[ChatRequest, Target]:
    """Assemble the prompt under the model's budget; raises the model layer's errors."""
    built = await build(registry, source)
    return built.request, built.target


async def build(registry: ModelRegistry, source: ReplySource) -> Built:
    """The request, its target and the recalled sections its prompt used, fitted to the
    first model's context window as the model layer counts it (its tokenizer where it
    has one): assembly estimates, so a prompt over by some tokens is assembled again
    with the budget that much smaller. A long chat never fails for want of room."""
    target = await route_target(registry, target_of(source.model), routing_messages(source))
    reply_tokens = source.max_tokens or DEFAULT_REPLY_TOKENS
    # The first model's window: fallback models with a smaller one are left out by the
    # model layer when the prompt does not fit them.
    first_model = resolve_chain(registry, target)[0][0]
    window = registry.model(first_model).context_window
    budget_tokens = max(0, window - reply_tokens)
    built = _built(source, target, reply_tokens, budget_tokens)
    for _ in range(FIT_ATTEMPTS):
        over = await tokens_over(registry, first_model, built.request)
        if over <= 0 or budget_tokens <= 0:
            break
        # From what the prompt measured, not the budget: it may sit well under it.
        budget_tokens = max(
            0, min(budget_tokens, built.assembled_tokens) - over - FIT_MARGIN_TOKENS
        )
        built = _built(source, target, reply_tokens, budget_tokens)
    return built


def _built(source: ReplySource, target: Target, reply_tokens: int, budget_tokens: int) -> Built:
    prompt = assemble(source, budget_tokens)
    sampling = Sampling(
        temperature=source.temperature,
        top_p=source.top_p,
        max_tokens=reply_tokens,
        stop=prompt.stop[:MAX_STOP_SEQUENCES],
    )
    # The instruct-template text goes to models that complete raw text; the model layer
    # gives the others the role messages.
    request = ChatRequest(messages=prompt.messages, sampling=sampling, prompt=prompt.text)
    used = [source.sections[i] for i in prompt.used_sections]
    sources = [
        {"id": s.source_id, "kind": s.kind, "text": s.text, privacy.PRIVATE: s.private}
        for s in used
    ]
    recorded = privacy.recorded(sources, source.audience)
    return Built(request, target, recorded, prompt.stop, prompt.tokens)


def assemble(source: ReplySource, budget_tokens: int) -> AssembledPrompt:
    inputs = PromptInputs(
        character=source.character,
        user_name=source.user_name,
        history=source.history,
        budget_tokens=budget_tokens,
        count_tokens=logic.estimate_tokens,
        now=utcnow(),
        persona_description=source.persona_description,
        other_characters=source.other_characters,
        lorebooks=source.lorebooks,
        continue_last=source.continue_last,
        sections=source.sections,
        message_overhead=logic.MESSAGE_OVERHEAD_TOKENS,
        history_is_whole=source.history_is_whole,
    )
    return assembly.assemble(inputs)
