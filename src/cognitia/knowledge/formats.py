"""What an uploaded document is, decided by its bytes, and whether to accept it.

The name and the client's media type are never trusted for the type: a PDF starts with
`%PDF-`, a docx is a zip holding `word/document.xml`, HTML is recognised by the tags it
starts with (the WHATWG MIME-sniffing rule), and anything else must be UTF-8 text. Text is
Markdown when the client said `text/markdown`, or when it has Markdown structure (an ATX
heading, a fenced code block or a link); otherwise it is plain text. The difference only
decides whether `#` lines become headings during extraction, so a wrong guess costs little.

The errors form a tree under `InvalidDocument`; each has a stable code and a 4xx status:

    InvalidDocument (422 invalid_document)
    ├── DocumentTooLarge (413 document_too_large)
    ├── EmptyDocument (422 document_empty)
    ├── UnsupportedDocument (415 unsupported_document_type)
    ├── UnsafeArchive (422 document_archive_unsafe)     a zip bomb inside a docx
    ├── CorruptDocument (422 document_corrupt)
    ├── EncryptedDocument (422 document_encrypted)
    └── NoTextInDocument (422 document_has_no_text)     raised by extraction
"""

from __future__ import annotations

import enum
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import ClassVar

from cognitia.errors import CognitiaError


class InvalidDocument(CognitiaError):
    status_code = 422
    code = "invalid_document"
    default_detail = "The document cannot be used."


class DocumentTooLarge(InvalidDocument):
    status_code = 413
    code = "document_too_large"
    default_detail = "The document is too large."


class EmptyDocument(InvalidDocument):
    code = "document_empty"
    default_detail = "The document is empty."


class UnsupportedDocument(InvalidDocument):
    status_code = 415
    code = "unsupported_document_type"
    default_detail = "Only txt, md, html, pdf and docx documents are supported."


class UnsafeArchive(InvalidDocument):
    code = "document_archive_unsafe"
    default_detail = "The document unpacks to too much data."


class CorruptDocument(InvalidDocument):
    code = "document_corrupt"
    default_detail = "The document is damaged and cannot be read."


class EncryptedDocument(InvalidDocument):
    code = "document_encrypted"
    default_detail = "The document is password-protected."


class NoTextInDocument(InvalidDocument):
    code = "document_has_no_text"
    default_detail = "The document has no extractable text (a scan needs OCR first)."


class DocumentFormat(enum.StrEnum):
    TXT = "txt"
    MD = "md"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    DocumentFormat.TXT: "text/plain",
    DocumentFormat.MD: "text/markdown",
    DocumentFormat.HTML: "text/html",
    DocumentFormat.PDF: "application/pdf",
    DocumentFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on a docx's zip, checked on its directory before anything is unpacked.

    `check_archive` checks the sizes the members declare, from the zip's directory.
    A member may understate its size, and zipfile's `read()` (which python-docx uses)
    inflates a whole member in one call before cutting it to the declared size, so
    `verify_archive` streams every member in small reads first: zipfile stops a member at
    its declared size, and a member that lied then fails its CRC check (CorruptDocument).
    """

    max_entries: int = 1_000
    max_total_bytes: int = 100 * 1024 * 1024
    max_ratio: int = 100
    # Small XML parts compress far better than 100:1 when they are mostly repeated tags.
    ratio_applies_above: int = 1024 * 1024

    DOCX_MAIN_PART: ClassVar[str] = "word/document.xml"


@dataclass(frozen=True)
class CheckedDocument:
    format: DocumentFormat
    sha256: str
    size: int

    @property
    def media_type(self) -> str:
        return self.format.media_type


MARKDOWN_MEDIA_TYPES = frozenset({"text/markdown", "text/x-markdown"})

# WHATWG MIME sniffing: after leading whitespace, one of these tags followed by a space or ">".
_HTML_START = re.compile(
    rb"\s*<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body"
    rb"|br|p|!--)[\s>]",
    re.IGNORECASE,
)
_MARKDOWN_SIGNS = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S|^ {0,3}(?:```|~~~)|\[[^\]\n]+\]\([^)\s]+\)", re.MULTILINE
)
# Control characters that never occur in text (tab, newlines and form feed do).
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ZIP_MAGIC = b"PK\x03\x04"


def checksum(data: bytes) -> str:
    """The hex sha256 of the bytes, used to refuse a duplicate upload."""
    return hashlib.sha256(data).hexdigest()


def check_document(
    data: bytes,
    *,
    max_bytes: int,
    declared_type: str | None = None,
    limits: ArchiveLimits = ArchiveLimits(),
) -> CheckedDocument:
    """The document's format, checksum and size; an InvalidDocument subclass if refused.

    Cheap: it reads a docx's zip directory but extracts nothing, and does not parse a PDF,
    so a corrupt PDF or one without text is found by `extract.extract_blocks`.
    """
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"The document is {len(data)} bytes; the limit is {max_bytes}.")
    if not data or data.isspace():  # data.strip() would copy megabytes to find out
        raise EmptyDocument()
    return CheckedDocument(
        format=detect_format(data, declared_type=declared_type, limits=limits),
        sha256=checksum(data),
        size=len(data),
    )


def detect_format(
    data: bytes,
    *,
    declared_type: str | None = None,
    limits: ArchiveLimits = ArchiveLimits(),
) -> DocumentFormat:
    """The format by content; UnsupportedDocument for anything else."""
    if b"%PDF-" in data[:1024]:  # readers accept a little junk before the header
        return DocumentFormat.PDF
    if data.startswith(_ZIP_MAGIC):
        names = check_archive(data, limits)
        if ArchiveLimits.DOCX_MAIN_PART in names:
            return DocumentFormat.DOCX
        raise UnsupportedDocument("A zip archive that is not a Word (docx) document.")
    text = decode_text(data)
    if _HTML_START.match(data.removeprefix(b"\xef\xbb\xbf")):
        return DocumentFormat.HTML
    media_type = (declared_type or "").split(";")[0].strip().lower()
    if media_type in MARKDOWN_MEDIA_TYPES or _found_in(_MARKDOWN_SIGNS, text):
        return DocumentFormat.MD
    return DocumentFormat.TXT


def decode_text(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped); UnsupportedDocument for binary data."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsupportedDocument() from None
    if _found_in(_BINARY_CONTROLS, text):
        raise UnsupportedDocument()
    return text


# One regex call holds the GIL until it returns (0.4 s for _MARKDOWN_SIGNS over 20 MiB),
# and so stops the event loop's thread even when it runs in another thread: long texts are
# searched a slice at a time. Slices overlap by _MATCH_SPAN characters, so a match is
# missed only if it is longer than that and crosses a slice's end (none of these can).
_SLICE = 256 * 1024
_MATCH_SPAN = 4096


def _found_in(pattern: re.Pattern[str], text: str) -> bool:
    for start in range(0, len(text), _SLICE):
        if pattern.search(text, start, start + _SLICE + _MATCH_SPAN):
            return True
    return False


def check_archive(data: bytes, limits: ArchiveLimits) -> list[str]:
    """The member names of a zip within `limits`; UnsafeArchive or CorruptDocument if not."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise CorruptDocument() from None
    if len(members) > limits.max_entries:
        raise UnsafeArchive(f"The archive has more than {limits.max_entries} members.")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise EncryptedDocument()
        size = member.file_size
        if size > limits.ratio_applies_above and size > member.compress_size * limits.max_ratio:
            raise UnsafeArchive(f"An archive member compresses more than {limits.max_ratio}:1.")
        total += size
        if total > limits.max_total_bytes:
            raise UnsafeArchive(f"The archive unpacks to more than {limits.max_total_bytes} bytes.")
    return [member.filename for member in members]


def verify_archive(data: bytes, limits: ArchiveLimits) -> None:
    """Inflate every member in bounded reads, so its declared size and CRC are proven true."""
    check_archive(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                with archive.open(member) as stream:
                    while stream.read(_VERIFY_READ_BYTES):
                        pass
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError):
        raise CorruptDocument() from None


_VERIFY_READ_BYTES = 64 * 1024
