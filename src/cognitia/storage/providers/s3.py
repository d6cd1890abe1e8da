"""BlobStore on S3 or an S3-compatible store (MinIO, Ceph, R2, ...), through aiobotocore.

aiobotocore rather than boto3 in a thread: it is botocore (same signing, retries, endpoint
and credential handling) on aiohttp, so a request waits on the event loop instead of
holding one of the few threads of `asyncio.to_thread`, and a slow store cannot starve
document extraction, which does need those threads.

One client is opened on first use and kept (its connection pool is the point); close it
with `await store.close()`, or use the store as an async context manager. Credentials left
out fall back to botocore's usual chain (environment, profile, instance role). Keys get
`S3Config.prefix` in front, so several deployments can share a bucket. The bucket is not
created here: an operator makes it, with the access policy they want.

Errors: a missing key on `get` is BlobNotFound, a key that is not a safe relative path is
InvalidBlobKey (as for the local store, so keys move between the two), and any other
failure (no such bucket, access denied, the store unreachable) is BlobStoreError.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from cognitia.storage.ports import BlobNotFound
from cognitia.storage.providers.local import InvalidBlobKey

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

MAX_KEY_BYTES = 1024  # S3's own limit, prefix included
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_UNSAFE_SEGMENT = re.compile(r"^\.{1,2}$|[\x00-\x1f\x7f\\]")


class BlobStoreError(RuntimeError):
    """The store failed for another reason than a missing key."""


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint_url: str | None = None
    """None for AWS; the URL of an S3-compatible store otherwise."""
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    prefix: str = ""
    """Put in front of every key, e.g. "cognitia/"."""
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    """"path" for most self-hosted stores, which have no per-bucket host names."""
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    max_attempts: int = 3


class S3BlobStore:
    def __init__(self, config: S3Config) -> None:
        self.config = config
        self._stack = contextlib.AsyncExitStack()
        self._client: S3Client | None = None
        self._opening = asyncio.Lock()

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._client = None
        await self._stack.aclose()

    def object_key(self, key: str) -> str:
        """The S3 key for `key`; InvalidBlobKey for one that is not a safe relative path."""
        segments = key.split("/")
        full = self.config.prefix + key
        if (
            not key
            or len(full.encode()) > MAX_KEY_BYTES
            or any(not s or _UNSAFE_SEGMENT.search(s) for s in segments)
        ):
            raise InvalidBlobKey(f"invalid blob key: {key[:80]!r}")
        return full

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        name = self.object_key(key)
        client = await self._open()
        async with _translated(key):
            await client.put_object(
                Bucket=self.config.bucket, Key=name, Body=data, ContentType=content_type
            )

    async def get(self, key: str) -> bytes:
        name = self.object_key(key)
        client = await self._open()
        async with _translated(key):
            response = await client.get_object(Bucket=self.config.bucket, Key=name)
            async with response["Body"] as body:
                data: bytes = await body.read()
                return data

    async def delete(self, key: str) -> None:
        name = self.object_key(key)
        client = await self._open()
        async with _translated(key, missing_ok=True):
            # S3 answers 204 for a key that is not there: deleting twice is not an error.
            await client.delete_object(Bucket=self.config.bucket, Key=name)

    async def _open(self) -> S3Client:
        async with self._opening:
            if self._client is not None:
                return self._client
            client: S3Client = await self._stack.enter_async_context(self._create_client())
            self._client = client
            return client

    def _create_client(self) -> Any:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        config = self.config
        return get_session().create_client(
            "s3",
            endpoint_url=config.endpoint_url,
            region_name=config.region,
            aws_access_key_id=config.access_key_id,
            aws_secret_access_key=config.secret_access_key,
            config=AioConfig(
                s3={"addressing_style": config.addressing_style},
                connect_timeout=config.connect_timeout_s,
                read_timeout=config.read_timeout_s,
                retries={"max_attempts": config.max_attempts, "mode": "standard"},
            ),
        )


@contextlib.asynccontextmanager
async def _translated(key: str, *, missing_ok: bool = False) -> Any:
    """botocore's errors as ours: BlobNotFound for a missing key, BlobStoreError otherwise."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _NOT_FOUND_CODES:
            if missing_ok:
                return
            raise BlobNotFound(key) from None
        raise BlobStoreError(f"S3 refused {key!r}: {code or error}") from error
    except BotoCoreError as error:
        raise BlobStoreError(f"S3 failed for {key!r}: {error}") from error
