"""The authorization matrix: every operation of the OpenAPI spec, tried by the wrong people.

- Outsider B calls each route with an id in its path with owner A's ids (by session and
  by each kind of API key): 404, exactly what an id that names nothing gets, and A's
  objects read the same afterwards. Admin routes: 403 for a non-admin.
- B with their own chat or character but A's object inside it: 404 too.
- B as a member of A's chat, or a viewer of A's public character: 403 on every route
  there but those objects.MEMBER_MAY lists, and nothing changes.
- A signed-out session and a revoked key get 401 on every authenticated route, a
  disabled account 401/403, even on its own objects.

A route whose ids the matrix cannot make fails here until tests/authz/objects.py
describes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.authz import objects, spec
from tests.authz.conftest import Cast, Refused
from tests.authz.spec import Operation
from tests.authz.world import Person, Snapshot, Undescribed, World, nowhere, shared_row

pytestmark = pytest.mark.asyncio(loop_scope="session")

KINDS = objects.KINDS
WITH_IDS = spec.with_ids()
READS = [op for op in WITH_IDS if op.method == "GET" and not op.streams]
SHARED = [op for op in WITH_IDS if shared_row(KINDS, op)]
OWNER_ONLY = [op for op in SHARED if str(op) not in objects.MEMBER_MAY]
MEMBER_READS = [op for op in SHARED if str(op) in objects.MEMBER_MAY and op in READS]
# The last object is A's, the ones holding it B's own (B's chat, A's message).
NESTED = [
    op
    for op in WITH_IDS
    if len(op.params) > 1 and op.params[-1] in KINDS and KINDS[op.params[-1]].owned
]
AUTHENTICATED = [op for op in spec.operations() if op.authenticated]


@dataclass(frozen=True)
class Reference:
    """A property of a JSON body that names an object: `persona_id`, `character_ids` (a
    list), or one objects.BODY_REFERENCES describes (`model: "character/<id>"`)."""

    op: Operation
    name: str
    kind: str
    template: str = "{id}"
    listed: bool = False

    def __str__(self) -> str:
        return f"{self.op} {self.name}"

    def value(self, object_id: str) -> object:
        text = self.template.format(id=object_id)
        return [text] if self.listed else text


def references(op: Operation) -> list[Reference]:
    found = op.body_schema
    if found is None or found[0] != spec.JSON:
        return []
    properties = spec.resolve(found[1]).get("properties", {})
    named = [
        Reference(op, name, name.removesuffix("s"), listed=name.endswith("s"))
        for name in properties
    ]
    described = [
        Reference(op, name, kind, template)
        for name, (kind, template) in objects.BODY_REFERENCES.get(str(op), {}).items()
    ]
    owned = [ref for ref in named if ref.kind in KINDS and KINDS[ref.kind].owned]
    return owned + described


REFERENCES = [ref for op in spec.operations() for ref in references(op)]
LISTS = [
    op for op in spec.operations() if op.method == "GET" and not op.params and op.authenticated
]


def admin_only(op: Operation) -> bool:
    return op.path.startswith(objects.ADMIN_PREFIX)


def reaches(scope: str | None, op: Operation) -> bool:
    """Whether an API key of `scope` may call `op`, as objects.KEY_REACH describes it."""
    assert scope in objects.KEY_REACH, f"describe the {scope!r} scope in objects.KEY_REACH"
    reach = objects.KEY_REACH[scope]
    return reach is None or op.path.startswith(reach)


def for_outsider(op: Operation) -> int:
    return 403 if admin_only(op) else 404


def outcome(response: httpx.Response, ids: Mapping[str, str]) -> tuple[int, str, str]:
    """Status, error code and detail, with the ids asked for masked: what a caller learns."""
    body = response.json() if response.headers.get("content-type") == "application/json" else {}
    detail = str(body.get("detail", ""))
    for value in ids.values():
        detail = detail.replace(value, "<id>")
    return response.status_code, str(body.get("error", "")), detail


async def owner_sees(
    world: World, op: Operation, owner: Person, ids: Mapping[str, str]
) -> Snapshot:
    seen = await world.snapshot(op, owner, ids)
    assert any(200 <= status < 300 for _, status, _ in seen), (
        f"{op}: {owner} reads none of the objects it touches ({seen}); describe a read in "
        "tests/authz/objects.py (KINDS[...].watch)"
    )
    return seen


async def changed(
    world: World, op: Operation, owner: Person, ids: Mapping[str, str], before: Snapshot
) -> bool:
    """Whether the owner reads anything different; if so the next rows get new objects
    rather than this row's wreckage (one broken check, one clear failure)."""
    moved = await world.snapshot(op, owner, ids) != before
    if moved:
        world.forget(owner)
    return moved


async def test_every_route_with_an_id_is_described() -> None:
    missing = sorted({f"{op} ({{{p}}})" for op in WITH_IDS for p in op.params if p not in KINDS})
    assert not missing, f"describe these in tests/authz/objects.py (KINDS): {missing}"


@pytest.mark.parametrize("op", WITH_IDS, ids=str)
async def test_another_users_object_is_not_found(cast: Cast, op: Operation) -> None:
    world, owner = cast.world, cast.owner
    ids = await world.ids(op, owner)
    body = await world.body(op, owner, ids)
    before = await owner_sees(world, op, owner, ids)
    missing = nowhere(ids, op.params)
    # B's session, then B's key of each scope: outside its reach a key gets 403 for its scope.
    tries = [("session", cast.outsider.headers, for_outsider(op))] + [
        (f"{scope} key", headers, for_outsider(op) if reaches(scope, op) else 403)
        for scope, headers in cast.keys.items()
    ]
    answers = []
    for label, headers, expected in tries:
        answer = await world.request(op, ids, headers, body)
        oracle = await world.request(op, missing, headers, body)
        answers.append((label, expected, answer, oracle))
    moved = await changed(world, op, owner, ids, before)
    for label, expected, answer, oracle in answers:
        assert answer.status_code == expected, f"{op} by B's {label}: {answer.text}"
        assert outcome(answer, ids) == outcome(oracle, missing), f"{op} by B's {label}"
    assert not moved, f"{op} by B changed A's objects"


@pytest.mark.parametrize("op", NESTED, ids=str)
async def test_another_users_object_under_your_own(cast: Cast, op: Operation) -> None:
    world, owner, last = cast.world, cast.owner, op.params[-1]
    ids = await world.ids(op, owner)
    mixed = {**await world.ids(op, cast.outsider), last: ids[last]}
    body = await world.body(op, owner, ids)
    before = await owner_sees(world, op, owner, ids)
    answer = await world.request(op, mixed, cast.outsider.headers, body)
    missing = nowhere(mixed, [last])
    oracle = await world.request(op, missing, cast.outsider.headers, body)
    moved = await changed(world, op, owner, ids, before)
    assert answer.status_code == for_outsider(op), f"{op} by B: {answer.text}"
    assert outcome(answer, mixed) == outcome(oracle, missing), str(op)
    assert not moved, f"{op} by B changed A's objects"


@pytest.mark.parametrize("ref", REFERENCES, ids=str)
async def test_another_users_object_named_in_a_body(cast: Cast, ref: Reference) -> None:
    """B names A's object in a body (a chat with A's private character, A's lorebook on B's
    character): told nothing an id of nothing would not tell, and given none of it."""
    world, outsider, op = cast.world, cast.outsider, ref.op
    theirs = await world.obtain(ref.kind, cast.owner, await world.ids(op, cast.owner))
    ids = await world.ids(op, outsider)
    body = await world.body(op, outsider, ids)
    seen = []
    for object_id in (theirs, str(uuid.uuid4())):
        sent = {**body["json"], ref.name: ref.value(object_id)}
        answer = await world.request(op, ids, outsider.headers, {"json": sent})
        seen.append((answer, outcome(answer, {ref.name: object_id})))
    (answer, told), (_, told_of_nothing) = seen
    assert told[1] != "validation_error", f"{ref}: describe a valid body in objects.BODIES"
    assert told == told_of_nothing, f"{ref} naming A's {ref.kind}: {answer.text}"
    assert theirs not in answer.text, f"{ref}: B got A's {ref.kind}"


async def test_the_description_names_routes_that_exist() -> None:
    routes = {str(op) for op in spec.operations()}
    stale = {
        "MEMBER_MAY": objects.MEMBER_MAY - {str(op) for op in SHARED},
        "BODIES": set(objects.BODIES) - routes,
        "BODY_REFERENCES": set(objects.BODY_REFERENCES) - routes,
        "UPLOADS": set(objects.UPLOADS) - {op.path for op in spec.operations()} - {"*"},
    }
    assert not any(stale.values()), f"tests/authz/objects.py names what the spec lacks: {stale}"


@pytest.mark.parametrize("op", OWNER_ONLY, ids=str)
async def test_member_who_is_not_the_owner_is_forbidden(cast: Cast, op: Operation) -> None:
    world, owner = cast.world, cast.owner
    ids = await world.ids(op, owner, shared=True)
    body = await world.body(op, owner, ids, shared=True)
    before = await owner_sees(world, op, owner, ids)
    answer = await world.request(op, ids, cast.outsider.headers, body)
    moved = await changed(world, op, owner, ids, before)
    assert answer.status_code == 403, (
        f"{op} by a member who is not the owner: {answer.text} (if members may do this, "
        "add it to MEMBER_MAY in tests/authz/objects.py)"
    )
    assert not moved, f"{op} by a member changed A's objects"


@pytest.mark.parametrize("op", MEMBER_READS, ids=str)
async def test_member_reads_what_is_shared(cast: Cast, op: Operation) -> None:
    """The control for the rows above: B does see A's shared chat and public character."""
    ids = await cast.world.ids(op, cast.owner, shared=True)
    response = await cast.world.request(op, ids, cast.outsider.headers, {})
    assert response.is_success, f"{op} by a member: {response.text}"


def prepared_for(refused: Refused, op: Operation) -> tuple[dict[str, str], dict[str, Any]]:
    if str(op) not in refused.prepared:
        raise Undescribed(f"{op}: describe its path parameters in tests/authz/objects.py (KINDS)")
    return refused.prepared[str(op)]


async def refused_everywhere(
    world: World, op: Operation, refused: Refused, allowed: set[int]
) -> None:
    ids, body = prepared_for(refused, op)
    for label, headers in refused.credentials.items():
        answer = await world.request(op, ids, headers, body)
        assert answer.status_code in allowed, f"{op} with {refused.person}'s {label}: {answer.text}"


@pytest.mark.parametrize("op", AUTHENTICATED, ids=str)
async def test_signed_out_session_and_revoked_key(cast: Cast, op: Operation) -> None:
    revoked = cast.revoked
    ids, _ = prepared_for(revoked, op)
    before = await cast.world.snapshot(op, revoked.person, ids)
    await refused_everywhere(cast.world, op, revoked, {401})
    after = await cast.world.snapshot(op, revoked.person, ids)
    assert after == before, f"{op} changed {revoked.person}'s objects"


@pytest.mark.parametrize("op", AUTHENTICATED, ids=str)
async def test_disabled_account(cast: Cast, op: Operation) -> None:
    await refused_everywhere(cast.world, op, cast.disabled, {401, 403})


@pytest.mark.parametrize("op", [op for op in READS if not admin_only(op)], ids=str)
async def test_the_owner_reads_their_own(cast: Cast, op: Operation) -> None:
    """The control: A's ids are real, so B's 404s above are about B. (Admin reads are
    refused to A, as to everyone who is not an admin: for_outsider says 403.)"""
    ids = await cast.world.ids(op, cast.owner)
    response = await cast.world.request(op, ids, cast.owner.headers, {})
    assert response.is_success, f"{op} by its owner: {response.text}"


@pytest.mark.parametrize("scope", [scope for scope, _ in spec.key_scopes()])
@pytest.mark.parametrize("op", [op for op in READS + LISTS if not admin_only(op)], ids=str)
async def test_owners_key_reads_what_its_scope_reaches(
    cast: Cast, op: Operation, scope: str | None
) -> None:
    """An API key works as documented: wherever its scope reaches, and 403 elsewhere."""
    ids = await cast.world.ids(op, cast.owner)
    response = await cast.world.request(op, ids, cast.owner_keys[scope], {})
    if reaches(scope, op):
        assert response.is_success, f"{op} with A's {scope} key: {response.text}"
    else:
        assert response.status_code == 403, f"{op} with A's {scope} key: {response.text}"


@pytest.mark.parametrize("op", LISTS, ids=str)
async def test_lists_hold_no_one_elses_private_objects(cast: Cast, op: Operation) -> None:
    world = cast.world
    private = world.made(cast.owner, shared=False)
    assert private
    response = await world.request(op, {}, cast.outsider.headers, {})
    leaked = [name for name, value in private if value in response.text]
    assert not leaked, f"{op} shows B the ids of A's {leaked}"
