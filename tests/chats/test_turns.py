"""Who answers a message in a group chat: each turn-taking strategy, without a database."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from cognitia.chats.errors import NotInChat, SpeakerRequired
from cognitia.chats.turns import (
    ChosenNotInChat,
    NoSpeakerChosen,
    Speaker,
    choose_speakers,
    mentions,
)
from cognitia.models.chat import TurnStrategy

ALL = list(TurnStrategy)
AUTO = [s for s in TurnStrategy if s is not TurnStrategy.MANUAL]


def cast(*talkativeness: float) -> list[Speaker]:
    names = ["Alice", "Bob", "Carol", "Dave", "Eve"]
    return [
        Speaker(character_id=name.lower(), name=name, talkativeness=t, position=i)
        for i, (name, t) in enumerate(zip(names, talkativeness, strict=False))
    ]


def choose(
    strategy: TurnStrategy, characters: Sequence[Speaker], *, seed: int = 1, **options: Any
) -> list[str]:
    """choose_speakers with a seeded rng and defaults for what a test leaves out."""
    arguments: dict[str, Any] = {
        "message": "Hello everyone.",
        "recent": (),
        "auto_turns": 0,
        "chosen": None,
        **options,
    }
    return choose_speakers(strategy, characters, rng=random.Random(seed), **arguments)


def assert_never_twice(recent: Sequence[str], spoken: Sequence[str]) -> None:
    sequence = [*recent[-1:], *spoken]
    assert all(a != b for a, b in itertools.pairwise(sequence)), sequence


# natural


def test_natural_mentioned_characters_answer_first_in_mention_order() -> None:
    characters = cast(0.0, 0.0, 0.0, 0.0)

    spoken = choose(TurnStrategy.NATURAL, characters, message="dave? and ALICE, what say you")

    assert spoken == ["dave", "alice"]


def test_natural_mentions_are_whole_words() -> None:
    characters = cast(0.0, 0.0, 0.0)

    assert mentions("Bobby and Caroline met Alice's cat", characters) == ["alice"]
    assert mentions("bob-carol", characters) == ["bob", "carol"]


def test_natural_a_longer_name_wins_over_a_name_inside_it() -> None:
    characters = [
        Speaker(character_id="ann", name="Ann", talkativeness=0, position=0),
        Speaker(character_id="ann-marie", name="Ann Marie", talkativeness=0, position=1),
    ]

    assert mentions("Hi Ann Marie!", characters) == ["ann-marie"]
    assert mentions("Ann Marie, then Ann.", characters) == ["ann-marie", "ann"]


def test_natural_mentions_then_the_talkative_join() -> None:
    characters = cast(0.0, 1.0, 1.0, 0.0)

    spoken = choose(TurnStrategy.NATURAL, characters, message="Dave, start.")

    assert spoken[0] == "dave"
    assert sorted(spoken[1:]) == ["bob", "carol"]


@pytest.mark.parametrize("seed", range(20))
def test_natural_talkativeness_zero_gives_exactly_one_speaker(seed: int) -> None:
    characters = cast(0.0, 0.0, 0.0)

    spoken = choose(TurnStrategy.NATURAL, characters, recent=["bob"], auto_turns=3, seed=seed)

    assert len(spoken) == 1
    assert spoken != ["bob"]


@pytest.mark.parametrize("seed", range(20))
def test_natural_talkativeness_one_brings_everyone_but_the_previous_speaker(seed: int) -> None:
    characters = cast(1.0, 1.0, 1.0)

    spoken = choose(TurnStrategy.NATURAL, characters, recent=["carol"], seed=seed)

    assert sorted(spoken) == ["alice", "bob"]


def test_natural_fallback_prefers_characters_who_talk_at_all() -> None:
    characters = cast(0.0, 0.0, 0.000001)
    picks = set()
    for seed in range(30):
        spoken = choose(TurnStrategy.NATURAL, characters, seed=seed)
        assert len(spoken) == 1
        picks.add(spoken[0])

    assert picks == {"carol"}


def test_natural_addressing_the_previous_speaker_makes_them_answer_second() -> None:
    characters = cast(0.0, 0.0, 0.0)

    spoken = choose(TurnStrategy.NATURAL, characters, message="Alice, again?", recent=["alice"])

    assert len(spoken) == 2
    assert spoken[1] == "alice"
    assert spoken[0] in {"bob", "carol"}


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("strategy", AUTO)
def test_nobody_speaks_twice_in_a_row(strategy: TurnStrategy, seed: int) -> None:
    rng = random.Random(seed)
    characters = cast(*(rng.random() for _ in range(4)))
    recent = [rng.choice(characters).character_id for _ in range(rng.randrange(4))]
    message = rng.choice(["Alice!", "Bob and Alice", "nobody", "Dave, Carol, Dave"])

    spoken = choose(strategy, characters, message=message, recent=recent, auto_turns=3, seed=seed)

    assert spoken
    assert_never_twice(recent, spoken)


def test_natural_follow_ups_with_talkativeness_one_fill_every_turn() -> None:
    characters = cast(1.0, 1.0, 1.0)

    spoken = choose(TurnStrategy.NATURAL, characters, recent=["alice"], auto_turns=4)

    assert len(spoken) == 2 + 4  # bob and carol, then four follow-ups
    assert_never_twice(["alice"], spoken)


def test_natural_follow_ups_stop_when_nobody_wants_to_talk() -> None:
    characters = cast(0.0, 0.0, 0.0)

    spoken = choose(TurnStrategy.NATURAL, characters, message="Alice, Bob", auto_turns=5)

    assert spoken == ["alice", "bob"]


def test_natural_follow_ups_never_pick_the_last_speaker_even_when_only_they_talk() -> None:
    characters = cast(1.0, 0.0)

    spoken = choose(TurnStrategy.NATURAL, characters, message="Bob?", auto_turns=5)

    # bob answers (addressed), alice joins by talkativeness; then only alice would
    # follow up, and she just spoke.
    assert spoken == ["bob", "alice"]


# list


def test_list_everyone_once_in_position_order() -> None:
    characters = list(reversed(cast(0.5, 0.5, 0.5)))  # the given order does not matter

    assert choose(TurnStrategy.LIST, characters) == ["alice", "bob", "carol"]


def test_list_rotates_from_after_the_previous_speaker() -> None:
    characters = cast(0.5, 0.5, 0.5)

    assert choose(TurnStrategy.LIST, characters, recent=["carol", "alice"]) == [
        "bob",
        "carol",
        "alice",
    ]
    assert choose(TurnStrategy.LIST, characters, recent=["carol"]) == ["alice", "bob", "carol"]


def test_list_follow_ups_continue_the_rotation() -> None:
    characters = cast(0.0, 0.0, 0.0)

    spoken = choose(TurnStrategy.LIST, characters, recent=["alice"], auto_turns=2)

    assert spoken == ["bob", "carol", "alice", "bob", "carol"]


def test_list_ignores_speakers_no_longer_in_the_chat() -> None:
    characters = cast(0.5, 0.5)

    assert choose(TurnStrategy.LIST, characters, recent=["alice", "zed"]) == ["bob", "alice"]


# pooled


def test_pooled_one_reply_from_those_who_have_not_spoken() -> None:
    characters = cast(0.5, 0.5, 0.5)

    for seed in range(10):
        spoken = choose(TurnStrategy.POOLED, characters, recent=["alice", "carol"], seed=seed)
        assert spoken == ["bob"]


def test_pooled_is_fair_over_several_rounds() -> None:
    characters = cast(0.1, 0.9, 0.5, 1.0)
    rng = random.Random(7)
    history: list[str] = []
    for _ in range(6):
        history += choose_speakers(
            TurnStrategy.POOLED,
            characters,
            message="and then?",
            recent=history,
            auto_turns=1,
            chosen=None,
            rng=rng,
        )

    assert len(history) == 12
    for start in range(0, 12, 4):  # each full cycle has everyone exactly once
        assert sorted(history[start : start + 4]) == ["alice", "bob", "carol", "dave"]
    assert Counter(history) == dict.fromkeys(["alice", "bob", "carol", "dave"], 3)
    assert_never_twice([], history)


def test_pooled_follow_ups_count() -> None:
    characters = cast(0.0, 0.0, 0.0)

    spoken = choose(TurnStrategy.POOLED, characters, auto_turns=4)

    assert len(spoken) == 5
    assert sorted(spoken[:3]) == ["alice", "bob", "carol"]


# manual


def test_manual_is_exactly_the_chosen_character() -> None:
    characters = cast(1.0, 1.0, 1.0)

    spoken = choose(TurnStrategy.MANUAL, characters, chosen="bob", recent=["bob"], auto_turns=3)

    assert spoken == ["bob"]


def test_manual_without_a_choice_is_refused() -> None:
    with pytest.raises(NoSpeakerChosen) as caught:
        choose(TurnStrategy.MANUAL, cast(0.5, 0.5))

    assert isinstance(caught.value, SpeakerRequired)
    assert caught.value.status_code == 422
    assert caught.value.code == "speaker_required"


def test_manual_with_a_character_not_in_the_chat_is_refused() -> None:
    with pytest.raises(NoSpeakerChosen) as caught:
        choose(TurnStrategy.MANUAL, cast(0.5, 0.5), chosen="zed")

    assert isinstance(caught.value, ChosenNotInChat)
    assert isinstance(caught.value, NotInChat)
    assert caught.value.code == "speaker_not_in_chat"


# one character, no character, determinism


@pytest.mark.parametrize("strategy", ALL)
def test_a_single_character_always_answers_once(strategy: TurnStrategy) -> None:
    characters = cast(0.0)

    spoken = choose(strategy, characters, recent=["alice"], auto_turns=3)

    assert spoken == ["alice"]


def test_a_single_character_chosen_by_hand_must_be_that_character() -> None:
    with pytest.raises(ChosenNotInChat):
        choose(TurnStrategy.MANUAL, cast(0.5), chosen="bob")
    assert choose(TurnStrategy.MANUAL, cast(0.5), chosen="alice") == ["alice"]


@pytest.mark.parametrize("strategy", AUTO)
def test_a_chat_without_characters_has_nobody_to_answer(strategy: TurnStrategy) -> None:
    assert choose(strategy, [], auto_turns=2) == []


@pytest.mark.parametrize("strategy", AUTO)
def test_the_same_seed_gives_the_same_speakers(strategy: TurnStrategy) -> None:
    characters = cast(0.3, 0.6, 0.5, 0.8, 0.2)
    runs = {
        tuple(choose(strategy, characters, recent=["bob"], auto_turns=4, seed=42)) for _ in range(5)
    }

    assert len(runs) == 1
    different = {
        tuple(choose(strategy, characters, recent=["bob"], auto_turns=4, seed=seed))
        for seed in range(30)
    }
    if strategy is not TurnStrategy.LIST:  # list order involves no chance at all
        assert len(different) > 1
