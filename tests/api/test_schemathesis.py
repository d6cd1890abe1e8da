"""Schemathesis over the whole OpenAPI spec, as a signed-in user: no 5xx, and every answer
is one the spec describes (status code, content type, headers, body schema); a method a
path does not have answers 405 with Allow.

The app runs in-process (schemathesis' ASGI transport, which also runs its lifespan) on a
migrated SQLite file, with the chat and embedding models on the fake upstream. Examples
per operation are bounded and the seed is fixed, so CI's run is the same every time; the
figures of a run are in docs/benchmarks.md ("Schemathesis").
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from cognitia.app import create_app
from cognitia.runtime import build_runtime
from tests.chats.conftest import catalogue_text
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user
from tests.support.fake_upstream import FakeUpstream

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


@pytest.fixture
def bearer(api_app: FastAPI) -> dict[str, str]:
    """A signed-in admin of its own for each operation."""
    with asgi.get_client(api_app) as client:
        body = {"email": api_app.state.test_emails.pop(), "password": PASSWORD}
        response = client.post("http://testserver/api/v2/auth/login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@schema.parametrize()
# One login serves every example of an operation, on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_behaves_as_its_spec_says(
    case: schemathesis.Case, api_app: FastAPI, bearer: dict[str, str]
) -> None:
    case.call_and_validate(app=api_app, headers=bearer)
