from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.smtp import Inbox, smtp_server


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""
    with smtp_server() as inbox:
        yield inbox
