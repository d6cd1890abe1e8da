"""Job payloads are typed: checked where a job is requested, validated where it runs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs import deferred, registry
from cognitia.jobs.registry import NoPayload
from tests.support.jobs import RECORD, Marks


def test_a_payload_of_another_jobs_type_is_refused_when_deferred() -> None:
    session = AsyncSession()
    with pytest.raises(TypeError, match=r"tests\.record takes Marks, not NoPayload"):
        deferred.defer(session, RECORD, NoPayload())
    assert deferred.peek(session) == []


def test_a_misspelt_field_fails_where_the_payload_is_made() -> None:
    with pytest.raises(ValidationError):
        Marks(dir="/tmp/x", nmae="typo")  # type: ignore[call-arg]


@pytest.mark.asyncio
async def test_a_queued_payload_is_validated_into_its_type_before_the_handler_runs() -> None:
    spec = registry.get(RECORD)
    with pytest.raises(ValidationError):
        await spec.run(None, {"name": "no dir"})  # type: ignore[arg-type]
