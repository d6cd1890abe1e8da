"""Blocks into chunks of at most `max_tokens`, cut at headings and paragraphs.

A chunk never spans two sections (runs of blocks with the same heading path). Within a
section, whole paragraphs are packed greedily; a paragraph is cut only when it alone is
too long: at line breaks, then at sentences (pysbd), then at words, then (a single
"word" longer than a chunk, like a long URL) at characters.

Each chunk's `text` starts with its heading path on one line, `Guide > Setup > Linux`,
then a blank line, then the body: a passage that only says "run the installer" is then
found by a search for "Linux setup", and the model sees where the passage comes from.
The prefix counts against `max_tokens`; when the full path would take more than a quarter
of a chunk, the outer headings are dropped first. A chunk that continues a section begins
with up to `overlap_tokens` of the previous chunk's trailing words, so a sentence cut at a
boundary is still whole in one of the two. Pure and deterministic.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cognitia.knowledge.extract import Block
from cognitia.llm.logic import estimate_tokens

TokenCounter = Callable[[str], int]

# all-MiniLM-L6-v2, the bundled embedder, reads at most 256 word pieces and cuts the rest.
DEFAULT_MAX_TOKENS = 256
DEFAULT_OVERLAP_TOKENS = 32
HEADING_SEPARATOR = " > "
PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    """The heading prefix and the body: what is embedded and searched."""
    body: str
    headings: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    tokens: int


@dataclass(frozen=True)
class _Piece:
    text: str
    page: int | None


def chunk_blocks(
    blocks: Sequence[Block],
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
) -> list[Chunk]:
    """The chunks of a document's blocks, in order, numbered from 0."""
    if max_tokens < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("need max_tokens >= 1 and 0 <= overlap_tokens < max_tokens")
    chunks: list[Chunk] = []
    for headings, section in itertools.groupby(blocks, key=lambda b: b.headings):
        packer = _SectionPacker(headings, max_tokens, overlap_tokens, count_tokens)
        for body, pages in packer.pack(list(section)):
            text = packer.prefix + body
            chunks.append(
                Chunk(
                    index=len(chunks),
                    text=text,
                    body=body,
                    headings=headings,
                    page_start=min(pages, default=None),
                    page_end=max(pages, default=None),
                    tokens=count_tokens(text),
                )
            )
    return chunks


class _SectionPacker:
    def __init__(
        self,
        headings: tuple[str, ...],
        max_tokens: int,
        overlap_tokens: int,
        count_tokens: TokenCounter,
    ) -> None:
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self.count = count_tokens
        self.prefix = _prefix(headings, max_tokens // 4, count_tokens)

    def fits(self, body: str) -> bool:
        return self.count(self.prefix + body) <= self.max_tokens

    def pack(self, blocks: Iterable[Block]) -> Iterable[tuple[str, list[int]]]:
        pieces = [p for block in blocks for p in self.pieces(block)]
        parts: list[str] = []
        pages: list[int] = []
        for piece in pieces:
            if parts and not self.fits(PARAGRAPH_SEPARATOR.join([*parts, piece.text])):
                yield PARAGRAPH_SEPARATOR.join(parts), pages
                tail = self.overlap(PARAGRAPH_SEPARATOR.join(parts), piece.text)
                parts, pages = ([tail] if tail else []), []
            parts.append(piece.text)
            if piece.page is not None:
                pages.append(piece.page)
        if parts:
            yield PARAGRAPH_SEPARATOR.join(parts), pages

    def pieces(self, block: Block) -> list[_Piece]:
        """The block whole if it fits, else cut into parts that each fit."""
        return [_Piece(text, block.page) for text in self.split(block.text, 0)]

    def split(self, text: str, level: int) -> list[str]:
        if self.fits(text):
            return [text]
        if level == len(_SPLITTERS):  # a single unbroken run longer than a chunk
            return self.split_characters(text)
        cut, joiner = _SPLITTERS[level]
        units = cut(text)
        if len(units) <= 1:
            return self.split(text, level + 1)
        return self.greedy([p for unit in units for p in self.split(unit, level + 1)], joiner)

    def greedy(self, units: list[str], joiner: str) -> list[str]:
        packed: list[str] = []
        for unit in units:
            if packed and self.fits(candidate := packed[-1] + joiner + unit):
                packed[-1] = candidate
            else:
                packed.append(unit)
        return packed

    def split_characters(self, text: str) -> list[str]:
        parts = []
        while text:
            size = _longest_fitting(text, self.fits)
            parts.append(text[:size])
            text = text[size:]
        return parts

    def overlap(self, previous: str, following: str) -> str:
        """Up to `overlap_tokens` of `previous`'s last words, leaving room for `following`."""
        words = previous.split()
        take = 0
        while take < len(words):
            tail = " ".join(words[-(take + 1) :])
            if self.count(tail) > self.overlap_tokens:
                break
            if not self.fits(tail + PARAGRAPH_SEPARATOR + following):
                break
            take += 1
        return " ".join(words[len(words) - take :]) if take else ""


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _segmenter().segment(text) if s.strip()]


def _words(text: str) -> list[str]:
    return text.split()


class _Segmenter(Protocol):
    def segment(self, text: str) -> list[str]: ...


_local = threading.local()


def _segmenter() -> _Segmenter:
    """One pysbd segmenter per thread: it keeps the text being split on itself."""
    segmenter: _Segmenter | None = getattr(_local, "segmenter", None)
    if segmenter is None:
        import pysbd  # type: ignore[import-untyped]

        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


_SPLITTERS: list[tuple[Callable[[str], list[str]], str]] = [
    (_lines, "\n"),
    (_sentences, " "),
    (_words, " "),
]


def _longest_fitting(text: str, fits: Callable[[str], bool]) -> int:
    """The longest prefix length of `text` that fits, at least 1 (binary search)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def _prefix(headings: tuple[str, ...], budget: int, count_tokens: TokenCounter) -> str:
    """The heading line within `budget` tokens, outer headings dropped first; may be empty."""
    for start in range(len(headings)):
        line = HEADING_SEPARATOR.join(headings[start:]) + PARAGRAPH_SEPARATOR
        if count_tokens(line) <= budget:
            return line
    return ""
