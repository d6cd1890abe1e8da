"""Formats are told by content, and bad uploads are refused with stable codes before parsing."""

from __future__ import annotations

import hashlib

import pytest

from cognitia.knowledge.formats import (
    ArchiveLimits,
    CorruptDocument,
    DocumentFormat,
    DocumentTooLarge,
    EmptyDocument,
    InvalidDocument,
    UnsafeArchive,
    UnsupportedDocument,
    check_document,
)
from tests.knowledge import samples

LIMIT = 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (samples.pdf_with_text([["Hello."]]), None, DocumentFormat.PDF),
        (samples.blank_pdf(), "text/plain", DocumentFormat.PDF),
        (samples.word_document(), "application/pdf", DocumentFormat.DOCX),
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", None, DocumentFormat.HTML),
        (b"\xef\xbb\xbf  <html lang=en><p>Hi", "text/plain", DocumentFormat.HTML),
        (b"<p>A paragraph only</p>", None, DocumentFormat.HTML),
        (b"# Title\n\nSome text.\n", None, DocumentFormat.MD),
        (b"See [the docs](https://example.org).\n", None, DocumentFormat.MD),
        (b"```\ncode\n```\n", None, DocumentFormat.MD),
        (b"Plain words, no structure.\n", "text/markdown; charset=utf-8", DocumentFormat.MD),
        (b"Plain words, no structure.\r\nSecond line.", None, DocumentFormat.TXT),
        ("Grüße, 你好".encode(), "text/html", DocumentFormat.TXT),
        (b"a < b and #hashtag\n", None, DocumentFormat.TXT),
    ],
)
def test_the_format_comes_from_the_content(
    data: bytes, declared: str | None, expected: DocumentFormat
) -> None:
    checked = check_document(data, max_bytes=LIMIT, declared_type=declared)

    assert checked.format is expected
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.media_type == expected.media_type


def test_the_checksum_tells_duplicates_apart() -> None:
    one = check_document(b"same text", max_bytes=LIMIT)
    two = check_document(b"same text", max_bytes=LIMIT)
    other = check_document(b"other text", max_bytes=LIMIT)

    assert one.sha256 == two.sha256 != other.sha256


def test_too_large_is_refused_with_413() -> None:
    with pytest.raises(DocumentTooLarge) as refused:
        check_document(b"x" * 101, max_bytes=100)

    assert refused.value.status_code == 413
    assert refused.value.body()["error"] == "document_too_large"
    assert check_document(b"x" * 100, max_bytes=100).format is DocumentFormat.TXT


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n"])
def test_empty_is_refused(data: bytes) -> None:
    with pytest.raises(EmptyDocument) as refused:
        check_document(data, max_bytes=LIMIT)

    assert (refused.value.status_code, refused.value.code) == (422, "document_empty")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(samples.png(), id="png"),
        pytest.param(samples.windows_executable(), id="exe-named-pdf"),
        pytest.param(b"\xff\xfeh\x00i\x00", id="utf16"),
        pytest.param(b"text with a \x00 nul", id="nul"),
        pytest.param(samples.zip_of({"readme.txt": b"hello"}), id="zip-not-docx"),
        pytest.param(b"GIF89a" + bytes(range(200)), id="gif"),
    ],
)
def test_other_types_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedDocument) as refused:
        check_document(data, max_bytes=LIMIT, declared_type="application/pdf")

    assert (refused.value.status_code, refused.value.code) == (415, "unsupported_document_type")


def test_a_zip_bomb_in_a_docx_is_refused_from_its_directory() -> None:
    bomb = samples.docx_bomb(megabytes=300)  # ~300 KB on the wire
    assert len(bomb) < LIMIT

    with pytest.raises(UnsafeArchive) as refused:
        check_document(bomb, max_bytes=LIMIT)

    assert (refused.value.status_code, refused.value.code) == (422, "document_archive_unsafe")


def test_the_archive_total_is_bounded() -> None:
    document = samples.word_document()

    with pytest.raises(UnsafeArchive, match="more than 1000 bytes"):
        check_document(document, max_bytes=LIMIT, limits=ArchiveLimits(max_total_bytes=1000))


def test_the_archive_member_count_is_bounded() -> None:
    members = {f"word/part{n}.xml": b"<a/>" for n in range(30)}
    crowded = samples.zip_of({"word/document.xml": b"<w/>", **members})

    with pytest.raises(UnsafeArchive, match="more than 20 members"):
        check_document(crowded, max_bytes=LIMIT, limits=ArchiveLimits(max_entries=20))
    assert check_document(crowded, max_bytes=LIMIT).format is DocumentFormat.DOCX


def test_a_broken_zip_is_corrupt() -> None:
    document = samples.word_document()

    with pytest.raises(CorruptDocument) as refused:
        check_document(document[: len(document) // 2], max_bytes=LIMIT)

    assert isinstance(refused.value, InvalidDocument)
    assert refused.value.code == "document_corrupt"
