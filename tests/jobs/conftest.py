"""Job tests: the test handlers loaded as a plugin, and real worker processes."""

from __future__ import annotations

import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.jobs import EXTRA_MODULES
from tests.support.workers import WorkerProcesses

WORKERS = pytest.StashKey[WorkerProcesses]()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings, with the test job handlers loaded."""
    return make_settings(database_url, tmp_path, jobs={"extra_modules": EXTRA_MODULES})


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of this test's own (for tests where the database is incidental)."""
    target = tmp_path / "cognitia.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkerProcesses]:
    """Start `cognitia worker` processes; all are killed when the test ends."""
    processes = WorkerProcesses(tmp_path / "workers")
    request.node.stash[WORKERS] = processes
    yield processes
    processes.stop_all()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Show the worker processes' output under a failing test."""
    report = yield
    processes = item.stash.get(WORKERS, None)
    if report.failed and processes is not None:
        report.sections.append(("worker processes", processes.logs()))
    return report
