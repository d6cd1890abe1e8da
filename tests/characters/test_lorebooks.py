"""/api/v2/lorebooks and their entries: a user's own, checked, never anyone else's."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.characters.conftest import Account
from tests.characters.helpers import LOREBOOKS, assert_error

pytestmark = pytest.mark.asyncio

ENTRY: dict[str, Any] = {
    "keys": ["dragon", "wyrm"],
    "secondary_keys": ["fire"],
    "selective_logic": "and_all",
    "content": "Dragons breathe fire.",
    "comment": "beasts",
    "constant": False,
    "enabled": True,
    "use_regex": False,
    "case_sensitive": True,
    "insertion_order": 50,
    "position": "at_depth",
    "depth": 2,
    "extensions": {"probability": 100},
    "extra": {"priority": 3},
}


async def _book(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await client.post(LOREBOOKS, json={"name": "World", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_lorebook_crud(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    book = await _book(
        client,
        headers,
        description="Lore",
        scan_depth=8,
        token_budget=1024,
        recursive_scanning=True,
    )
    url = f"{LOREBOOKS}/{book['id']}"
    assert (book["scan_depth"], book["token_budget"], book["recursive_scanning"]) == (8, 1024, True)

    patched = await client.patch(url, json={"name": "Renamed", "scan_depth": 2}, headers=headers)
    fetched = await client.get(url, headers=headers)
    listed = await client.get(LOREBOOKS, headers=headers)

    assert patched.json()["name"] == "Renamed"
    assert fetched.json()["scan_depth"] == 2
    assert fetched.json()["entries"] == []
    assert [b["id"] for b in listed.json()["items"]] == [book["id"]]
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert_error(await client.get(url, headers=headers), 404, "not_found")


async def test_entry_crud_keeps_creation_order(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    book = await _book(client, headers)
    entries_url = f"{LOREBOOKS}/{book['id']}/entries"

    created = await client.post(entries_url, json=ENTRY, headers=headers)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert {key: entry[key] for key in ENTRY} == ENTRY
    for index in range(3):
        await client.post(
            entries_url, json={"keys": [f"k{index}"], "insertion_order": 1}, headers=headers
        )
    url = f"{entries_url}/{entry['id']}"

    patched = await client.patch(
        url, json={"enabled": False, "selective_logic": "not_any"}, headers=headers
    )
    listed = await client.get(entries_url, headers=headers)
    detail = await client.get(f"{LOREBOOKS}/{book['id']}", headers=headers)

    assert (patched.json()["enabled"], patched.json()["selective_logic"]) == (False, "not_any")
    assert [e["keys"][0] for e in listed.json()] == ["dragon", "k0", "k1", "k2"]
    assert detail.json()["entries"] == listed.json()
    assert (await client.get(url, headers=headers)).json() == patched.json()
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert_error(await client.get(url, headers=headers), 404, "not_found")
    assert len((await client.get(entries_url, headers=headers)).json()) == 3


@pytest.mark.parametrize("logic", ["and_any", "and_all", "not_any", "not_all"])
@pytest.mark.parametrize("position", ["before_char", "after_char", "at_depth"])
async def test_every_logic_and_position(
    client: httpx.AsyncClient, owner: Account, logic: str, position: str
) -> None:
    book = await _book(client, owner[1])
    response = await client.post(
        f"{LOREBOOKS}/{book['id']}/entries",
        json={
            "keys": ["a"],
            "secondary_keys": ["b"],
            "selective_logic": logic,
            "position": position,
        },
        headers=owner[1],
    )

    assert (response.json()["selective_logic"], response.json()["position"]) == (logic, position)


async def test_regex_keys_must_compile(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    book = await _book(client, headers)
    entries_url = f"{LOREBOOKS}/{book['id']}/entries"

    good = await client.post(
        entries_url,
        json={"keys": [r"\bdragons?\b", "wyrm|drake"], "use_regex": True},
        headers=headers,
    )
    bad_key = await client.post(
        entries_url, json={"keys": ["(unclosed"], "use_regex": True}, headers=headers
    )
    bad_secondary = await client.post(
        entries_url,
        json={"keys": ["ok"], "secondary_keys": ["[z-a]"], "use_regex": True},
        headers=headers,
    )
    plain = await client.post(entries_url, json={"keys": ["(unclosed"]}, headers=headers)
    url = f"{entries_url}/{plain.json()['id']}"
    switched_on = await client.patch(url, json={"use_regex": True}, headers=headers)
    bad_patch = await client.patch(
        f"{entries_url}/{good.json()['id']}", json={"keys": ["*"]}, headers=headers
    )

    assert good.status_code == 201
    assert plain.status_code == 201
    for response in (bad_key, bad_secondary, switched_on, bad_patch):
        assert_error(response, 422, "invalid_regex")


BAD_BOOKS = [
    {"name": ""},
    {"name": "x" * 201},
    {"scan_depth": -1},
    {"scan_depth": 1001},
    {"token_budget": 10**7},
    {"recursive_scanning": "maybe"},
    {"extensions": [1]},
    {"unknown": 1},
]
BAD_ENTRIES = [
    {"keys": "dragon"},
    {"keys": ["x" * 1001]},
    {"keys": ["k"] * 201},
    {"selective_logic": "and_some"},
    {"position": "top"},
    {"depth": -1},
    {"insertion_order": 2**31},
    {"content": "x" * 50_001},
    {"content": "nul\x00"},
    {"extra": {"k": float("inf")}},
    {"unknown": 1},
]


@pytest.mark.parametrize("fields", BAD_BOOKS, ids=lambda v: str(v)[:30])
async def test_bad_lorebooks_are_refused(
    client: httpx.AsyncClient, owner: Account, fields: dict[str, Any]
) -> None:
    book = await _book(client, owner[1])
    made = await client.post(LOREBOOKS, json={"name": "W", **fields}, headers=owner[1])
    changed = await client.patch(f"{LOREBOOKS}/{book['id']}", json=fields, headers=owner[1])

    assert_error(made, 422, "validation_error")
    assert_error(changed, 422, "validation_error")


@pytest.mark.parametrize("fields", BAD_ENTRIES, ids=lambda v: str(v)[:30])
async def test_bad_entries_are_refused(
    client: httpx.AsyncClient, owner: Account, fields: dict[str, Any]
) -> None:
    book = await _book(client, owner[1])
    entries_url = f"{LOREBOOKS}/{book['id']}/entries"
    entry = (await client.post(entries_url, json={"keys": ["a"]}, headers=owner[1])).json()

    # 1e999 parses as infinity: a number no JSON column can store.
    content = json.dumps(fields).replace("Infinity", "1e999").encode()
    json_headers = {**owner[1], "Content-Type": "application/json"}
    made = await client.post(entries_url, content=content, headers=json_headers)
    changed = await client.patch(
        f"{entries_url}/{entry['id']}", content=content, headers=json_headers
    )

    assert_error(made, 422, "validation_error")
    assert_error(changed, 422, "validation_error")


async def test_another_users_lorebook_is_not_found(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    book = await _book(client, owner[1])
    entries_url = f"{LOREBOOKS}/{book['id']}/entries"
    entry = (await client.post(entries_url, json={"keys": ["a"]}, headers=owner[1])).json()
    entry_url = f"{entries_url}/{entry['id']}"
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"{LOREBOOKS}/{book['id']}", None),
        ("PATCH", f"{LOREBOOKS}/{book['id']}", {"name": "Mine"}),
        ("DELETE", f"{LOREBOOKS}/{book['id']}", None),
        ("GET", entries_url, None),
        ("POST", entries_url, {"keys": ["b"]}),
        ("GET", entry_url, None),
        ("PATCH", entry_url, {"content": "x"}),
        ("DELETE", entry_url, None),
    ]

    for method, url, body in requests:
        response = await client.request(method, url, json=body, headers=other[1])
        assert_error(response, 404, "not_found")
    assert (await client.get(LOREBOOKS, headers=other[1])).json()["total"] == 0
    assert (await client.get(entry_url, headers=owner[1])).json()["content"] == ""


async def test_an_entry_belongs_to_its_own_book(client: httpx.AsyncClient, owner: Account) -> None:
    first = await _book(client, owner[1])
    second = await _book(client, owner[1])
    entry = (
        await client.post(
            f"{LOREBOOKS}/{first['id']}/entries", json={"keys": ["a"]}, headers=owner[1]
        )
    ).json()

    response = await client.get(
        f"{LOREBOOKS}/{second['id']}/entries/{entry['id']}", headers=owner[1]
    )

    assert_error(response, 404, "not_found")
