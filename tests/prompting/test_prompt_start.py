"""The start of a chat's prompt stays the same from one reply to the next, so a model
server that caches a prompt's evaluated start (llama.cpp, vLLM) evaluates only what is new:
recall goes in before the last message, and a long chat's history is trimmed
HISTORY_STEP messages at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from cognitia.llm.ports import ChatMessage
from cognitia.prompting.assembly import HISTORY_STEP, assemble
from cognitia.prompting.types import CharacterCard, ContextSection, HistoryMessage, PromptInputs

CARD = CharacterCard(id="a", name="Aria", description="A lighthouse keeper.")
BUDGET = 200  # words: about 40 of the messages below


def words(text: str) -> int:
    return len(text.split())


def chat(length: int) -> list[HistoryMessage]:
    return [
        HistoryMessage(
            "user" if seq % 2 == 0 else "character",
            "Ann" if seq % 2 == 0 else "Aria",
            f"message {seq} about the tide",
            seq=seq,
        )
        for seq in range(1, length + 1)
    ]


def prompt_for(length: int, *, whole: bool = True) -> list[ChatMessage]:
    recalled = ContextSection("memory", f"Recalled for message {length}.")
    inputs = PromptInputs(
        character=CARD,
        user_name="Ann",
        history=chat(length),
        budget_tokens=BUDGET,
        count_tokens=words,
        now=datetime(2026, 1, 1, tzinfo=UTC),
        sections=[recalled],
        history_is_whole=whole,
    )
    return assemble(inputs).messages


def first_history_message(messages: list[ChatMessage]) -> str:
    return next(m.content for m in messages if m.role in ("user", "assistant"))


def test_a_trimmed_history_starts_at_a_step() -> None:
    messages = prompt_for(103)  # would start at message 66

    first = int(first_history_message(messages).split()[1])
    assert first % HISTORY_STEP == 0
    assert first > 1


def test_a_chat_that_fits_is_not_trimmed() -> None:
    messages = prompt_for(9)

    assert first_history_message(messages) == "message 1 about the tide"


def test_the_latest_part_of_a_longer_chat_is_trimmed_at_a_step_too() -> None:
    messages = prompt_for(30, whole=False)  # the first message read is not the chat's first

    assert int(first_history_message(messages).split()[1]) % HISTORY_STEP == 0


def test_each_reply_repeats_the_previous_prompt_up_to_its_recall() -> None:
    starts, reused = set(), 0
    for length in range(100, 140, 2):  # one exchange at a time
        before, after = prompt_for(length), prompt_for(length + 2)
        start = before[: before.index(ChatMessage("system", f"Recalled for message {length}."))]
        starts.add(first_history_message(before))
        if after[: len(start)] == start:
            reused += 1

    assert len(starts) <= 40 // HISTORY_STEP + 1  # the start moved once every few exchanges
    assert reused >= 20 - len(starts)
