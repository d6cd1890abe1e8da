"""Lorebook activation, after SillyTavern's World Info (public/scripts/world-info.js).

- Scan text: the last `scan_depth` history messages of each book, newest first, each as
  "Name: text" (SillyTavern's default "include names"), one message per line.
- Keys: a plain key matches as a substring, case-insensitive unless the entry is
  case_sensitive (no whole-word matching, SillyTavern's default; a regex key with \\b gives
  it). A key written `/pattern/flags` is a regex (flags i, s, m; its own case rule); with
  `use_regex` every key is a regex pattern, case-insensitive unless case_sensitive. A
  `/.../` key that does not compile is plain text; a use_regex key that does not compile
  never matches. Keys and contents go through the macros.
- Secondary keys (when there are any) gate a primary match: and_any (one of them),
  and_all (all), not_any (none), not_all (not all).
- Constant entries are always active, disabled entries never.
- Recursion: in a book with recursive_scanning, entries are also matched against the
  contents of the entries activated so far, for at most `max_recursion_steps`
  steps after the direct scan.
- Budget, per book: in each step the candidates are taken highest insertion_order first;
  the first one that would take the book's running token count past token_budget ends that
  book's activation: it and every later candidate of the book are dropped (SillyTavern stops
  at the overflow too). A budget of 0 or less means no limit.
- Output: entries grouped by position, each group in insertion order (lower first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from cognitia.prompting.types import HistoryMessage, Lorebook, LoreEntry

MAX_RECURSION_STEPS = 5

_JOINER = "\n\x01"  # SillyTavern's joiner keeps keys from matching across two messages
_SLASHED = re.compile(r"^/([\w\W]+?)/([gimsuy]*)$")
_UNESCAPED_SLASH = re.compile(r"(^|[^\\])/")
_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE}


@dataclass(frozen=True)
class ActiveEntry:
    entry: LoreEntry
    content: str  # macros applied
    tokens: int
    book_index: int
    entry_index: int
    book_id: str = ""

    @property
    def id(self) -> str:
        return self.entry.id or f"{self.book_id or self.book_index}#{self.entry_index}"

    @property
    def priority(self) -> tuple[int, int, int]:
        """Sort key: highest insertion_order first, then book and entry order."""
        return (-self.entry.insertion_order, self.book_index, self.entry_index)

    @property
    def placement(self) -> tuple[int, int, int]:
        """Sort key for insertion: lower insertion_order first."""
        return (self.entry.insertion_order, self.book_index, self.entry_index)


@dataclass(frozen=True)
class ActivatedLore:
    before_char: tuple[ActiveEntry, ...] = ()
    after_char: tuple[ActiveEntry, ...] = ()
    at_depth: tuple[ActiveEntry, ...] = ()

    def by_priority(self) -> list[ActiveEntry]:
        """Every active entry, the one to keep longest first."""
        everything = (*self.before_char, *self.after_char, *self.at_depth)
        return sorted(everything, key=lambda active: active.priority)


@dataclass(frozen=True)
class _Candidate:
    book: Lorebook
    book_index: int
    entry: LoreEntry
    entry_index: int


@dataclass
class _Budgets:
    """Each book's running token count; a book that overflowed takes nothing more."""

    used: dict[int, int] = field(default_factory=dict)
    overflowed: set[int] = field(default_factory=set)

    def admit(self, candidate: _Candidate, tokens: int) -> bool:
        book = candidate.book_index
        if book in self.overflowed:
            return False
        total = self.used.get(book, 0) + tokens
        if 0 < candidate.book.token_budget < total:
            self.overflowed.add(book)
            return False
        self.used[book] = total
        return True


def activate(
    books: Sequence[Lorebook],
    history: Sequence[HistoryMessage],
    *,
    count_tokens: Callable[[str], int],
    substitute: Callable[[str], str] | None = None,
    max_recursion_steps: int = MAX_RECURSION_STEPS,
) -> ActivatedLore:
    """The entries of books that the recent history (and recursion) activates.

    `substitute` applies the macros to keys and contents; `count_tokens` measures contents
    against each book's budget."""
    substitute = substitute or _same
    pending = [
        _Candidate(book, b, entry, e)
        for b, book in enumerate(books)
        for e, entry in enumerate(book.entries)
        if entry.enabled
    ]
    scans = {b: scan_text(history, book.scan_depth) for b, book in enumerate(books)}
    budgets = _Budgets()
    active: list[ActiveEntry] = []
    recursed = ""
    for step in range(max_recursion_steps + 1):
        found = [
            c for c in pending if _triggered(c, step, scans[c.book_index], recursed, substitute)
        ]
        if not found:
            break
        taken = {id(c) for c in found}
        pending = [c for c in pending if id(c) not in taken]
        found.sort(key=lambda c: (-c.entry.insertion_order, c.book_index, c.entry_index))
        added = []
        for c in found:
            content = substitute(c.entry.content)
            tokens = count_tokens(content)
            if budgets.admit(c, tokens):
                active.append(
                    ActiveEntry(c.entry, content, tokens, c.book_index, c.entry_index, c.book.id)
                )
                added.append(content)
        if not added or not any(book.recursive_scanning for book in books):
            break
        recursed = _JOINER.join(filter(None, (recursed, *added)))
    return _grouped(active)


def scan_text(history: Sequence[HistoryMessage], depth: int) -> str:
    """The last `depth` messages, newest first, with their speakers' names."""
    recent = list(history)[-depth:][::-1] if depth > 0 else []
    lines = (f"{m.name}: {m.content}" if m.name else m.content for m in recent)
    return "\x01" + _JOINER.join(lines)


def matches(key: str, text: str, entry: LoreEntry) -> bool:
    """Whether one key matches the text under the entry's settings."""
    key = key.strip()
    if not key:
        return False
    slashed = _slashed_regex(key)
    if slashed is not None:
        return slashed.search(text) is not None
    case_sensitive = bool(entry.case_sensitive)
    if entry.use_regex:
        pattern = _compile(key, 0 if case_sensitive else re.IGNORECASE)
        return pattern is not None and pattern.search(text) is not None
    if not case_sensitive:
        return key.lower() in text.lower()
    return key in text


def is_triggered(
    entry: LoreEntry, text: str, substitute: Callable[[str], str] | None = None
) -> bool:
    """Primary keys, then the secondary keys under the entry's selective logic."""
    substitute = substitute or _same
    if not any(matches(substitute(key), text, entry) for key in entry.keys if key):
        return False
    secondary = [key for key in entry.secondary_keys if key]
    if not secondary:
        return True
    hits = [matches(substitute(key), text, entry) for key in secondary]
    logic = entry.selective_logic
    if logic == "and_any":
        return any(hits)
    if logic == "and_all":
        return all(hits)
    if logic == "not_any":
        return not any(hits)
    return not all(hits)


def _triggered(
    candidate: _Candidate,
    step: int,
    scan: str,
    recursed: str,
    substitute: Callable[[str], str],
) -> bool:
    entry = candidate.entry
    if step == 0:
        return entry.constant or is_triggered(entry, scan, substitute)
    if entry.constant or not candidate.book.recursive_scanning:
        return False
    return is_triggered(entry, scan + _JOINER + recursed, substitute)


def _same(text: str) -> str:
    return text


def _grouped(active: list[ActiveEntry]) -> ActivatedLore:
    ordered = sorted(active, key=lambda a: a.placement)
    return ActivatedLore(
        before_char=tuple(a for a in ordered if a.entry.position == "before_char"),
        after_char=tuple(a for a in ordered if a.entry.position == "after_char"),
        at_depth=tuple(a for a in ordered if a.entry.position == "at_depth"),
    )


def _slashed_regex(key: str) -> re.Pattern[str] | None:
    """A `/pattern/flags` key as SillyTavern's parseRegexFromString reads it."""
    found = _SLASHED.match(key)
    if found is None or _UNESCAPED_SLASH.search(found.group(1)):
        return None
    flags = 0
    for flag in found.group(2):
        flags |= _FLAGS.get(flag, 0)
    return _compile(found.group(1).replace("\\/", "/", 1), flags)


@lru_cache(maxsize=1024)
def _compile(pattern: str, flags: int) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, flags)
    except re.error:
        return None
