"""redact(): what it masks in free text before a log line is written."""

from __future__ import annotations

import pytest

from cognitia.observability.logging import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "GET /api/v2/auth/verify-email?token=abc.DEF-123_x&next=/me",
            "GET /api/v2/auth/verify-email?token=[redacted]&next=/me",
        ),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln", "Authorization: Bearer [redacted]"),
        ("authorization: bearer abc/def+ghi=", "authorization: bearer [redacted]"),
        ("used key cgk_AbC123-xyz_9 today", "used key cgk_[redacted] today"),
        (
            '{"password": "SecurePass123", "email": "a@b.c"}',
            '{"password": "[redacted]", "email": "a@b.c"}',
        ),
        ('{"password": "Secure Pass 123"}', '{"password": "[redacted]"}'),
        ("password=SecurePass123 next", "password=[redacted] next"),
        ('{"new_password":"SecurePass123"}', '{"new_password":"[redacted]"}'),
        ('{"access_token": "eyJa.eyJb.c"}', '{"access_token": "[redacted]"}'),
        ("{'refresh_token': 'r3fr3sh'}", "{'refresh_token': '[redacted]'}"),
        (
            '{"token_type": "bearer", "expires_in": 3600}',
            '{"token_type": "bearer", "expires_in": 3600}',
        ),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
