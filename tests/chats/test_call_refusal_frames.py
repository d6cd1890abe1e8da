"""A live call's refusals are error frames with the fields of the HTTP refusal: the limit,
its reset time and Retry-After, the feature or model, and the plan that allows more
(tests/voice/test_call.py sees them on a real call where the local voice is installed)."""

from __future__ import annotations

from datetime import UTC, datetime

from cognitia.billing.errors import (
    FeatureNotInPlan,
    ModelNotInPlan,
    QuotaExceeded,
    TooManyGenerations,
)
from cognitia.chats.call import protocol
from cognitia.errors import NotFound

RESET = datetime(2026, 12, 7, tzinfo=UTC)


def test_a_daily_limit_carries_its_limit_reset_and_upgrade() -> None:
    refused = QuotaExceeded(
        "Your plan (Free) allows 50 messages a day.",
        limit="messages_per_day",
        reset_at=RESET,
        retry_after=30,
        upgrade_to="basic",
    )
    assert protocol.refusal(refused) == {
        "type": "error",
        "code": "quota_exceeded",
        "detail": "Your plan (Free) allows 50 messages a day.",
        "limit": "messages_per_day",
        "reset_at": "2026-12-07T00:00:00+00:00",
        "upgrade_to": "basic",
        "retry_after": 30,
    }


def test_each_refusal_carries_what_its_http_body_does() -> None:
    feature = protocol.refusal(FeatureNotInPlan("No.", feature="live_calls", upgrade_to="pro"))
    model = protocol.refusal(ModelNotInPlan("No.", model="big", upgrade_to=None))
    busy = protocol.refusal(TooManyGenerations("Wait.", limit=1, retry_after=5))

    assert (feature["feature"], feature["upgrade_to"]) == ("live_calls", "pro")
    assert model["model"] == "big"
    assert "upgrade_to" not in model  # no plan allows it: absent, as over HTTP
    assert (busy["code"], busy["limit"], busy["retry_after"]) == ("too_many_generations", 1, 5)


def test_other_errors_are_plain_error_frames() -> None:
    assert protocol.refusal(NotFound("Gone.")) == protocol.error("not_found", "Gone.")
