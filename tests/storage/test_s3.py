"""S3BlobStore against a real S3-protocol server: moto in server mode on loopback."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import pytest
import pytest_asyncio
from moto.server import ThreadedMotoServer
from PIL import Image
from pydantic import ValidationError

from cognitia.config import Settings
from cognitia.storage.ports import BlobNotFound, BlobStore
from cognitia.storage.providers.local import InvalidBlobKey
from cognitia.storage.providers.s3 import BlobStoreError, S3BlobStore, S3Config
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import runtime_of, user_with_token

pytestmark = pytest.mark.asyncio

BUCKET = "cognitia-test"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing", "region": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    admin = _admin(url)
    admin.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
    yield url
    server.stop()


def _admin(endpoint: str) -> object:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest_asyncio.fixture
async def store(endpoint: str) -> AsyncIterator[S3BlobStore]:
    config = S3Config(
        bucket=BUCKET,
        endpoint_url=endpoint,
        prefix="tenant-a/",
        addressing_style="path",
        **CREDENTIALS,
    )
    async with S3BlobStore(config) as opened:
        yield opened


async def test_put_get_overwrite_delete(store: S3BlobStore) -> None:
    blobs: BlobStore = store

    await blobs.put("documents/c1/guide.pdf", b"one", content_type="application/pdf")
    assert await blobs.get("documents/c1/guide.pdf") == b"one"
    await blobs.put("documents/c1/guide.pdf", b"two", content_type="application/pdf")
    assert await blobs.get("documents/c1/guide.pdf") == b"two"
    await blobs.delete("documents/c1/guide.pdf")

    with pytest.raises(BlobNotFound):
        await blobs.get("documents/c1/guide.pdf")
    await blobs.delete("documents/c1/guide.pdf")  # missing: not an error


async def test_binary_data_round_trips(store: S3BlobStore) -> None:
    data = bytes(range(256)) * 4096 + b"\x00\r\n\xff"  # 1 MiB and a bit, every byte value

    await store.put("blobs/all-bytes.bin", data, content_type="application/octet-stream")

    assert await store.get("blobs/all-bytes.bin") == data


async def test_keys_get_the_prefix_and_the_content_type_is_stored(
    store: S3BlobStore, endpoint: str
) -> None:
    await store.put("avatars/a.png", b"png", content_type="image/png")

    head = _admin(endpoint).head_object(Bucket=BUCKET, Key="tenant-a/avatars/a.png")  # type: ignore[attr-defined]
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == 3


async def test_a_missing_key_is_not_found(store: S3BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        await store.get("never/written")


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "./a", "a\\b", "a\x00b", "x" * 1100])
async def test_unsafe_keys_are_refused(store: S3BlobStore, key: str) -> None:
    with pytest.raises(InvalidBlobKey):
        await store.put(key, b"x", content_type="text/plain")


async def test_a_missing_bucket_is_a_store_error(endpoint: str) -> None:
    config = S3Config(
        bucket="no-such-bucket", endpoint_url=endpoint, addressing_style="path", **CREDENTIALS
    )
    async with S3BlobStore(config) as store:
        with pytest.raises(BlobStoreError, match="NoSuchBucket"):
            await store.put("a", b"x", content_type="text/plain")


async def test_an_unreachable_store_is_a_store_error() -> None:
    config = S3Config(
        bucket=BUCKET,
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        max_attempts=1,
        connect_timeout_s=2,
        **CREDENTIALS,
    )
    store = S3BlobStore(config)
    try:
        with pytest.raises(BlobStoreError):
            await store.get("a")
    finally:
        await store.close()


async def test_the_app_keeps_avatars_in_s3_when_configured(
    endpoint: str, database_url: str, tmp_path: Path
) -> None:
    storage = {
        "backend": "s3",
        "s3_bucket": BUCKET,
        "s3_endpoint_url": endpoint,
        "s3_region": "us-east-1",
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "s3_prefix": "app/",
        "s3_addressing_style": "path",
    }
    settings = make_settings(database_url, tmp_path, storage=storage)
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "purple").save(picture, format="PNG")
    async with running_app(settings) as (app, client):
        assert isinstance(runtime_of(app).blobs, S3BlobStore)
        _, headers = await user_with_token(runtime_of(app), client)
        created = await client.post("/api/v2/characters", json={"name": "Luna"}, headers=headers)
        character_id = created.json()["id"]
        upload = await client.put(
            f"/api/v2/characters/{character_id}/avatar",
            files={"file": ("a.png", picture.getvalue(), "image/png")},
            headers=headers,
        )
        assert upload.status_code == 200, upload.text
        served = await client.get(f"/api/v2/characters/{character_id}/avatar", headers=headers)
        assert served.content == picture.getvalue()
    listed = _admin(endpoint).list_objects_v2(Bucket=BUCKET, Prefix="app/")  # type: ignore[attr-defined]
    assert [item["Key"] for item in listed.get("Contents", [])], "the avatar is in the bucket"
    assert not (tmp_path / "blobs").exists(), "nothing written locally"


async def test_s3_backend_needs_a_bucket() -> None:
    with pytest.raises(ValidationError, match="S3_BUCKET"):
        Settings(storage={"backend": "s3"})  # type: ignore[arg-type]
