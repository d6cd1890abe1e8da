"""Helpers for the characters tests: requests, real images and cards made with Pillow."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from cognitia.characters.cards import png

CHARACTERS = "/api/v2/characters"
LOREBOOKS = "/api/v2/lorebooks"
PERSONAS = "/api/v2/personas"

# The brief's "Create a character" curl body, verbatim.
LUNA: dict[str, Any] = {
    "name": "Luna",
    "description": "...",
    "personality": "...",
    "first_message": "Hello!",
    "voice_model": "af_bella",
    "prompt_template": "pygmalion",
}

# Real cards: ../shared/data/cards beside the repository (see SOURCE.md there).
CARDS = Path(
    os.environ.get("COGNITIA_TEST_CARDS", Path(__file__).resolve().parents[3] / "shared/data/cards")
)


def real_card(name: str) -> bytes:
    path = CARDS / name
    if not path.exists():
        pytest.skip(f"real card files not found at {CARDS} (set COGNITIA_TEST_CARDS)")
    return path.read_bytes()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (24, 16)) -> bytes:
    """A real image in `fmt`, made by Pillow."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 90, 40)).save(out, format=fmt)
    return out.getvalue()


def b64_json(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def png_with(texts: dict[str, str], picture: bytes | None = None) -> bytes:
    """A PNG carrying these tEXt chunks."""
    return png.with_text(picture or image_bytes(), texts)


def card_chunks(data: bytes) -> dict[str, Any]:
    """The decoded `chara` and `ccv3` cards of a PNG."""
    texts = png.read_text(data, {"chara", "ccv3"})
    return {name: json.loads(base64.b64decode(text)) for name, text in texts.items()}


def charx(card: dict[str, Any], files: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("card.json", json.dumps(card))
        for name, content in (files or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def upload(
    content: bytes, name: str = "file.png", kind: str = "application/octet-stream"
) -> dict[str, Any]:
    return {"file": (name, content, kind)}


async def create_character(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await client.post(CHARACTERS, json={"name": "Ava", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def import_file(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str = "card.png"
) -> httpx.Response:
    return await client.post(f"{CHARACTERS}/import", files=upload(content, name), headers=headers)


async def imported(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str = "card.png"
) -> dict[str, Any]:
    response = await import_file(client, headers, content, name)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code, response.text
