"""The macros SillyTavern substitutes in cards, personas, lore and messages.

{{char}}, {{user}}, {{time}} and {{date}} are replaced case-insensitively, as are the legacy
<BOT>, <CHAR> and <USER>. Any other {{macro}} is left as it is. Substitution is one pass over
the text, so a name that itself looks like a macro is never expanded again.
"""

from __future__ import annotations

import re
from datetime import datetime

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_MACRO = re.compile(r"\{\{\s*(char|user|time|date)\s*\}\}|<(BOT|CHAR|USER)>", re.IGNORECASE)


def format_time(now: datetime) -> str:
    """{{time}}: moment.js's 'LT' in English, e.g. '3:07 PM'."""
    hour = now.hour % 12 or 12
    return f"{hour}:{now.minute:02d} {'AM' if now.hour < 12 else 'PM'}"


def format_date(now: datetime) -> str:
    """{{date}}: moment.js's 'LL' in English, e.g. 'March 5, 2024'."""
    return f"{_MONTHS[now.month - 1]} {now.day}, {now.year}"


def render(text: str, *, char: str, user: str, now: datetime) -> str:
    """Replace {{char}}, {{user}}, {{time}}, {{date}}, <BOT>, <CHAR> and <USER> in text."""
    if "{" not in text and "<" not in text:
        return text
    values = {
        "char": char,
        "bot": char,
        "user": user,
        "time": format_time(now),
        "date": format_date(now),
    }

    def replace(match: re.Match[str]) -> str:
        name = (match.group(1) or match.group(2)).lower()
        return values[name]

    return _MACRO.sub(replace, text)
