"""Bodies for /api/v2/characters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    model_validator,
)

from cognitia.characters.fields import (
    Greetings,
    Id,
    JsonObject,
    LongText,
    Name,
    Setting,
    ShortText,
    Tags,
    check_json_object,
)
from cognitia.characters.lorebooks.schemas import LorebookRead
from cognitia.config import ToolPolicyName
from cognitia.models.character import Visibility

PROMPT_TEMPLATES = ("chat", "pygmalion", "metharme", "alpaca", "chatml", "llama3", "mistral")

Version = Annotated[ShortText, Field(max_length=100)]
Template = Annotated[ShortText, Field(max_length=32)]
Temperature = Annotated[float, Field(ge=0, le=2)]
TopP = Annotated[float, Field(gt=0, le=1)]
MaxTokens = Annotated[int, Field(ge=1, le=1_000_000)]
Talkativeness = Annotated[float, Field(ge=0, le=1)]
ToolNames = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(max_length=32, description="Tools the character may call (names from docs/tools.md)."),
]
ToolPolicies = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], ToolPolicyName],
    Field(
        max_length=32,
        description="The owner's policy per tool over its default: always, ask (a member"
        " approves each call) or never (docs/tools.md). An admin's forced policy wins.",
    ),
]
# SillyTavern's names are accepted too.
FIRST_MESSAGE = AliasChoices("first_message", "first_mes")
EXAMPLE_DIALOGUE = AliasChoices("example_dialogue", "mes_example")


class CardExtra(BaseModel):
    """Card fields without a column: `card` beside the card's `data`, `data` inside it."""

    model_config = ConfigDict(extra="forbid")

    card: JsonObject = Field(default_factory=dict)
    data: JsonObject = Field(default_factory=dict)


class CharacterCreate(BaseModel):
    """A new character. Unknown fields are kept in `card_extra.data` (and in exported cards)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: Name
    description: LongText = ""
    personality: LongText = ""
    scenario: LongText = ""
    first_message: LongText = Field("", validation_alias=FIRST_MESSAGE)
    alternate_greetings: Greetings = Field(default_factory=list)
    group_only_greetings: Greetings = Field(default_factory=list)
    example_dialogue: LongText = Field("", validation_alias=EXAMPLE_DIALOGUE)
    system_prompt: LongText = ""
    post_history_instructions: LongText = ""
    prompt_template: Template = "chat"
    creator_notes: LongText = ""
    creator: ShortText = ""
    character_version: Version = ""
    tags: Tags = Field(default_factory=list)
    tools: ToolNames = Field(default_factory=list)
    tool_policies: ToolPolicies = Field(default_factory=dict)
    voice_model: Setting | None = None
    voice_settings: JsonObject = Field(default_factory=dict)
    model: Setting | None = Field(None, description="A catalogue model, or `lane/<name>`.")
    temperature: Temperature | None = None
    top_p: TopP | None = None
    max_tokens: MaxTokens | None = None
    talkativeness: Talkativeness = 0.5
    extensions: JsonObject = Field(default_factory=dict)
    card_extra: CardExtra = Field(default_factory=CardExtra)
    lorebook_id: Id | None = None
    # Whether others who may see the character get its lorebook in exported cards.
    share_lorebook: bool = False
    visibility: Visibility = Visibility.PRIVATE

    @model_validator(mode="after")
    def _extra_fields_are_storable(self) -> CharacterCreate:
        check_json_object(self.model_extra or {})
        return self

    def columns(self) -> dict[str, Any]:
        """Column values; unknown fields merged into card_extra.data."""
        values = self.model_dump(exclude={"card_extra"}, by_alias=False)
        for key in self.model_extra or {}:
            values.pop(key, None)
        extra = self.card_extra.model_dump(exclude_defaults=True)
        if self.model_extra:
            extra["data"] = {**extra.get("data", {}), **self.model_extra}
        values["card_extra"] = extra
        return values


NOT_NULL = {
    "name", "description", "personality", "scenario", "first_message", "alternate_greetings",
    "group_only_greetings", "example_dialogue", "system_prompt", "post_history_instructions",
    "prompt_template", "creator_notes", "creator", "character_version", "tags",
    "voice_settings", "talkativeness", "extensions", "card_extra", "visibility",
    "share_lorebook", "tools", "tool_policies",
}  # fmt: skip


class CharacterUpdate(BaseModel):
    """PATCH: only the fields given change; `null` clears the optional settings."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Name | None = None
    description: LongText | None = None
    personality: LongText | None = None
    scenario: LongText | None = None
    first_message: LongText | None = Field(None, validation_alias=FIRST_MESSAGE)
    alternate_greetings: Greetings | None = None
    group_only_greetings: Greetings | None = None
    example_dialogue: LongText | None = Field(None, validation_alias=EXAMPLE_DIALOGUE)
    system_prompt: LongText | None = None
    post_history_instructions: LongText | None = None
    prompt_template: Template | None = None
    creator_notes: LongText | None = None
    creator: ShortText | None = None
    character_version: Version | None = None
    tags: Tags | None = None
    tools: ToolNames | None = None
    tool_policies: ToolPolicies | None = None
    voice_model: Setting | None = None
    voice_settings: JsonObject | None = None
    model: Setting | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    max_tokens: MaxTokens | None = None
    talkativeness: Talkativeness | None = None
    extensions: JsonObject | None = None
    card_extra: CardExtra | None = None
    lorebook_id: Id | None = None
    share_lorebook: bool | None = None
    visibility: Visibility | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> CharacterUpdate:
        cleared = sorted(n for n in self.model_fields_set & NOT_NULL if getattr(self, n) is None)
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        values = self.model_dump(exclude_unset=True, exclude={"card_extra"})
        if self.card_extra is not None:
            values["card_extra"] = self.card_extra.model_dump(exclude_defaults=True)
        return values


class CharacterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    owner_id: str
    name: str
    description: str
    personality: str
    scenario: str
    first_message: str
    alternate_greetings: list[str]
    group_only_greetings: list[str]
    example_dialogue: str
    system_prompt: str
    post_history_instructions: str
    prompt_template: str
    creator_notes: str
    creator: str
    character_version: str
    tags: list[str]
    tools: list[str]
    tool_policies: dict[str, ToolPolicyName]
    voice_model: str | None
    voice_settings: dict[str, Any]
    model: str | None
    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    talkativeness: float
    extensions: dict[str, Any]
    card_extra: dict[str, Any]
    lorebook_id: str | None
    share_lorebook: bool
    visibility: Visibility
    chat_count: int
    created_at: datetime
    updated_at: datetime
    avatar_key: str | None = Field(None, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def avatar_url(self) -> str | None:
        return f"/api/v2/characters/{self.id}/avatar" if self.avatar_key else None


class CharacterPage(BaseModel):
    items: list[CharacterRead]
    total: int
    limit: int
    offset: int


class VoicePermissionGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id


class VoicePermissionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    character_id: str
    user_id: str
    created_at: datetime


def _search_text(value: str | None) -> str | None:
    # PostgreSQL cannot compare text holding NUL; without it the search means the same.
    cleaned = (value or "").replace("\x00", "").strip()
    return cleaned or None


SearchText = Annotated[str | None, AfterValidator(_search_text)]


class MarketplaceQuery(BaseModel):
    q: SearchText = Field(None, max_length=100, description="Part of the name, any case.")
    tag: SearchText = Field(None, max_length=64, description="One tag, any case.")
    sort: Literal["newest", "popular"] = Field(
        "newest", description="popular: by the number of chats started with the character."
    )
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=2**31 - 1)


ExportFormat = Literal["png", "json"]


class ImportResult(BaseModel):
    """What the file held: `kind` says which of the two is set."""

    kind: Literal["character", "lorebook"]
    character: CharacterRead | None = None
    lorebook: LorebookRead | None = None
