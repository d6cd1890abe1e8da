"""PUT/GET/DELETE /api/v2/characters/{id}/avatar: real images only, checked by content."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cognitia.runtime import Runtime
from cognitia.storage.providers.local import LocalBlobStore
from tests.characters.conftest import Account
from tests.characters.helpers import (
    CHARACTERS,
    assert_error,
    create_character,
    image_bytes,
    upload,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


def _blob_files(runtime: Runtime) -> list[Path]:
    store = runtime.blobs
    assert isinstance(store, LocalBlobStore)
    while True:
        try:
            return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []
        except FileNotFoundError:
            continue  # a folder was removed while it was listed (a deletion under way)


async def _put(
    client: httpx.AsyncClient, headers: dict[str, str], character_id: str, content: bytes, name: str
) -> httpx.Response:
    return await client.put(
        f"{CHARACTERS}/{character_id}/avatar", files=upload(content, name), headers=headers
    )


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
async def test_upload_and_read_back_an_image(
    client: httpx.AsyncClient, owner: Account, fmt: str, mime: str
) -> None:
    _, headers = owner
    character = await create_character(client, headers)
    content = image_bytes(fmt)

    # The name and the declared type do not matter: the content does.
    response = await _put(client, headers, character["id"], content, "picture.txt")
    fetched = await client.get(f"{CHARACTERS}/{character['id']}/avatar", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["avatar_url"] == f"{CHARACTERS}/{character['id']}/avatar"
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == mime
    assert fetched.content == content


BAD_IMAGES = [
    (b"this is text, not an image", "notes.png", 415, "not_an_image"),
    (b"", "empty.png", 415, "not_an_image"),
    (image_bytes("PNG")[:60], "truncated.png", 415, "not_an_image"),
    (b"GIF89a" + b"\x00" * 20, "header-only.gif", 415, "not_an_image"),
    (image_bytes("BMP"), "bitmap.png", 415, "not_an_image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "huge.png", 413, "file_too_large"),
]


@pytest.mark.parametrize("bad", BAD_IMAGES, ids=lambda bad: str(bad[1]))
async def test_what_is_not_a_small_real_image_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, bad: tuple[bytes, str, int, str]
) -> None:
    content, name, status, code = bad
    _, headers = owner
    character = await create_character(client, headers)

    response = await _put(client, headers, character["id"], content, name)

    assert_error(response, status, code)
    assert _blob_files(runtime) == []


async def test_a_character_without_a_picture_has_none_to_give(
    client: httpx.AsyncClient, owner: Account
) -> None:
    character = await create_character(client, owner[1])

    response = await client.get(f"{CHARACTERS}/{character['id']}/avatar", headers=owner[1])

    assert_error(response, 404, "not_found")


async def test_replacing_or_removing_the_picture_deletes_the_old_file(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    _, headers = owner
    character = await create_character(client, headers)
    url = f"{CHARACTERS}/{character['id']}/avatar"
    await _put(client, headers, character["id"], image_bytes("PNG"), "a.png")
    [first] = _blob_files(runtime)

    await _put(client, headers, character["id"], image_bytes("JPEG"), "b.jpg")

    async def only_the_new_one() -> list[Path] | None:
        files = _blob_files(runtime)
        return files if len(files) == 1 and files[0] != first else None

    [second] = await eventually(only_the_new_one)
    assert second.suffix == ".jpg"
    assert (await client.delete(url, headers=headers)).status_code == 204

    async def none_left() -> bool:
        return _blob_files(runtime) == []

    await eventually(none_left)
    assert_error(await client.get(url, headers=headers), 404, "not_found")
    assert_error(await client.delete(url, headers=headers), 404, "not_found")


async def test_deleting_the_character_deletes_its_picture(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    _, headers = owner
    character = await create_character(client, headers)
    await _put(client, headers, character["id"], image_bytes("PNG"), "a.png")
    assert len(_blob_files(runtime)) == 1

    await client.delete(f"{CHARACTERS}/{character['id']}", headers=headers)

    async def none_left() -> bool:
        return _blob_files(runtime) == []

    await eventually(none_left)


async def test_others_see_a_public_characters_picture(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    character = await create_character(client, owner[1], visibility="public")
    content = image_bytes("WEBP")
    await _put(client, owner[1], character["id"], content, "a.webp")

    response = await client.get(f"{CHARACTERS}/{character['id']}/avatar", headers=other[1])

    assert response.content == content
