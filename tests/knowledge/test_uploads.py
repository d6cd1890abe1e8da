"""Bad uploads are refused at once with a clear 4xx and a stable code; nothing is stored."""

from __future__ import annotations

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.knowledge import samples
from tests.knowledge.conftest import MAX_DOCUMENT_BYTES, Account
from tests.knowledge.helpers import (
    assert_error,
    blob_files,
    create_character,
    document_rows,
    upload,
    uploaded,
)

pytestmark = pytest.mark.asyncio

_PDF = samples.pdf_with_text([["A page with text."]])

BAD = {
    "too_large": (b"a" * (MAX_DOCUMENT_BYTES + 1), 413, "document_too_large"),
    "image": (samples.png(), 415, "unsupported_document_type"),
    "executable": (samples.windows_executable(), 415, "unsupported_document_type"),
    "zip_not_docx": (samples.zip_of({"a.txt": b"hello"}), 415, "unsupported_document_type"),
    "empty": (b"", 422, "document_empty"),
    "blank": (b"  \n\t ", 422, "document_empty"),
    "zip_bomb_docx": (samples.docx_bomb(120), 422, "document_archive_unsafe"),
    "pdf_without_text": (samples.blank_pdf(), 422, "document_has_no_text"),
    "corrupt_pdf": (_PDF[: len(_PDF) // 3], 422, "document_corrupt"),
    "corrupt_docx": (samples.word_document()[:-200], 422, "document_corrupt"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("where", ["character", "bank"])
async def test_a_bad_upload_is_refused_with_its_code(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, case: str, where: str
) -> None:
    user, headers = owner
    character_id = await create_character(client, headers) if where == "character" else None
    content, status, code = BAD[case]

    response = await upload(client, headers, character_id, ("file.docx", content, "text/plain"))

    assert_error(response, status, code)
    assert response.json()["detail"]
    assert await document_rows(runtime, user.id) == 0
    assert blob_files(runtime) == []


async def test_the_same_file_twice_in_one_scope_is_a_conflict(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    await uploaded(client, headers, character_id, ("a.txt", b"Notes on owls.", "text/plain"))

    again = await upload(client, headers, character_id, ("b.txt", b"Notes on owls.", "text/plain"))
    elsewhere = await upload(client, headers, None, ("a.txt", b"Notes on owls.", "text/plain"))

    assert_error(again, 409, "duplicate_document")
    assert elsewhere.status_code == 201, elsewhere.text


async def test_a_missing_file_field_is_a_validation_error(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.post("/api/v2/documents", headers=owner[1])

    assert response.status_code == 422


async def test_uploading_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await upload(client, {}, None, b"Notes on owls.")

    assert response.status_code == 401
