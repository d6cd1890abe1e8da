"""Instruct templates that render a prompt exactly as SillyTavern's instruct mode does.

Each template is the data of one SillyTavern instruct preset (default/content/presets/instruct)
in its current format, with `story_string_prefix`/`story_string_suffix`; the rendering
reimplements public/scripts/instruct-mode.js (formatInstructModeChat, ...StoryString,
...Examples, ...Prompt, getInstructStoppingSequences) and the way Generate() in
public/script.js joins them: story string, example dialogue, chat, then the opened
character turn. docs/prompting.md lists the presets mirrored and their versions.

`chat` is not an instruct template: the prompt goes to chat-completion APIs as role messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cognitia.errors import Unprocessable
from cognitia.prompting.parts import (
    PromptParts,
    Turn,
    parse_example_messages,
    story_string,
)

NamesBehavior = Literal["none", "force", "always"]
Force = Literal["first", "last"] | None

TEMPLATE_NAMES: tuple[str, ...] = (
    "chat",
    "pygmalion",
    "metharme",
    "alpaca",
    "chatml",
    "llama3",
    "mistral",
)

_NAME = re.compile(r"\{\{name\}\}", re.IGNORECASE)
_CHAR = re.compile(r"\{\{char\}\}", re.IGNORECASE)
_USER = re.compile(r"\{\{user\}\}", re.IGNORECASE)
_USER_ROLES = ("user", "instruction")


class UnknownTemplate(Unprocessable):
    code = "unknown_template"
    default_detail = f"Unknown prompt template; choose one of: {', '.join(TEMPLATE_NAMES)}."


@dataclass(frozen=True)
class TextParts:
    """A rendered prompt in the pieces the budget measures; `text` is their concatenation."""

    story: str
    examples: tuple[str, ...]  # one string per example block
    alignment: str  # the user alignment message, when the chat does not start with the user
    turns: tuple[str, ...]
    prompt_line: str  # the opened character turn ("" when continuing)

    @property
    def text(self) -> str:
        chat = "".join(self.turns)
        return f"{self.story}{''.join(self.examples)}{self.alignment}{chat}{self.prompt_line}"


@dataclass(frozen=True)
class InstructTemplate:
    """The sequences of one SillyTavern instruct preset (its JSON field names)."""

    name: str
    preset: str  # the SillyTavern preset this mirrors
    input_sequence: str
    output_sequence: str
    system_sequence: str = ""
    input_suffix: str = ""
    output_suffix: str = ""
    system_suffix: str = ""
    first_input_sequence: str = ""
    last_input_sequence: str = ""
    first_output_sequence: str = ""
    last_output_sequence: str = ""
    last_system_sequence: str = ""
    stop_sequence: str = ""
    story_string_prefix: str = ""
    story_string_suffix: str = ""
    user_alignment_message: str = ""
    wrap: bool = False
    names_behavior: NamesBehavior = "force"
    system_same_as_user: bool = False
    sequences_as_stop_strings: bool = True

    @property
    def separator(self) -> str:
        return "\n" if self.wrap else ""

    def render(self, parts: PromptParts) -> str:
        """The whole completion prompt."""
        return self.render_parts(parts).text

    def render_parts(self, parts: PromptParts) -> TextParts:
        """The prompt in pieces: story, example blocks, alignment, turns, opened turn."""
        turns = self._turns(parts)
        continues = parts.continues
        alignment = ""
        if self.user_alignment_message and (
            not parts.turns or parts.turns[0].role not in _USER_ROLES
        ):
            message = Turn("user", parts.user_name, _sub(self.user_alignment_message, parts))
            alignment = self.format_turn(message, parts, force="first")
        prompt_line = ""
        if not continues:
            # The last message loses one trailing newline; the opened turn brings its own.
            last = turns.pop() if turns else ""
            turns.append(last.removesuffix("\n") if self.wrap else last)
            prompt_line = self.prompt_line(parts)
        return TextParts(
            story=self.story(parts),
            examples=self.examples(parts),
            alignment=alignment,
            turns=tuple(turns),
            prompt_line=prompt_line,
        )

    def story(self, parts: PromptParts) -> str:
        """The story string wrapped in the preset's story prefix and suffix."""
        story = story_string(parts.story)
        if not story:
            return ""
        if self.wrap and not self.story_string_suffix and not story.endswith("\n"):
            story += "\n"
        if self.story_string_prefix:
            prefix = _sub(self.story_string_prefix, parts, name="System")
            story = prefix + self.separator + story
        return story + _sub(self.story_string_suffix, parts)

    def examples(self, parts: PromptParts) -> tuple[str, ...]:
        """Each example block as instruct turns; the user's lines keep the user's name."""
        group_named = self.names_behavior != "none" and parts.group
        in_prefix = _sub(self.input_sequence, parts, name=parts.user_name)
        out_prefix = _sub(self.output_sequence, parts, name=parts.char_name)
        in_suffix = _sub(self.input_suffix, parts, name=parts.user_name) or self.separator
        out_suffix = _sub(self.output_suffix, parts, name=parts.char_name) or self.separator
        blocks: list[str] = []
        for body in parts.example_blocks:
            messages = parse_example_messages(
                body,
                user=parts.user_name,
                char=parts.char_name,
                group_names=parts.group_names if parts.group else (),
                append_names=group_named,
            )
            formatted = []
            for message in messages:
                is_user = message.speaker == "user"
                named = not group_named and (
                    self.names_behavior == "always" or (self.names_behavior == "force" and is_user)
                )
                name = parts.user_name if is_user else parts.char_name
                content = f"{name}: {message.content}" if named else message.content
                prefix, suffix = (in_prefix, in_suffix) if is_user else (out_prefix, out_suffix)
                formatted.append(self._join(prefix, content + suffix))
            blocks.append("".join(formatted))
        if not any(blocks):
            return tuple(f"{body}\n" for body in parts.example_blocks)
        return tuple(blocks)

    def format_turn(self, turn: Turn, parts: PromptParts, *, force: Force = None) -> str:
        """One chat message with its sequences (formatInstructModeChat)."""
        return self._format(turn, parts, force)

    def prompt_line(self, parts: PromptParts) -> str:
        """The opened character turn that ends the prompt (formatInstructModePrompt)."""
        name = parts.char_name
        named = bool(name) and (
            self.names_behavior == "always" or (parts.group and self.names_behavior == "force")
        )
        sequence = self.last_output_sequence or self.output_sequence
        filler = ""
        # SillyTavern's fix for Mistral: the output sequence ends with a space, the last one not.
        if (
            named
            and self.last_output_sequence
            and self.output_sequence
            and sequence == self.last_output_sequence
            and self.output_sequence[-1].isspace()
            and not self.last_output_sequence[-1].isspace()
        ):
            filler = self.output_sequence[-1]
        sequence = _sub(sequence, parts, name=name or "System")
        sep = self.separator
        text = f"{sep}{sequence}{sep}{filler}{name}:" if named else f"{sep}{sequence}"
        return (text.rstrip() if self.wrap else text) + ("" if named else sep)

    def stop_sequences(self, *, user: str, char: str) -> tuple[str, ...]:
        """Stop strings from the preset (getInstructStoppingSequences)."""
        sequences = [self.stop_sequence]
        if self.sequences_as_stop_strings:
            sequences += [
                _put(_NAME, user, self.input_sequence),
                _put(_NAME, char, self.output_sequence),
                _put(_NAME, char, self.first_output_sequence),
                _put(_NAME, char, self.last_output_sequence),
                _put(_NAME, "System", self.system_sequence),
                _put(_NAME, "System", self.last_system_sequence),
            ]
        lines = dict.fromkeys("\n".join(sequences).split("\n"))
        stops = (self.separator + line for line in lines if line.strip())
        return tuple(_put(_CHAR, char, _put(_USER, user, stop)) for stop in stops)

    def _turns(self, parts: PromptParts) -> list[str]:
        last_user = max((i for i, t in enumerate(parts.turns) if t.role in _USER_ROLES), default=-1)
        continues = parts.continues
        turns = []
        for index, turn in enumerate(parts.turns):
            force: Force = "first" if index == 0 and parts.starts_chat else None
            if index == last_user:
                force = "last"
            if continues and index == len(parts.turns) - 1:
                turns.append(self._format(turn, parts, "last", cut=True))
            else:
                turns.append(self._format(turn, parts, force))
        return turns

    def _format(self, turn: Turn, parts: PromptParts, force: Force, *, cut: bool = False) -> str:
        name = "" if turn.role == "instruction" else turn.name
        prefix, suffix = self._sequences(turn, force)
        prefix = _sub(prefix, parts, name=name or "System")
        suffix = _sub(suffix, parts, name=name or "System") or self.separator
        body = f"{name}: {turn.content}" if name and self._names(turn, parts) else turn.content
        if cut:  # continuing: the text ends where the message ends, the turn stays open
            return prefix + self.separator + body if prefix else body
        return self._join(prefix, body + suffix)

    def _names(self, turn: Turn, parts: PromptParts) -> bool:
        """Names behaviour "always" names everyone; "force" names the characters of a group
        and any person other than {{user}} (SillyTavern: a message with a forced avatar,
        which every persona's message has, is named unless it is the current user's)."""
        if turn.role == "system" or self.names_behavior == "none":
            return False
        if self.names_behavior == "always":
            return True
        if turn.role in _USER_ROLES:
            return turn.name != parts.user_name
        return parts.group and turn.name != parts.user_name

    def _sequences(self, turn: Turn, force: Force) -> tuple[str, str]:
        if turn.role == "system":
            if self.system_same_as_user:
                return self.input_sequence, self.input_suffix
            return self.system_sequence, self.system_suffix
        if turn.role in _USER_ROLES:
            first, last, default = (
                self.first_input_sequence,
                self.last_input_sequence,
                self.input_sequence,
            )
            suffix = self.input_suffix
        else:
            first, last, default = (
                self.first_output_sequence,
                self.last_output_sequence,
                self.output_sequence,
            )
            suffix = self.output_suffix
        if force == "first" and first:
            return first, suffix
        if force == "last" and last:
            return last, suffix
        return default, suffix

    def _join(self, prefix: str, body: str) -> str:
        return self.separator.join(part for part in (prefix, body) if part)


@dataclass(frozen=True)
class ChatTemplate:
    """Role messages for chat-completion APIs (parts.render_messages); no text rendering."""

    name: str = "chat"

    def stop_sequences(self, *, user: str, char: str) -> tuple[str, ...]:
        return ()


Template = InstructTemplate | ChatTemplate

CHAT = ChatTemplate()

PYGMALION = InstructTemplate(
    name="pygmalion",
    preset="Pygmalion",
    input_sequence="<|user|>",
    output_sequence="<|model|>",
    stop_sequence="<|user|>",
    story_string_prefix="<|system|>",
    names_behavior="always",
    system_same_as_user=True,
)

METHARME = InstructTemplate(
    name="metharme",
    preset="Metharme",
    input_sequence="<|user|>",
    output_sequence="<|model|>",
    stop_sequence="</s>",
    story_string_prefix="<|system|>",
    names_behavior="force",
    system_same_as_user=True,
)

ALPACA = InstructTemplate(
    name="alpaca",
    preset="Alpaca",
    input_sequence="### Instruction:",
    output_sequence="### Response:",
    system_sequence="### Input:",
    input_suffix="\n\n",
    output_suffix="\n\n",
    system_suffix="\n\n",
    story_string_suffix="\n\n",
    wrap=True,
    names_behavior="force",
)

CHATML = InstructTemplate(
    name="chatml",
    preset="ChatML",
    input_sequence="<|im_start|>user",
    output_sequence="<|im_start|>assistant",
    system_sequence="<|im_start|>system",
    input_suffix="<|im_end|>\n",
    output_suffix="<|im_end|>\n",
    system_suffix="<|im_end|>\n",
    stop_sequence="<|im_end|>",
    story_string_prefix="<|im_start|>system",
    story_string_suffix="<|im_end|>\n",
    wrap=True,
    names_behavior="force",
)

LLAMA3 = InstructTemplate(
    name="llama3",
    preset="Llama 3 Instruct",
    input_sequence="<|start_header_id|>user<|end_header_id|>\n\n",
    output_sequence="<|start_header_id|>assistant<|end_header_id|>\n\n",
    system_sequence="<|start_header_id|>system<|end_header_id|>\n\n",
    input_suffix="<|eot_id|>",
    output_suffix="<|eot_id|>",
    system_suffix="<|eot_id|>",
    stop_sequence="<|eot_id|>",
    story_string_prefix="<|start_header_id|>system<|end_header_id|>\n\n",
    story_string_suffix="<|eot_id|>",
    names_behavior="force",
)

MISTRAL = InstructTemplate(
    name="mistral",
    preset="Mistral V1",
    input_sequence=" [INST] ",
    output_sequence=" [/INST] ",
    last_output_sequence=" [/INST]",
    output_suffix="</s>",
    story_string_prefix=" [INST] ",
    story_string_suffix=" [/INST] Understood.</s>",
    user_alignment_message=(
        "Let's get started. Please respond based on the information and instructions "
        "provided above."
    ),
    names_behavior="force",
    system_same_as_user=True,
)

TEMPLATES: dict[str, Template] = {
    template.name: template
    for template in (CHAT, PYGMALION, METHARME, ALPACA, CHATML, LLAMA3, MISTRAL)
}


def get_template(name: str) -> Template:
    """The template called name; UnknownTemplate when there is none."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate(
            f"Unknown prompt template {name!r}; choose one of: {', '.join(TEMPLATE_NAMES)}."
        ) from None


def _sub(sequence: str, parts: PromptParts, *, name: str | None = None) -> str:
    """The macros a preset's sequences may use: {{char}}, {{user}} and {{name}}."""
    if "{{" not in sequence:
        return sequence
    sequence = _put(_CHAR, parts.char_name, _put(_USER, parts.user_name, sequence))
    return _put(_NAME, name, sequence) if name is not None else sequence


def _put(pattern: re.Pattern[str], value: str, text: str) -> str:
    return pattern.sub(lambda _match: value, text)
