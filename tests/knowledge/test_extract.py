"""Each format's text comes out as blocks under their headings, with pages for PDFs."""

from __future__ import annotations

import asyncio

import pytest

from cognitia.knowledge.extract import Block, extract_blocks
from cognitia.knowledge.formats import (
    CorruptDocument,
    DocumentFormat,
    NoTextInDocument,
    UnsafeArchive,
    check_document,
)
from tests.knowledge import samples


def _extract(data: bytes, declared: str | None = None) -> list[Block]:
    checked = check_document(data, max_bytes=10 * 1024 * 1024, declared_type=declared)
    return extract_blocks(data, checked.format)


def test_plain_text_keeps_paragraphs_and_normalises_newlines() -> None:
    data = b"First line\r\nstill first.  \r\n\r\n\r\nSecond # not a heading\rmore\n"

    assert _extract(data) == [
        Block("First line\nstill first."),
        Block("Second # not a heading\nmore"),
    ]


def test_markdown_headings_become_the_path() -> None:
    text = (
        "Intro before any heading.\n\n"
        "# Guide\n\nWelcome.\n\n"
        "## Setup ##\nInstall it.\n\n"
        "```sh\n# a comment, not a heading\n\nmake\n```\n\n"
        "Linux\n-----\n\nUse apt.\n\n"
        "Other\n=====\nTop again.\n"
    )

    assert _extract(text.encode()) == [
        Block("Intro before any heading."),
        Block("Welcome.", ("Guide",)),
        Block("Install it.", ("Guide", "Setup")),
        Block("```sh\n# a comment, not a heading\n\nmake\n```", ("Guide", "Setup")),
        Block("Use apt.", ("Guide", "Linux")),
        Block("Top again.", ("Other",)),
    ]


def test_html_drops_scripts_and_navigation_and_keeps_structure() -> None:
    html = b"""<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head>
    <body><nav><a href="/">Home</a> <a href="/x">Menu item</a></nav>
    <script>var secret = "do not index";</script>
    <h1>Recipes</h1><p>Simple   food,
    cooked well.</p>
    <h2>Soup</h2><div>Boil <b>water</b>.<br>Add salt.</div>
    <ul><li>Carrots</li><li>Leeks</li></ul>
    <table><tr><th>Step</th><th>Minutes</th></tr><tr><td>Boil</td><td>10</td></tr></table>
    <!-- a comment -->
    <h1>Bread</h1><pre>  flour
  water</pre><noscript>enable js</noscript></body></html>"""

    blocks = _extract(html)

    assert blocks == [
        Block("Simple food, cooked well.", ("Recipes",)),
        Block("Boil water.\nAdd salt.", ("Recipes", "Soup")),
        Block("Carrots", ("Recipes", "Soup")),
        Block("Leeks", ("Recipes", "Soup")),
        Block("Step | Minutes\nBoil | 10", ("Recipes", "Soup")),
        Block("  flour\n  water", ("Bread",)),
    ]
    text = " ".join(b.text for b in blocks)
    assert "secret" not in text
    assert "Menu" not in text
    assert "color" not in text


def test_deeply_nested_html_does_not_recurse() -> None:
    html = b"<div>" * 5000 + b"<p>deep</p>" + b"</div>" * 5000

    assert _extract(html) == [Block("deep")]


def test_pdf_text_keeps_page_numbers() -> None:
    data = samples.pdf_with_text([["Hello world.", "Second line."], [], ["Third page."]])

    assert _extract(data) == [
        Block("Hello world.\nSecond line.", page=1),
        Block("Third page.", page=3),
    ]


def test_a_pdf_without_text_is_refused() -> None:
    with pytest.raises(NoTextInDocument) as refused:
        _extract(samples.blank_pdf())

    assert (refused.value.status_code, refused.value.code) == (422, "document_has_no_text")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.4\nnot really a pdf at all", id="garbage"),
        pytest.param(samples.pdf_with_text([["Hello."]])[:120], id="truncated"),
    ],
)
def test_a_corrupt_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(CorruptDocument):
        _extract(data)


def test_docx_headings_paragraphs_and_tables() -> None:
    assert _extract(samples.word_document()) == [
        Block("How to look after the garden.", ("Field guide",)),
        Block("Water the tomatoes every morning.", ("Field guide", "Watering")),
        Block("Twice a day when it is hot.", ("Field guide", "Watering", "In summer")),
        Block("Tool | Use\nSpade | Digging", ("Field guide", "Tools")),
    ]


def test_a_docx_member_that_understates_its_size_is_caught_while_streaming() -> None:
    data = samples.understating_docx(real_bytes=20 * 1024 * 1024, declared_bytes=1000)
    assert check_document(data, max_bytes=1024 * 1024).format is DocumentFormat.DOCX

    with pytest.raises(CorruptDocument):
        extract_blocks(data, DocumentFormat.DOCX)


def test_extraction_checks_the_archive_itself() -> None:
    with pytest.raises(UnsafeArchive):
        extract_blocks(samples.docx_bomb(megabytes=200), DocumentFormat.DOCX)


def test_a_docx_with_a_broken_part_is_corrupt() -> None:
    broken = samples.zip_of({"word/document.xml": b"<w:document><unclosed", "x": b""})

    with pytest.raises(CorruptDocument):
        extract_blocks(broken, DocumentFormat.DOCX)


@pytest.mark.parametrize("data", [b"\n\n   \n", b"<html><script>x()</script></html>"])
def test_nothing_readable_is_no_text(data: bytes) -> None:
    fmt = DocumentFormat.HTML if data.startswith(b"<") else DocumentFormat.TXT

    with pytest.raises(NoTextInDocument):
        extract_blocks(data, fmt)


@pytest.mark.asyncio
async def test_extraction_runs_in_a_thread() -> None:
    data = samples.word_document()

    blocks = await asyncio.to_thread(extract_blocks, data, DocumentFormat.DOCX)

    assert blocks[0].text == "How to look after the garden."
