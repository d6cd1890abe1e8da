"""The pieces of one prompt, before a template renders them, and the chat-completion rendering.

assembly.assemble() decides what fits the budget and fills PromptParts; an instruct template
(templates.py) renders them as one completion string, render_messages() as role messages.
The story string and the example parsing follow SillyTavern's context template
(`story_string` of its current default/content/presets/context/*.json) and
`parseMesExamples` / `parseExampleIntoIndividual`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cognitia.llm.ports import ChatMessage

TurnRole = Literal["user", "character", "system", "instruction"]
Speaker = Literal["user", "character"]

EXAMPLE_HEADING = "{Example Dialogue:}"
CHAT_EXAMPLE_HEADING = "[Example Chat]"

_TRAILING_NEWLINES = re.compile(r"(?:\r?\n)+$")
_LEADING_NEWLINES = re.compile(r"^\n+")
_START = re.compile(r"<START>", re.IGNORECASE)


@dataclass(frozen=True)
class StoryParts:
    """The fields of SillyTavern's story string, macros already applied, in its order."""

    system: str = ""
    lore_before: str = ""  # {{wiBefore}}: lore entries positioned before the character
    description: str = ""
    personality: str = ""
    scenario: str = ""
    lore_after: str = ""  # {{wiAfter}}
    persona: str = ""  # the user's persona description
    anchor_after: str = ""  # {{anchorAfter}}: group roster and retrieved sections


@dataclass(frozen=True)
class Turn:
    """One message in the chat part of the prompt, oldest first.

    `system` turns are lore entries injected at a depth and narrator messages; the
    `instruction` turn carries the post-history instructions (SillyTavern sends them as a
    nameless user message in text completion, as a system message in chat completion).
    """

    role: TurnRole
    name: str
    content: str


@dataclass(frozen=True)
class PromptParts:
    char_name: str  # {{char}}: who speaks now
    user_name: str  # {{user}}
    story: StoryParts = StoryParts()
    example_blocks: Sequence[str] = ()  # bodies of the <START> blocks, macros applied
    turns: Sequence[Turn] = ()
    group: bool = False  # several characters: speakers' names are shown
    named_users: bool = False  # several people: every user message is named (messages only)
    continue_last: bool = False  # the last turn is a character message to continue
    starts_chat: bool = True  # turns[0] is the first message of the chat
    group_names: Sequence[str] = ()  # the other characters' names (example parsing)

    @property
    def continues(self) -> bool:
        return self.continue_last and bool(self.turns) and self.turns[-1].role == "character"


@dataclass(frozen=True)
class ExampleMessage:
    speaker: Speaker
    name: str
    content: str


def story_string(story: StoryParts) -> str:
    """The default context template: each non-empty field on its own line, then {{trim}}."""
    fields = (
        story.system,
        story.lore_before,
        story.description,
        story.personality,
        story.scenario,
        story.lore_after,
        story.persona,
        story.anchor_after,
    )
    text = "".join(f"{value}\n" for value in fields if value)
    return _LEADING_NEWLINES.sub("", _TRAILING_NEWLINES.sub("", text))


def split_examples(example_dialogue: str) -> list[str]:
    """The bodies of the <START> blocks of a card's example dialogue (parseMesExamples)."""
    if not example_dialogue or example_dialogue == "<START>":
        return []
    if not example_dialogue.startswith("<START>"):
        example_dialogue = "<START>\n" + example_dialogue.strip()
    blocks = _START.split(example_dialogue)[1:]
    return [body for body in (block.strip() for block in blocks) if body]


def parse_example_messages(
    body: str,
    *,
    user: str,
    char: str,
    group_names: Sequence[str] = (),
    append_names: bool = False,
) -> list[ExampleMessage]:
    """Split one example block into messages by their "Name:" lines (parseExampleIntoIndividual).

    Lines before the first "Name:" line join the first message; in a group, a line starting
    with another character's name is that character speaking (SillyTavern then keeps that
    name for later character lines too, which this mirrors).
    """
    messages: list[ExampleMessage] = []
    lines: list[str] = []
    in_user = in_bot = False
    bot_name = char
    for line in f"{EXAMPLE_HEADING}\n{body}\n".split("\n")[1:]:
        speaker = _speaker(line, user=user, char=char, group_names=group_names)
        if speaker == "user":
            if in_bot:
                messages.append(_example(lines, bot_name, "character", append_names))
            in_user, in_bot = True, False
        elif speaker == "character":
            if not line.startswith(f"{char}:"):
                bot_name = line.split(":", 1)[0]
            if in_user:
                messages.append(_example(lines, user, "user", append_names))
            in_user, in_bot = False, True
        lines.append(line)
    if in_user:
        messages.append(_example(lines, user, "user", append_names))
    elif in_bot:
        messages.append(_example(lines, bot_name, "character", append_names))
    return messages


def _example(lines: list[str], name: str, speaker: Speaker, append_name: bool) -> ExampleMessage:
    """The collected lines as one message, its first "Name:" removed; the lines are consumed."""
    content = "\n".join(lines).replace(f"{name}:", "", 1).strip()
    lines.clear()
    return ExampleMessage(speaker, name, f"{name}: {content}" if append_name else content)


def _speaker(line: str, *, user: str, char: str, group_names: Sequence[str]) -> Speaker | None:
    if line.startswith(f"{user}:"):
        return "user"
    if line.startswith(f"{char}:") or any(line.startswith(f"{n}:") for n in group_names):
        return "character"
    return None


def message_for(turn: Turn, parts: PromptParts) -> ChatMessage:
    """One turn as a chat-completion message; names prefix the text in groups and with
    several people (SillyTavern's default names behaviour, extended to every person)."""
    if turn.role in ("system", "instruction"):
        return ChatMessage(role="system", content=turn.content)
    if turn.role == "user":
        named = (parts.group or parts.named_users) and turn.name
        return ChatMessage(role="user", content=_named(turn, bool(named)))
    return ChatMessage(role="assistant", content=_named(turn, parts.group and bool(turn.name)))


def example_message(body: str) -> ChatMessage:
    """One example block as a system message, as SillyTavern's "[Example Chat]" block."""
    return ChatMessage(role="system", content=f"{CHAT_EXAMPLE_HEADING}\n{body}")


def render_messages(parts: PromptParts) -> list[ChatMessage]:
    """The prompt as role messages for chat-completion APIs."""
    messages: list[ChatMessage] = []
    story = story_string(parts.story)
    if story:
        messages.append(ChatMessage(role="system", content=story))
    messages.extend(example_message(body) for body in parts.example_blocks)
    messages.extend(message_for(turn, parts) for turn in parts.turns)
    return messages


def _named(turn: Turn, named: bool) -> str:
    return f"{turn.name}: {turn.content}" if named else turn.content
