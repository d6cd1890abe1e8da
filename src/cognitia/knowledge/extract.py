"""A document's text as blocks: paragraphs under the path of headings they sit in.

`extract_blocks` is synchronous and CPU-bound (PDF and docx parsing can take seconds):
callers on the event loop run it in a thread, `await asyncio.to_thread(extract_blocks,
data, fmt)`, or in a worker process. It raises the InvalidDocument errors of `formats`,
including NoTextInDocument when nothing readable is found (a scanned PDF, say).

Per format: txt and md as they are, newlines normalised, paragraphs split at blank lines
(md also turns `#` and underlined headings into the heading path, and keeps a fenced code
block whole); html through BeautifulSoup without script, style, nav and the like, h1-h6 as
headings, a table as one block of `cell | cell` rows; pdf through pypdf, one page at a time, so each
block knows its page; docx through python-docx, "Title" and "Heading N" styles as headings,
tables as one block of `cell | cell` rows.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cognitia.knowledge.formats import (
    ArchiveLimits,
    CorruptDocument,
    DocumentFormat,
    EncryptedDocument,
    NoTextInDocument,
    decode_text,
    verify_archive,
)


@dataclass(frozen=True)
class Block:
    """A paragraph (or table, or code block) and where it sits."""

    text: str
    headings: tuple[str, ...] = ()
    page: int | None = None


class HeadingPath:
    """The headings above the current point: a new heading replaces those at its level or below."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> None:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        if title:
            self._stack.append((level, title))

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(title for _, title in self._stack)


def extract_blocks(
    data: bytes,
    fmt: DocumentFormat,
    *,
    limits: ArchiveLimits = ArchiveLimits(),
) -> list[Block]:
    """The document's blocks in reading order; NoTextInDocument if it has none."""
    if fmt is DocumentFormat.PDF:
        blocks = _pdf_blocks(data)
    elif fmt is DocumentFormat.DOCX:
        blocks = _docx_blocks(data, limits)
    elif fmt is DocumentFormat.HTML:
        blocks = _html_blocks(data)
    elif fmt is DocumentFormat.MD:
        blocks = list(markdown_blocks(decode_text(data)))
    else:
        blocks = [Block(p) for p in paragraphs(normalise_newlines(decode_text(data)))]
    if not blocks:
        raise NoTextInDocument()
    return blocks


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def paragraphs(text: str) -> list[str]:
    """Runs of lines separated by blank lines, trailing spaces removed."""
    found = []
    for raw in re.split(r"\n[ \t]*\n", text):
        lines = [line.rstrip() for line in raw.split("\n")]
        paragraph = "\n".join(lines).strip("\n")
        if paragraph.strip():
            found.append(paragraph)
    return found


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def markdown_blocks(text: str) -> Iterator[Block]:
    """Paragraphs of Markdown under their headings; fenced code stays one block."""
    reader = _MarkdownReader()
    for line in normalise_newlines(text).split("\n"):
        yield from reader.feed(line.rstrip())
    yield from reader.flush()


class _MarkdownReader:
    def __init__(self) -> None:
        self.path = HeadingPath()
        self.lines: list[str] = []
        self.fence: str | None = None

    def feed(self, line: str) -> Iterator[Block]:
        opening = _FENCE.match(line)
        if self.fence is not None or opening:
            yield from self.fenced(line, opening.group(1) if opening else None)
            return
        heading = _ATX.match(line)
        underline = _SETEXT.match(line)
        if heading:
            yield from self.flush()
            self.path.enter(len(heading.group(1)), (heading.group(2) or "").strip())
        elif underline and len(self.lines) == 1 and self.lines[0].strip():
            title = self.lines.pop().strip()
            self.path.enter(1 if underline.group(1)[0] == "=" else 2, title)
        elif not line.strip():
            yield from self.flush()
        else:
            self.lines.append(line)

    def fenced(self, line: str, opening: str | None) -> Iterator[Block]:
        if self.fence is None:
            yield from self.flush()
            self.fence = opening
        elif line.strip().startswith(self.fence):
            self.fence = None
        self.lines.append(line)
        if self.fence is None:
            yield from self.flush()

    def flush(self) -> Iterator[Block]:
        paragraph = "\n".join(self.lines).strip("\n")
        self.lines.clear()
        if paragraph.strip():
            yield Block(paragraph, self.path.titles)


def _pdf_blocks(data: bytes) -> list[Block]:
    import pypdf
    from pypdf.errors import FileNotDecryptedError

    blocks: list[Block] = []
    # pypdf raises many kinds of error on malformed input (its own, ValueError, KeyError,
    # zlib's ...); any of them means the file cannot be read.
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedDocument()
        for number, page in enumerate(reader.pages, start=1):
            text = normalise_newlines(page.extract_text() or "")
            blocks.extend(Block(p, page=number) for p in paragraphs(text))
    except (EncryptedDocument, FileNotDecryptedError):
        raise EncryptedDocument() from None
    except Exception as error:
        raise CorruptDocument() from error
    return blocks


def _docx_blocks(data: bytes, limits: ArchiveLimits) -> list[Block]:
    import docx
    from docx.table import Table

    verify_archive(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        path = HeadingPath()
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = [
                    " | ".join(_distinct(c.text.strip() for c in row.cells)) for row in item.rows
                ]
                text = "\n".join(row for row in rows if row.strip(" |"))
            else:
                level = _heading_level(item.style.name if item.style is not None else None)
                text = item.text.strip()
                if level is not None:
                    path.enter(level, text)
                    continue
            if text:
                blocks.append(Block(text, path.titles))
    except Exception as error:  # lxml, zipfile and python-docx errors on a damaged file
        raise CorruptDocument() from error
    return blocks


def _heading_level(style: str | None) -> int | None:
    if style == "Title":
        return 0
    match = re.fullmatch(r"Heading (\d)", style or "")
    return int(match.group(1)) if match else None


def _distinct(cells: Iterable[str]) -> list[str]:
    """Cells without the repeats python-docx returns for a merged cell."""
    kept: list[str] = []
    for cell in cells:
        if not kept or cell != kept[-1]:
            kept.append(cell)
    return kept


_DROPPED_TAGS = (
    "script",
    "style",
    "nav",
    "noscript",
    "template",
    "head",
    "svg",
    "iframe",
    "object",
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "ul",
    ]
)


def _html_blocks(data: bytes) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")  # Python's parser: no native dependency
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    return list(_HtmlWalker().walk(soup))


class _HtmlWalker:
    """Blocks from an HTML tree, walked with an explicit stack (deep nesting is common)."""

    def __init__(self) -> None:
        self.path = HeadingPath()
        self.lines: list[str] = [""]

    def walk(self, root: object) -> Iterator[Block]:
        from bs4.element import NavigableString, PreformattedString, Tag

        stack: list[tuple[Iterator[object], bool]] = [(iter(_children(root)), False)]
        while stack:
            children, is_block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if is_block:
                    yield from self.flush()
            elif isinstance(child, PreformattedString):  # comments, doctype, CDATA
                continue
            elif isinstance(child, NavigableString):
                self.lines[-1] += str(child)
            elif isinstance(child, Tag):
                yield from self.enter(child, stack)

    def enter(self, tag: object, stack: list[tuple[Iterator[object], bool]]) -> Iterator[Block]:
        from bs4.element import Tag

        assert isinstance(tag, Tag)
        name = tag.name.lower()
        if name in _HEADINGS:
            yield from self.flush()
            self.path.enter(_HEADINGS[name], _collapse(tag.get_text(" ")))
        elif name == "br":
            self.lines.append("")
        elif name == "table":
            yield from self.flush()
            rows = [_html_row(row) for row in tag.find_all("tr")]
            text = "\n".join(row for row in rows if row)
            if text:
                yield Block(text, self.path.titles)
        elif name == "pre":
            yield from self.flush()
            text = normalise_newlines(tag.get_text()).strip("\n")
            if text.strip():
                yield Block(text, self.path.titles)
        else:
            is_block = name in _BLOCK_TAGS
            if is_block:
                yield from self.flush()
            stack.append((iter(_children(tag)), is_block))

    def flush(self) -> Iterator[Block]:
        text = "\n".join(line for line in map(_collapse, self.lines) if line)
        self.lines = [""]
        if text:
            yield Block(text, self.path.titles)


def _html_row(row: object) -> str:
    from bs4.element import Tag

    assert isinstance(row, Tag)
    cells = [_collapse(c.get_text(" ")) for c in row.find_all(["td", "th"])]
    return " | ".join(_distinct(c for c in cells if c))


def _children(node: object) -> list[object]:
    return list(getattr(node, "contents", []))


def _collapse(text: str) -> str:
    return " ".join(text.split())
