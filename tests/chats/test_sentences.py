"""Sentences out of a reply that arrives in pieces (pure; no database)."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from cognitia.chats import sentences
from cognitia.chats.sentences import SentenceStream


def feed_all(pieces: list[str]) -> tuple[list[list[str]], list[str]]:
    stream = SentenceStream()
    return [stream.feed(p) for p in pieces], stream.close()


def test_a_sentence_is_emitted_once_the_next_one_begins() -> None:
    steps, rest = feed_all(["Hello", " there.", " How", " are", " you?", " Fine."])

    assert steps == [[], [], ["Hello there."], [], [], ["How are you?"]]
    assert rest == ["Fine."]


def test_abbreviations_decimals_and_ellipses_do_not_end_sentences_early() -> None:
    text = "Dr. Smith paid 3.5 dollars... then left. Really? Yes"
    steps, rest = feed_all(list(text))  # one character at a time

    emitted = [s for step in steps for s in step]
    assert emitted == ["Dr. Smith paid 3.5 dollars... then left.", "Really?"]
    assert rest == ["Yes"]


def test_nothing_but_whitespace_gives_no_sentence() -> None:
    steps, rest = feed_all(["  ", "\n"])

    assert steps == [[], []]
    assert rest == []


def test_the_count_numbers_sentences() -> None:
    stream = SentenceStream()
    stream.feed("One. Two. Three")
    assert stream.count == 2
    stream.close()
    assert stream.count == 3


PIECES = st.sampled_from(
    ["Hello", " there", ".", " How", " are", " you", "?", " Dr", ". Smith", " paid",
     " 3", ".5", "...", " Yes", "!", "\n", " Wait", ":", " one", ";", " \u2026", " Mr."]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=40))
def test_splitting_only_after_a_terminator_finds_the_same_sentences(pieces: list[str]) -> None:
    """The shortcut (no split while the pending text has no terminator) is only that:
    a stream that splits after every piece emits the same sentences at the same pieces."""
    fast = SentenceStream()
    always = SentenceStream()
    with patch.object(sentences, "_may_end_a_sentence", lambda _text: True):
        slow_steps = [always.feed(p) for p in pieces] + [always.close()]
    fast_steps = [fast.feed(p) for p in pieces] + [fast.close()]

    assert fast_steps == slow_steps
