"""The contract of the retrieval domain, shared by knowledge (documents), memory and chats.

A chunk belongs to exactly one scope; a search names one or more scopes (any of them
matches). Typical scopes: a character's documents (character_id), a user's data bank
(user_id), what one person told one character (character_id + user_id), one chat (chat_id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SourceKind = Literal["document", "message", "memory", "summary"]
SearchMode = Literal["hybrid", "vector", "keyword"]


@dataclass(frozen=True)
class Scope:
    character_id: str | None = None
    user_id: str | None = None
    chat_id: str | None = None


@dataclass(frozen=True)
class ChunkInput:
    text: str
    source_kind: SourceKind
    source_id: str  # the document, message or memory the chunk comes from
    scope: Scope
    position: int = 0  # order within its source
    metadata: dict[str, Any] = field(default_factory=dict)
    # What the embedder sees when it should differ from `text` (which keyword search
    # indexes): e.g. a chat turn is keyword-indexed with the turn before it for context,
    # but embedded alone, so its vector is about what it says.
    embed_text: str | None = None
    token_count: int | None = None  # None: estimated from the text


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    source_kind: SourceKind
    source_id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)
    scope: Scope = Scope()


@dataclass(frozen=True)
class Search:
    """Where one query is looked for: any of `scopes`, chunks of `kinds` (None: any), the
    best `limit`. `Retrieval.search_each` runs several for one query."""

    scopes: Sequence[Scope]
    limit: int = 10
    kinds: Sequence[SourceKind] | None = None
