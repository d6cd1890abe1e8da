"""Schemathesis over the whole OpenAPI spec, as a signed-in user: no 5xx, and every answer
is one the spec describes (status code, content type, headers, body schema); a method a
path does not have answers 405 with Allow.

The app runs in-process (schemathesis' ASGI transport, which also runs its lifespan) on a
migrated SQLite file, with the chat and embedding models on the fake upstream. Each
operation gets an admin account of its own, and its positive examples are aimed at that
account's own objects (a character, a chat with a reply, a document...), so they reach
real rows rather than 404s. Examples per operation are bounded and the seed is fixed, so
CI's run is the same every time; the figures of a run are in docs/benchmarks.md
("Schemathesis", python -m benchmarks.schemathesis_run).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.python import asgi

from cognitia.app import create_app
from cognitia.runtime import build_runtime
from tests.chats.conftest import catalogue_text
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user
from tests.support.fake_upstream import FakeUpstream

BASE = "http://testserver"
CONFIG = schemathesis.Config.from_str(
    """
seed = 11
[generation]
max-examples = 8
database = "none"

[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_headers_conformance.enabled = true
response_schema_conformance.enabled = true
unsupported_method.enabled = true
allow_header_conformance.enabled = true
"""
)


def spec() -> dict[str, object]:
    """The spec as the app serves it; building an app reads no database."""
    settings = make_settings("sqlite+aiosqlite:///:memory:", Path("unused"))
    return create_app(settings).openapi()


# Loaded when the module is collected, so each operation is a test of its own.
schema = schemathesis.openapi.from_dict(spec(), config=CONFIG)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


async def _create_admins(data_dir: Path, database_url: str, count: int) -> list[str]:
    runtime = build_runtime(make_settings(database_url, data_dir))
    try:
        return [(await create_user(runtime, admin=True)).email for _ in range(count)]
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
def api_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    root = tmp_path_factory.mktemp("schemathesis")
    database = root / "cognitia.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite+aiosqlite:///{database}"
    # An account per operation: one that deletes its account or changes its password
    # leaves the others signed in.
    emails = asyncio.run(_create_admins(root, url, len(OPERATIONS)))
    with FakeUpstream() as upstream:
        catalogue = root / "models.toml"
        catalogue.write_text(catalogue_text(upstream))
        # Fuzzed logins are many wrong passwords from one address: no limit gets in the way.
        limits = {"login_attempts_per_ip": 1_000_000, "login_attempts_per_account": 1_000_000}
        settings = make_settings(url, root, llm={"catalogue_path": catalogue}, auth=limits)
        app = create_app(settings)
        app.state.test_emails = emails
        yield app
        asgi.shutdown_lifespans()


class Account:
    """A signed-in admin of its own for each operation. The objects its path names are
    made on first use, owned by the account: positive examples reach real objects
    instead of 404s, and only the operations that need a reply or a document pay for one."""

    def __init__(self, app: FastAPI, client: asgi.ASGIClient) -> None:
        self.client = client
        body = {"email": app.state.test_emails.pop(), "password": PASSWORD}
        response = self.client.post(f"{BASE}/api/v2/auth/login", json=body)
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        self.ids: dict[str, str] = {}

    def made(self, path: str, **request: Any) -> str:
        response = self.client.post(f"{BASE}{path}", headers=self.headers, **request)
        assert response.status_code in {200, 201}, (path, response.text)
        made_id: str = response.json()["id"]
        return made_id

    def id_of(self, name: str) -> str | None:
        if name not in self.ids and name in SEEDS:
            self.ids[name] = SEEDS[name](self)
        return self.ids.get(name)


def _reply(account: Account) -> str:
    chat = account.id_of("chat_id")
    response = account.client.post(
        f"{BASE}/api/v2/chats/{chat}/messages", json={"content": "Hello"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    reply: str = response.json()["replies"][0]["id"]
    return reply


SEEDS: dict[str, Callable[[Account], str]] = {
    "user_id": lambda a: a.client.get(f"{BASE}/api/v2/auth/me", headers=a.headers).json()["id"],
    "character_id": lambda a: a.made("/api/v2/characters", json={"name": "Seed"}),
    "lorebook_id": lambda a: a.made("/api/v2/lorebooks", json={"name": "Seed book"}),
    "entry_id": lambda a: a.made(
        f"/api/v2/lorebooks/{a.id_of('lorebook_id')}/entries", json={"keys": ["seed"]}
    ),
    "persona_id": lambda a: a.made("/api/v2/personas", json={"name": "Seed persona"}),
    "chat_id": lambda a: a.made("/api/v2/chats", json={"character_ids": [a.id_of("character_id")]}),
    "message_id": _reply,
    "document_id": lambda a: a.made(
        "/api/v2/documents", files={"file": ("seed.txt", b"A seed.", "text/plain")}
    ),
}


@pytest.fixture
def account(api_app: FastAPI) -> Iterator[Account]:
    with asgi.get_client(api_app) as client:  # its lifespan starts with the first client
        yield Account(api_app, client)


# A chat's live events never end on their own (a ping every 15 s): on a real chat each
# example would wait for pings. tests/chats/test_events_endpoint.py holds that stream.
ENDLESS = {"/api/v2/chats/{chat_id}/events"}


def _aim(case: schemathesis.Case, account: Account) -> None:
    """Point a positive example's path at the account's own objects; negative ones keep
    what was generated (they test the validation of ids)."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    if case.operation.path in ENDLESS:
        return
    for name in case.path_parameters:
        if (real := account.id_of(name)) is not None:
            case.path_parameters[name] = real


@schema.parametrize()
# One account serves every example of an operation, on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_behaves_as_its_spec_says(
    case: schemathesis.Case, api_app: FastAPI, account: Account
) -> None:
    _aim(case, account)
    case.call_and_validate(app=api_app, headers=account.headers)
