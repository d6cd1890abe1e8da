"""The retrieval service over a test's runtime, as the composition root builds it, and
the SQL its engine sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from cognitia.retrieval.service import Retrieval
from cognitia.runtime import Runtime


def index_of(runtime: Runtime) -> Retrieval:
    return Retrieval.over(runtime)


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[tuple[str, tuple[object, ...]]]]:
    """The SQL the runtime's engine sends meanwhile, each with its parameters."""
    sent: list[tuple[str, tuple[object, ...]]] = []

    def record(*args: Any) -> None:  # (connection, cursor, statement, parameters, ...)
        sent.append((str(args[2]), tuple(args[3])))

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
