from __future__ import annotations

import pytest

from cognitia.retrieval.logic import reciprocal_rank_fusion


def test_fusion_rewards_agreement_between_lists() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]], k=60)

    assert [key for key, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_fusion_of_one_list_keeps_its_order() -> None:
    assert [key for key, _ in reciprocal_rank_fusion([[3, 1, 2]])] == [3, 1, 2]
