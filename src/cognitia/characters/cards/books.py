"""Lorebooks in cards (`character_book`, V2 and V3) and in SillyTavern's World Info files.

Each entry's `extensions` is kept as given. SillyTavern's numbers in it are read and kept
in step on export: `position` (0 before the character, 1 after, 4 at a depth; its other
places are kept but read as "before"), `depth`, and `selectiveLogic` (0 AND ANY,
1 NOT ALL, 2 NOT ANY, 3 AND ALL). Entry fields we do not model (`selective`, `name`,
`priority`...) are kept in the entry's `extra` and written back as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cognitia.characters.cards import values
from cognitia.characters.errors import MalformedCard
from cognitia.models.lorebook import EntryPosition, Lorebook, LorebookEntry, SelectiveLogic

LOGIC_FROM_ST = {
    0: SelectiveLogic.AND_ANY,
    1: SelectiveLogic.NOT_ALL,
    2: SelectiveLogic.NOT_ANY,
    3: SelectiveLogic.AND_ALL,
}
LOGIC_TO_ST = {logic: number for number, logic in LOGIC_FROM_ST.items()}
POSITION_FROM_ST = {
    0: EntryPosition.BEFORE_CHAR,
    1: EntryPosition.AFTER_CHAR,
    4: EntryPosition.AT_DEPTH,
}
POSITION_TO_ST = {position: number for number, position in POSITION_FROM_ST.items()}

BOOK_KEYS = {
    "name", "description", "scan_depth", "token_budget", "recursive_scanning", "extensions",
    "entries",
}  # fmt: skip
ENTRY_KEYS = {
    "id", "keys", "secondary_keys", "content", "comment", "constant", "enabled",
    "insertion_order", "use_regex", "case_sensitive", "position", "extensions",
}  # fmt: skip
# World Info entry fields we read into columns; the rest go to `extra`.
WORLD_INFO_KEYS = {
    "uid", "key", "keysecondary", "content", "comment", "constant", "order", "disable",
    "position", "depth", "selectiveLogic", "caseSensitive",
}  # fmt: skip
BOOK_DEFAULTS: dict[str, Any] = {"scan_depth": 4, "token_budget": 512, "recursive_scanning": False}


@dataclass
class BookData:
    """Lorebook columns and its entries' columns, as read from a file."""

    fields: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)


def _st_number(value: Any) -> int:
    """SillyTavern's enum numbers; anything else reads as -1 (matches nothing)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def book_from_card(book: Any, where: str = "data.character_book") -> BookData:
    if not isinstance(book, dict):
        raise MalformedCard(f"{where} must be an object.")
    raw_entries = book.get("entries")
    raw_entries = [] if raw_entries is None else raw_entries
    if not isinstance(raw_entries, list):
        raise MalformedCard(f"{where}.entries must be a list.")
    fields: dict[str, Any] = {
        "name": values.text(book, "name", where),
        "description": values.text(book, "description", where),
        "scan_depth": values.integer(book, "scan_depth", where, BOOK_DEFAULTS["scan_depth"]),
        "token_budget": values.integer(book, "token_budget", where, BOOK_DEFAULTS["token_budget"]),
        "recursive_scanning": values.flag(book, "recursive_scanning", where, False),
        "extensions": values.mapping(book, "extensions", where),
        "extra": {k: v for k, v in book.items() if k not in BOOK_KEYS},
    }
    entries = [_entry_from_card(e, f"{where}.entries[{i}]") for i, e in enumerate(raw_entries)]
    return BookData(fields, entries)


def _entry_from_card(entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise MalformedCard(f"{where} must be an object.")
    extensions = values.mapping(entry, "extensions", where)
    extra = {k: v for k, v in entry.items() if k not in ENTRY_KEYS}
    uid = entry.get("id")
    if isinstance(uid, int) and not isinstance(uid, bool) and abs(uid) < 2**31:
        source_uid: int | None = uid
    else:
        source_uid = None
        if uid is not None:
            extra["id"] = uid  # V3 allows text ids
    position = POSITION_FROM_ST.get(_st_number(extensions.get("position")))
    if position is None:
        after = values.text(entry, "position", where) == "after_char"
        position = EntryPosition.AFTER_CHAR if after else EntryPosition.BEFORE_CHAR
    case_sensitive = entry.get("case_sensitive", extensions.get("case_sensitive"))
    return {
        "keys": values.strings(entry, "keys", where),
        "secondary_keys": values.strings(entry, "secondary_keys", where),
        "selective_logic": LOGIC_FROM_ST.get(
            _st_number(extensions.get("selectiveLogic")), SelectiveLogic.AND_ANY
        ),
        "content": values.text(entry, "content", where),
        "comment": values.text(entry, "comment", where),
        "constant": values.flag(entry, "constant", where, False),
        "enabled": values.flag(entry, "enabled", where, True),
        "use_regex": values.flag(entry, "use_regex", where, False),
        "case_sensitive": case_sensitive if isinstance(case_sensitive, bool) else None,
        "insertion_order": values.integer(entry, "insertion_order", where, 100),
        "position": position,
        "depth": values.integer(extensions, "depth", f"{where}.extensions", 4),
        "source_uid": source_uid,
        "extensions": extensions,
        "extra": extra,
    }


def book_from_world_info(world: dict[str, Any], *, name: str) -> BookData:
    """SillyTavern's World Info file: {"entries": {"<uid>": {...}}} (a list is accepted too)."""
    raw = world.get("entries")
    items = list(raw.values()) if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise MalformedCard("entries must be an object or a list.")
    fields = {
        "name": values.text(world, "name", "book", name),
        "description": values.text(world, "description", "book"),
        "extensions": {},
        "extra": {k: v for k, v in world.items() if k not in {"entries", "name", "description"}},
        **BOOK_DEFAULTS,
    }
    entries = [_entry_from_world_info(e, f"entries[{i}]") for i, e in enumerate(items)]
    return BookData(fields, entries)


def _entry_from_world_info(entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise MalformedCard(f"{where} must be an object.")
    st_position = values.integer(entry, "position", where, 0)
    logic = values.integer(entry, "selectiveLogic", where, 0)
    depth = values.integer(entry, "depth", where, 4)
    extensions: dict[str, Any] = {"position": st_position, "selectiveLogic": logic}
    if "depth" in entry:
        extensions["depth"] = depth
    uid = values.integer(entry, "uid", where, -1)
    case_sensitive = entry.get("caseSensitive")
    return {
        "keys": values.strings(entry, "key", where),
        "secondary_keys": values.strings(entry, "keysecondary", where),
        "selective_logic": LOGIC_FROM_ST.get(logic, SelectiveLogic.AND_ANY),
        "content": values.text(entry, "content", where),
        "comment": values.text(entry, "comment", where),
        "constant": values.flag(entry, "constant", where, False),
        "enabled": not values.flag(entry, "disable", where, False),
        "use_regex": False,
        "case_sensitive": case_sensitive if isinstance(case_sensitive, bool) else None,
        "insertion_order": values.integer(entry, "order", where, 100),
        "position": POSITION_FROM_ST.get(st_position, EntryPosition.BEFORE_CHAR),
        "depth": depth,
        "source_uid": uid if 0 <= uid < 2**31 else None,
        "extensions": extensions,
        "extra": {k: v for k, v in entry.items() if k not in WORLD_INFO_KEYS},
    }


def book_to_card(book: Lorebook, entries: list[LorebookEntry], *, v3: bool) -> dict[str, Any]:
    """A `character_book`: known fields written when set (or differing from the default)."""
    out: dict[str, Any] = dict(book.extra)
    if book.name:
        out["name"] = book.name
    if book.description:
        out["description"] = book.description
    for key, default in BOOK_DEFAULTS.items():
        if getattr(book, key) != default:
            out[key] = getattr(book, key)
    if book.extensions:
        out["extensions"] = dict(book.extensions)
    out["entries"] = [entry_to_card(entry, v3=v3) for entry in entries]
    return out


def entry_to_card(entry: LorebookEntry, *, v3: bool) -> dict[str, Any]:
    """SillyTavern's full set of entry fields, plus whatever the entry came with."""
    out: dict[str, Any] = dict(entry.extra)
    if entry.source_uid is not None:
        out["id"] = entry.source_uid
    out.update(
        keys=list(entry.keys),
        secondary_keys=list(entry.secondary_keys),
        comment=entry.comment,
        content=entry.content,
        constant=entry.constant,
        insertion_order=entry.insertion_order,
        enabled=entry.enabled,
        position="before_char" if entry.position == EntryPosition.BEFORE_CHAR else "after_char",
        extensions=_entry_extensions(entry),
    )
    out.setdefault("selective", bool(entry.secondary_keys))
    if entry.case_sensitive is not None:
        out["case_sensitive"] = entry.case_sensitive
    if v3 or entry.use_regex:
        out["use_regex"] = entry.use_regex
    return out


def _entry_extensions(entry: LorebookEntry) -> dict[str, Any]:
    extensions = dict(entry.extensions)
    kept = _st_number(extensions.get("position"))
    at_depth = entry.position == EntryPosition.AT_DEPTH
    # SillyTavern's other places (author's note, example messages) read as "before": keep them.
    if at_depth or (kept in POSITION_FROM_ST and POSITION_FROM_ST[kept] != entry.position):
        extensions["position"] = POSITION_TO_ST[EntryPosition(entry.position)]
    if at_depth or "depth" in extensions:
        extensions["depth"] = entry.depth
    if "selectiveLogic" in extensions or entry.selective_logic != SelectiveLogic.AND_ANY:
        extensions["selectiveLogic"] = LOGIC_TO_ST[SelectiveLogic(entry.selective_logic)]
    if "case_sensitive" in extensions and entry.case_sensitive is not None:
        extensions["case_sensitive"] = entry.case_sensitive
    return extensions
