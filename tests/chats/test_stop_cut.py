"""StopCut: a reply cut at the first stop string, without passing on any of it, however
the text arrives; text that cannot begin a stop string is passed on at once."""

from __future__ import annotations

import pytest

from cognitia.chats.stops import StopCut


def cut(stops: list[str], pieces: list[str], *, line_start: bool = True) -> tuple[str, bool]:
    """What a StopCut passes on for `pieces`, and whether it found a stop string."""
    stop_cut = StopCut(stops, line_start=line_start)
    out = "".join(stop_cut.feed(piece) for piece in pieces) + stop_cut.close()
    return out, stop_cut.found


def every_split(text: str) -> list[list[str]]:
    """The text as one piece, word by word, and character by character."""
    words = text.split(" ")
    return [[text], [w + " " for w in words[:-1]] + [words[-1]], list(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there.\nAna: What a wonderful tale.", "Hello there."),
        ("Ana: What a wonderful tale.", ""),
        ("*smiles*\n\nAna: Thanks.\nAria: Welcome.", "*smiles*\n"),
        ("A tale.<|im_end|>\n<|im_start|>user", "A tale."),
        ("Hello there.", "Hello there."),
        ("Anatomy: bones.\nAnalysis: none.", "Anatomy: bones.\nAnalysis: none."),
        ("I said to Ana: come.", "I said to Ana: come."),  # mid-line: prose, not a line of hers
        ("The end.\nAn", "The end.\nAn"),  # held back until the end, then passed on
    ],
)
def test_the_cut_falls_at_the_first_stop_however_the_text_is_split(
    text: str, expected: str
) -> None:
    for pieces in every_split(text):
        assert cut(["\nAna:", "<|im_end|>"], pieces) == (expected, expected != text), pieces


def test_a_continued_reply_starts_a_line_only_after_a_newline() -> None:
    assert cut(["\nAna:"], ["Ana: hi"], line_start=False) == ("Ana: hi", False)
    assert cut(["\nAna:"], ["Ana: hi"], line_start=True) == ("", True)


def test_text_is_passed_on_at_once_unless_it_may_begin_a_stop() -> None:
    stop_cut = StopCut(["\nAna:"])

    assert stop_cut.feed("Hello") == "Hello"
    assert stop_cut.feed(" there.\nA") == " there."
    assert stop_cut.feed("lso fine.") == "\nAlso fine."
    assert stop_cut.feed("\nAna: more") == ""
    assert stop_cut.feed(" and more") == ""
    assert stop_cut.close() == ""
