"""/api/v2/subscription and the admin routes: plans, a user's plan, cancel, grants, usage;
and the limits that are not daily: characters, API access, live calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import PASSWORD, runtime_of, user_with_token

pytestmark = pytest.mark.asyncio

Headers = dict[str, str]


async def _people(app: FastAPI, client: httpx.AsyncClient) -> tuple[str, Headers, Headers]:
    """A user (their id and headers) and an admin's headers."""
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    _, admin = await user_with_token(runtime, client, admin=True)
    return user.id, headers, admin


async def _assign(
    client: httpx.AsyncClient, admin: Headers, user_id: str, plan: str | None, **fields: Any
) -> dict[str, Any]:
    url = f"/api/v2/admin/users/{user_id}/subscription"
    response = await client.put(url, json={"plan_id": plan, **fields}, headers=admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_public_plans_need_no_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/subscription/plans")

    assert response.status_code == 200
    plans = {p["id"]: p for p in response.json()}
    assert list(plans) == ["free", "basic", "pro", "enterprise"]  # `unlimited` is hidden
    free, pro = plans["free"], plans["pro"]
    assert (free["max_characters"], free["messages_per_day"], free["api_access"]) == (3, 50, False)
    assert (pro["max_characters"], pro["price_cents"], pro["live_calls"]) == (None, 2499, True)


async def test_a_new_user_is_on_the_default_plan(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers, _ = await _people(app, client)

    current = (await client.get("/api/v2/subscription/current", headers=headers)).json()

    assert current["plan"]["id"] == "unlimited"
    assert current["on_default_plan"] is True
    response = await client.post("/api/v2/subscription/cancel", headers=headers)
    assert (response.status_code, response.json()["error"]) == (409, "no_subscription")


async def test_cancel_at_period_end_then_reactivate(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, headers, admin = await _people(app, client)
    end = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    await _assign(client, admin, user_id, "pro", current_period_end=end)

    cancelled = await client.post("/api/v2/subscription/cancel", headers=headers)
    again = await client.post("/api/v2/subscription/reactivate", headers=headers)

    assert cancelled.status_code == 200
    assert (cancelled.json()["plan"]["id"], cancelled.json()["cancel_at_period_end"]) == (
        "pro",
        True,
    )
    assert (again.json()["plan"]["id"], again.json()["cancel_at_period_end"]) == ("pro", False)


async def test_a_plan_without_a_period_ends_when_cancelled(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, headers, admin = await _people(app, client)
    await _assign(client, admin, user_id, "basic")

    cancelled = (await client.post("/api/v2/subscription/cancel", headers=headers)).json()
    reactivate = await client.post("/api/v2/subscription/reactivate", headers=headers)

    assert (cancelled["plan"]["id"], cancelled["on_default_plan"]) == ("unlimited", True)
    assert (reactivate.status_code, reactivate.json()["error"]) == (409, "subscription_ended")


async def test_admin_routes_refuse_others_and_unknown_ids(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, headers, admin = await _people(app, client)
    url = f"/api/v2/admin/users/{user_id}/subscription"

    as_user = await client.put(url, json={"plan_id": "pro"}, headers=headers)
    no_plan = await client.put(url, json={"plan_id": "gold"}, headers=admin)
    bad_slug = await client.put(url, json={"plan_id": "Gold Plan"}, headers=admin)
    no_user = await client.put(
        "/api/v2/admin/users/00000000-0000-0000-0000-000000000000/subscription",
        json={"plan_id": "pro"},
        headers=admin,
    )

    assert (as_user.status_code, as_user.json()["error"]) == (403, "admin_required")
    assert (no_plan.status_code, no_plan.json()["error"]) == (404, "plan_not_found")
    assert (bad_slug.status_code, bad_slug.json()["error"]) == (422, "validation_error")
    assert (no_user.status_code, no_user.json()["error"]) == (404, "user_not_found")


async def test_an_admin_edits_a_plan_and_sees_hidden_ones(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, headers, admin = await _people(app, client)
    change = {"messages_per_day": 75, "max_characters": None, "monthly_budget_cents": 500}

    edited = await client.patch("/api/v2/admin/plans/free", json=change, headers=admin)
    listed = await client.get("/api/v2/admin/plans", headers=admin)
    as_user = await client.patch("/api/v2/admin/plans/free", json=change, headers=headers)
    unknown_field = await client.patch("/api/v2/admin/plans/free", json={"x": 1}, headers=admin)

    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["messages_per_day"], body["max_characters"], body["max_characters"]) == (
        75,
        None,
        None,
    )
    assert body["monthly_budget_cents"] == 500
    assert [p["id"] for p in listed.json()][-1] == "unlimited"
    assert as_user.status_code == 403
    assert unknown_field.status_code == 422


async def test_the_fourth_character_on_free_is_refused_until_a_grant(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, headers, admin = await _people(app, client)
    await _assign(client, admin, user_id, "free")

    made = [
        await client.post("/api/v2/characters", json={"name": f"C{i}"}, headers=headers)
        for i in range(4)
    ]
    grant = {"extra_characters": 1}
    granted = await client.put(f"/api/v2/admin/users/{user_id}/grants", json=grant, headers=admin)
    fourth = await client.post("/api/v2/characters", json={"name": "C4"}, headers=headers)

    assert [r.status_code for r in made] == [201, 201, 201, 403]
    assert made[3].json()["error"] == "plan_limit_reached"
    assert (made[3].json()["limit"], made[3].json()["upgrade_to"]) == ("characters", "basic")
    listed = await client.get("/api/v2/characters", headers=headers)
    assert listed.json()["total"] == 4  # the refused one was not kept
    assert granted.json()["grants"]["extra_characters"] == 1
    assert fourth.status_code == 201


async def test_api_access_is_refused_on_free_and_named_on_pro(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, headers, admin = await _people(app, client)
    await _assign(client, admin, user_id, "free")
    key_body = {"name": "k", "current_password": PASSWORD}

    key = await client.post("/api/v2/api-keys", json=key_body, headers=headers)
    models = await client.get("/v1/models", headers=headers)
    await _assign(client, admin, user_id, "pro")
    key_on_pro = await client.post("/api/v2/api-keys", json=key_body, headers=headers)
    models_on_pro = await client.get("/v1/models", headers=headers)

    assert key.status_code == 403
    assert (key.json()["error"], key.json()["feature"], key.json()["upgrade_to"]) == (
        "feature_not_in_plan",
        "api_access",
        "pro",
    )
    assert models.status_code == 403  # /v1 errors take OpenAI's shape
    assert models.json()["error"]["code"] == "feature_not_in_plan"
    assert "Pro" in models.json()["error"]["message"]
    assert (key_on_pro.status_code, models_on_pro.status_code) == (201, 200)


async def test_a_live_call_on_basic_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    user_id, headers, admin = await _people(app, client)
    await _assign(client, admin, user_id, "basic")
    body = {"chat_id": "00000000-0000-0000-0000-000000000000"}

    response = await client.post("/api/v2/voice/livekit-token", json=body, headers=headers)

    assert response.status_code == 403
    assert (response.json()["error"], response.json()["upgrade_to"]) == (
        "feature_not_in_plan",
        "pro",
    )


async def test_usage_against_the_plan(app: FastAPI, client: httpx.AsyncClient) -> None:
    user_id, headers, admin = await _people(app, client)
    await _assign(client, admin, user_id, "free")
    await client.post("/api/v2/characters", json={"name": "C"}, headers=headers)
    meter = app.state.runtime.meter  # what speech and transcription record
    await meter.record(user_id, synthesized_s=60.0, transcribed_s=30.0)

    own = (await client.get("/api/v2/subscription/usage", headers=headers)).json()
    seen = await client.get(f"/api/v2/admin/users/{user_id}/usage", headers=admin)

    assert own["plan_id"] == "free"
    assert own["characters"] == {"used": 1, "limit": 3}
    assert own["today"]["messages"] == {"used": 0, "limit": 50}
    assert own["today"]["audio_minutes"] == {"used": 1.5, "limit": 10}
    assert own["month"]["cost_cents"] == {"used": 0, "limit": None}
    assert own["today"]["resets_at"].endswith("T00:00:00Z")
    assert seen.json() == own


async def test_characters_created_at_once_take_the_last_slot_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, headers, admin = await _people(app, client)
    await _assign(client, admin, user_id, "free")
    for name in ("A", "B"):
        await client.post("/api/v2/characters", json={"name": name}, headers=headers)

    racing = [
        client.post("/api/v2/characters", json={"name": f"R{i}"}, headers=headers) for i in range(8)
    ]
    statuses = [r.status_code for r in await asyncio.gather(*racing)]

    assert sorted(statuses) == [201] + [403] * 7
    listed = await client.get("/api/v2/characters", headers=headers)
    assert listed.json()["total"] == 3


async def test_an_admin_creates_a_plan_and_puts_someone_on_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, _, admin = await _people(app, client)
    plan = {"id": "team", "name": "Team", "price_cents": 4999, "api_access": True}

    created = await client.post("/api/v2/admin/plans", json=plan, headers=admin)
    again = await client.post("/api/v2/admin/plans", json=plan, headers=admin)
    current = await _assign(client, admin, user_id, "team")
    listed = await client.get("/api/v2/subscription/plans")

    assert created.status_code == 201, created.text
    assert (created.json()["messages_per_day"], created.json()["live_calls"]) == (None, False)
    assert (again.status_code, again.json()["error"]) == (409, "plan_exists")
    assert (current["plan"]["id"], current["on_default_plan"]) == ("team", False)
    assert current["billed_by_stripe"] is False  # an admin's plan: no charge is made
    assert "team" in [p["id"] for p in listed.json()]


async def test_a_default_plan_that_does_not_exist_says_so(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, billing={"default_plan": "gold"})
    async with running_app(settings) as (app, client):
        _, headers = await user_with_token(runtime_of(app), client)
        response = await client.get("/api/v2/subscription/current", headers=headers)

    assert (response.status_code, response.json()["error"]) == (500, "default_plan_missing")


def _with_clones(database_url: str, tmp_path: Path) -> Settings:
    """A catalogue with two cloned voices (RVC servers never reached: nothing speaks)."""
    clone = {"engine": "espeak", "voice": "en-us", "convert": {"url": "http://127.0.0.1:9"}}
    voices = {name: {**clone, "convert": {**clone["convert"], "model": name}} for name in "AB"}
    return make_settings(database_url, tmp_path, voice={"voices": voices, "default_voice": "A"})


async def test_cloned_voices_count_against_the_plan(database_url: str, tmp_path: Path) -> None:
    async with running_app(_with_clones(database_url, tmp_path)) as (app, client):
        user_id, headers, admin = await _people(app, client)
        make = {"name": "Echo", "voice_model": "A"}
        await _assign(client, admin, user_id, "free")
        on_free = await client.post("/api/v2/characters", json=make, headers=headers)
        await _assign(client, admin, user_id, "basic")
        first = await client.post("/api/v2/characters", json=make, headers=headers)
        same_again = await client.post("/api/v2/characters", json=make, headers=headers)
        other = await client.patch(
            f"/api/v2/characters/{first.json()['id']}",
            json={"voice_model": "B"},
            headers=headers,
        )
        plain = await client.post("/api/v2/characters", json={"name": "P"}, headers=headers)
        second = await client.patch(
            f"/api/v2/characters/{plain.json()['id']}", json={"voice_model": "A"}, headers=headers
        )

    assert on_free.status_code == 403
    assert (on_free.json()["error"], on_free.json()["upgrade_to"]) == (
        "feature_not_in_plan",
        "basic",
    )
    assert (first.status_code, same_again.status_code) == (201, 201)
    assert other.status_code == 403  # B here, A on the second character: two clones on Basic
    assert (other.json()["error"], other.json()["upgrade_to"]) == ("plan_limit_reached", "pro")
    assert second.status_code == 200  # A again: still one clone
