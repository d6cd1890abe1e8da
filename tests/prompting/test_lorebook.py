"""Lorebook activation: keys, selective logic, scan depth, constants, recursion, budget, order."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cognitia.prompting.lorebook import ActivatedLore, activate, matches, scan_text
from cognitia.prompting.types import HistoryMessage, Lorebook, LoreEntry


def words(text: str) -> int:
    return len(text.split())


def said(*texts: str, name: str = "Alice") -> list[HistoryMessage]:
    return [HistoryMessage(role="user", name=name, content=text) for text in texts]


def run(
    entries: Sequence[LoreEntry],
    history: Sequence[HistoryMessage],
    **book: int | bool,
) -> ActivatedLore:
    return activate([Lorebook(entries=entries, **book)], history, count_tokens=words)  # type: ignore[arg-type]


def active_ids(lore: ActivatedLore) -> list[str]:
    return [a.id for a in (*lore.before_char, *lore.after_char, *lore.at_depth)]


def test_a_plain_key_matches_as_a_substring_ignoring_case() -> None:
    entry = LoreEntry(id="dragon", keys=["DRAGON"], content="Dragons breathe fire.")

    assert active_ids(run([entry], said("I saw the dragonfly."))) == ["dragon"]
    assert active_ids(run([entry], said("Nothing here."))) == []


def test_case_sensitive_keys() -> None:
    entry = LoreEntry(id="e", keys=["Dragon"], content="x", case_sensitive=True)

    assert active_ids(run([entry], said("a dragon"))) == []
    assert active_ids(run([entry], said("a Dragon"))) == ["e"]


def test_a_slashed_key_is_a_regex_with_its_own_flags() -> None:
    insensitive = LoreEntry(id="i", keys=["/dra(g|k)on\\b/i"], content="x")
    sensitive = LoreEntry(id="s", keys=["/Drakon/"], content="x")

    assert active_ids(run([insensitive, sensitive], said("A DRAKON flies."))) == ["i"]
    assert active_ids(run([insensitive], said("dragonfly"))) == []


def test_use_regex_makes_every_key_a_pattern() -> None:
    entry = LoreEntry(id="r", keys=[r"alice: hel+o\b"], content="x", use_regex=True)

    assert active_ids(run([entry], said("Helllo there"))) == ["r"]
    assert active_ids(run([entry], said("Well, hello"))) == []
    assert active_ids(run([entry], said("Hellos"))) == []


def test_an_invalid_pattern_never_matches() -> None:
    entry = LoreEntry(id="bad", keys=["(unclosed"], content="x", use_regex=True)

    assert active_ids(run([entry], said("(unclosed"))) == []


def test_an_invalid_slashed_regex_is_read_as_plain_text() -> None:
    entry = LoreEntry(id="plain", keys=["/(a/"], content="x")

    assert matches("/(a/", "see /(a/ here", entry)
    assert active_ids(run([entry], said("see /(a/ here"))) == ["plain"]


@pytest.mark.parametrize(
    ("logic", "text", "active"),
    [
        ("and_any", "castle and king", True),
        ("and_any", "castle only", False),
        ("and_all", "castle, king and queen", True),
        ("and_all", "castle and king", False),
        ("not_any", "castle only", True),
        ("not_any", "castle and queen", False),
        ("not_all", "castle and king", True),
        ("not_all", "castle, king and queen", False),
    ],
)
def test_selective_logic(logic: str, text: str, active: bool) -> None:
    entry = LoreEntry(
        id="e",
        keys=["castle"],
        secondary_keys=["king", "queen"],
        selective_logic=logic,  # type: ignore[arg-type]
        content="x",
    )

    assert active_ids(run([entry], said(text))) == (["e"] if active else [])


def test_secondary_keys_never_activate_without_a_primary_match() -> None:
    entry = LoreEntry(id="e", keys=["castle"], secondary_keys=["king"], content="x")

    assert active_ids(run([entry], said("the king"))) == []


def test_only_the_last_scan_depth_messages_are_scanned() -> None:
    entry = LoreEntry(id="e", keys=["sword"], content="x")
    history = said("a sword", "one", "two")

    assert active_ids(run([entry], history, scan_depth=2)) == []
    assert active_ids(run([entry], history, scan_depth=3)) == ["e"]
    assert active_ids(run([entry], history, scan_depth=0)) == []


def test_speaker_names_are_scanned_with_the_messages() -> None:
    entry = LoreEntry(id="bob", keys=["bob:"], content="Bob is a smith.")

    assert active_ids(run([entry], said("hello", name="Bob"))) == ["bob"]
    assert scan_text(said("one", "two"), 2) == "\x01Alice: two\n\x01Alice: one"


def test_constant_entries_are_always_active_and_disabled_ones_never() -> None:
    constant = LoreEntry(id="c", keys=[], content="Always.", constant=True)
    disabled = LoreEntry(id="d", keys=["sword"], content="Never.", enabled=False)

    assert active_ids(run([constant, disabled], said("a sword"))) == ["c"]


def test_macros_apply_to_keys_and_contents() -> None:
    entry = LoreEntry(id="e", keys=["{{char}}"], content="{{char}} likes {{user}}.")
    book = Lorebook(entries=[entry])

    lore = activate(
        [book],
        said("Hi Seraphina"),
        count_tokens=words,
        substitute=lambda t: t.replace("{{char}}", "Seraphina").replace("{{user}}", "Alice"),
    )

    assert [a.content for a in lore.before_char] == ["Seraphina likes Alice."]


def chain(length: int) -> list[LoreEntry]:
    """Entry k is keyed on "link{k}" and mentions "link{k+1}"."""
    return [
        LoreEntry(id=f"e{k}", keys=[f"link{k}"], content=f"see link{k + 1}") for k in range(length)
    ]


def test_recursion_lets_activated_content_trigger_other_entries() -> None:
    history = said("start at link0")

    assert active_ids(run(chain(3), history, recursive_scanning=True)) == ["e0", "e1", "e2"]
    assert active_ids(run(chain(3), history, recursive_scanning=False)) == ["e0"]


def test_recursion_is_bounded() -> None:
    book = Lorebook(entries=chain(6), recursive_scanning=True)

    lore = activate([book], said("link0"), count_tokens=words, max_recursion_steps=2)

    assert active_ids(lore) == ["e0", "e1", "e2"]


def test_only_recursive_books_are_scanned_against_lore() -> None:
    trigger = Lorebook(
        entries=[LoreEntry(id="a", keys=["storm"], content="The storm brings ships.")]
    )
    recursive = Lorebook(
        entries=[LoreEntry(id="b", keys=["ships"], content="x")], recursive_scanning=True
    )
    flat = Lorebook(entries=[LoreEntry(id="c", keys=["ships"], content="x")])

    lore = activate([trigger, recursive, flat], said("a storm"), count_tokens=words)

    assert active_ids(lore) == ["a", "b"]


def test_budget_keeps_the_highest_insertion_order_and_stops_at_the_overflow() -> None:
    entries = [
        LoreEntry(id="low", keys=["x"], content="one two", insertion_order=10),
        LoreEntry(id="high", keys=["x"], content="one two three", insertion_order=300),
        LoreEntry(id="middle", keys=["x"], content="one two three four", insertion_order=200),
        LoreEntry(id="tiny", keys=["x"], content="one", insertion_order=5),
    ]

    lore = run(entries, said("x"), token_budget=6)

    # high (3) fits, middle (3 + 4 > 6) overflows: low and tiny are dropped too.
    assert active_ids(lore) == ["high"]
    assert active_ids(run(entries, said("x"), token_budget=0)) == ["tiny", "low", "middle", "high"]


def test_the_budget_is_per_book() -> None:
    first = Lorebook(
        entries=[LoreEntry(id="a", keys=["x"], content="one two three")], token_budget=3
    )
    second = Lorebook(
        entries=[LoreEntry(id="b", keys=["x"], content="one two three")], token_budget=3
    )

    assert active_ids(activate([first, second], said("x"), count_tokens=words)) == ["a", "b"]


def test_entries_come_out_grouped_by_position_in_insertion_order() -> None:
    entries = [
        LoreEntry(id="b2", keys=["x"], content="b2", insertion_order=20),
        LoreEntry(id="a1", keys=["x"], content="a1", position="after_char", insertion_order=5),
        LoreEntry(id="b1", keys=["x"], content="b1", insertion_order=10),
        LoreEntry(id="d1", keys=["x"], content="d1", position="at_depth", depth=2),
    ]

    lore = run(entries, said("x"))

    assert [a.id for a in lore.before_char] == ["b1", "b2"]
    assert [a.id for a in lore.after_char] == ["a1"]
    assert [(a.id, a.entry.depth) for a in lore.at_depth] == [("d1", 2)]
    assert [a.id for a in lore.by_priority()] == ["d1", "b2", "b1", "a1"]


def test_entries_without_an_id_are_named_by_book_and_position() -> None:
    book = Lorebook(entries=[LoreEntry(keys=["x"], content="x")], id="book-7")

    lore = activate([book], said("x"), count_tokens=words)

    assert [a.id for a in lore.before_char] == ["book-7#0"]
