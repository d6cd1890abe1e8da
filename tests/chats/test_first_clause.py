"""A spoken reply's first chunk flushed early, at its first clause (pure; no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cognitia.chats.sentences import SentenceStream, first_clause

TEXT = "Well, I have been thinking about it, and I think yes. Then, after all, more."


def chunks(pieces: list[str], min_words: int = 4) -> list[str]:
    stream = SentenceStream(first_clause_min_words=min_words)
    return [c for p in pieces for c in stream.feed(p)] + stream.close()


def test_the_first_clause_with_enough_words_goes_out_before_its_sentence_ends() -> None:
    stream = SentenceStream(first_clause_min_words=4)
    steps = [stream.feed(p) for p in ["Well,", " I have been", " thinking about it,", " and"]]

    # "Well," has one word; the clause is complete once the space after its comma arrives.
    assert steps == [[], [], [], ["Well, I have been thinking about it,"]]
    assert stream.count == 1


def test_only_the_first_chunk_is_a_clause_the_rest_are_sentences() -> None:
    assert chunks(list(TEXT)) == [
        "Well, I have been thinking about it,",
        "and I think yes.",
        "Then, after all, more.",
    ]


def test_zero_words_means_sentences_only() -> None:
    assert chunks(list(TEXT), min_words=0) == [
        "Well, I have been thinking about it, and I think yes.",
        "Then, after all, more.",
    ]


def test_a_sentence_that_ends_first_goes_out_whole() -> None:
    assert chunks(["Hi there.", " I went to the shops, and", " more."]) == [
        "Hi there.",
        "I went to the shops, and more.",
    ]


def test_numbers_times_and_hyphenated_words_are_no_boundary() -> None:
    text = "It cost 1,000 dollars at 10:30 for a well-known thing"

    assert first_clause(text + " ", 1) == 0
    assert chunks([text, "."]) == [text + "."]


def test_dashes_semicolons_colons_and_quotes_end_a_clause() -> None:
    assert chunks(["I was there \u2014 and", " then."], 2) == ["I was there \u2014", "and then."]
    assert chunks(["I was there - and", " then."], 2) == ["I was there -", "and then."]
    assert chunks(["I was right there; and", " then."], 2) == ["I was right there;", "and then."]
    assert chunks(["Here is the list: one", "."], 2) == ["Here is the list:", "one."]
    assert chunks(['"I was there," she said.'], 2) == ['"I was there,"', "she said."]


def test_no_clause_reaches_past_a_possible_sentence_end() -> None:
    """Found by the property below: "well. \u2014" was flushed as the first clause, though
    the first sentence is "well."; the early chunk must be the start of that sentence."""
    assert chunks([" well", ".", " \u2014", " you", " -", " -"], 1)[0] == "well."
    assert chunks([" so", ".", ":", "\n", " Dr", " so"], 1)[0] == "so."
    assert chunks(["It is 3.5 metres, or so."], 2)[0] == "It is 3.5 metres,"  # no end in 3.5


def test_a_clause_at_the_very_end_waits_for_what_follows() -> None:
    """The comma may be a thousands separator until the next character says otherwise."""
    stream = SentenceStream(first_clause_min_words=1)

    assert stream.feed("It cost 1,") == []
    assert stream.feed("000 dollars, then") == ["It cost 1,000 dollars,"]


PIECES = st.sampled_from(
    ["Hello", " there", ",", " how", " are", " you", "?", " 1", ",000", " well", "-known",
     " \u2014", " Dr", ". Smith", ";", ":", " yes", ".", " and", " so", "\n", "...", " -"]
)  # fmt: skip


def squeezed(text: str) -> str:
    """The text without whitespace (a chunk boundary may fall where there was no space)."""
    return "".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=40), st.integers(min_value=0, max_value=6))
def test_no_text_is_lost_nor_repeated(pieces: list[str], min_words: int) -> None:
    stream = SentenceStream(first_clause_min_words=min_words)
    emitted = [c for p in pieces for c in stream.feed(p)] + stream.close()

    assert squeezed("".join(emitted)) == squeezed("".join(pieces))
    assert stream.count == len(emitted)
    assert all(chunk == chunk.strip() and chunk for chunk in emitted)


def first_out(stream: SentenceStream, pieces: list[str]) -> tuple[int, str]:
    """At which piece the first chunk came out (len(pieces): at the close), and the chunk."""
    for at, piece in enumerate(pieces):
        if out := stream.feed(piece):
            return at, out[0]
    rest = stream.close()
    return len(pieces), rest[0] if rest else ""


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=40), st.integers(min_value=1, max_value=6))
def test_the_first_chunk_is_never_later_and_begins_the_first_sentence(
    pieces: list[str], min_words: int
) -> None:
    early_at, early = first_out(SentenceStream(first_clause_min_words=min_words), pieces)
    plain_at, plain = first_out(SentenceStream(), pieces)

    assert early_at <= plain_at
    assert squeezed(plain).startswith(squeezed(early))
