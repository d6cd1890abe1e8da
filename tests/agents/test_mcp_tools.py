"""MCP tool servers end to end, against real MCP servers (tests/support/mcp_tools.py): a
stdio child and a streamable-HTTP server. Tools listed and called through a chat reply,
a server that crashes mid-call (the reply completes, the next call reconnects), one that
hangs (the call's timeout), a broken server skipped while a good one works, secrets never
read back, and who may add what (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.chats.helpers import create_chat, named, stream
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream, tool_call
from tests.support.mcp_tools import HttpMcp, stdio_command

pytestmark = pytest.mark.asyncio

URL = "/api/v2/mcp-servers"


@pytest.fixture
def http_mcp() -> Iterator[HttpMcp]:
    with HttpMcp() as served:
        yield served


def stdio_body(name: str = "local", **fields: Any) -> dict[str, Any]:
    command, args = stdio_command()
    body = {"name": name, "transport": "stdio", "command": command, "args": args}
    return {**body, "env": {"MCP_TEST_SECRET": "s3cret-value"}, "everyone": True, **fields}


async def add(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def chat_with(client: httpx.AsyncClient, headers: dict[str, str], tools: list[str]) -> str:
    body = {"name": "Aria", "tools": tools}
    response = await client.post("/api/v2/characters", json=body, headers=headers)
    assert response.status_code == 201, response.text
    chat = await create_chat(client, headers, response.json()["id"])
    chat_id: str = chat["id"]
    return chat_id


async def say(
    client: httpx.AsyncClient, headers: dict[str, str], chat_id: str, text: str
) -> list[tuple[str, dict[str, Any]]]:
    url = f"/api/v2/chats/{chat_id}/messages"
    return await stream(client, url, headers, {"content": text})


def results(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[bool, str]]:
    return [(r["ok"], r["result"]) for r in named(events, "tool.result")]


def completed(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    [done] = named(events, "message.completed")
    message: dict[str, Any] = done["message"]
    return message


async def test_a_stdio_server_s_tools_run_in_a_reply(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    await add(client, admin, stdio_body())
    _, headers = await user_with_token(runtime, client)
    chat_id = await chat_with(client, headers, ["mcp-local-echo", "mcp-local-secret"])
    calls = (
        tool_call("mcp-local-echo", {"text": "hello"}, "c1"),
        tool_call("mcp-local-secret", {}, "c2"),
    )
    upstream.script("rp-model", reply="Asking.", tool_calls=calls)
    upstream.script("rp-model", reply=" Done.")

    events = await say(client, headers, chat_id, "Echo hello")

    assert results(events) == [(True, "echo: hello"), (True, "secret: set")]
    assert completed(events)["content"] == "Asking. Done."
    first = upstream.requests_for("rp-model")[-2]
    offered = {t["function"]["name"]: t["function"] for t in first.body["tools"]}
    assert sorted(offered) == ["mcp-local-echo", "mcp-local-secret"]
    assert offered["mcp-local-echo"]["description"] == "Repeat the text back."
    assert offered["mcp-local-echo"]["parameters"]["required"] == ["text"]


async def test_a_crash_mid_call_is_a_result_and_the_next_call_reconnects(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    server = await add(client, admin, stdio_body())
    _, headers = await user_with_token(runtime, client)
    chat_id = await chat_with(client, headers, ["mcp-local-crash", "mcp-local-echo"])
    upstream.script("rp-model", tool_calls=(tool_call("mcp-local-crash", {}, "c1"),))
    upstream.script("rp-model", reply="It broke.")

    events = await say(client, headers, chat_id, "Crash it")

    [(ok, text)] = results(events)
    assert not ok
    assert "MCP server 'local'" in text
    assert completed(events)["status"] == "complete"
    status = (await client.get(f"{URL}/{server['id']}", headers=admin)).json()["status"]
    assert status["state"] == "broken"
    assert "dropped" in status["last_error"]

    upstream.script("rp-model", tool_calls=(tool_call("mcp-local-echo", {"text": "again"}),))
    upstream.script("rp-model", reply="Back.")
    events = await say(client, headers, chat_id, "Echo again")
    assert results(events) == [(True, "echo: again")]


async def test_a_hanging_call_ends_at_the_server_s_call_timeout(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    await add(client, admin, stdio_body(call_timeout_seconds=2))
    _, headers = await user_with_token(runtime, client)
    chat_id = await chat_with(client, headers, ["mcp-local-hang", "mcp-local-fail"])
    calls = (tool_call("mcp-local-fail", {}, "c1"), tool_call("mcp-local-hang", {}, "c2"))
    upstream.script("rp-model", tool_calls=calls)
    upstream.script("rp-model", reply="Too slow.")

    events = await say(client, headers, chat_id, "Wait for it")

    [(failed_ok, failed), (hung_ok, hung)] = results(events)
    assert (failed_ok, hung_ok) == (False, False)
    assert "no answer within 2s" in hung
    assert failed == "Error executing tool fail: the tool broke"
    assert completed(events)["content"] == "Too slow."


async def test_a_broken_server_is_skipped_and_reported_while_a_good_one_works(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    await add(client, admin, stdio_body())
    broken = await add(
        client, admin, stdio_body("gone", command="/nonexistent/mcp-server", args=[])
    )
    _, headers = await user_with_token(runtime, client)
    chat_id = await chat_with(client, headers, ["mcp-gone-echo", "mcp-local-echo"])
    upstream.script("rp-model", tool_calls=(tool_call("mcp-local-echo", {"text": "hi"}),))
    upstream.script("rp-model", reply="Fine.")

    events = await say(client, headers, chat_id, "Hi")

    assert results(events) == [(True, "echo: hi")]
    first = upstream.requests_for("rp-model")[-2]
    assert [t["function"]["name"] for t in first.body["tools"]] == ["mcp-local-echo"]
    refreshed = await client.post(f"{URL}/{broken['id']}/refresh", headers=headers)
    assert refreshed.status_code == 200, refreshed.text
    status = refreshed.json()["status"]
    assert status["state"] == "broken"
    assert "nonexistent" in status["last_error"] or "FileNotFound" in status["last_error"]
    assert refreshed.json()["command"] is None  # a user sees no admin's command line


async def test_refresh_lists_the_tools_and_secrets_are_never_read_back(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    server = await add(client, admin, stdio_body())
    assert server["env_names"] == ["MCP_TEST_SECRET"]
    assert server["status"]["state"] == "idle"

    refreshed = await client.post(f"{URL}/{server['id']}/refresh", headers=admin)
    listed = await client.get(URL, headers=admin)

    assert refreshed.status_code == 200, refreshed.text
    status = refreshed.json()["status"]
    assert (status["state"], status["last_error"]) == ("connected", None)
    names = {t["name"] for t in status["tools"]}
    assert {"mcp-local-echo", "mcp-local-crash", "mcp-local-hang"} <= names
    for body in (server, refreshed.json(), listed.json()):
        assert "s3cret-value" not in str(body)


async def test_who_may_add_and_see_what(
    runtime: Runtime, client: httpx.AsyncClient, http_mcp: HttpMcp
) -> None:
    _, alice = await user_with_token(runtime, client)
    _, bob = await user_with_token(runtime, client)
    stdio = await client.post(URL, json=stdio_body(everyone=False), headers=alice)
    assert (stdio.status_code, stdio.json()["error"]) == (403, "mcp_stdio_admin_only")
    shared = await client.post(
        URL,
        json={
            "name": "web",
            "transport": "http",
            "url": "https://mcp.example/mcp",
            "everyone": True,
        },
        headers=alice,
    )
    assert (shared.status_code, shared.json()["error"]) == (403, "admin_required")
    inside = {"name": "inside", "transport": "http", "url": http_mcp.url}
    blocked = await client.post(URL, json=inside, headers=alice)
    assert (blocked.status_code, blocked.json()["error"]) == (422, "mcp_blocked_address")
    mixed = {"name": "mixed", "transport": "http", "url": "https://mcp.example/", "command": "ls"}
    wrong = await client.post(URL, json=mixed, headers=alice)
    assert (wrong.status_code, wrong.json()["error"]) == (422, "mcp_invalid_server")

    mine = await add(
        client,
        alice,
        {
            "name": "web",
            "transport": "http",
            "url": "https://mcp.example/mcp",
            "headers": {"Authorization": "Bearer tok-123"},
        },
    )
    assert mine["header_names"] == ["Authorization"]
    assert "tok-123" not in str(mine)
    again = await client.post(
        URL, json={"name": "web", "transport": "http", "url": "https://a.example/"}, headers=alice
    )
    assert (again.status_code, again.json()["error"]) == (409, "mcp_server_name_taken")
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/refresh")):
        body = {"enabled": False} if method == "PATCH" else None
        response = await client.request(method, f"{URL}/{mine['id']}{path}", json=body, headers=bob)
        assert (response.status_code, response.json()["error"]) == (404, "mcp_server_not_found")
    assert [s["name"] for s in (await client.get(URL, headers=bob)).json()["items"]] == []
    character = {"name": "Spy", "tools": ["mcp-web-search"]}
    refused = await client.post("/api/v2/characters", json=character, headers=bob)
    assert (refused.status_code, refused.json()["error"]) == (422, "unknown_tool")
    accepted = await client.post("/api/v2/characters", json=character, headers=alice)
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize("tool_settings", [{"fetch": {"allow": ["127.0.0.1/32"]}}])
async def test_a_user_s_http_server_on_the_allow_list_serves_a_reply(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream, http_mcp: HttpMcp
) -> None:
    _, headers = await user_with_token(runtime, client)
    body = {"name": "remote", "transport": "http", "url": http_mcp.url, "headers": {"X-Key": "k"}}
    server = await add(client, headers, body)
    refreshed = (await client.post(f"{URL}/{server['id']}/refresh", headers=headers)).json()
    assert refreshed["status"]["state"] == "connected", refreshed
    chat_id = await chat_with(client, headers, ["mcp-remote-echo"])
    upstream.script("rp-model", tool_calls=(tool_call("mcp-remote-echo", {"text": "net"}),))
    upstream.script("rp-model", reply="Over HTTP.")

    events = await say(client, headers, chat_id, "Echo over the network")

    assert results(events) == [(True, "echo: net")]

    deleted = await client.delete(f"{URL}/{server['id']}", headers=headers)
    assert deleted.status_code == 204
    upstream.script("rp-model", reply="No tools now.")
    events = await say(client, headers, chat_id, "Again")
    assert "tools" not in upstream.last("rp-model").body


@pytest.mark.parametrize("tool_settings", [{"fetch": {"allow": ["127.0.0.1/32"]}}])
async def test_a_users_servers_answer_only_replies_that_may_use_their_private_things(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream, http_mcp: HttpMcp
) -> None:
    """Alice's server may reach her mail or files: in a chat shared with Bob, a reply to
    Bob never calls it, nor one to Alice until she opens the chat to her private things
    (the rule of the memory tools, chats/privacy.py)."""
    alice, alice_headers = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    url = http_mcp.url
    await add(client, alice_headers, {"name": "remote", "transport": "http", "url": url})
    body = {"name": "Aria", "tools": ["mcp-remote-echo"]}
    aria = (await client.post("/api/v2/characters", json=body, headers=alice_headers)).json()
    chat = await create_chat(client, alice_headers, aria["id"], participant_ids=[bob.id])

    upstream.script("rp-model", reply="No tools for Bob.")
    await say(client, bob_headers, chat["id"], "Echo for me")
    assert "tools" not in upstream.last("rp-model").body
    upstream.script("rp-model", reply="Nor for Alice yet.")
    await say(client, alice_headers, chat["id"], "Echo for me")
    assert "tools" not in upstream.last("rp-model").body

    opened = await client.patch(
        f"/api/v2/chats/{chat['id']}/participants/{alice.id}",
        json={"share_private": True},
        headers=alice_headers,
    )
    assert opened.status_code == 200, opened.text
    upstream.script("rp-model", tool_calls=(tool_call("mcp-remote-echo", {"text": "alice"}),))
    upstream.script("rp-model", reply="Her tool.")
    events = await say(client, alice_headers, chat["id"], "Echo for me")
    assert results(events) == [(True, "echo: alice")]
    refused = await client.post("/api/v2/characters", json=body, headers=bob_headers)
    assert (refused.status_code, refused.json()["error"]) == (422, "unknown_tool")


async def test_changes_reconnect_and_only_admins_change_everyone_s_servers(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    server = await add(client, admin, stdio_body(env={}))
    url = f"{URL}/{server['id']}"
    refreshed = (await client.post(f"{url}/refresh", headers=admin)).json()
    assert (refreshed["status"]["state"], refreshed["env_names"]) == ("connected", [])

    changed = await client.patch(url, json={"env": {"MCP_TEST_SECRET": "new-value"}}, headers=admin)

    assert changed.status_code == 200, changed.text
    assert changed.json()["env_names"] == ["MCP_TEST_SECRET"]
    assert changed.json()["status"]["state"] == "idle"  # its connection was closed
    assert "new-value" not in changed.text
    _, user = await user_with_token(runtime, client)
    seen = (await client.get(URL, headers=user)).json()["items"]
    assert [(s["name"], s["everyone"], s["env_names"]) for s in seen] == [("local", True, [])]
    for method in ("PATCH", "DELETE"):
        body = {"enabled": False} if method == "PATCH" else None
        refused = await client.request(method, url, json=body, headers=user)
        assert (refused.status_code, refused.json()["error"]) == (403, "mcp_admin_server")
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert (await client.get(url, headers=admin)).status_code == 404
