"""The people of the matrix, the objects each of them owns, and requests made as them.

Objects are made on first use through the real API (the factories in objects.py) and
kept for the module: one world per test module, one database.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import or_, select

from cognitia.kit.clock import utcnow
from cognitia.models.job import Job, JobStatus
from cognitia.runtime import Runtime
from tests.authz import spec
from tests.authz.spec import Operation
from tests.support.waiting import eventually

# What the owner saw: (url, status, body) of each read.
Snapshot = list[tuple[str, int, bytes]]
Read = tuple[str, Mapping[str, str]]  # a URL and the headers to read it with


class Undescribed(AssertionError):
    """The matrix has no way to exercise a route: someone has to describe it."""


@dataclass
class Person:
    label: str
    user_id: str
    email: str
    headers: dict[str, str]

    def __str__(self) -> str:
        return self.label


Maker = Callable[["World", Person, Mapping[str, str]], Awaitable[str]]


@dataclass(frozen=True)
class Kind:
    """How to make the object a path parameter names, for a person, given the ids of the
    parameters before it in the path (a message needs its chat)."""

    make: Maker
    # The same kind of object, shared with the world's outsider (a chat they are a member
    # of, a public character), for the "member but not owner" rows; None if it can't be.
    share: Maker | None = None
    # Whose reads show whether the object changed, beyond the GETs at the route's path
    # (a user: that user's own /users/me).
    watch: Callable[[World, str], Read] | None = None
    # Whether the object belongs to the person (a user id names someone, owned by no one).
    owned: bool = True


@dataclass(frozen=True)
class Description:
    """What the spec does not say and the matrix needs: tests/authz/objects.py."""

    kinds: Mapping[str, Kind]
    values: Mapping[str, Any]  # request body values by property name
    bodies: Mapping[str, Mapping[str, Any]]  # body fields by "METHOD /path", over the sample
    uploads: Mapping[str, tuple[str, bytes, str]]  # file by path ("*": any other)


@dataclass
class World:
    client: httpx.AsyncClient
    runtime: Runtime
    description: Description
    friend: Person  # a third person the owners deal with (a chat member, a voice grantee)
    outsider: Person  # whom the owners share a chat and a public character with
    _made: dict[tuple[str, str, bool, tuple[tuple[str, str], ...]], str] = field(
        default_factory=dict
    )

    async def obtain(
        self, name: str, person: Person, parents: Mapping[str, str], *, shared: bool = False
    ) -> str:
        """The id of `person`'s object for the path parameter `name` (made once)."""
        kind = self.description.kinds.get(name)
        if kind is None:
            raise Undescribed(
                f"no factory for {{{name}}}: describe it in tests/authz/objects.py (KINDS)"
            )
        maker = kind.share if shared and kind.share else kind.make
        key = (name, person.email, shared, tuple(sorted(parents.items())))
        if key not in self._made:
            self._made[key] = await maker(self, person, parents)
        return self._made[key]

    def forget(self, person: Person) -> None:
        """Make `person`'s objects anew when next asked for."""
        self._made = {key: value for key, value in self._made.items() if key[1] != person.email}

    def made(self, person: Person, *, shared: bool) -> list[tuple[str, str]]:
        """(parameter, id) of what was made for `person` in one scenario, people left out."""
        return [
            (name, value)
            for (name, email, in_shared, _), value in self._made.items()
            if email == person.email and in_shared == shared and self.description.kinds[name].owned
        ]

    async def ids(self, op: Operation, person: Person, *, shared: bool = False) -> dict[str, str]:
        """Every path parameter of `op` filled with `person`'s objects, outermost first."""
        found: dict[str, str] = {}
        for name in op.params:
            found[name] = await self.obtain(name, person, found, shared=shared)
        return found

    async def request(
        self,
        op: Operation,
        ids: Mapping[str, str],
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> httpx.Response:
        return await self.client.request(op.method, op.url(ids), headers=headers, **body)

    async def body(
        self, op: Operation, person: Person, ids: Mapping[str, str], *, shared: bool = False
    ) -> dict[str, Any]:
        """httpx arguments of a request that would be valid if `person` made it."""
        found = op.body_schema
        if found is None:
            return {}
        media_type, schema = found
        values = dict(self.description.values)
        for name in spec.resolve(schema).get("required", []):
            if name.endswith("_id") and name not in values:
                values[name] = await self.obtain(name, person, ids, shared=shared)
        content = {**spec.sample(schema, values), **self.description.bodies.get(str(op), {})}
        if media_type == spec.JSON:
            return {"json": content}
        uploads = self.description.uploads
        upload = uploads.get(op.path, uploads["*"])
        files = {name: upload for name, value in content.items() if value == spec.FILE}
        data = {name: value for name, value in content.items() if name not in files}
        return {"files": files, "data": data}

    async def snapshot(self, op: Operation, person: Person, ids: Mapping[str, str]) -> Snapshot:
        """What `person` reads of the objects `op` touches: the GETs at its path and above,
        and what each kind names to watch (KINDS[...].watch)."""
        reads: list[Read] = [
            (read.url(ids), person.headers) for read in op.reads_of(spec.operations())
        ]
        for name in op.params:
            watch = self.description.kinds[name].watch
            if watch is not None:
                reads.append(watch(self, ids[name]))
        seen: Snapshot = []
        for url, headers in reads:
            response = await self.client.get(url, headers=dict(headers))
            seen.append((url, response.status_code, response.content))
        return seen

    async def settled(self) -> None:
        """Wait until no background job is due or running (ingestion, memories), so what
        the owners read stays put."""
        busy: list[str] = []

        async def idle() -> bool:
            async with self.runtime.db.read() as session:
                due = (Job.status == JobStatus.PENDING) & (Job.run_at <= utcnow())
                names = await session.scalars(
                    select(Job.name).where(or_(Job.status == JobStatus.RUNNING, due))
                )
                busy[:] = names
            return not busy

        try:
            await eventually(idle, timeout=60)
        except AssertionError as stuck:
            raise AssertionError(f"background jobs still busy: {busy}") from stuck


def nowhere(ids: Mapping[str, str], names: list[str]) -> dict[str, str]:
    """The same ids with `names` replaced by ids that name nothing. A position in a list
    (an action item's `index`) is not an id: it is kept, and its missing parent decides."""
    return {
        name: str(uuid.uuid4()) if name in names and name.endswith("_id") else value
        for name, value in ids.items()
    }


def shared_row(kinds: Mapping[str, Kind], op: Operation) -> bool:
    """Whether `op` acts on something the owner can share (a chat, a public character)."""
    return any(kinds[p].share for p in op.params if p in kinds)
