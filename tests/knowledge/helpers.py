"""Requests and probes for the documents API tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from cognitia.models.document import Document
from cognitia.retrieval.types import Hit, Scope
from cognitia.runtime import Runtime
from cognitia.storage.providers.local import LocalBlobStore
from tests.knowledge import samples
from tests.retrieval.helpers import index_of
from tests.support.waiting import eventually

CHARACTERS = "/api/v2/characters"
BANK = "/api/v2/documents"

# One file of each kind, each with a word found nowhere else, and the name it is sent with.
KINDS: dict[str, tuple[str, bytes, str]] = {
    "txt": ("notes.txt", b"The lighthouse keeper feeds the gulls at dawn.\n", "text/plain"),
    "md": (
        "guide.md",
        b"# Harbour guide\n\nThe ferry to Skerryvore leaves at noon.\n",
        "text/markdown",
    ),
    "html": (
        "page.html",
        b"<!DOCTYPE html><html><body><h1>Menu</h1><p>Fresh mackerel every Friday.</p>"
        b"<script>ignored()</script></body></html>",
        "text/html",
    ),
    "pdf": (
        "report.pdf",
        samples.pdf_with_text([["Quarterly report"], ["Tidal turbines produced 40 megawatts."]]),
        "application/pdf",
    ),
    "docx": ("garden.docx", samples.word_document(), "application/octet-stream"),
}
QUERIES = {
    "txt": "lighthouse keeper gulls",
    "md": "ferry Skerryvore",
    "html": "mackerel Friday",
    "pdf": "tidal turbines megawatts",
    "docx": "water tomatoes morning",
}


def documents_url(character_id: str | None) -> str:
    return f"{CHARACTERS}/{character_id}/documents" if character_id else BANK


async def create_character(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(CHARACTERS, json={"name": "Ava"}, headers=headers)
    assert response.status_code == 201, response.text
    character_id: str = response.json()["id"]
    return character_id


FileArg = bytes | tuple[str, bytes, str]


def document_url(character_id: str | None, document_id: str) -> str:
    return f"{documents_url(character_id)}/{document_id}"


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], character_id: str | None, file: FileArg
) -> httpx.Response:
    """POST a file: bytes (sent as notes.txt, text/plain) or (name, bytes, media type)."""
    sent = ("notes.txt", file, "text/plain") if isinstance(file, bytes) else file
    return await client.post(documents_url(character_id), files={"file": sent}, headers=headers)


async def uploaded(
    client: httpx.AsyncClient, headers: dict[str, str], character_id: str | None, file: FileArg
) -> dict[str, Any]:
    response = await upload(client, headers, character_id, file)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def settled(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, *, status: str = "ready"
) -> dict[str, Any]:
    """The document at `url` once its status is `status` (the ingestion job runs in the app)."""

    async def probe() -> dict[str, Any] | None:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if body["status"] == status else None

    # Generous: a failure waits out two retry backoffs, on a loaded 2-core machine.
    return await eventually(probe, timeout=90.0)


async def hits(runtime: Runtime, query: str, scope: Scope) -> list[Hit]:
    return await index_of(runtime).search(query=query, scopes=[scope], limit=10)


async def hits_of(runtime: Runtime, query: str, scope: Scope, document_id: str) -> list[Hit]:
    return [h for h in await hits(runtime, query, scope) if h.source_id == document_id]


def blob_files(runtime: Runtime) -> list[Path]:
    store = runtime.blobs
    assert isinstance(store, LocalBlobStore)
    try:
        return (
            sorted(p for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []
        )
    except FileNotFoundError:  # a folder went while it was walked: a delete is under way
        return [store.root]


async def document_rows(runtime: Runtime, owner_id: str) -> int:
    async with runtime.db.unit_of_work() as session:
        query = select(func.count()).select_from(Document).where(Document.owner_id == owner_id)
        return int(await session.scalar(query) or 0)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code, response.text
