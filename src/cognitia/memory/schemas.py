from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MemoryKind = Literal["fact", "episode"]


class MemoryRead(BaseModel):
    id: str  # a fact's id, or an episode's chunk id
    kind: MemoryKind
    content: str
    created_at: datetime
    score: float | None = None  # the search's score, when searching
    # A fact: the messages it was learnt from; an episode: the message it records.
    source_message_ids: list[str] = Field(default_factory=list)


class MemoryPage(BaseModel):
    items: list[MemoryRead]
    total: int
    limit: int
    offset: int


class MemoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=4000)
