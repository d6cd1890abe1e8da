"""Context assembly: the prompt for one reply of one character, under a token budget.

What goes in, highest priority first; when the budget is short, what comes last goes first:

1. the story core: system prompt, description, personality, the user's persona, and in a
   group chat a short list of the other characters (always kept)
2. the scenario
3. triggered lorebook entries, highest insertion_order first
4. retrieved sections (memories, knowledge, summary), in the order given
5. post-history instructions (reserved before examples and history, as SillyTavern never
   drops them: a long chat must not crowd out the author's last instruction)
6. example dialogue, block by block from the first
7. recent history, newest first, as many messages as fit (never with a gap)

Each item is admitted in this order if it still fits (history stops at the first message that
does not); then the rendered prompt is measured with `count_tokens` and, while it is over
budget, the last admitted item is dropped. Where things sit in the prompt follows
SillyTavern, not this order: see docs/prompting.md.

Two choices keep the start of the prompt the same from one reply to the next, so that a
model server that caches the state of a prompt's start (llama.cpp, vLLM) evaluates only
what is new: what recall found for this message goes in at RECALL_DEPTH, not at the top;
and a chat too long for the window loses its oldest messages HISTORY_STEP at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from cognitia.prompting import macros
from cognitia.prompting.lorebook import ActiveEntry, activate
from cognitia.prompting.parts import (
    PromptParts,
    StoryParts,
    Turn,
    example_message,
    message_for,
    render_messages,
    split_examples,
)
from cognitia.prompting.templates import InstructTemplate, Template, get_template
from cognitia.prompting.types import AssembledPrompt, CharacterCard, PromptInputs

ROSTER_HEADING = "Other characters in this chat:"
ROSTER_BRIEF_CHARS = 160
# Recalled memories and knowledge go before the last message (the person's): everything
# above it was in the previous reply's prompt too. The summary, which changes seldom,
# stays at the top.
RECALL_DEPTH = 1
AT_THE_TOP = ("summary",)
# A trimmed history starts at a message whose number is a multiple of this, so its start
# moves once every few exchanges instead of every reply (at the cost of up to
# HISTORY_STEP - 1 messages that would have fit).
HISTORY_STEP = 8

UnitKind = Literal["scenario", "lore", "section", "example", "history", "post_history"]


@dataclass(frozen=True)
class _Unit:
    kind: UnitKind
    index: int = 0  # into the context's lore, sections, example blocks or history
    cost: int = 0


@dataclass
class _Context:
    """Everything that may go into the prompt, macros applied, before the budget decides."""

    template: Template
    count_tokens: Callable[[str], int]
    message_overhead: int
    char: CharacterCard
    user_name: str
    core: StoryParts
    roster: str
    scenario: str
    lore: list[ActiveEntry]  # by priority
    sections: list[str]
    section_at_top: list[bool]
    example_blocks: list[str]
    history: list[Turn]
    history_seqs: list[int | None]
    history_is_whole: bool
    post_history: str
    group: bool
    named_users: bool
    continue_last: bool
    group_names: list[str] = field(default_factory=list)

    @property
    def continuing(self) -> bool:
        return self.continue_last and bool(self.history) and self.history[-1].role == "character"


def assemble(inputs: PromptInputs) -> AssembledPrompt:
    """The prompt for inputs.character's next message, in both shapes, within the budget."""
    context = _context(inputs)
    admitted = _select(context, inputs.budget_tokens)
    parts = _parts(context, admitted)
    messages = render_messages(parts)
    text = (
        context.template.render(parts) if isinstance(context.template, InstructTemplate) else None
    )
    return AssembledPrompt(
        messages=messages,
        text=text,
        stop=_stops(context, inputs),
        used_entries=[context.lore[u.index].id for u in admitted if u.kind == "lore"],
        history_included=sum(1 for u in admitted if u.kind == "history"),
        used_sections=_used_sections(inputs, admitted),
        tokens=_measure(context, parts),
    )


def _used_sections(inputs: PromptInputs, admitted: Sequence[_Unit]) -> list[int]:
    """Indexes into inputs.sections of those that fit (blank ones are never placed)."""
    placed = [i for i, section in enumerate(inputs.sections) if section.text.strip()]
    return sorted(placed[u.index] for u in admitted if u.kind == "section")


def _context(inputs: PromptInputs) -> _Context:
    template = get_template(inputs.character.prompt_template)
    char = inputs.character

    def sub(text: str) -> str:
        return macros.render(text, char=char.name, user=inputs.user_name, now=inputs.now)

    said = [replace(m, content=sub(m.content)) for m in inputs.history]
    lore = activate(
        inputs.lorebooks, said, count_tokens=inputs.count_tokens, substitute=sub
    ).by_priority()
    history = [Turn(role=m.role, name=m.name, content=m.content) for m in said]
    placed = [s for s in inputs.sections if s.text.strip()]
    return _Context(
        template=template,
        count_tokens=inputs.count_tokens,
        message_overhead=inputs.message_overhead,
        char=char,
        user_name=inputs.user_name,
        core=StoryParts(
            system=sub(char.system_prompt),
            description=sub(char.description),
            personality=sub(char.personality),
            persona=sub(inputs.persona_description),
        ),
        roster=_roster(inputs),
        scenario=sub(char.scenario),
        lore=lore,
        sections=[sub(s.text) for s in placed],
        section_at_top=[s.kind in AT_THE_TOP for s in placed],
        example_blocks=split_examples(sub(char.example_dialogue)),
        history=history,
        history_seqs=[m.seq for m in inputs.history],
        history_is_whole=inputs.history_is_whole,
        post_history=sub(char.post_history_instructions),
        group=bool(inputs.other_characters),
        named_users=any(
            m.role == "user" and m.name and m.name != inputs.user_name for m in inputs.history
        ),
        continue_last=inputs.continue_last,
        group_names=[c.name for c in inputs.other_characters],
    )


def _roster(inputs: PromptInputs) -> str:
    """The other characters of a group, one line each: name and a first line about them."""
    if not inputs.other_characters:
        return ""
    lines = [ROSTER_HEADING]
    for other in inputs.other_characters:
        about = other.description.strip() or other.personality.strip()
        brief = macros.render(about, char=other.name, user=inputs.user_name, now=inputs.now)
        brief = brief.split("\n", 1)[0].strip()
        if len(brief) > ROSTER_BRIEF_CHARS:
            brief = brief[:ROSTER_BRIEF_CHARS].rsplit(" ", 1)[0] + "…"
        lines.append(f"- {other.name}: {brief}" if brief else f"- {other.name}")
    return "\n".join(lines)


def _select(context: _Context, budget: int) -> list[_Unit]:
    """Admit items in priority order while they fit, then trim until the prompt fits."""
    base = _parts(context, [])
    remaining = budget - _measure(context, base)
    admitted: list[_Unit] = []
    closed: set[str] = set()  # runs (examples, history) end at their first misfit
    for unit, run in _candidates(context, base):
        if run in closed:
            continue
        if unit.cost <= remaining:
            admitted.append(unit)
            remaining -= unit.cost
        elif run == "history":
            break  # the last run: stop measuring the rest of a long chat
        elif run:
            closed.add(run)
    while admitted and _measure(context, _parts(context, admitted)) > budget:
        admitted.pop()
    return _aligned(context, admitted)


def _aligned(context: _Context, admitted: list[_Unit]) -> list[_Unit]:
    """A trimmed history, trimmed further to start at a multiple of HISTORY_STEP."""
    window = sorted(u.index for u in admitted if u.kind == "history")
    if not window or (window[0] == 0 and context.history_is_whole):
        return admitted  # the whole chat fits
    seqs = context.history_seqs
    aligned = [i for i in window if (seqs[i] or 0) % HISTORY_STEP == 0 and seqs[i]]
    if not aligned or aligned[0] == window[-1]:
        return admitted  # no such start, or it would leave only the last message
    return [u for u in admitted if u.kind != "history" or u.index >= aligned[0]]


def _candidates(context: _Context, base: PromptParts) -> Iterator[tuple[_Unit, str]]:
    """Every item in priority order, with the run it belongs to ("" for single items)."""
    for unit in _fixed_units(context, base):
        yield unit, ""
    history = _history_units(context, base)
    if context.continuing:  # the message being continued comes before everything optional
        yield next(history), ""
    if context.post_history:
        yield _Unit("post_history", cost=_turn_cost(context, base, _instruction(context))), ""
    for unit in _example_units(context, base):
        yield unit, "examples"
    for unit in history:
        yield unit, "history"


def _fixed_units(context: _Context, base: PromptParts) -> list[_Unit]:
    count = context.count_tokens
    units = []
    if context.scenario:
        units.append(_Unit("scenario", cost=count(context.scenario)))
    for index, active in enumerate(context.lore):
        cost = active.tokens
        if active.entry.position == "at_depth":
            cost = _turn_cost(context, base, Turn("system", "", active.content))
        units.append(_Unit("lore", index, cost))
    overhead = 0 if isinstance(context.template, InstructTemplate) else context.message_overhead
    units += [
        _Unit("section", i, count(text) + (0 if top else overhead))
        for i, (text, top) in enumerate(zip(context.sections, context.section_at_top, strict=True))
    ]
    return units


def _example_units(context: _Context, base: PromptParts) -> Iterator[_Unit]:
    for index, body in enumerate(context.example_blocks):
        if isinstance(context.template, InstructTemplate):
            text = context.template.examples(replace(base, example_blocks=(body,)))[0]
        else:
            text = example_message(body).content
        yield _Unit("example", index, context.count_tokens(text))


def _history_units(context: _Context, base: PromptParts) -> Iterator[_Unit]:
    """Newest first, measured only as far as the loop asks (a chat may be long)."""
    for index in range(len(context.history) - 1, -1, -1):
        yield _Unit("history", index, _turn_cost(context, base, context.history[index]))


def _turn_cost(context: _Context, base: PromptParts, turn: Turn) -> int:
    if isinstance(context.template, InstructTemplate):
        return context.count_tokens(context.template.format_turn(turn, base))
    return context.count_tokens(message_for(turn, base).content) + context.message_overhead


def _measure(context: _Context, parts: PromptParts) -> int:
    """The prompt's tokens: the rendered text, or the sum over the messages."""
    if isinstance(context.template, InstructTemplate):
        return context.count_tokens(context.template.render(parts))
    messages = render_messages(parts)
    return sum(context.count_tokens(m.content) for m in messages) + context.message_overhead * len(
        messages
    )


def _parts(context: _Context, admitted: Sequence[_Unit]) -> PromptParts:
    chosen: dict[UnitKind, list[int]] = {}
    for unit in admitted:
        chosen.setdefault(unit.kind, []).append(unit.index)
    lore = sorted((context.lore[i] for i in chosen.get("lore", [])), key=lambda a: a.placement)
    chosen_sections = sorted(chosen.get("section", []))
    top = [context.sections[i] for i in chosen_sections if context.section_at_top[i]]
    recalled = [context.sections[i] for i in chosen_sections if not context.section_at_top[i]]
    anchor = "\n".join(text.strip() for text in (context.roster, *top) if text.strip())
    story = replace(
        context.core,
        lore_before=_joined(lore, "before_char"),
        scenario=context.scenario if "scenario" in chosen else "",
        lore_after=_joined(lore, "after_char"),
        anchor_after=anchor,
    )
    history = chosen.get("history", [])
    start = min(history) if history else len(context.history)
    window = context.history[start:]
    turns = _turns(
        context,
        window,
        [a for a in lore if a.entry.position == "at_depth"],
        recalled="\n".join(text.strip() for text in recalled),
        post_history="post_history" in chosen,
    )
    return PromptParts(
        char_name=context.char.name,
        user_name=context.user_name,
        story=story,
        example_blocks=tuple(context.example_blocks[: len(chosen.get("example", []))]),
        turns=tuple(turns),
        group=context.group,
        named_users=context.named_users,
        continue_last=context.continue_last,
        starts_chat=start == 0 and bool(window) and turns[0] is window[0],
        group_names=tuple(context.group_names),
    )


def _turns(
    context: _Context,
    window: list[Turn],
    at_depth: list[ActiveEntry],
    *,
    recalled: str,
    post_history: bool,
) -> list[Turn]:
    """The history window with depth entries and recall injected, and the post-history
    instructions.

    A depth-d entry goes before the last d messages (at the top when the window is shorter);
    entries of one depth share one system turn, recall (at RECALL_DEPTH) after the lore.
    While continuing, depth 0 counts as 1 and the instructions go before the message being
    continued, as SillyTavern does.
    """
    continuing = context.continuing and bool(window)
    by_depth: dict[int, list[str]] = {}
    for active in at_depth:
        depth = max(active.entry.depth, 0)
        depth = 1 if continuing and depth == 0 else depth
        by_depth.setdefault(depth, []).append(active.content)
    if recalled:
        by_depth.setdefault(RECALL_DEPTH, []).append(recalled)
    turns: list[Turn] = []
    for index in range(len(window) + 1):
        after = len(window) - index
        for depth in sorted(by_depth, reverse=True):
            if min(depth, len(window)) == after:
                turns.append(Turn("system", "", "\n".join(by_depth[depth])))
        if index < len(window):
            turns.append(window[index])
    if post_history:
        position = len(turns) - 1 if continuing else len(turns)
        turns.insert(position, _instruction(context))
    return turns


def _instruction(context: _Context) -> Turn:
    return Turn("instruction", "", context.post_history)


def _joined(lore: list[ActiveEntry], position: str) -> str:
    return "\n".join(a.content for a in lore if a.entry.position == position)


def _stops(context: _Context, inputs: PromptInputs) -> tuple[str, ...]:
    """Name stops ("\\nAlice:") for the user, the other characters and people, then the
    template's own stop sequences."""
    names = [inputs.user_name, *context.group_names]
    names += [m.name for m in inputs.history if m.role == "user" and m.name]
    stops = [f"\n{name}:" for name in names if name and name != context.char.name]
    stops += context.template.stop_sequences(user=inputs.user_name, char=context.char.name)
    return tuple(dict.fromkeys(stops))
