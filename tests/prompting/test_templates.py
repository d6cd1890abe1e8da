"""Golden prompts: each template renders one fixed chat exactly as SillyTavern would.

How every expected string below was derived, by hand, from SillyTavern's behaviour in text
completion with instruct mode on, the preset's context template (all of them now share the
default story string, with empty example separator and chat start), the card's system prompt
and post-history instructions preferred over the global ones, and the persona "in prompt":

1. Story string: the non-empty fields system prompt, description, personality, scenario,
   persona, each followed by "\\n", then {{trim}} removes the last newline. renderStoryString
   appends "\\n" only when the preset wraps and has no story suffix. Then
   formatInstructModeStoryString puts story_string_prefix + (wrap ? "\\n" : "") before it and
   story_string_suffix after it.
2. Examples: the <START> block becomes "{Example Dialogue:}", its first line is skipped, lines
   starting "Alice:" / "Seraphina:" start the user's / character's message with that prefix
   removed (parseExampleIntoIndividual). formatInstructModeExamples writes each as
   [sequence, content + suffix] joined by (wrap ? "\\n" : ""), a missing suffix becoming "\\n"
   when wrapping; with names_behavior "force" the user's example lines keep "Alice: ",
   with "always" both speakers' do.
3. Chat: each message is formatInstructModeChat: [sequence, (name: )text + suffix] joined the
   same way; "force" shows names only in groups (never the user's own), "always" always.
   The post-history instructions follow the chat as a nameless user message.
4. The last message loses one trailing "\\n" when the preset wraps; then
   formatInstructModePrompt opens the character's turn: (wrap ? "\\n" : "") + last output
   sequence or output sequence (+ "\\n" + "Seraphina:" when names show), trimmed at the end
   when wrapping, + (wrap ? "\\n" : "") when no name was added.

The fixed chat: card Seraphina, user Alice, persona, one example block, history
[Alice "Hello?", Seraphina "Welcome, {{user}}.", Alice "Where am I?"].
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from cognitia.llm.ports import ChatMessage
from cognitia.prompting.assembly import assemble
from cognitia.prompting.templates import (
    CHATML,
    TEMPLATE_NAMES,
    TEMPLATES,
    UnknownTemplate,
    get_template,
)
from cognitia.prompting.types import CharacterCard, HistoryMessage, PromptInputs

CARD = CharacterCard(
    id="seraphina",
    name="Seraphina",
    description="{{char}} is a guardian of the forest.",
    personality="Kind and protective.",
    scenario="{{user}} wakes up in a glade.",
    system_prompt="You are {{char}}, talking with {{user}}.",
    post_history_instructions="Stay in character.",
    example_dialogue="<START>\n{{user}}: Who are you?\n{{char}}: I am {{char}}.",
)
HISTORY = [
    HistoryMessage(role="user", name="Alice", content="Hello?"),
    HistoryMessage(role="character", name="Seraphina", content="Welcome, {{user}}."),
    HistoryMessage(role="user", name="Alice", content="Where am I?"),
]
STORY = (
    "You are Seraphina, talking with Alice.\n"
    "Seraphina is a guardian of the forest.\n"
    "Kind and protective.\n"
    "Alice wakes up in a glade.\n"
    "Alice is a lost traveler."
)


def inputs(template: str, **changes: object) -> PromptInputs:
    prompt = PromptInputs(
        character=replace(CARD, prompt_template=template),
        user_name="Alice",
        history=HISTORY,
        budget_tokens=10_000,
        count_tokens=lambda text: len(text.split()),
        now=datetime(2024, 3, 5, 15, 7, tzinfo=UTC),
        persona_description="{{user}} is a lost traveler.",
    )
    return replace(prompt, **changes)  # type: ignore[arg-type]


def test_chatml() -> None:
    """ChatML: wrap; user/assistant/system "<|im_start|>role", suffixes "<|im_end|>\\n";
    story prefix "<|im_start|>system", suffix "<|im_end|>\\n" (no extra newline: a suffix)."""
    prompt = assemble(inputs("chatml"))

    assert prompt.text == (
        f"<|im_start|>system\n{STORY}<|im_end|>\n"
        "<|im_start|>user\nAlice: Who are you?<|im_end|>\n"
        "<|im_start|>assistant\nI am Seraphina.<|im_end|>\n"
        "<|im_start|>user\nHello?<|im_end|>\n"
        "<|im_start|>assistant\nWelcome, Alice.<|im_end|>\n"
        "<|im_start|>user\nWhere am I?<|im_end|>\n"
        "<|im_start|>user\nStay in character.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert prompt.stop == (
        "\nAlice:",
        "\n<|im_end|>",
        "\n<|im_start|>user",
        "\n<|im_start|>assistant",
        "\n<|im_start|>system",
    )


def test_llama3() -> None:
    """Llama 3 Instruct: no wrap; header sequences end in "\\n\\n", every suffix "<|eot_id|>";
    story prefix is the system header, suffix "<|eot_id|>". Stop strings are split on
    newlines, so the headers appear without their "\\n\\n"."""
    prompt = assemble(inputs("llama3"))

    assert prompt.text == (
        f"<|start_header_id|>system<|end_header_id|>\n\n{STORY}<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nAlice: Who are you?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nI am Seraphina.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHello?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nWelcome, Alice.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhere am I?<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nStay in character.<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    assert prompt.stop == (
        "\nAlice:",
        "<|eot_id|>",
        "<|start_header_id|>user<|end_header_id|>",
        "<|start_header_id|>assistant<|end_header_id|>",
        "<|start_header_id|>system<|end_header_id|>",
    )


def test_alpaca() -> None:
    """Alpaca: wrap; "### Instruction:" / "### Response:", suffixes "\\n\\n"; no story prefix,
    story suffix "\\n\\n". The last message "...Where am I?\\n\\n" loses one newline, then
    "\\n### Response:" + "\\n" opens the answer."""
    prompt = assemble(inputs("alpaca"))

    assert prompt.text == (
        f"{STORY}\n\n"
        "### Instruction:\nAlice: Who are you?\n\n"
        "### Response:\nI am Seraphina.\n\n"
        "### Instruction:\nHello?\n\n"
        "### Response:\nWelcome, Alice.\n\n"
        "### Instruction:\nWhere am I?\n\n"
        "### Instruction:\nStay in character.\n\n"
        "### Response:\n"
    )
    assert prompt.stop == ("\nAlice:", "\n### Instruction:", "\n### Response:", "\n### Input:")


def test_metharme() -> None:
    """Metharme: no wrap, no suffixes; "<|user|>" / "<|model|>"; story prefix "<|system|>",
    so nothing separates the story from the first turn."""
    prompt = assemble(inputs("metharme"))

    assert prompt.text == (
        f"<|system|>{STORY}"
        "<|user|>Alice: Who are you?<|model|>I am Seraphina."
        "<|user|>Hello?<|model|>Welcome, Alice.<|user|>Where am I?"
        "<|user|>Stay in character.<|model|>"
    )
    assert prompt.stop == ("\nAlice:", "</s>", "<|user|>", "<|model|>")


def test_mistral() -> None:
    """Mistral V1: no wrap; input " [INST] ", output " [/INST] ", last output " [/INST]",
    output suffix "</s>"; story prefix " [INST] ", suffix " [/INST] Understood.</s>".
    The chat opens with the user, so no alignment message; the answer opens with the
    last output sequence."""
    prompt = assemble(inputs("mistral"))

    assert prompt.text == (
        f" [INST] {STORY} [/INST] Understood.</s>"
        " [INST] Alice: Who are you? [/INST] I am Seraphina.</s>"
        " [INST] Hello? [/INST] Welcome, Alice.</s>"
        " [INST] Where am I? [INST] Stay in character. [/INST]"
    )
    assert prompt.stop == ("\nAlice:", " [INST] ", " [/INST] ", " [/INST]")


def test_mistral_aligns_a_chat_that_opens_with_the_character() -> None:
    """Mistral V1's user_alignment_message is sent as the first user turn (first input
    sequence, i.e. " [INST] ") when the oldest message in the prompt is not the user's."""
    history = [
        HistoryMessage(role="character", name="Seraphina", content="Welcome, {{user}}."),
        HistoryMessage(role="user", name="Alice", content="Where am I?"),
    ]
    card = replace(CARD, example_dialogue="", prompt_template="mistral")

    prompt = assemble(inputs("mistral", character=card, history=history))

    assert prompt.text == (
        f" [INST] {STORY} [/INST] Understood.</s>"
        " [INST] Let's get started. Please respond based on the information and instructions"
        " provided above. [/INST] Welcome, Alice.</s>"
        " [INST] Where am I? [INST] Stay in character. [/INST]"
    )


def test_pygmalion() -> None:
    """Pygmalion (its last SillyTavern preset): Metharme's sequences, stop "<|user|>",
    names "always": every speaker's name, example lines included, and the opened turn is
    "<|model|>Seraphina:". The nameless post-history message has no name to show."""
    prompt = assemble(inputs("pygmalion"))

    assert prompt.text == (
        f"<|system|>{STORY}"
        "<|user|>Alice: Who are you?<|model|>Seraphina: I am Seraphina."
        "<|user|>Alice: Hello?<|model|>Seraphina: Welcome, Alice.<|user|>Alice: Where am I?"
        "<|user|>Stay in character.<|model|>Seraphina:"
    )
    assert prompt.stop == ("\nAlice:", "<|user|>", "<|model|>")


def test_chat_renders_role_messages_and_no_text() -> None:
    """chat: SillyTavern's chat-completion shape: the story as a system message, the example
    block as an "[Example Chat]" system message, the history, then the post-history
    instructions as a system message."""
    prompt = assemble(inputs("chat"))

    assert prompt.text is None
    assert prompt.messages == [
        ChatMessage("system", STORY),
        ChatMessage("system", "[Example Chat]\nAlice: Who are you?\nSeraphina: I am Seraphina."),
        ChatMessage("user", "Hello?"),
        ChatMessage("assistant", "Welcome, Alice."),
        ChatMessage("user", "Where am I?"),
        ChatMessage("system", "Stay in character."),
    ]
    assert prompt.stop == ("\nAlice:",)


def test_instruct_templates_return_the_same_messages_as_chat() -> None:
    assert assemble(inputs("chatml")).messages == assemble(inputs("chat")).messages


def test_continue_leaves_the_last_message_open() -> None:
    """Continue (ChatML): the character's last message is written without its suffix and no
    new turn is opened; the post-history instructions go before it (SillyTavern splices
    them in front of the message being continued)."""
    history = [*HISTORY[:2], HistoryMessage("character", "Seraphina", "The glade is")]
    history[1] = HistoryMessage("user", "Alice", "Where am I?")
    card = replace(CARD, example_dialogue="", prompt_template="chatml")

    prompt = assemble(inputs("chatml", character=card, history=history, continue_last=True))

    assert prompt.text == (
        f"<|im_start|>system\n{STORY}<|im_end|>\n"
        "<|im_start|>user\nHello?<|im_end|>\n"
        "<|im_start|>user\nWhere am I?<|im_end|>\n"
        "<|im_start|>user\nStay in character.<|im_end|>\n"
        "<|im_start|>assistant\nThe glade is"
    )
    assert prompt.messages[-2:] == [
        ChatMessage("system", "Stay in character."),
        ChatMessage("assistant", "The glade is"),
    ]


def test_continue_uses_the_last_output_sequence() -> None:
    """Mistral V1 continue: the continued message takes last_output_sequence " [/INST]"
    joined without a separator, exactly as SillyTavern writes it."""
    history = [HISTORY[0], HistoryMessage("character", "Seraphina", "Welcome,")]
    card = replace(
        CARD, example_dialogue="", post_history_instructions="", prompt_template="mistral"
    )

    prompt = assemble(inputs("mistral", character=card, history=history, continue_last=True))

    assert prompt.text == f" [INST] {STORY} [/INST] Understood.</s> [INST] Hello? [/INST]Welcome,"


def test_group_chat_shows_the_characters_names() -> None:
    """ChatML in a group: "force" shows every character's name but not the user's, in the
    chat and in the examples (parseExampleIntoIndividual prefixes both speakers), and the
    opened turn ends "Seraphina:" with no trailing newline. The other character is listed
    after the persona; its name is a stop string."""
    bob = CharacterCard(id="bob", name="Bob", description="A dwarf smith.\nGrumpy.")
    history = [
        HistoryMessage("user", "Alice", "Hi all."),
        HistoryMessage("character", "Bob", "Hmph.", character_id="bob"),
        HistoryMessage("character", "Seraphina", "Welcome.", character_id="seraphina"),
    ]

    prompt = assemble(inputs("chatml", history=history, other_characters=[bob]))

    assert prompt.text == (
        f"<|im_start|>system\n{STORY}\nOther characters in this chat:\n- Bob: A dwarf smith."
        "<|im_end|>\n"
        "<|im_start|>user\nAlice: Who are you?<|im_end|>\n"
        "<|im_start|>assistant\nSeraphina: I am Seraphina.<|im_end|>\n"
        "<|im_start|>user\nHi all.<|im_end|>\n"
        "<|im_start|>assistant\nBob: Hmph.<|im_end|>\n"
        "<|im_start|>assistant\nSeraphina: Welcome.<|im_end|>\n"
        "<|im_start|>user\nStay in character.<|im_end|>\n"
        "<|im_start|>assistant\nSeraphina:"
    )
    assert prompt.stop[:2] == ("\nAlice:", "\nBob:")
    assert prompt.messages[2:5] == [
        ChatMessage("user", "Alice: Hi all."),
        ChatMessage("assistant", "Bob: Hmph."),
        ChatMessage("assistant", "Seraphina: Welcome."),
    ]


def test_several_people_are_named() -> None:
    """Two people, one character. In the text, as in SillyTavern ("force": a message with a
    persona's avatar is named unless it is the current user's), only the other person is
    named; in the messages every user message carries its author's name. The other person's
    name is a stop string."""
    history = [
        HistoryMessage("user", "Alice", "Hi."),
        HistoryMessage("user", "Bob", "Hello."),
    ]
    card = replace(CARD, example_dialogue="", post_history_instructions="")

    prompt = assemble(
        inputs("metharme", character=replace(card, prompt_template="metharme"), history=history)
    )

    assert prompt.text == f"<|system|>{STORY}<|user|>Hi.<|user|>Bob: Hello.<|model|>"
    assert prompt.messages[1:] == [
        ChatMessage("user", "Alice: Hi."),
        ChatMessage("user", "Bob: Hello."),
    ]
    assert prompt.stop[:2] == ("\nAlice:", "\nBob:")


def test_an_empty_chat_still_opens_the_characters_turn() -> None:
    """With no message there is no trailing newline to remove: SillyTavern's opened turn
    "\n<|im_start|>assistant\n" follows the story's "<|im_end|>\n", leaving a blank line."""
    card = replace(
        CARD, example_dialogue="", post_history_instructions="", prompt_template="chatml"
    )

    prompt = assemble(inputs("chatml", character=card, history=[]))

    assert prompt.text == f"<|im_start|>system\n{STORY}<|im_end|>\n\n<|im_start|>assistant\n"


def test_post_history_instructions_alone_make_the_chat() -> None:
    card = replace(CARD, example_dialogue="", prompt_template="chatml")

    prompt = assemble(inputs("chatml", character=card, history=[]))

    assert prompt.text == (
        f"<|im_start|>system\n{STORY}<|im_end|>\n"
        "<|im_start|>user\nStay in character.<|im_end|>\n<|im_start|>assistant\n"
    )


def test_narrator_messages_use_the_system_sequence() -> None:
    """A system message in the history is a narrator turn: system sequence (or the user's when
    the preset has system_same_as_user), never a name."""
    history = [HistoryMessage("system", "", "Night falls.")]
    parts_card = replace(CARD, example_dialogue="", post_history_instructions="")

    chatml = assemble(
        inputs("chatml", character=replace(parts_card, prompt_template="chatml"), history=history)
    )
    metharme = assemble(
        inputs(
            "metharme", character=replace(parts_card, prompt_template="metharme"), history=history
        )
    )

    assert chatml.text is not None
    assert "<|im_start|>system\nNight falls.<|im_end|>\n" in chatml.text
    assert metharme.text is not None
    assert metharme.text.endswith("<|user|>Night falls.<|model|>")


def test_template_names_are_the_ones_the_api_accepts() -> None:
    assert set(TEMPLATE_NAMES) == set(TEMPLATES)
    assert TEMPLATE_NAMES[0] == "chat"
    assert get_template("chatml") is CHATML


def test_an_unknown_template_is_a_client_error() -> None:
    with pytest.raises(UnknownTemplate) as raised:
        get_template("vicuna")

    assert raised.value.status_code == 422
    assert raised.value.code == "unknown_template"
    with pytest.raises(UnknownTemplate):
        assemble(inputs("vicuna"))
