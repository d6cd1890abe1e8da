"""Bad input of every kind at every characters, lorebooks and personas endpoint: always a
4xx with an error code, never a 500."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from cognitia.app import create_app
from cognitia.config import Settings
from tests.characters.helpers import (
    CHARACTERS,
    LOREBOOKS,
    PERSONAS,
    b64_json,
    charx,
    image_bytes,
    png_with,
)
from tests.support.factories import bearer, create_user, login

pytestmark = pytest.mark.asyncio

BAD_VALUES: list[Any] = [
    None, 0, -1, 10**30, 1.5, True, [], {}, {"$ne": ""}, "", " ", "x" * 10_000, "\x00",
    "nul\x00in the middle", "\u202e\u200b", "😀" * 100, "' OR '1'='1", "%", "_", "\\",
    "../../etc/passwd", "lane/", "lane/../chat", [None], ["\x00"], [[["deep"]]], {"a": "\x00"},
    {"\x00": 1}, [1.5e308, -0.0],
]  # fmt: skip
LONE_SURROGATE = '"\\ud800"'
INFINITY = "1e999"
RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"1e999",
    b"NaN",
    b"[" * 50_000,
    b"\xff\xfe\x00",
]
BAD_IDS = ["%00", "x" * 1000, "..%2F..%2Fadmin", "%F0%9F%98%80", "%20", "1", "-1", "%25"]
BAD_QUERY = ["", "\x00", "x" * 5000, "-1", "10" * 20, "1.5", "%", "😀", "0x10", "popular\x00"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _pixel_bomb() -> bytes:
    """A PNG header claiming 100000 x 100000 pixels, carrying a card."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    idat = _chunk(b"IDAT", zlib.compress(b"\x00" * 100))
    card = _chunk(b"tEXt", b"chara\x00" + b64_json({"name": "x"}).encode())
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + card + _chunk(b"IEND", b"")


def _card(**data: Any) -> dict[str, Any]:
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "x", **data}}


def _entry(**fields: Any) -> dict[str, Any]:
    return _card(character_book={"entries": [{"keys": ["a"], "content": "c", **fields}]})


CARDS: list[Any] = [
    None,
    [],
    "text",
    1,
    {},
    {"name": None},
    {"name": ["x"]},
    {"spec": None, "name": "x"},
    {"spec": ["chara_card_v2"], "data": {}},
    _card(name="\x00"),
    _card(name="x" * 10_000),
    _card(tags=[1]),
    _card(tags=["x"] * 100),
    _card(extensions={"cognitia": []}),
    _card(extensions={"cognitia": {"temperature": "hot", "max_tokens": 10**30}}),
    _card(extensions={"cognitia": {"model": "nope", "voice_model": "\x00"}}),
    _card(extensions={"talkativeness": [1]}),
    _card(character_book=None),
    _card(character_book={"entries": [None]}),
    _card(character_book={"name": 5, "entries": []}),
    _card(character_book={"token_budget": 10**30, "entries": []}),
    _entry(insertion_order=1e30),
    _entry(insertion_order=1.5),
    _entry(id=2**40),
    _entry(id=["x"]),
    _entry(extensions={"depth": "x"}),
    _entry(extensions={"depth": -5}),
    _entry(extensions={"position": {"a": 1}, "selectiveLogic": [0]}),
    _entry(keys=["x" * 2000]),
    _entry(keys=[None]),
    _entry(use_regex=True, keys=["(unclosed"]),
    _entry(case_sensitive="yes"),
    _entry(content=5),
    _card(alternate_greetings=["x"] * 1000),
    {"entries": None},
    {"entries": {"0": None}},
    {"entries": [1, 2]},
    {"entries": {"a": {"key": "x"}}},
    {"entries": {"a": {"uid": "x", "order": None, "position": 99, "depth": 10**9}}},
    {"spec": "lorebook_v3", "data": None},
    {"spec": "lorebook_v3", "data": {"entries": [{}]}},
]

UPLOADS: list[bytes] = [
    b"",
    b"x",
    b"\x00" * 100,
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n" + b"\xff" * 64,
    image_bytes()[:50],
    b"GIF89a",
    b"PK\x03\x04",
    b"PK\x05\x06" + b"\x00" * 18,
    b"{" * 1000,
    b"\xef\xbb\xbf{}",
    b'{"name": "x", "a": 1e999}',
    b'{"name": "\\ud83d"}',
    b'{"name": "x"' + b" " * 10,
    png_with({"chara": ""}),
    png_with({"chara": "===="}),
    png_with({"ccv3": b64_json(None)}),
    png_with({"chara": b64_json({"name": "x"})}) + b"trailing",
    png_with({"chara": b64_json({"name": "x"})})[:-30],
    _pixel_bomb(),
    charx({"name": "x"}, {"card.json/../x": b"1"}),
    charx(
        {
            "spec": "chara_card_v3",
            "data": {"name": "x", "assets": [{"type": "icon", "uri": "embeded://missing.png"}]},
        }
    ),
    charx(
        {
            "spec": "chara_card_v3",
            "data": {"name": "x", "assets": [{"type": "icon", "uri": "embeded://a.png"}]},
        },
        {"a.png": b"not png"},
    ),
    charx({"spec": "chara_card_v3", "data": {"name": "x", "assets": "all"}}),
    *[json.dumps(card).encode() for card in CARDS],
    *[png_with({"chara": b64_json(card)}) for card in CARDS],
]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {character}, {book}, {entry}, {persona}, {user}: real ids of the caller's
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)
    upload: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


CHARACTER_BODY = {
    "name": "Ava", "description": "d", "tags": ["a"], "model": "lane/chat", "temperature": 1,
    "top_p": 1, "max_tokens": 10, "extensions": {}, "lorebook_id": "{book}", "visibility": "public",
    "alternate_greetings": ["hi"], "prompt_template": "chat", "card_extra": {}, "voice_model": "v",
}  # fmt: skip
ENTRY_BODY = {
    "keys": ["k"], "use_regex": True, "selective_logic": "and_any", "position": "at_depth",
    "depth": 1, "insertion_order": 1, "extra": {}, "case_sensitive": None,
}  # fmt: skip
ENDPOINTS = [
    Endpoint("POST", CHARACTERS, CHARACTER_BODY),
    Endpoint("PATCH", f"{CHARACTERS}/{{character}}", CHARACTER_BODY),
    Endpoint("GET", CHARACTERS, query={"limit": "1", "offset": "0"}),
    Endpoint(
        "GET",
        f"{CHARACTERS}/marketplace",
        query={"q": "a", "tag": "a", "sort": "popular", "limit": "1", "offset": "0"},
    ),
    Endpoint("GET", f"{CHARACTERS}/{{character}}"),
    Endpoint("GET", f"{CHARACTERS}/{{character}}/export", query={"format": "png"}),
    Endpoint("GET", f"{CHARACTERS}/{{character}}/avatar"),
    Endpoint("POST", f"{CHARACTERS}/{{character}}/voice-permission", {"user_id": "{user}"}),
    Endpoint("DELETE", f"{CHARACTERS}/{{character}}/voice-permission/{{user}}"),
    Endpoint("PUT", f"{CHARACTERS}/{{character}}/avatar", upload=True),
    Endpoint("POST", f"{CHARACTERS}/import", upload=True),
    Endpoint(
        "POST", LOREBOOKS, {"name": "W", "scan_depth": 1, "token_budget": 1, "extensions": {}}
    ),
    Endpoint("PATCH", f"{LOREBOOKS}/{{book}}", {"name": "W", "scan_depth": 1, "extra": {}}),
    Endpoint("GET", LOREBOOKS, query={"limit": "1", "offset": "0"}),
    Endpoint("GET", f"{LOREBOOKS}/{{book}}/entries/{{entry}}"),
    Endpoint("POST", f"{LOREBOOKS}/{{book}}/entries", ENTRY_BODY),
    Endpoint("PATCH", f"{LOREBOOKS}/{{book}}/entries/{{entry}}", ENTRY_BODY),
    Endpoint("POST", PERSONAS, {"name": "Sam", "description": "d", "is_default": True}),
    Endpoint("PATCH", f"{PERSONAS}/{{persona}}", {"name": "Sam", "is_default": False}),
    # Last: these remove what the others use.
    Endpoint("DELETE", f"{LOREBOOKS}/{{book}}/entries/{{entry}}"),
    Endpoint("DELETE", f"{PERSONAS}/{{persona}}"),
    Endpoint("DELETE", f"{LOREBOOKS}/{{book}}"),
    Endpoint("DELETE", f"{CHARACTERS}/{{character}}"),
]


@dataclass(frozen=True)
class Case:
    description: str
    url: str
    content: bytes | None = None
    params: dict[str, str] | None = None
    files: dict[str, Any] | None = None


class Cases:
    def __init__(self, endpoint: Endpoint, ids: dict[str, str]) -> None:
        self.endpoint = endpoint
        self.ids = ids
        self.url = self._fill(endpoint.path)

    def _fill(self, text: str) -> str:
        for name, value in self.ids.items():
            text = text.replace(f"{{{name}}}", value)
        return text

    def body(self, **changes: Any) -> bytes:
        valid = {
            k: self._fill(v) if isinstance(v, str) else v
            for k, v in (self.endpoint.body or {}).items()
        }
        return json.dumps({**valid, **changes}).encode()

    def __iter__(self) -> Iterator[Case]:
        if self.endpoint.upload:
            for index, content in enumerate(UPLOADS):
                yield Case(
                    f"upload {index}", self.url, files={"file": ("f.png", content, "image/png")}
                )
            yield Case("json instead of a file", self.url, b"{}")
        if self.endpoint.body is not None:
            yield from self._bodies()
        for name in self.endpoint.query:
            for value in BAD_QUERY:
                yield Case(
                    f"?{name}={value!r:.30}", self.url, params={**self.endpoint.query, name: value}
                )
        for placeholder in ("{character}", "{book}", "{entry}", "{persona}", "{user}"):
            if placeholder in self.endpoint.path:
                for bad in BAD_IDS:
                    url = self._fill(self.endpoint.path.replace(placeholder, bad))
                    yield Case(f"{placeholder}={bad:.30}", url, self.body())

    def _bodies(self) -> Iterator[Case]:
        for raw in RAW_BODIES:
            yield Case(f"body {raw[:20]!r}", self.url, raw)
        for name in self.endpoint.body or {}:
            for value in BAD_VALUES:
                yield Case(f"{name}={value!r:.40}", self.url, self.body(**{name: value}))
            for raw in (LONE_SURROGATE, INFINITY):
                content = self.body(**{name: "@@"}).replace(b'"@@"', raw.encode())
                yield Case(f"{name}={raw}", self.url, content)


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], other_id: str) -> dict[str, str]:
    character = await client.post(CHARACTERS, json={"name": "Ava"}, headers=headers)
    book = await client.post(LOREBOOKS, json={"name": "W"}, headers=headers)
    entry = await client.post(f"{LOREBOOKS}/{book.json()['id']}/entries", json={}, headers=headers)
    persona = await client.post(PERSONAS, json={"name": "Sam"}, headers=headers)
    return {
        "character": character.json()["id"],
        "book": book.json()["id"],
        "entry": entry.json()["id"],
        "persona": persona.json()["id"],
        "user": other_id,
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
async def test_bad_input_never_causes_a_server_error(
    settings: Settings, endpoint: Endpoint
) -> None:
    server_errors = []
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            runtime = app.state.runtime
            user = await create_user(runtime)
            other = await create_user(runtime)
            headers = bearer((await login(client, user.email))["access_token"])
            for case in Cases(endpoint, await _ids(client, headers, other.id)):
                request_headers = dict(headers)
                if case.files is None:
                    request_headers["Content-Type"] = "application/json"
                response = await client.request(
                    endpoint.method,
                    case.url,
                    content=case.content,
                    params=case.params,
                    files=case.files,
                    headers=request_headers,
                )
                if response.status_code >= 500:
                    server_errors.append(f"{case.description}: {response.status_code}")
                elif response.status_code >= 400:
                    assert response.json()["error"], case.description

    assert server_errors == []
