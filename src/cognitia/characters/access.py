"""Who may use a character: one rule, read by the characters service and by chats.

The owner may; anyone signed in may use a public or unlisted one. A chat's owner must
still pass it at every reply, as visibility changes after a chat was made.
"""

from __future__ import annotations

from cognitia.models.character import Character, Visibility


def usable_by(character: Character, user_id: str) -> bool:
    return character.owner_id == user_id or character.visibility != Visibility.PRIVATE
