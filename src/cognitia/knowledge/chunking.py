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

`iter_chunks` streams: it holds one section's current chunk, never the whole list, and
cuts a paragraph of many megabytes (one upload of "word word ..." at the size limit) in
windows, so time grows linearly with the text and memory stays bounded. It is CPU-bound:
callers on the event loop run it in a thread, a batch at a time (`knowledge.ingestion`).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterable, Iterator
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
    new_chars: int = 0
    """Characters of the document first seen in this chunk (the body less the overlap it
    repeats): their running sum over the document's length is the chunking's progress."""


@dataclass(frozen=True)
class _Piece:
    text: str
    page: int | None


def chunk_blocks(
    blocks: Iterable[Block],
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
) -> list[Chunk]:
    """The chunks of a document's blocks, in order, numbered from 0."""
    return list(
        iter_chunks(
            blocks, max_tokens=max_tokens, overlap_tokens=overlap_tokens, count_tokens=count_tokens
        )
    )


def iter_chunks(
    blocks: Iterable[Block],
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
) -> Iterator[Chunk]:
    """`chunk_blocks`, one chunk at a time."""
    if max_tokens < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("need max_tokens >= 1 and 0 <= overlap_tokens < max_tokens")
    index = 0
    for headings, section in itertools.groupby(blocks, key=lambda b: b.headings):
        packer = _SectionPacker(headings, max_tokens, overlap_tokens, count_tokens)
        for body, pages, new_chars in packer.pack(section):
            text = packer.prefix + body
            yield Chunk(
                index=index,
                text=text,
                body=body,
                headings=headings,
                page_start=min(pages, default=None),
                page_end=max(pages, default=None),
                tokens=count_tokens(text),
                new_chars=new_chars,
            )
            index += 1


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

    def pack(self, blocks: Iterable[Block]) -> Iterator[tuple[str, list[int], int]]:
        """(body, pages, characters not in the previous body) of each chunk."""
        pieces = (p for block in blocks for p in self.pieces(block))
        parts: list[str] = []
        pages: list[int] = []
        repeated = 0
        for piece in pieces:
            if parts and not self.fits(PARAGRAPH_SEPARATOR.join([*parts, piece.text])):
                body = PARAGRAPH_SEPARATOR.join(parts)
                yield body, pages, len(body) - repeated
                tail = self.overlap(body, piece.text)
                parts, pages, repeated = ([tail] if tail else []), [], len(tail)
            parts.append(piece.text)
            if piece.page is not None:
                pages.append(piece.page)
        if parts:
            body = PARAGRAPH_SEPARATOR.join(parts)
            yield body, pages, len(body) - repeated

    def pieces(self, block: Block) -> Iterator[_Piece]:
        """The block whole if it fits, else cut into parts that each fit."""
        return (_Piece(text, block.page) for text in self.split(block.text, 0))

    def split(self, text: str, level: int) -> Iterator[str]:
        if self.fits(text):
            yield text
            return
        if level == len(_SPLITTERS):  # a single unbroken run longer than a chunk
            yield from self.split_characters(text)
            return
        cut, joiner = _SPLITTERS[level]
        units = iter(cut(text))
        first, second = next(units, None), next(units, None)
        if first is None or second is None:
            yield from self.split(text, level + 1)
            return
        whole = itertools.chain((first, second), units)
        yield from self.greedy((p for unit in whole for p in self.split(unit, level + 1)), joiner)

    def greedy(self, units: Iterable[str], joiner: str) -> Iterator[str]:
        packed: str | None = None
        for unit in units:
            if packed is not None and self.fits(candidate := packed + joiner + unit):
                packed = candidate
                continue
            if packed is not None:
                yield packed
            packed = unit
        if packed is not None:
            yield packed

    def split_characters(self, text: str) -> Iterator[str]:
        start = 0
        while start < len(text):
            size = _longest_fitting(text, start, self.fits)
            yield text[start : start + size]
            start += size

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


def _lines(text: str) -> Iterator[str]:
    return (m.group() for m in _LINE.finditer(text) if not m.group().isspace())


def _sentences(text: str) -> Iterator[str]:
    for window in _windows(text):
        if not _SENTENCE_END.search(window):
            yield window.strip()  # nothing for pysbd to find (and it is slow on long runs)
            continue
        yield from (s.strip() for s in _segmenter().segment(window) if s.strip())


def _words(text: str) -> Iterator[str]:
    return (m.group() for m in _WORD.finditer(text))


_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f]")
# pysbd's time grows faster than the text's length (8 KiB windows took three times as long
# per MiB as 2 KiB ones): it sees a long paragraph in windows of this many characters, each
# ending after a sentence end in its second half (else at a space), so only a sentence
# longer than half a window (a whole chunk at 256 tokens) can be cut by a window.
SENTENCE_WINDOW = 2048
_WINDOW_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"')\]]*\s+|\s+")


def _windows(text: str) -> Iterator[str]:
    start = 0
    while len(text) - start > SENTENCE_WINDOW:
        end = _window_end(text, start + SENTENCE_WINDOW // 2, start + SENTENCE_WINDOW)
        yield text[start:end]
        start = end
    if start < len(text):
        yield text[start:]


def _window_end(text: str, low: int, high: int) -> int:
    """Where a window from before `low` ends: after the last sentence end between `low` and
    `high`, else after the last space there, else at `high`."""
    best_sentence = best_space = None
    for match in _WINDOW_END.finditer(text, low, high):
        if match.group()[0].isspace():
            best_space = match.end()
        else:
            best_sentence = match.end()
    return best_sentence or best_space or high


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


_SPLITTERS: list[tuple[Callable[[str], Iterable[str]], str]] = [
    (_lines, "\n"),
    (_sentences, " "),
    (_words, " "),
]


def _longest_fitting(text: str, start: int, fits: Callable[[str], bool]) -> int:
    """The longest length of a piece of `text` from `start` that fits, at least 1 (binary
    search)."""
    low, high = 1, len(text) - start
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[start : start + middle]):
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
