"""Turn-taking in group chats: which characters answer one user message, in order.

Pure functions, no I/O; randomness comes only from the `rng` passed in, so a seeded
`random.Random` gives the same answer every time. The rules follow SillyTavern's group
chats (reimplemented, not ported):

- A reply is a *round* (who answers the message) followed by up to `auto_turns`
  *follow-ups* (characters carrying on by themselves).
- Nobody speaks twice in a row: the previous speaker is the last id of `recent` that is
  still in the chat, then each speaker of the returned list in turn.
- A chat with one character: always that character, once (no follow-ups).
- natural: characters addressed by name (whole word, case-insensitive) answer first, in
  the order they were first mentioned; then each other character joins with probability
  `talkativeness`, in shuffled order. The previous speaker joins only when addressed, and
  then answers second rather than first. If nobody joined, one character other than the
  previous speaker is drawn at random (preferring those with talkativeness above 0).
  Follow-up: every character but the last speaker, in shuffled order, rolls against its
  talkativeness; the first to succeed speaks. When nobody succeeds, the follow-ups end
  early, so talkativeness 0 means none.
- list: every character once, in position order, starting after the previous speaker
  (from the first position when there is none); follow-ups continue the rotation.
- pooled: one character who has not spoken since the last time everyone had (random
  among them; when everyone just had, anyone but the previous speaker); each follow-up is
  drawn by the same rule, so over n replies each of n characters speaks once.
- manual: exactly the `chosen` character, no follow-ups.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cognitia.chats.errors import NotInChat, SpeakerRequired
from cognitia.models.chat import TurnStrategy


class NoSpeakerChosen(SpeakerRequired):
    """Manual turn-taking without a chosen character (422 speaker_required)."""


class ChosenNotInChat(NoSpeakerChosen, NotInChat):
    """Manual turn-taking chose a character that is not in the chat (422)."""

    code = NotInChat.code
    default_detail = NotInChat.default_detail


@dataclass(frozen=True)
class Speaker:
    character_id: str
    name: str
    talkativeness: float  # 0..1
    position: int  # order in the chat's character list


def choose_speakers(  # noqa: PLR0913 - the contract the chats service codes against
    strategy: TurnStrategy,
    characters: Sequence[Speaker],
    *,
    message: str,
    recent: Sequence[str],
    auto_turns: int,
    chosen: str | None,
    rng: random.Random,
) -> list[str]:
    """The ids of the characters that answer `message`, in speaking order.

    `recent` holds the ids of the characters that spoke last, oldest first (ids no longer
    in the chat are ignored); `chosen` is the user's pick under manual turn-taking.
    """
    ordered = sorted(characters, key=lambda s: s.position)
    ids = {s.character_id for s in ordered}
    if strategy is TurnStrategy.MANUAL:
        return _manual(ordered, chosen)
    if len(ordered) <= 1:
        return [s.character_id for s in ordered]
    history = [i for i in recent if i in ids]
    previous = history[-1] if history else None
    follow_ups = max(0, auto_turns)
    if strategy is TurnStrategy.LIST:
        return _list(ordered, previous, follow_ups)
    if strategy is TurnStrategy.POOLED:
        return _pooled(ordered, history, follow_ups, rng)
    return _natural(ordered, message, previous, follow_ups, rng)


def _manual(ordered: Sequence[Speaker], chosen: str | None) -> list[str]:
    if chosen is None:
        if len(ordered) == 1:
            return [ordered[0].character_id]
        raise NoSpeakerChosen()
    if chosen not in {s.character_id for s in ordered}:
        raise ChosenNotInChat()
    return [chosen]


def _list(ordered: Sequence[Speaker], previous: str | None, follow_ups: int) -> list[str]:
    rotation = [s.character_id for s in ordered]
    start = rotation.index(previous) + 1 if previous is not None else 0
    count = len(rotation) + follow_ups
    return [rotation[(start + i) % len(rotation)] for i in range(count)]


def _pooled(
    ordered: Sequence[Speaker], history: Sequence[str], follow_ups: int, rng: random.Random
) -> list[str]:
    everyone = [s.character_id for s in ordered]
    spoken: set[str] = set()
    for speaker in history:
        spoken.add(speaker)
        if len(spoken) == len(everyone):
            spoken = set()  # everyone had their turn: a new pool starts
    previous = history[-1] if history else None
    chosen: list[str] = []
    for _ in range(1 + follow_ups):
        pool = [i for i in everyone if i not in spoken and i != previous]
        speaker = rng.choice(pool)
        chosen.append(speaker)
        spoken.add(speaker)
        if len(spoken) == len(everyone):
            spoken = set()
        previous = speaker
    return chosen


def _natural(
    ordered: Sequence[Speaker],
    message: str,
    previous: str | None,
    follow_ups: int,
    rng: random.Random,
) -> list[str]:
    mentioned = mentions(message, ordered)
    others = [s for s in ordered if s.character_id not in mentioned and s.character_id != previous]
    joined = [s.character_id for s in _shuffled(others, rng) if _rolls(s, rng)]
    spoken = [i for i in mentioned if i != previous] + joined
    if not spoken:
        spoken = [_fallback(ordered, previous, rng)]
    if previous in mentioned:
        spoken.insert(1, previous)
    for _ in range(follow_ups):
        candidates = [s for s in ordered if s.character_id != spoken[-1]]
        speaker = next((s for s in _shuffled(candidates, rng) if _rolls(s, rng)), None)
        if speaker is None:
            break
        spoken.append(speaker.character_id)
    return spoken


def mentions(message: str, characters: Sequence[Speaker]) -> list[str]:
    """Ids of the characters named in `message`, in order of first mention.

    A name counts as a whole word (or words), case-insensitively; a shorter name found
    inside a longer one's mention ("Ann" in "Ann Marie") does not count.
    """
    found: list[tuple[int, int, str]] = []
    for speaker in characters:
        name = speaker.name.strip()
        if not name:
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        found += [(m.start(), m.end(), speaker.character_id) for m in pattern.finditer(message)]
    found.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
    taken: list[tuple[int, int]] = []
    order: list[str] = []
    for start, end, character_id in found:
        if any(s <= start and end <= e for s, e in taken):
            continue
        taken.append((start, end))
        if character_id not in order:
            order.append(character_id)
    return order


def _fallback(ordered: Sequence[Speaker], previous: str | None, rng: random.Random) -> str:
    """Someone other than the previous speaker, preferring the talkative."""
    others = [s for s in ordered if s.character_id != previous]
    chatty = [s for s in others if _talkativeness(s) > 0]
    return rng.choice(chatty or others).character_id


def _shuffled(speakers: Sequence[Speaker], rng: random.Random) -> list[Speaker]:
    result = list(speakers)
    rng.shuffle(result)
    return result


def _rolls(speaker: Speaker, rng: random.Random) -> bool:
    # random() is in [0, 1): talkativeness 0 never speaks, 1 always does.
    return rng.random() < _talkativeness(speaker)


def _talkativeness(speaker: Speaker) -> float:
    return min(1.0, max(0.0, speaker.talkativeness))
