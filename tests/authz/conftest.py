"""One app, one SQLite database and one cast of people for the whole matrix module.

Owner A makes one of everything, some of it shared with outsider B, who tries A's ids;
a friend is in A's chats; one person is disabled and one has signed out and revoked a
key, each with objects of their own made before that.
"""

from __future__ import annotations

import asyncio
import shutil
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from cognitia.runtime import Runtime
from tests.authz import objects, spec
from tests.authz.spec import Operation
from tests.authz.world import Person, World, shared_row
from tests.chats.conftest import catalogue_text
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import bearer, create_user, login, runtime_of
from tests.support.fake_upstream import FakeUpstream

# Appended to the chats tests' catalogue, whose [lanes] table comes last: fact extraction,
# summaries and task plans ask the fake model too, never the bundled local one (slow to
# load, and the matrix waits for background work to finish).
BACKGROUND_LANES = 'extract = ["rp"]\nsummarize = ["rp"]\nplan = ["rp"]\n'

# Prepared requests of a person whose credentials are refused: path ids and body by route.
Prepared = dict[str, tuple[dict[str, str], dict[str, Any]]]


@dataclass
class Refused:
    """A person's objects and prepared requests, and credentials that no longer work."""

    person: Person  # with a session that still works (if any), to read what changed
    prepared: Prepared
    credentials: dict[str, dict[str, str]]


@dataclass
class Cast:
    world: World
    owner: Person
    outsider: Person
    # API keys by scope (None: keys have no scopes): the outsider's, and the owner's own.
    keys: dict[str | None, dict[str, str]]
    owner_keys: dict[str | None, dict[str, str]]
    disabled: Refused
    revoked: Refused


@pytest.fixture(scope="module")
def authz_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


async def sign_up(runtime: Runtime, client: httpx.AsyncClient, label: str, **kw: Any) -> Person:
    user = await create_user(runtime, first_name=label, **kw)
    tokens = await login(client, user.email)
    return Person(label, user.id, user.email, bearer(tokens["access_token"]))


async def api_key(
    world: World, person: Person, fields: dict[str, Any] | None = None
) -> tuple[str, dict[str, str]]:
    """A new key of `person` (with `fields`, a scope say): its id, and headers that use it."""
    made = await objects.create(world, person, "/api/v2/api-keys", {}, name="k", **(fields or {}))
    return made["id"], bearer(made["key"])


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cast(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, authz_upstream: FakeUpstream
) -> AsyncIterator[Cast]:
    folder = tmp_path_factory.mktemp("authz")
    shutil.copy(sqlite_template, folder / "cognitia.db")
    catalogue = folder / "models.toml"
    text = catalogue_text(authz_upstream) + BACKGROUND_LANES
    assert tomllib.loads(text)["lanes"]["extract"] == ["rp"], "[lanes] is no longer last"
    catalogue.write_text(text)
    database_url = f"sqlite+aiosqlite:///{folder / 'cognitia.db'}"
    settings = make_settings(database_url, folder, llm={"catalogue_path": catalogue})
    async with running_app(settings) as (app, client):
        runtime = runtime_of(app)
        labels = ("A", "B", "Friend", "Disabled", "Revoked")
        owner, outsider, friend, off, out = [await sign_up(runtime, client, n) for n in labels]
        admin = await sign_up(runtime, client, "Admin", admin=True)
        world = World(client, runtime, objects.DESCRIPTION, friend=friend, outsider=outsider)
        # Each person's objects are made side by side (waits for ingestion and memories
        # overlap); never one person's twice at once.
        _, _, _, off_prepared, out_prepared = await asyncio.gather(
            furnish(world, owner, shared=False),
            furnish(world, owner, shared=True),
            furnish(world, outsider, shared=False),
            prepare(world, off),
            prepare(world, out),
        )
        scopes = spec.key_scopes()
        keys = {scope: (await api_key(world, outsider, fields))[1] for scope, fields in scopes}
        owner_keys = {scope: (await api_key(world, owner, fields))[1] for scope, fields in scopes}
        disabled = await disable(world, admin, off, off_prepared)
        revoked = await revoke(world, out, out_prepared)
        await world.settled()
        yield Cast(world, owner, outsider, keys, owner_keys, disabled, revoked)


async def furnish(world: World, person: Person, *, shared: bool) -> None:
    """Make `person`'s objects for every route with ids (those that can be shared, shared)."""
    for op in spec.with_ids():
        # An undescribed route fails its own rows (and the description test), not all.
        if (not shared or shared_row(objects.KINDS, op)) and described(op):
            await world.ids(op, person, shared=shared)


def described(op: Operation) -> bool:
    return all(name in objects.KINDS for name in op.params)


async def prepare(world: World, person: Person) -> Prepared:
    """Ids and a body for every authenticated route, made with `person`'s own objects."""
    prepared: Prepared = {}
    for op in spec.operations():
        if op.authenticated and described(op):
            ids = await world.ids(op, person)
            prepared[str(op)] = (ids, await world.body(op, person, ids))
    return prepared


async def disable(world: World, admin: Person, person: Person, prepared: Prepared) -> Refused:
    """`person`, with a key, disabled by an admin."""
    _, key = await api_key(world, person)
    url = f"/api/v2/admin/users/{person.user_id}/disable"
    response = await world.client.post(url, headers=admin.headers)
    assert response.status_code == 200, response.text
    return Refused(person, prepared, {"session": person.headers, "API key": key})


async def revoke(world: World, person: Person, prepared: Prepared) -> Refused:
    """`person` signed out of one session and revoked a key; a new session reads."""
    key_id, key = await api_key(world, person)
    gone = await world.client.delete(f"/api/v2/api-keys/{key_id}", headers=person.headers)
    assert gone.is_success, gone.text
    signed_out = dict(person.headers)
    response = await world.client.post("/api/v2/auth/logout", headers=signed_out)
    assert response.status_code == 204, response.text
    tokens = await login(world.client, person.email)
    person.headers = bearer(tokens["access_token"])
    return Refused(person, prepared, {"signed-out session": signed_out, "revoked API key": key})
