"""What context assembly takes and gives. Plain data: no ORM objects, no I/O.

The chats service builds PromptInputs from the database; prompting.assembly.assemble()
turns them into the prompt for one reply of one character.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cognitia.llm.ports import ChatMessage


@dataclass(frozen=True)
class CharacterCard:
    id: str
    name: str
    description: str = ""
    personality: str = ""
    scenario: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    example_dialogue: str = ""
    prompt_template: str = (
        "chat"  # chat | pygmalion | metharme | alpaca | chatml | llama3 | mistral
    )
    tools: tuple[str, ...] = ()  # the tools the character may call (agents/tools)
    # Whose MCP servers its tools come from, in every chat it answers in (shared ones too).
    owner_id: str = ""
    # The owner's policy per tool where it differs from the tool's default: (name, policy).
    tool_policies: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HistoryMessage:
    """One message of the chat so far, oldest first."""

    role: Literal["user", "character", "system"]
    name: str  # the speaker's display name (user's persona name or the character's name)
    content: str
    character_id: str | None = None
    seq: int | None = None  # its number in the chat, where it has one (see HISTORY_STEP)


@dataclass(frozen=True)
class LoreEntry:
    keys: Sequence[str]
    content: str
    secondary_keys: Sequence[str] = ()
    selective_logic: Literal["and_any", "and_all", "not_any", "not_all"] = "and_any"
    constant: bool = False
    enabled: bool = True
    use_regex: bool = False
    case_sensitive: bool | None = None  # None: the book's default (insensitive)
    insertion_order: int = 100
    position: Literal["before_char", "after_char", "at_depth"] = "before_char"
    depth: int = 4
    id: str = ""


@dataclass(frozen=True)
class Lorebook:
    entries: Sequence[LoreEntry]
    scan_depth: int = 4
    token_budget: int = 512
    recursive_scanning: bool = False
    id: str = ""


@dataclass(frozen=True)
class ContextSection:
    """Retrieved context added by later capabilities (memories, knowledge, summary)."""

    kind: Literal["memory", "knowledge", "summary"]
    text: str
    source_id: str = ""
    private: bool = False  # from one person's own memory or data bank


@dataclass(frozen=True)
class PromptInputs:
    character: CharacterCard  # who speaks now
    user_name: str  # {{user}}
    history: Sequence[HistoryMessage]
    budget_tokens: int  # the model's context window minus the reply's max tokens
    count_tokens: Callable[[str], int]
    now: datetime  # for {{time}} and {{date}}
    persona_description: str = ""
    other_characters: Sequence[CharacterCard] = ()  # the rest of a group chat
    lorebooks: Sequence[Lorebook] = ()
    sections: Sequence[ContextSection] = ()
    continue_last: bool = False  # continue the last (character) message instead of a new one
    # Tokens each role message costs besides its text (the model layer counts them too).
    message_overhead: int = 0
    # False when `history` is the latest part of a longer chat (so its start moves on).
    history_is_whole: bool = True


@dataclass(frozen=True)
class AssembledPrompt:
    messages: list[ChatMessage]  # role messages, for chat-completion APIs
    text: str | None  # the instruct-template rendering, for completion models
    stop: tuple[str, ...]  # stop sequences that end the character's turn
    used_entries: list[str] = field(default_factory=list)  # ids of activated lore entries
    history_included: int = 0  # how many history messages fit the budget
    used_sections: list[int] = field(default_factory=list)  # indexes into inputs.sections
    tokens: int = 0  # the prompt's token count
