"""Names (characters, personas, people, chats) refuse characters that hide what a name
says: bidi overrides and invisible characters. Other text (descriptions, messages) keeps them."""

from __future__ import annotations

import json

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.characters.helpers import import_file
from tests.support.factories import user_with_token

# "Alice" with the letters after the override shown right to left: it reads as another name.
SPOOFS = {
    "right-to-left override": "Al\u202eecil",
    "left-to-right embedding": "\u202aAlice",
    "right-to-left isolate": "Alice\u2067x",
    "right-to-left mark": "Alice\u200f",
    "zero-width space": "Al\u200bice",
    "zero-width joiner between Latin letters": "Al\u200dice",
    "word joiner": "Al\u2060ice",
    "byte order mark": "\ufeffAlice",
    "soft hyphen": "Al\u00adice",
    "Hangul filler": "\u3164",
    "braille blank": "Alice\u2800",
    "combining grapheme joiner": "Al\u034fice",
    "line separator": "Al\u2028ice",
}
# Names people really have: accents, scripts that join, emoji sequences, CJK spaces.
GOOD_NAMES = [
    "Zoë",
    "José Álvarez",
    "محمد",
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian needs the zero-width non-joiner
    "👩\u200d🚀 Astronaut",  # an emoji ZWJ sequence
    "山田\u3000太郎",
    "O'Brien-Smith",
]

Headers = dict[str, str]


async def create_named(client: httpx.AsyncClient, headers: Headers, kind: str, name: str) -> int:
    """Create one thing of `kind` with `name`; the status code."""
    if kind == "character":
        response = await client.post("/api/v2/characters", json={"name": name}, headers=headers)
    elif kind == "persona":
        response = await client.post("/api/v2/personas", json={"name": name}, headers=headers)
    elif kind == "person":
        response = await client.patch(
            "/api/v2/users/me", json={"first_name": name}, headers=headers
        )
    else:
        character = await client.post("/api/v2/characters", json={"name": "C"}, headers=headers)
        body = {"title": name, "character_ids": [character.json()["id"]]}
        response = await client.post("/api/v2/chats", json=body, headers=headers)
    return response.status_code


KINDS = ["character", "persona", "person", "chat"]


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", SPOOFS.values(), ids=SPOOFS.keys())
async def test_spoofing_names_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, kind: str, name: str
) -> None:
    _, headers = await user_with_token(runtime, client)

    assert await create_named(client, headers, kind, name) == 422


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_real_names_are_kept(client: httpx.AsyncClient, runtime: Runtime, kind: str) -> None:
    _, headers = await user_with_token(runtime, client)

    for name in GOOD_NAMES:
        assert await create_named(client, headers, kind, name) in {200, 201}, name


@pytest.mark.asyncio
async def test_the_refusal_names_the_field(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.post(
        "/api/v2/characters", json={"name": "Al\u202eecil"}, headers=headers
    )

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert response.json()["fields"][0]["field"] == "name"


@pytest.mark.asyncio
async def test_other_text_keeps_bidi_and_invisible_characters(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    hebrew = "\u05e2\u05d1\u05e8\u05d9\u05ea"
    description = f"English, then \u202b{hebrew}\u202c, then a\u200bzero-width space"

    response = await client.post(
        "/api/v2/characters", json={"name": "Alice", "description": description}, headers=headers
    )

    assert response.status_code == 201
    assert response.json()["description"] == description


@pytest.mark.asyncio
async def test_an_imported_card_is_held_to_the_same_rule(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    card = {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Al\u202eecil"}}
    content = json.dumps(card).encode()

    response = await import_file(client, headers, content, name="card.json")

    assert response.status_code == 422
    assert response.json()["error"] == "malformed_card"
