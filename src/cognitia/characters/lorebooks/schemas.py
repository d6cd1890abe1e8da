"""Bodies for /api/v2/lorebooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cognitia.characters.fields import Int32, JsonObject, LongText, NoControl, NoNul
from cognitia.models.lorebook import EntryPosition, SelectiveLogic

BookName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    NoControl,
]
Key = Annotated[str, Field(max_length=1000), NoNul]
Keys = Annotated[list[Key], Field(max_length=200)]
ScanDepth = Annotated[int, Field(ge=0, le=1000)]
TokenBudget = Annotated[int, Field(ge=0, le=1_000_000)]
Depth = Annotated[int, Field(ge=0, le=10_000)]


def _not_cleared(model: BaseModel, nullable: set[str]) -> None:
    cleared = sorted(
        name for name in model.model_fields_set - nullable if getattr(model, name) is None
    )
    if cleared:
        raise ValueError(f"{', '.join(cleared)} cannot be null")


class LorebookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: BookName
    description: LongText = ""
    scan_depth: ScanDepth = 4
    token_budget: TokenBudget = 512
    recursive_scanning: bool = False
    extensions: JsonObject = Field(default_factory=dict)
    extra: JsonObject = Field(default_factory=dict)


class LorebookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: BookName | None = None
    description: LongText | None = None
    scan_depth: ScanDepth | None = None
    token_budget: TokenBudget | None = None
    recursive_scanning: bool | None = None
    extensions: JsonObject | None = None
    extra: JsonObject | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> LorebookUpdate:
        _not_cleared(self, set())
        return self


class EntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: Keys = Field(default_factory=list)
    secondary_keys: Keys = Field(default_factory=list)
    selective_logic: SelectiveLogic = SelectiveLogic.AND_ANY
    content: LongText = ""
    comment: LongText = ""
    constant: bool = False
    enabled: bool = True
    use_regex: bool = Field(False, description="Keys are regular expressions (Python syntax).")
    case_sensitive: bool | None = None
    insertion_order: Int32 = 100
    position: EntryPosition = EntryPosition.BEFORE_CHAR
    depth: Depth = Field(4, description="With position at_depth: messages from the end.")
    source_uid: Int32 | None = None
    extensions: JsonObject = Field(default_factory=dict)
    extra: JsonObject = Field(default_factory=dict)


class EntryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: Keys | None = None
    secondary_keys: Keys | None = None
    selective_logic: SelectiveLogic | None = None
    content: LongText | None = None
    comment: LongText | None = None
    constant: bool | None = None
    enabled: bool | None = None
    use_regex: bool | None = None
    case_sensitive: bool | None = None
    insertion_order: Int32 | None = None
    position: EntryPosition | None = None
    depth: Depth | None = None
    source_uid: Int32 | None = None
    extensions: JsonObject | None = None
    extra: JsonObject | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> EntryUpdate:
        _not_cleared(self, {"case_sensitive", "source_uid"})
        return self


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    lorebook_id: str
    keys: list[str]
    secondary_keys: list[str]
    selective_logic: SelectiveLogic
    content: str
    comment: str
    constant: bool
    enabled: bool
    use_regex: bool
    case_sensitive: bool | None
    insertion_order: int
    position: EntryPosition
    depth: int
    source_uid: int | None
    extensions: dict[str, Any]
    extra: dict[str, Any]


class LorebookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    owner_id: str
    name: str
    description: str
    scan_depth: int
    token_budget: int
    recursive_scanning: bool
    extensions: dict[str, Any]
    extra: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class LorebookDetail(LorebookRead):
    entries: list[EntryRead]


class LorebookPage(BaseModel):
    items: list[LorebookRead]
    total: int
    limit: int
    offset: int
