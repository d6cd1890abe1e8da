"""Names must look like what they are.

A name (a character's, a persona's, a person's, a chat's title) is shown to other people
as who or what they are dealing with, so it may not hold characters that change how it
reads without being seen: bidi overrides and isolates turn "Al<U+202E>ecil" into another name on
screen, and zero-width or blank characters make two names that look alike. Longer text
(descriptions, messages) keeps them: there they are needed for mixed scripts.

Refused: control characters (Cc), format characters (Cf: bidi controls, zero-width
space, word joiner, soft hyphen, BOM, tags), line and paragraph separators, surrogates,
and the letters and marks that render as nothing (Hangul fillers, braille blank,
combining grapheme joiner). The zero-width joiner and non-joiner are kept between two
characters outside Latin and ASCII, where emoji sequences and scripts such as Persian
and the Indic ones need them; between Latin letters they only hide a difference.
Names are stored in NFC, so a composed and a decomposed "é" are the same name.
"""

from __future__ import annotations

import unicodedata

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})
# Letters and marks that are drawn as nothing (Unicode's Default_Ignorable and blank
# look-alikes that are not format characters).
_INVISIBLE = frozenset(
    {
        "\u034f",  # combining grapheme joiner
        "\u115f",  # Hangul choseong filler
        "\u1160",  # Hangul jungseong filler
        "\u17b4",  # Khmer vowel inherent aq
        "\u17b5",  # Khmer vowel inherent aa
        "\u2800",  # braille pattern blank
        "\u3164",  # Hangul filler
        "\uffa0",  # halfwidth Hangul filler
    }
)
# Below this, characters are ASCII, Latin-1 and Latin Extended: joiners there hide a difference.
_LATIN_END = 0x0250


def _joiner_is_needed(text: str, index: int) -> bool:
    if index == 0 or index == len(text) - 1:
        return False
    before, after = text[index - 1], text[index + 1]
    return ord(before) >= _LATIN_END and ord(after) >= _LATIN_END


def _is_spoofing(text: str, index: int) -> bool:
    char = text[index]
    if char in _JOINERS:
        return not _joiner_is_needed(text, index)
    return char in _INVISIBLE or unicodedata.category(char) in _REFUSED_CATEGORIES


def check_name(value: str) -> str:
    """The name in NFC; ValueError if it holds a character that hides how it reads."""
    name = unicodedata.normalize("NFC", value)
    for index, char in enumerate(name):
        if _is_spoofing(name, index):
            raise ValueError(
                f"Names may not contain U+{ord(char):04X} ({_label(char)}): it changes"
                " how the name reads without being seen."
            )
    return name


def _label(char: str) -> str:
    return unicodedata.name(char, unicodedata.category(char)).lower()
