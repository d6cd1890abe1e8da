"""A character's `tools`: names from the registry, set on create and update, read back;
any other name is refused with 422 unknown_tool (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.support.factories import user_with_token

pytestmark = pytest.mark.asyncio

URL = "/api/v2/characters"


async def test_tools_are_set_read_and_checked(runtime: Runtime, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime, client)
    plain = await client.post(URL, json={"name": "Plain"}, headers=headers)
    assert plain.json()["tools"] == []

    body = {"name": "Aria", "tools": ["calculator", "current_time"]}
    created = await client.post(URL, json=body, headers=headers)
    assert created.status_code == 201, created.text
    character_id = created.json()["id"]
    assert created.json()["tools"] == ["calculator", "current_time"]

    changed = await client.patch(
        f"{URL}/{character_id}", json={"tools": ["search_memories"]}, headers=headers
    )
    assert changed.json()["tools"] == ["search_memories"]
    read = await client.get(f"{URL}/{character_id}", headers=headers)
    assert read.json()["tools"] == ["search_memories"]

    unknown = await client.post(
        URL, json={"name": "X", "tools": ["calculator", "launch_rockets"]}, headers=headers
    )
    assert (unknown.status_code, unknown.json()["error"]) == (422, "unknown_tool")
    assert "launch_rockets" in unknown.json()["detail"]
    refused = await client.patch(
        f"{URL}/{character_id}", json={"tools": ["rm_rf"]}, headers=headers
    )
    assert (refused.status_code, refused.json()["error"]) == (422, "unknown_tool")
    cleared = await client.patch(f"{URL}/{character_id}", json={"tools": None}, headers=headers)
    assert cleared.status_code == 422
    kept = await client.get(f"{URL}/{character_id}", headers=headers)
    assert kept.json()["tools"] == ["search_memories"]


async def test_tool_policies_are_set_read_and_checked(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await user_with_token(runtime, client)
    plain = await client.post(URL, json={"name": "Plain"}, headers=headers)
    assert plain.json()["tool_policies"] == {}

    body = {"name": "Aria", "tools": ["calculator"], "tool_policies": {"calculator": "ask"}}
    created = await client.post(URL, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["tool_policies"] == {"calculator": "ask"}
    character_id = created.json()["id"]

    changed = await client.patch(
        f"{URL}/{character_id}", json={"tool_policies": {"http_fetch": "always"}}, headers=headers
    )
    assert changed.json()["tool_policies"] == {"http_fetch": "always"}
    unknown = await client.patch(
        f"{URL}/{character_id}", json={"tool_policies": {"rm_rf": "always"}}, headers=headers
    )
    assert (unknown.status_code, unknown.json()["error"]) == (422, "unknown_tool")
    bad = await client.patch(
        f"{URL}/{character_id}", json={"tool_policies": {"calculator": "maybe"}}, headers=headers
    )
    assert bad.status_code == 422
    kept = await client.get(f"{URL}/{character_id}", headers=headers)
    assert kept.json()["tool_policies"] == {"http_fetch": "always"}


@pytest.mark.parametrize("tool_settings", [{"policies": {"calculator": "never"}}])
async def test_the_tools_listed_with_their_policies(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await user_with_token(runtime, client)
    assert (await client.get("/api/v2/tools")).status_code == 401
    listed = await client.get("/api/v2/tools", headers=headers)
    assert listed.status_code == 200, listed.text
    tools = {t["name"]: t for t in listed.json()["items"]}
    assert "run_python" not in tools or tools["run_python"]["default_policy"] == "ask"
    assert tools["http_fetch"]["default_policy"] == "ask"
    assert (tools["calculator"]["default_policy"], tools["calculator"]["forced_policy"]) == (
        "always",
        "never",
    )
    assert tools["current_time"]["forced_policy"] is None
