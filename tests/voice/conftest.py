"""Stand-ins the voice tests share: the fake chat model (for spoken replies) and the
rvc-python server (for cloned voices), one server per module, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_rvc import FakeRvc


@pytest.fixture(scope="module")
def rvc_server() -> Iterator[FakeRvc]:
    with FakeRvc() as fake:
        yield fake


@pytest.fixture
def rvc(rvc_server: FakeRvc) -> FakeRvc:
    rvc_server.forget()
    rvc_server.conversions.clear()
    rvc_server.loads.clear()
    return rvc_server
