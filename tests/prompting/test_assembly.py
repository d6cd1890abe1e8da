"""Context assembly under a budget: priority order, history truncation, placement, macros.

Tokens are counted as words, so with the chat template (tokens = the sum over the messages'
contents) every expectation is exact. The fixed prompt costs:

    core story "Be kind.\\nA forest guardian."             5
    scenario "A quiet glade."                              3
    constant lore entry "The glade is sacred."             4
    summary section "Alice likes tea."                     3
    example block "[Example Chat]\\nAlice: Hi\\nSeraphina: Hello"   6
    history: four messages "message N"                     2 each, 8
    post-history instructions "Stay brief."                2
                                                          --
                                                          31
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from cognitia.llm.ports import ChatMessage
from cognitia.prompting.assembly import assemble
from cognitia.prompting.types import (
    CharacterCard,
    ContextSection,
    HistoryMessage,
    Lorebook,
    LoreEntry,
    PromptInputs,
)


def words(text: str) -> int:
    return len(text.split())


CARD = CharacterCard(
    id="seraphina",
    name="Seraphina",
    system_prompt="Be kind.",
    description="A forest guardian.",
    scenario="A quiet glade.",
    example_dialogue="<START>\n{{user}}: Hi\n{{char}}: Hello",
    post_history_instructions="Stay brief.",
)
LORE = Lorebook(
    entries=[LoreEntry(id="sacred", keys=[], content="The glade is sacred.", constant=True)]
)
HISTORY = [
    HistoryMessage(
        "user" if k % 2 else "character", "Alice" if k % 2 else "Seraphina", f"message {k}"
    )
    for k in range(1, 5)
]
EXAMPLE = ChatMessage("system", "[Example Chat]\nAlice: Hi\nSeraphina: Hello")
POST = ChatMessage("system", "Stay brief.")


def inputs(budget: int = 10_000, **changes: object) -> PromptInputs:
    prompt = PromptInputs(
        character=CARD,
        user_name="Alice",
        history=HISTORY,
        budget_tokens=budget,
        count_tokens=words,
        now=datetime(2024, 3, 5, 15, 7, tzinfo=UTC),
        lorebooks=[LORE],
        sections=[ContextSection("summary", "Alice likes tea.")],
    )
    return replace(prompt, **changes)  # type: ignore[arg-type]


def story(*, lore: bool, scenario: bool, section: bool) -> ChatMessage:
    lines = ["Be kind.", "The glade is sacred." if lore else "", "A forest guardian."]
    lines += ["A quiet glade." if scenario else "", "Alice likes tea." if section else ""]
    return ChatMessage("system", "\n".join(line for line in lines if line))


def history(count: int) -> list[ChatMessage]:
    newest = HISTORY[len(HISTORY) - count :]
    return [ChatMessage("user" if m.role == "user" else "assistant", m.content) for m in newest]


def test_everything_fits() -> None:
    prompt = assemble(inputs(31))

    assert prompt.messages == [
        story(lore=True, scenario=True, section=True),
        EXAMPLE,
        *history(4),
        POST,
    ]
    assert prompt.tokens == 31
    assert prompt.used_entries == ["sacred"]
    assert prompt.history_included == 4
    assert prompt.text is None


@dataclass(frozen=True)
class Kept:
    scenario: bool = False
    lore: bool = False
    section: bool = False
    examples: bool = False
    history: int = 0
    post: bool = False


ALL_FIXED = Kept(scenario=True, lore=True, section=True)


@pytest.mark.parametrize(
    ("budget", "kept", "tokens"),
    [
        (31, replace(ALL_FIXED, examples=True, history=4, post=True), 31),
        (30, replace(ALL_FIXED, examples=True, history=3, post=True), 29),  # oldest message first
        (27, replace(ALL_FIXED, examples=True, history=2, post=True), 27),
        (22, replace(ALL_FIXED, history=2, post=True), 21),  # examples skipped, history fills
        (20, replace(ALL_FIXED, history=1, post=True), 19),
        (15, ALL_FIXED, 15),  # post-history instructions outrank examples and history only
        (11, Kept(scenario=True, section=True), 11),  # the lore entry alone does not fit
        (8, Kept(scenario=True), 8),
        (7, Kept(post=True), 7),
        (3, Kept(), 5),  # the core stays even over budget
    ],
)
def test_priority_order_when_the_budget_is_short(budget: int, kept: Kept, tokens: int) -> None:
    prompt = assemble(inputs(budget))

    expected = [story(lore=kept.lore, scenario=kept.scenario, section=kept.section)]
    expected += [EXAMPLE] if kept.examples else []
    expected += history(kept.history) + ([POST] if kept.post else [])
    assert prompt.messages == expected
    assert prompt.tokens == tokens
    assert prompt.history_included == kept.history
    assert prompt.used_entries == (["sacred"] if kept.lore else [])


def test_history_truncation_keeps_the_newest_messages() -> None:
    prompt = assemble(inputs(27))

    assert [m.content for m in prompt.messages if m.role in ("user", "assistant")] == [
        "message 3",
        "message 4",
    ]


def test_post_history_instructions_come_last() -> None:
    chat = assemble(inputs())
    chatml = assemble(inputs(character=replace(CARD, prompt_template="chatml")))

    assert chat.messages[-1] == POST
    assert chatml.text is not None
    assert chatml.text.endswith(
        "<|im_start|>assistant\nmessage 4<|im_end|>\n"
        "<|im_start|>user\nStay brief.<|im_end|>\n<|im_start|>assistant\n"
    )


def test_a_text_template_is_measured_on_its_text() -> None:
    card = replace(CARD, prompt_template="chatml")
    full = assemble(inputs(character=card))
    assert full.text is not None

    prompt = assemble(inputs(full.tokens - 3, character=card))

    assert prompt.text is not None
    assert prompt.tokens == words(prompt.text) <= full.tokens - 3
    assert "message 4" in prompt.text
    assert "Stay brief." in prompt.text, "post-history instructions outrank old history"
    assert prompt.history_included < 4


def test_continue_keeps_the_message_being_continued() -> None:
    full = assemble(inputs(continue_last=True))
    short = assemble(inputs(21 + 2, continue_last=True))

    assert full.messages[-3:] == [
        ChatMessage("user", "message 3"),
        POST,
        ChatMessage("assistant", "message 4"),
    ]
    # The continued message outranks the instructions, examples and older history.
    assert short.messages[-2:] == [POST, ChatMessage("assistant", "message 4")]
    assert EXAMPLE not in short.messages
    assert short.history_included == 3


def test_lore_at_a_depth_goes_before_the_last_messages() -> None:
    entries = [
        LoreEntry(id="d1", keys=["message"], content="Depth one.", position="at_depth", depth=1),
        LoreEntry(id="d9", keys=["message"], content="Deep.", position="at_depth", depth=9),
        LoreEntry(id="d0", keys=["message"], content="Depth zero.", position="at_depth", depth=0),
    ]
    card = replace(CARD, post_history_instructions="", example_dialogue="")

    prompt = assemble(inputs(character=card, lorebooks=[Lorebook(entries=entries)]))

    assert [m.content for m in prompt.messages[1:]] == [
        "Deep.",  # deeper than the history: at its top
        "message 1",
        "message 2",
        "message 3",
        "Depth one.",
        "message 4",
        "Depth zero.",
    ]
    assert prompt.messages[5].role == "system"
    assert prompt.used_entries == ["d1", "d9", "d0"]


def test_lore_entries_sit_before_and_after_the_character() -> None:
    entries = [
        LoreEntry(id="after", keys=["message"], content="After.", position="after_char"),
        LoreEntry(id="before", keys=["message"], content="Before.", position="before_char"),
    ]
    card = replace(CARD, scenario="")

    prompt = assemble(inputs(character=card, lorebooks=[Lorebook(entries=entries)], sections=[]))

    assert prompt.messages[0].content == "Be kind.\nBefore.\nA forest guardian.\nAfter."


def test_lore_beyond_the_budget_is_dropped_lowest_priority_first() -> None:
    entries = [
        LoreEntry(id="low", keys=["message"], content="one two three", insertion_order=1),
        LoreEntry(id="high", keys=["message"], content="four five", insertion_order=9),
    ]
    card = replace(CARD, scenario="", example_dialogue="", post_history_instructions="")
    lore = [Lorebook(entries=entries)]

    prompt = assemble(inputs(5 + 2 + 2, character=card, lorebooks=lore, sections=[]))

    assert prompt.used_entries == ["high"]
    assert prompt.history_included == 1


def test_the_summary_goes_after_the_persona_and_recall_before_the_last_message() -> None:
    sections = [
        ContextSection("summary", "They met at dawn."),
        ContextSection("memory", "{{user}} likes tea."),
        ContextSection("knowledge", "Glades are clearings."),
    ]
    card = replace(CARD, post_history_instructions="")
    prompt = assemble(
        inputs(character=card, lorebooks=[], sections=sections, persona_description="A traveler.")
    )

    assert prompt.messages[0].content == (
        "Be kind.\nA forest guardian.\nA quiet glade.\nA traveler.\nThey met at dawn."
    )
    assert prompt.messages[-2:] == [
        ChatMessage("system", "Alice likes tea.\nGlades are clearings."),
        ChatMessage("assistant", "message 4"),
    ]
    assert prompt.used_sections == [0, 1, 2]


def test_macros_apply_everywhere() -> None:
    card = CharacterCard(
        id="s",
        name="Seraphina",
        description="{{char}} guards {{user}}.",
        post_history_instructions="Answer {{user}} as {{char}}.",
        example_dialogue="{{user}}: Hi\n{{char}}: Hello at {{time}}",
    )
    entry = LoreEntry(id="e", keys=["{{char}}"], content="{{user}} trusts <BOT>.")
    history = [HistoryMessage("user", "Alice", "Hello {{char}}, it is {{date}}.")]

    prompt = assemble(
        inputs(
            character=card,
            history=history,
            lorebooks=[Lorebook(entries=[entry])],
            sections=[ContextSection("memory", "{{char}} met {{user}}.")],
            persona_description="<USER> is tired.",
        )
    )

    assert prompt.messages == [
        ChatMessage(
            "system",
            "Alice trusts Seraphina.\nSeraphina guards Alice.\nAlice is tired.",
        ),
        ChatMessage("system", "[Example Chat]\nAlice: Hi\nSeraphina: Hello at 3:07 PM"),
        ChatMessage("system", "Seraphina met Alice."),
        ChatMessage("user", "Hello Seraphina, it is March 5, 2024."),
        ChatMessage("system", "Answer Alice as Seraphina."),
    ]


def test_group_chat_lists_the_other_characters_briefly() -> None:
    long = "word " * 60
    others = [
        CharacterCard(id="b", name="Bob", description="{{char}} is a smith.\nHe is grumpy."),
        CharacterCard(id="c", name="Carol", personality="Cheerful."),
        CharacterCard(id="d", name="Dan"),
        CharacterCard(id="e", name="Eve", description=long),
    ]
    card = replace(CARD, scenario="", post_history_instructions="", example_dialogue="")

    prompt = assemble(inputs(character=card, other_characters=others, lorebooks=[], sections=[]))

    roster = prompt.messages[0].content.split("\n")[2:]
    assert roster[:4] == [
        "Other characters in this chat:",
        "- Bob: Bob is a smith.",
        "- Carol: Cheerful.",
        "- Dan",
    ]
    assert roster[4].startswith("- Eve: word word")
    assert roster[4].endswith("…")
    assert len(roster[4]) <= len("- Eve: ") + 161


def test_group_chat_names_speakers_and_stops_on_the_others() -> None:
    bob = CharacterCard(id="b", name="Bob")
    history = [
        HistoryMessage("user", "Alice", "Hi."),
        HistoryMessage("character", "Bob", "Hmph.", character_id="b"),
    ]

    prompt = assemble(inputs(history=history, other_characters=[bob]))

    assert prompt.messages[2:4] == [
        ChatMessage("user", "Alice: Hi."),
        ChatMessage("assistant", "Bob: Hmph."),
    ]
    assert prompt.stop == ("\nAlice:", "\nBob:")
