"""Sentences out of a growing reply, for `sentence` events (and, later, speech).

A sentence counts as complete once the splitter (pysbd, a rule-based sentence boundary
detector that knows abbreviations, decimals and ellipses) sees another sentence begin
after it; whatever is left when the reply ends is the last sentence.

A spoken reply may flush its FIRST chunk early, at a clause boundary (a comma,
semicolon or colon followed by a space, or a dash) once the chunk has a few words: the
voice starts on "Well, I was thinking about it," while the model still writes the rest of
the sentence, which about halves the time to first audio (docs/benchmarks.md). Later
chunks are whole sentences: fewer, longer chunks sound more natural.
"""

from __future__ import annotations

import re

import pysbd  # type: ignore[import-untyped]

# A sentence boundary needs one of these before it (pysbd's terminators, line breaks, and
# the CJK ones): text without any cannot hold a complete sentence yet.
_TERMINATORS = frozenset(".!?;:\u2026\n\r\u3002\uff01\uff1f")


# The end of a clause: , ; : with optional closing quotes or brackets and then a space
# (so "1,000" and "10:30" are no boundary), or a dash: a spaced hyphen, an en or em dash.
_CLAUSE_END = re.compile(r"[,;:][\"'\u201d\u2019)\]]*(?=\s)|\s-(?=\s)|[\u2013\u2014]")
_WORD = re.compile(r"\w+")
# Where a sentence may have ended: a line break, or . ! ? ... not inside a word or number
# ("3.5" is none; "well." and "Dr?:" are).
_MAYBE_SENTENCE_END = re.compile(r"\n|[.!?\u2026](?!\w)")


def first_clause(text: str, min_words: int) -> int:
    """Where the first clause of `text` with at least `min_words` words ends (an index
    into `text`, just after its punctuation), or 0 if none is complete yet. A clause
    never spans a line break or a possible sentence end ("well. \u2014 so"): the first
    sentence may end there, and the early chunk must be the start of it (the splitter
    decides; an abbreviation such as "Dr. " only delays the early chunk)."""
    bound = _MAYBE_SENTENCE_END.search(text)
    for match in _CLAUSE_END.finditer(text):
        if bound is not None and bound.start() < match.start():
            return 0
        if len(_WORD.findall(text, 0, match.start())) >= min_words:
            return match.end()
    return 0


def _has_word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _may_end_a_sentence(text: str) -> bool:
    return not _TERMINATORS.isdisjoint(text)


class SentenceStream:
    """Feed text as it arrives; get back each sentence once, when it is complete."""

    def __init__(self, language: str = "en", *, first_clause_min_words: int = 0) -> None:
        self._segmenter = pysbd.Segmenter(language=language, clean=False)
        self._pending = ""  # text not yet emitted as a sentence
        self.count = 0  # sentences (and the early first clause) emitted so far
        # 0: no early first clause (a reply that is not spoken).
        self._first_clause_words = first_clause_min_words

    def feed(self, text: str) -> list[str]:
        self._pending += text
        sentences = self._sentences()
        if sentences or self.count or not self._first_clause_words:
            return sentences
        return self._first_clause()

    def _first_clause(self) -> list[str]:
        end = first_clause(self._pending, self._first_clause_words)
        if not end:
            return []
        clause, self._pending = self._pending[:end], self._pending[end:]
        return self._emit([clause])

    def _sentences(self) -> list[str]:
        # Splitting costs the whole pending text per token; most tokens cannot have
        # completed a sentence, so the splitter runs only once a terminator is there.
        if not self._pending.strip() or not _may_end_a_sentence(self._pending):
            return []
        segments = [s for s in self._segmenter.segment(self._pending) if s.strip()]
        # A next "sentence" without a letter or digit yet (the second dot of an
        # ellipsis) has not really begun.
        if len(segments) < 2 or not _has_word(segments[-1]):
            return []
        complete = segments[:-1]
        consumed = 0
        for segment in complete:
            at = self._pending.find(segment, consumed)
            if at < 0:  # the splitter changed the text: keep everything until the end
                return []
            consumed = at + len(segment)
        self._pending = self._pending[consumed:]
        return self._emit(complete)

    def close(self) -> list[str]:
        """The remainder, at the end of the reply."""
        rest, self._pending = self._pending, ""
        return self._emit([rest]) if rest.strip() else []

    def _emit(self, sentences: list[str]) -> list[str]:
        out = [s.strip() for s in sentences if s.strip()]
        self.count += len(out)
        return out
