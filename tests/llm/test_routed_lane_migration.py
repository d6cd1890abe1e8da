"""Migration 0019 on both backends: llm_call's routed_lane and route_reason up, down, up."""

from __future__ import annotations

from cognitia.migrations import runner
from tests.conftest import migration_module
from tests.support.schema_shape import columns

ADDED = {"routed_lane", "route_reason"}
# The revision before 0019, whatever it is now (the chain is re-linked as branches merge).
BEFORE = migration_module("0019_llm_call_routed_lane").down_revision


def _columns(url: str) -> set[str]:
    return columns(url, "llm_call") or set()


def test_0019_adds_the_route_columns_and_takes_them_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, BEFORE)
    before = _columns(empty_url)
    assert "lane" in before
    assert not ADDED & before

    runner.upgrade(empty_url, "0019")
    assert _columns(empty_url) == before | ADDED

    runner.downgrade(empty_url, BEFORE)
    assert _columns(empty_url) == before
    runner.upgrade(empty_url, "0019")
    assert _columns(empty_url) >= ADDED
