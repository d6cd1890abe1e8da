"""Pure ranking maths."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)

# The constant of Cormack, Clarke and Büttcher (2009): large enough that the first few
# places of one list do not drown the other list, small enough that rank still matters.
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Key]], *, k: int = RRF_K
) -> list[tuple[Key, float]]:
    """Fuse best-first rankings: each item scores the sum of 1 / (k + rank) over the lists
    it appears in (rank from 1). Scores of different scales (bm25, cosine) never meet,
    only places do. Ties keep the order of first appearance."""
    scores: dict[Key, float] = {}
    for ranking in rankings:
        for place, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + place)
    return sorted(scores.items(), key=lambda item: -item[1])
