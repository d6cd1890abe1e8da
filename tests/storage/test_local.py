"""LocalBlobStore: keys stay inside the root, writes are atomic, missing is an error only on get."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cognitia.storage.ports import BlobNotFound, BlobStore
from cognitia.storage.providers.local import InvalidBlobKey, LocalBlobStore

pytestmark = pytest.mark.asyncio


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def test_put_get_overwrite_delete(tmp_path: Path) -> None:
    store: BlobStore = LocalBlobStore(tmp_path / "blobs")

    await store.put("avatars/c1/a.png", b"one", content_type="image/png")
    assert await store.get("avatars/c1/a.png") == b"one"
    await store.put("avatars/c1/a.png", b"two", content_type="image/png")
    assert await store.get("avatars/c1/a.png") == b"two"
    await store.delete("avatars/c1/a.png")

    with pytest.raises(BlobNotFound):
        await store.get("avatars/c1/a.png")
    await store.delete("avatars/c1/a.png")  # missing: not an error
    assert _files(tmp_path) == []
    assert not (tmp_path / "blobs" / "avatars").exists()  # emptied folders go too


async def test_deleting_one_blob_keeps_its_neighbours(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("a/x", b"x", content_type="text/plain")
    await store.put("a/y", b"y", content_type="text/plain")

    await store.delete("a/x")

    assert _files(tmp_path) == ["a/y"]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        ".hidden",
        "a/.partial-x",
        "a//b",
        "a/",
        "a\\b",
        "a\x00b",
        "ä",
        "x" * 513,
        "a/" + "b" * 129,
    ],
)
async def test_keys_that_could_leave_the_root_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "blobs")

    with pytest.raises(InvalidBlobKey):
        await store.put(key, b"x", content_type="text/plain")
    with pytest.raises(InvalidBlobKey):
        await store.get(key)
    with pytest.raises(InvalidBlobKey):
        await store.delete(key)
    assert _files(tmp_path) == []


async def test_a_symbolic_link_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside)
    store = LocalBlobStore(root)

    with pytest.raises(InvalidBlobKey):
        await store.put("link/file", b"x", content_type="text/plain")
    assert list(outside.iterdir()) == []


async def test_concurrent_writes_leave_one_whole_file_and_no_temporaries(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    payloads = [bytes([n]) * 200_000 for n in range(8)]

    await asyncio.gather(*(store.put("k", p, content_type="x") for p in payloads))

    assert await store.get("k") in payloads
    assert _files(tmp_path) == ["k"]


async def test_a_folder_is_not_a_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("a/b", b"x", content_type="x")

    with pytest.raises(BlobNotFound):
        await store.get("a")
    with pytest.raises(BlobNotFound):
        await store.get("a/b/c")
