"""Episodic memory: every exchange is indexed, so it needs no capable model.

A turn is keyword-indexed together with the turn before it (the question a reply answers
carries the words a later search uses) and embedded on its own (its vector is about what
it says). Both carry the date. Measured on LoCoMo: see docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cognitia.retrieval.types import ChunkInput, Scope, SourceKind

SOURCE_KIND: SourceKind = "message"


@dataclass(frozen=True)
class Turn:
    id: str  # the message id (or a benchmark's dialogue id)
    speaker: str
    text: str
    at: datetime | str | None = None  # when it was said; a string is used as given


def _when(at: datetime | str | None) -> str:
    if at is None:
        return ""
    label = at if isinstance(at, str) else at.strftime("%Y-%m-%d %H:%M")
    return f"({label}) "


def turn_chunks(
    turns: Sequence[Turn], *, scope: Scope, previous: Turn | None = None
) -> list[ChunkInput]:
    """The chunks for consecutive turns; `previous` is the turn before the first one."""
    chunks = []
    before = previous
    for position, turn in enumerate(turns):
        line = f"{turn.speaker}: {turn.text}"
        context = f"{before.speaker}: {before.text}\n" if before is not None else ""
        chunks.append(
            ChunkInput(
                text=f"{_when(turn.at)}{context}{line}",
                embed_text=f"{_when(turn.at)}{line}",
                source_kind=SOURCE_KIND,
                source_id=turn.id,
                scope=scope,
                position=position,
                metadata={"speaker": turn.speaker},
            )
        )
        before = turn
    return chunks
