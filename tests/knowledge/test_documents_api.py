"""Documents of a character and of a user's data bank: upload, ingestion, search, delete."""

from __future__ import annotations

import httpx
import pytest

from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime
from tests.knowledge.conftest import Account
from tests.knowledge.helpers import (
    BANK,
    KINDS,
    QUERIES,
    assert_error,
    blob_files,
    create_character,
    document_rows,
    document_url,
    documents_url,
    hits,
    hits_of,
    settled,
    uploaded,
)
from tests.retrieval.helpers import index_of
from tests.support.factories import delete_account
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_each_kind_is_ingested_and_searchable_in_its_character(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, kind: str
) -> None:
    user, headers = owner
    character_id = await create_character(client, headers)
    name, content, declared = KINDS[kind]

    created = await uploaded(client, headers, character_id, (name, content, declared))
    ready = await settled(client, headers, document_url(character_id, created["id"]))

    assert created["status"] == "queued"
    assert created["filename"] == name
    assert created["size"] == len(content)
    assert ready["progress"] == 100
    assert ready["chunk_count"] >= 1
    assert ready["error"] is None
    found = await hits_of(runtime, QUERIES[kind], Scope(character_id=character_id), created["id"])
    assert found, f"no chunk of the {kind} document found"
    assert found[0].source_kind == "document"
    # Not in the owner's data bank, which is another scope.
    assert not await hits_of(runtime, QUERIES[kind], Scope(user_id=user.id), created["id"])


async def test_the_content_decides_the_type_not_the_name(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    _, content, _ = KINDS["pdf"]

    created = await uploaded(client, headers, None, ("looks-like.txt", content, "text/plain"))

    assert created["content_type"] == "application/pdf"


async def test_the_data_bank_is_the_users_own_scope(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other: Account
) -> None:
    user, headers = owner
    _, content, _ = KINDS["txt"]

    created = await uploaded(client, headers, None, content)
    await settled(client, headers, document_url(None, created["id"]))
    listed = await client.get(BANK, headers=headers)
    theirs = await client.get(BANK, headers=other[1])

    assert [d["id"] for d in listed.json()["items"]] == [created["id"]]
    assert theirs.json()["items"] == []
    assert await hits_of(runtime, QUERIES["txt"], Scope(user_id=user.id), created["id"])
    assert not await hits(runtime, QUERIES["txt"], Scope(user_id=other[0].id))
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"{BANK}/{created['id']}", headers=other[1])
        assert_error(response, 404, "not_found")


async def test_the_list_shows_status_and_progress(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    first = await uploaded(client, headers, character_id, b"First file about otters.")
    second = await uploaded(client, headers, character_id, b"Second file about badgers.")
    await settled(client, headers, document_url(character_id, first["id"]))
    await settled(client, headers, document_url(character_id, second["id"]))

    response = await client.get(documents_url(character_id), headers=headers)

    assert response.status_code == 200
    items = response.json()["items"]
    assert {d["id"] for d in items} == {first["id"], second["id"]}
    assert all(d["status"] == "ready" and d["progress"] == 100 for d in items)


async def test_another_users_character_is_not_found(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    created = await uploaded(client, headers, character_id, b"Private notes on herons.")
    url = documents_url(character_id)

    posted = await client.post(
        url, files={"file": ("x.txt", b"intruder text", "text/plain")}, headers=other[1]
    )
    listed = await client.get(url, headers=other[1])
    read = await client.get(f"{url}/{created['id']}", headers=other[1])
    deleted = await client.delete(f"{url}/{created['id']}", headers=other[1])

    for response in (posted, listed, read, deleted):
        assert_error(response, 404, "not_found")


async def test_a_public_character_is_still_managed_by_its_owner_only(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    await client.patch(
        f"/api/v2/characters/{character_id}", json={"visibility": "public"}, headers=headers
    )

    posted = await client.post(
        documents_url(character_id),
        files={"file": ("x.txt", b"intruder text", "text/plain")},
        headers=other[1],
    )

    assert_error(posted, 403, "not_owner")


async def test_a_document_of_one_scope_is_not_found_through_another(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    in_bank = await uploaded(client, headers, None, b"Bank notes on puffins.")

    response = await client.get(f"{documents_url(character_id)}/{in_bank['id']}", headers=headers)

    assert_error(response, 404, "not_found")


async def test_delete_removes_chunks_original_and_row(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    _, content, _ = KINDS["txt"]
    created = await uploaded(client, headers, character_id, content)
    await settled(client, headers, document_url(character_id, created["id"]))
    scope = Scope(character_id=character_id)
    assert await hits_of(runtime, QUERIES["txt"], scope, created["id"])
    assert len(blob_files(runtime)) == 1

    response = await client.delete(
        f"{documents_url(character_id)}/{created['id']}", headers=headers
    )
    read = await client.get(f"{documents_url(character_id)}/{created['id']}", headers=headers)

    assert response.status_code == 204
    assert_error(read, 404, "not_found")
    await eventually(lambda: _true(not blob_files(runtime)))
    await eventually(lambda: _none_left(runtime, QUERIES["txt"], scope))


async def test_put_replaces_the_file_and_reingests(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    _, headers = owner
    created = await uploaded(client, headers, None, b"Version one mentions walruses.")
    await settled(client, headers, document_url(None, created["id"]))
    old_blobs = blob_files(runtime)
    scope = Scope(user_id=owner[0].id)

    response = await client.put(
        f"{BANK}/{created['id']}",
        files={"file": ("notes.txt", b"Version two mentions narwhals.", "text/plain")},
        headers=headers,
    )
    ready = await settled(client, headers, document_url(None, created["id"]))

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"
    assert ready["sha256"] != created["sha256"]
    assert await hits_of(runtime, "narwhals", scope, created["id"])
    assert not any("walruses" in h.text for h in await hits(runtime, "walruses", scope))
    await eventually(lambda: _true(not set(old_blobs) & set(blob_files(runtime))))
    assert len(blob_files(runtime)) == 1


async def test_deleting_the_user_removes_documents_chunks_and_originals(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    user, headers = owner
    character_id = await create_character(client, headers)
    in_character = await uploaded(client, headers, character_id, b"Character notes on seals.")
    in_bank = await uploaded(client, headers, None, b"Bank notes on seals and kelp.")
    await settled(client, headers, document_url(character_id, in_character["id"]))
    await settled(client, headers, document_url(None, in_bank["id"]))
    assert len(blob_files(runtime)) == 2

    response = await delete_account(client, headers)

    assert response.status_code == 204, response.text
    assert await document_rows(runtime, user.id) == 0
    await eventually(lambda: _true(not blob_files(runtime)))
    await eventually(lambda: _none_left(runtime, "seals", Scope(character_id=character_id)))
    await eventually(lambda: _none_left(runtime, "seals", Scope(user_id=user.id)))


async def _true(value: bool) -> bool:
    return value


async def _none_left(runtime: Runtime, query: str, scope: Scope) -> bool:
    return not await hits(runtime, query, scope)


async def test_deleting_the_character_removes_its_documents_and_memories(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    _, content, _ = KINDS["txt"]
    created = await uploaded(client, headers, character_id, content)
    await settled(client, headers, document_url(character_id, created["id"]))
    scope = Scope(character_id=character_id)
    assert await hits_of(runtime, QUERIES["txt"], scope, created["id"])
    episode_scope = Scope(character_id=character_id, user_id=owner[0].id)
    await index_of(runtime).index(
        [
            ChunkInput(
                text="I keep bees on the roof",
                source_kind="message",
                source_id="m-1",
                scope=episode_scope,
            )
        ],
    )

    response = await client.delete(f"/api/v2/characters/{character_id}", headers=headers)

    assert response.status_code == 204
    assert await hits(runtime, QUERIES["txt"], scope) == []
    assert await hits(runtime, "bees on the roof", episode_scope) == []
    await eventually(lambda: _true(not blob_files(runtime)))
