"""Where a reply ends: at the first stop string the model writes, such as another speaker's
"\\nName:" line or the template's end-of-turn mark (prompting.assembly makes the list).

The provider is sent these stop strings too, but that is not enough: an OpenAI-compatible
server takes at most four (a group chat or an instruct template has more), a provider may
ignore them, and none of them cuts a reply that *begins* with "Name:". So the chat cuts the
reply here as well, the way SillyTavern trims a reply at "\\n{{user}}:" and at a "{{user}}:"
that opens it.

The text is streamed on as it arrives, so a cut must come before the cut text is passed on:
the end of the text that could still grow into a stop string (at most the longest stop
string's length, and only while it matches one) is held back until it cannot.
"""

from __future__ import annotations

from collections.abc import Sequence


class StopCut:
    """Feed the reply's text as it arrives; pass on what `feed` returns."""

    def __init__(self, stops: Sequence[str], *, line_start: bool = True) -> None:
        self._stops = tuple(dict.fromkeys(s for s in stops if s))
        self._longest = max(map(len, self._stops), default=0)
        # A reply that begins a line begins as if after a newline, so that "Name:" at its very
        # start is a stop like "\nName:" further on; this lead is never passed on.
        self._text = "\n" if line_start else ""
        self._sent = len(self._text)  # passed on up to here
        self._checked = 0  # no stop string starts before here
        self.found = False  # a stop string was reached: the reply ends there

    def feed(self, text: str) -> str:
        """The text that is safe to pass on now (none once a stop string was found)."""
        if self.found or not text:
            return ""
        self._text += text
        at = self._first_stop()
        if at is not None:
            self.found = True
            return self._release(at)
        return self._release(len(self._text) - self._held_length())

    def close(self) -> str:
        """At the end of the reply: what was held back, since no stop string followed."""
        return "" if self.found else self._release(len(self._text))

    def _first_stop(self) -> int | None:
        found = (self._text.find(stop, self._checked) for stop in self._stops)
        return min((at for at in found if at >= 0), default=None)

    def _held_length(self) -> int:
        """The longest end of the text that a stop string begins with."""
        tail = self._text[self._checked :]
        for size in range(min(len(tail), self._longest - 1), 0, -1):
            if any(stop.startswith(tail[-size:]) for stop in self._stops):
                return size
        return 0

    def _release(self, end: int) -> str:
        out = self._text[self._sent : end]
        self._sent = max(self._sent, end)
        self._checked = end
        return out
