"""Card imports that must fail, each with its stable error code, and leave nothing behind."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest

from tests.characters.conftest import Account
from tests.characters.helpers import (
    CHARACTERS,
    LOREBOOKS,
    assert_error,
    b64_json,
    image_bytes,
    import_file,
    png_with,
)

pytestmark = pytest.mark.asyncio


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _bomb() -> bytes:
    """A small archive whose card.json inflates to 30 MB."""
    return _zip({"card.json": b"{" + b" " * (30 * 1024 * 1024) + b"}"})


BAD_FILES: list[tuple[str, bytes, str, int, str]] = [
    ("picture without a card", image_bytes(), "a.png", 422, "no_card_in_image"),
    ("other text chunks only", png_with({"Comment": "hello"}), "a.png", 422, "no_card_in_image"),
    ("chara not base64", png_with({"chara": "%%%not base64%%%"}), "a.png", 422, "malformed_card"),
    ("chara not JSON", png_with({"chara": "aGVsbG8="}), "a.png", 422, "malformed_card"),
    (
        "card without a name",
        png_with({"chara": b64_json({"spec": "chara_card_v2", "data": {"description": "x"}})}),
        "a.png",
        422,
        "malformed_card",
    ),
    (
        "card with a blank name",
        json.dumps({"name": "  "}).encode(),
        "a.json",
        422,
        "malformed_card",
    ),
    (
        "unknown spec",
        json.dumps({"spec": "chara_card_v9", "data": {"name": "x"}}).encode(),
        "a.json",
        422,
        "malformed_card",
    ),
    (
        "data not an object",
        json.dumps({"spec": "chara_card_v2", "data": []}).encode(),
        "a.json",
        422,
        "malformed_card",
    ),
    (
        "name not text",
        json.dumps({"spec": "chara_card_v2", "data": {"name": 5}}).encode(),
        "a.json",
        422,
        "malformed_card",
    ),
    ("name too long", json.dumps({"name": "x" * 101}).encode(), "a.json", 422, "malformed_card"),
    (
        "tags not a list",
        json.dumps({"spec": "chara_card_v2", "data": {"name": "x", "tags": "a,b"}}).encode(),
        "a.json",
        422,
        "malformed_card",
    ),
    (
        "book entries not a list",
        json.dumps(
            {"spec": "chara_card_v2", "data": {"name": "x", "character_book": {"entries": {}}}}
        ).encode(),
        "a.json",
        422,
        "malformed_card",
    ),
    (
        "entry keys not a list",
        json.dumps(
            {
                "spec": "chara_card_v2",
                "data": {"name": "x", "character_book": {"entries": [{"keys": "a"}]}},
            }
        ).encode(),
        "a.json",
        422,
        "malformed_card",
    ),
    (
        "unknown template",
        json.dumps(
            {
                "spec": "chara_card_v2",
                "data": {"name": "x", "extensions": {"cognitia": {"prompt_template": "vicuna"}}},
            }
        ).encode(),
        "a.json",
        422,
        "unknown_template",
    ),
    ("JSON with NaN", b'{"name": NaN}', "a.json", 422, "malformed_card"),
    ("JSON with NUL", b'{"name": "a\\u0000b"}', "a.json", 422, "malformed_card"),
    ("JSON with a lone surrogate", b'{"name": "\\ud800"}', "a.json", 422, "malformed_card"),
    ("broken JSON", b'{"name": ', "a.json", 422, "malformed_card"),
    ("JSON list", b"[1, 2]", "a.json", 422, "malformed_card"),
    (
        "deep JSON",
        b'{"name": "x", "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "a.json",
        422,
        "malformed_card",
    ),
    ("text file named .png", b"just some text", "card.png", 415, "unsupported_file"),
    ("empty file", b"", "card.png", 415, "unsupported_file"),
    ("a JPEG", image_bytes("JPEG"), "card.jpg", 415, "unsupported_file"),
    ("damaged PNG", image_bytes()[:40], "a.png", 415, "not_an_image"),
    (
        "card in a damaged picture",
        png_with({"chara": b64_json({"name": "x"})})[:-40] + b"\x00" * 40,
        "a.png",
        415,
        "not_an_image",
    ),
    ("zip without card.json", _zip({"readme.txt": b"hi"}), "a.charx", 422, "malformed_card"),
    ("zip that is not a zip", b"PK\x03\x04" + b"\x00" * 100, "a.charx", 422, "malformed_card"),
    ("zip bomb", _bomb(), "a.charx", 413, "file_too_large"),
    (
        "too many members",
        _zip({f"f{i}": b"" for i in range(1001)}),
        "a.charx",
        413,
        "file_too_large",
    ),
    ("too large", b"{" + b" " * (20 * 1024 * 1024) + b"}", "a.json", 413, "file_too_large"),
]


@pytest.mark.parametrize("bad", BAD_FILES, ids=lambda bad: bad[0])
async def test_bad_files_are_refused_with_a_stable_code(
    client: httpx.AsyncClient, owner: Account, bad: tuple[str, bytes, str, int, str]
) -> None:
    _, content, name, status, code = bad
    _, headers = owner

    response = await import_file(client, headers, content, name)

    assert_error(response, status, code)
    assert (await client.get(CHARACTERS, headers=headers)).json()["total"] == 0
    assert (await client.get(LOREBOOKS, headers=headers)).json()["total"] == 0
