"""Chunks stay within the token limit, keep paragraphs whole, carry headings and overlap."""

from __future__ import annotations

import itertools

import pytest

from cognitia.knowledge.chunking import Chunk, TokenCounter, chunk_blocks
from cognitia.knowledge.extract import Block
from cognitia.llm.logic import estimate_tokens


def words(text: str) -> int:
    return len(text.split())


def paragraph(n: int, words_each: int = 12) -> str:
    return " ".join(f"p{n}w{i}" for i in range(words_each - 1)) + " end."


def long_document() -> list[Block]:
    blocks = [Block(paragraph(n), ("Guide", "Setup"), page=1 + n // 4) for n in range(12)]
    sentences = " ".join(f"Sentence number {i} is here." for i in range(40))
    blocks.append(Block(sentences, ("Guide", "Usage"), page=4))
    blocks.append(Block("x" * 3000, ("Appendix",)))  # one word, longer than any chunk
    return blocks


@pytest.mark.parametrize("max_tokens", [32, 64, 128, 256])
@pytest.mark.parametrize("count", [estimate_tokens, words])
def test_no_chunk_is_over_the_limit(max_tokens: int, count: TokenCounter) -> None:
    chunks = chunk_blocks(
        long_document(), max_tokens=max_tokens, overlap_tokens=8, count_tokens=count
    )

    assert chunks
    assert all(c.tokens <= max_tokens for c in chunks)
    assert all(c.tokens == count(c.text) for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_paragraphs_that_fit_are_never_split() -> None:
    blocks = [Block(paragraph(n)) for n in range(10)]

    chunks = chunk_blocks(blocks, max_tokens=40, overlap_tokens=0, count_tokens=words)

    bodies = [c.body.split("\n\n") for c in chunks]
    assert [p for body in bodies for p in body] == [b.text for b in blocks]
    assert all(len(body) == 3 for body in bodies[:-1])  # greedy: 3 x 12 words per 40


def test_overlap_carries_trailing_words_within_a_section() -> None:
    blocks = [Block(paragraph(n), ("Guide",)) for n in range(6)]

    chunks = chunk_blocks(blocks, max_tokens=40, overlap_tokens=5, count_tokens=words)

    assert len(chunks) > 1
    for previous, following in itertools.pairwise(chunks):
        tail = " ".join(previous.body.split()[-5:])
        assert following.body.startswith(tail + "\n\n")


def test_no_overlap_across_sections_and_headings_are_prefixed() -> None:
    blocks = [
        Block("Install with pip.", ("Guide", "Setup")),
        Block("Run the server.", ("Guide", "Usage")),
        Block("No heading here.", ()),
    ]

    chunks = chunk_blocks(blocks, max_tokens=50, overlap_tokens=10, count_tokens=words)

    assert [c.text for c in chunks] == [
        "Guide > Setup\n\nInstall with pip.",
        "Guide > Usage\n\nRun the server.",
        "No heading here.",
    ]
    assert [c.headings for c in chunks] == [("Guide", "Setup"), ("Guide", "Usage"), ()]
    assert [c.body for c in chunks] == [b.text for b in blocks]


def test_a_long_heading_path_drops_outer_headings_first() -> None:
    headings = ("A very long outer heading indeed", "Inner")
    chunks = chunk_blocks(
        [Block("text", headings)], max_tokens=12, count_tokens=words, overlap_tokens=0
    )

    assert chunks[0].text == "Inner\n\ntext"
    assert chunks[0].headings == headings


def test_a_long_paragraph_is_split_at_sentences() -> None:
    sentences = [f"Sentence {i} says something useful." for i in range(20)]

    chunks = chunk_blocks(
        [Block(" ".join(sentences))], max_tokens=20, overlap_tokens=0, count_tokens=words
    )

    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.body.endswith(".")
        assert all(s in sentences for s in chunk.body.replace(". ", ".|").split("|"))


def test_page_ranges_follow_the_blocks() -> None:
    blocks = [Block(paragraph(n), page=n + 1) for n in range(4)]

    chunks = chunk_blocks(blocks, max_tokens=25, overlap_tokens=0, count_tokens=words)

    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 2), (3, 4)]
    assert chunk_blocks([Block("x")])[0].page_start is None


def test_chunking_is_deterministic() -> None:
    def run() -> list[Chunk]:
        return chunk_blocks(long_document(), max_tokens=48, overlap_tokens=6)

    assert run() == run()


def test_all_text_is_kept() -> None:
    blocks = long_document()

    chunks = chunk_blocks(blocks, max_tokens=30, overlap_tokens=0, count_tokens=words)

    assert "".join("".join(c.body.split()) for c in chunks) == "".join(
        "".join(b.text.split()) for b in blocks
    )


@pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_bad_parameters_are_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_blocks([Block("x")], max_tokens=max_tokens, overlap_tokens=overlap)
