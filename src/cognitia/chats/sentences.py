"""Sentences out of a growing reply, for `sentence` events (and, later, speech).

A sentence counts as complete once the splitter (pysbd, a rule-based sentence boundary
detector that knows abbreviations, decimals and ellipses) sees another sentence begin
after it; whatever is left when the reply ends is the last sentence.
"""

from __future__ import annotations

import pysbd  # type: ignore[import-untyped]

# A sentence boundary needs one of these before it (pysbd's terminators, line breaks, and
# the CJK ones): text without any cannot hold a complete sentence yet.
_TERMINATORS = frozenset(".!?;:\u2026\n\r\u3002\uff01\uff1f")


def _has_word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _may_end_a_sentence(text: str) -> bool:
    return not _TERMINATORS.isdisjoint(text)


class SentenceStream:
    """Feed text as it arrives; get back each sentence once, when it is complete."""

    def __init__(self, language: str = "en") -> None:
        self._segmenter = pysbd.Segmenter(language=language, clean=False)
        self._pending = ""  # text not yet emitted as a sentence
        self.count = 0  # sentences emitted so far

    def feed(self, text: str) -> list[str]:
        self._pending += text
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
