"""/metrics: Prometheus text with route templates (never raw paths) and job outcomes."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


async def _metrics(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def _value(client: httpx.AsyncClient, sample_name: str, **labels: str) -> float:
    """One sample's value (0 while the label set has not been seen yet)."""
    for family in text_string_to_metric_families(await _metrics(client)):
        for sample in family.samples:
            if sample.name == sample_name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return sample.value
    return 0.0


async def test_requests_are_counted_by_route_template(client: httpx.AsyncClient) -> None:
    me = {"route": "/api/v2/auth/me", "method": "GET", "status": "401"}
    revoke = {"route": "/api/v2/api-keys/{key_id}", "method": "DELETE", "status": "401"}
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    counter = "cognitia_http_requests_total"
    before = [await _value(client, counter, **labels) for labels in (me, revoke, unmatched)]

    assert (await client.get("/api/v2/auth/me")).status_code == 401
    assert (await client.get("/api/v2/auth/me")).status_code == 401
    assert (await client.delete("/api/v2/api-keys/raw-key-id-7731")).status_code == 401
    assert (await client.get("/no/such/page-9912")).status_code == 404

    after = [await _value(client, counter, **labels) for labels in (me, revoke, unmatched)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1]
    text = await _metrics(client)
    assert "raw-key-id-7731" not in text
    assert "page-9912" not in text
    assert 'cognitia_http_request_duration_seconds_count{method="GET",route="/api/v2/auth/me"}' in (
        text
    )


async def test_jobs_are_counted_after_they_ran(client: httpx.AsyncClient) -> None:
    labels = {"name": "mail.send", "outcome": "ok"}
    before = await _value(client, "cognitia_jobs_total", **labels)
    enqueued_before = await _value(client, "cognitia_jobs_enqueued_total", name="mail.send")

    body = {"email": "metrics@example.com", "password": "SecurePass123", "first_name": "M"}
    assert (await client.post("/api/v2/auth/register", json=body)).status_code == 201

    async def counted() -> bool:
        return await _value(client, "cognitia_jobs_total", **labels) == before + 1

    await eventually(counted)
    assert await _value(client, "cognitia_jobs_enqueued_total", name="mail.send") == (
        enqueued_before + 1
    )
    assert await _value(client, "cognitia_job_duration_seconds_count", name="mail.send") >= 1
