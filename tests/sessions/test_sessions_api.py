"""Coaching sessions through the API: start, turns (JSON and SSE), another person's
session, the end with notes (valid, invalid, retried), editing, export, carrying the
open action items into the next session, stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cognitia.models.character import Visibility
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, named, stream
from tests.memory.helpers import remembered
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]
JSON = {"Accept": "application/json"}

NOTES: dict[str, Any] = {
    "summary": "We planned a calmer week.",
    "insights": ["Mornings are the best time to focus."],
    "action_items": [
        {"text": "Walk 20 minutes daily", "owner": "Test", "due_date": "2026-12-14", "done": False},
        {"text": "Send a reading list", "owner": "Coach", "due_date": None, "done": False},
    ],
    "follow_up_questions": ["How did the walks feel?"],
}


async def _start(
    client: httpx.AsyncClient, headers: dict[str, str], character_id: str, goal: str = ""
) -> dict[str, Any]:
    body = {"character_id": character_id, "goal": goal}
    response = await client.post("/api/v2/sessions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _coach(session_app: App) -> tuple[Runtime, User, dict[str, str], str]:
    """A person, their headers and a coach of theirs."""
    app, client = session_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    coach = await create_character(runtime, owner=user, name="Coach")
    return runtime, user, headers, coach.id


async def _turn(client: httpx.AsyncClient, headers: dict[str, str], sid: str, text: str) -> Any:
    url = f"/api/v2/sessions/{sid}/turns"
    return await client.post(url, json={"content": text}, headers={**headers, **JSON})


async def _end(client: httpx.AsyncClient, headers: dict[str, str], sid: str) -> httpx.Response:
    url = f"/api/v2/sessions/{sid}/end"
    return await client.post(url, json={"generate_notes": True}, headers=headers)


async def test_turns_as_json_and_sse_and_only_for_their_person(
    session_app: App, upstream: FakeUpstream
) -> None:
    runtime, _, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    session = await _start(client, headers, coach_id, goal="Sleep better")
    sid = session["id"]
    assert (session["status"], session["goal"], session["turns"]) == ("active", "Sleep better", 0)

    upstream.script("rp-model", reply="Tell me about your evenings.")
    answer = await _turn(client, headers, sid, "I go to bed late.")
    assert answer.status_code == 200, answer.text
    assert [r["content"] for r in answer.json()["replies"]] == ["Tell me about your evenings."]
    prompt = json.dumps(upstream.last("rp-model").body["messages"])
    assert "Sleep better" in prompt  # the goal is in the coach's prompt

    upstream.script("rp-model", reply="Try a fixed bedtime.")
    events = await stream(client, f"/api/v2/sessions/{sid}/turns", headers, {"content": "Ok?"})
    assert named(events, "message.completed")[-1]["message"]["content"] == "Try a fixed bedtime."

    detail = (await client.get(f"/api/v2/sessions/{sid}", headers=headers)).json()
    assert detail["turns"] == 2
    said = [(t["role"], t["content"]) for t in detail["transcript"] if t["role"] != "system"]
    assert said[-2:] == [("user", "Ok?"), ("character", "Try a fixed bedtime.")]
    usage = (await client.get("/api/v2/subscription/usage", headers=headers)).json()
    assert usage["today"]["messages"]["used"] == 2  # each turn is a message of the day
    page = (await client.get("/api/v2/sessions", headers=headers)).json()
    assert (page["total"], [s["id"] for s in page["items"]]) == (1, [sid])

    _, stranger = await user_with_token(runtime, client)
    for response in (
        await client.get(f"/api/v2/sessions/{sid}", headers=stranger),
        await _turn(client, stranger, sid, "hello"),
        await _end(client, stranger, sid),
    ):
        assert (response.status_code, response.json()["error"]) == (404, "session_not_found")
    assert (await client.get("/api/v2/sessions", headers=stranger)).json()["total"] == 0


async def test_a_turn_past_the_days_messages_is_refused(
    session_app: App, upstream: FakeUpstream
) -> None:
    runtime, user, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    sid = (await _start(client, headers, coach_id))["id"]
    runtime.quotas.clock = lambda: datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    for _ in range(50):  # the Free plan's day
        assert await runtime.quotas.counters.take(user.id, "messages", "2026-12-06", limit=50)

    refused = await _turn(client, headers, sid, "Hello")

    assert (refused.status_code, refused.json()["error"]) == (429, "quota_exceeded")
    assert upstream.requests_for("rp-model") == []


async def test_a_coach_must_be_yours_or_public(session_app: App, upstream: FakeUpstream) -> None:
    app, client = session_app
    runtime = runtime_of(app)
    owner, _ = await user_with_token(runtime, client)
    _, headers = await user_with_token(runtime, client)
    private = await create_character(runtime, owner=owner, name="Private")
    public = await create_character(runtime, owner=owner, name="Open", visibility=Visibility.PUBLIC)

    body = {"character_id": private.id}
    refused = await client.post("/api/v2/sessions", json=body, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (404, "character_not_found")
    await _start(client, headers, public.id)
    blank = await client.post("/api/v2/sessions", json={"goal": "x"}, headers=headers)
    assert blank.status_code == 422
    body = {"character_id": public.id, "goal": "a\x00b"}
    nul = await client.post("/api/v2/sessions", json=body, headers=headers)
    assert (nul.status_code, nul.json()["error"]) == (422, "validation_error")


async def test_end_with_notes_then_edit_export_and_mark_done(
    session_app: App, upstream: FakeUpstream
) -> None:
    _, _, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    sid = (await _start(client, headers, coach_id))["id"]
    upstream.script("rp-model", reply="Let us plan.")
    assert (await _turn(client, headers, sid, "Help me plan.")).status_code == 200
    upstream.script("notes-model", reply=json.dumps(NOTES))

    ended = await _end(client, headers, sid)

    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert (body["status"], body["notes"]["summary"]) == ("ended", NOTES["summary"])
    assert body["notes"]["action_items"][0]["due_date"] == "2026-12-14"
    asked = upstream.last("notes-model").body
    assert asked["response_format"]["type"] == "json_schema"
    assert "action_items" in json.dumps(asked["response_format"]["json_schema"]["schema"])
    assert "Help me plan." in json.dumps(asked["messages"])

    refused = await _turn(client, headers, sid, "One more thing")
    assert (refused.status_code, refused.json()["error"]) == (409, "session_ended")
    again = await _end(client, headers, sid)
    assert (again.status_code, again.json()["error"]) == (409, "session_ended")

    url = f"/api/v2/sessions/{sid}"
    edited = await client.patch(f"{url}/notes", json={"summary": "Edited."}, headers=headers)
    assert edited.json()["notes"]["summary"] == "Edited."
    assert edited.json()["notes"]["insights"] == NOTES["insights"]  # unchanged
    bad = await client.patch(f"{url}/notes", json={"summary": 3}, headers=headers)
    assert bad.status_code == 422
    done = await client.patch(f"{url}/action-items/1", json={"done": True}, headers=headers)
    assert [i["done"] for i in done.json()["notes"]["action_items"]] == [False, True]
    missing = await client.patch(f"{url}/action-items/5", json={"done": True}, headers=headers)
    assert (missing.status_code, missing.json()["error"]) == (404, "action_item_not_found")

    exported = await client.get(f"{url}/notes.md", headers=headers)
    assert exported.headers["content-type"].startswith("text/markdown")
    text = exported.text
    assert text.startswith("# Session with Coach, ")
    assert "## Summary\n\nEdited." in text
    assert "- [ ] Walk 20 minutes daily — Test (due 2026-12-14)" in text
    assert "- [x] Send a reading list — Coach" in text


async def test_invalid_notes_are_retried_once_then_refused_with_the_session_ended(
    session_app: App, upstream: FakeUpstream
) -> None:
    _, _, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    sid = (await _start(client, headers, coach_id))["id"]
    upstream.script("notes-model", reply="Sure! Here are your notes: great session.")
    # JSON that parses, but with a NUL PostgreSQL could not store: not valid notes either.
    upstream.script("notes-model", reply=json.dumps({**NOTES, "summary": "a\x00b"}))

    failed = await _end(client, headers, sid)

    assert (failed.status_code, failed.json()["error"]) == (502, "notes_invalid")
    assert len(upstream.requests_for("notes-model")) == 2
    detail = (await client.get(f"/api/v2/sessions/{sid}", headers=headers)).json()
    assert (detail["status"], detail["notes"], detail["notes_error"]) == (
        "ended",
        None,
        "notes_invalid",
    )
    refused = await _turn(client, headers, sid, "still there?")
    assert refused.json()["error"] == "session_ended"
    missing = await client.get(f"/api/v2/sessions/{sid}/notes.md", headers=headers)
    assert (missing.status_code, missing.json()["error"]) == (404, "notes_not_found")

    # Asking again: a wrong shape first (due_date not a date), then valid notes.
    wrong = {**NOTES, "action_items": [{"text": "x", "owner": "y", "due_date": "soon"}]}
    upstream.script("notes-model", reply=json.dumps(wrong))
    upstream.script("notes-model", reply="```json\n" + json.dumps(NOTES) + "\n```")
    retried = await _end(client, headers, sid)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["notes"]["summary"], retried.json()["notes_error"]) == (
        NOTES["summary"],
        None,
    )
    assert len(upstream.requests_for("notes-model")) == 4


async def test_the_next_session_starts_from_the_open_action_items(
    session_app: App, upstream: FakeUpstream
) -> None:
    runtime, user, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    first = (await _start(client, headers, coach_id))["id"]
    upstream.script("notes-model", reply=json.dumps(NOTES))
    assert (await _end(client, headers, first)).status_code == 200
    url = f"/api/v2/sessions/{first}/action-items/1"
    assert (await client.patch(url, json={"done": True}, headers=headers)).status_code == 200
    other_coach = (await create_character(runtime, owner=user, name="Other")).id

    second = await _start(client, headers, coach_id)

    assert [(i["session_id"], i["index"], i["text"]) for i in second["carried_items"]] == [
        (first, 0, "Walk 20 minutes daily")
    ]
    upstream.script("rp-model", reply="How were the walks?")
    assert (await _turn(client, headers, second["id"], "Hi again")).status_code == 200
    prompt = json.dumps(upstream.last("rp-model").body["messages"])
    assert "Walk 20 minutes daily" in prompt
    assert "Send a reading list" not in prompt  # done: not carried
    elsewhere = await _start(client, headers, other_coach)
    assert elsewhere["carried_items"] == []  # another coach starts afresh


async def test_stats_for_the_person_and_for_admins(
    session_app: App, upstream: FakeUpstream
) -> None:
    runtime, _, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    sid = (await _start(client, headers, coach_id))["id"]
    await _start(client, headers, coach_id)
    upstream.script("rp-model", reply="Yes.")
    assert (await _turn(client, headers, sid, "Hello")).status_code == 200
    url = f"/api/v2/sessions/{sid}/end"
    end = await client.post(url, json={"generate_notes": False}, headers=headers)
    assert (end.json()["status"], end.json()["notes"]) == ("ended", None)
    someone, other = await user_with_token(runtime, client)
    other_coach = await create_character(runtime, owner=someone, name="C")
    other_sid = (await _start(client, other, other_coach.id))["id"]
    upstream.script("rp-model", reply="Sure.")
    assert (await _turn(client, other, other_sid, "Hey")).status_code == 200

    mine = (await client.get("/api/v2/sessions/stats", headers=headers)).json()
    assert mine == {"scope": "mine", "active_sessions": 1, "turns_today": 1}
    refused = await client.get("/api/v2/sessions/stats?scope=all", headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "admin_required")
    _, admin = await user_with_token(runtime, client, admin=True)
    everyone = (await client.get("/api/v2/sessions/stats?scope=all", headers=admin)).json()
    assert everyone == {"scope": "all", "active_sessions": 2, "turns_today": 2}


async def test_the_coach_remembers_the_person_from_an_earlier_session(
    session_app: App, upstream: FakeUpstream
) -> None:
    _, _, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    first = (await _start(client, headers, coach_id))["id"]
    told = "My sister Zelda plays the oboe in Lisbon."
    upstream.script("rp-model", reply="How lovely.")
    assert (await _turn(client, headers, first, told)).status_code == 200
    await remembered(client, headers, coach_id, 2)  # the turn and the reply, as in chats
    url = f"/api/v2/sessions/{first}/end"
    assert (await client.post(url, json={"generate_notes": False}, headers=headers)).is_success

    second = (await _start(client, headers, coach_id))["id"]
    upstream.script("rp-model", reply="The oboe.")
    assert (
        await _turn(client, headers, second, "Which instrument does my sister play?")
    ).is_success

    assert told in json.dumps(upstream.last("rp-model").body["messages"])


async def test_no_model_for_the_notes_is_said_and_the_session_still_ends(
    session_app: App, upstream: FakeUpstream
) -> None:
    _, _, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    sid = (await _start(client, headers, coach_id))["id"]
    upstream.script("notes-model", status=400, message="bad request", times=None)

    failed = await _end(client, headers, sid)

    assert (failed.status_code, failed.json()["error"]) == (502, "notes_unavailable")
    detail = (await client.get(f"/api/v2/sessions/{sid}", headers=headers)).json()
    assert (detail["status"], detail["notes_error"]) == ("ended", "notes_unavailable")
    written = await client.patch(
        f"/api/v2/sessions/{sid}/notes", json={"summary": "By hand."}, headers=headers
    )
    assert (written.json()["notes"]["summary"], written.json()["notes_error"]) == ("By hand.", None)


async def test_an_ended_sessions_chat_takes_no_turns_by_any_path(
    session_app: App, upstream: FakeUpstream
) -> None:
    _, _, headers, coach_id = await _coach(session_app)
    client = session_app[1]
    started = await _start(client, headers, coach_id)
    chat_url = f"/api/v2/chats/{started['chat_id']}"
    upstream.script("rp-model", reply="Go on.")
    reply = (await _turn(client, headers, started["id"], "Hello.")).json()["replies"][0]
    assert (await client.get(chat_url, headers=headers)).json()["closed_at"] is None

    url = f"/api/v2/sessions/{started['id']}/end"
    assert (await client.post(url, json={"generate_notes": False}, headers=headers)).is_success

    chat = (await client.get(chat_url, headers=headers)).json()
    assert chat["closed_at"] is not None
    sent = await client.post(
        f"{chat_url}/messages", json={"content": "Sneaking in."}, headers={**headers, **JSON}
    )
    assert (sent.status_code, sent.json()["error"]) == (409, "chat_closed")
    again = await client.post(
        f"{chat_url}/messages/{reply['id']}/regenerate", headers={**headers, **JSON}
    )
    assert (again.status_code, again.json()["error"]) == (409, "chat_closed")
    transcript = (await client.get(f"/api/v2/sessions/{started['id']}", headers=headers)).json()
    assert "Sneaking in." not in json.dumps(transcript)
