"""Sign-up through the API with the SMTP backend: the link reaches a real SMTP server."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.smtp import Inbox
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


async def test_verification_mail_arrives_over_smtp(
    smtp: Inbox, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        public_url="https://cognitia.example",
        mail={
            "backend": "smtp",
            "sender": "Cognitia <noreply@cognitia.example>",
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_starttls": False,
        },
    )
    async with running_app(settings) as (_, client):
        body = {"email": "mail@example.com", "password": "SecurePass123", "first_name": "Mo"}
        assert (await client.post("/api/v2/auth/register", json=body)).status_code == 201

        async def arrived() -> list[EmailMessage]:
            return smtp.sent_to("mail@example.com")

        (message,) = await eventually(arrived)
        assert message["From"] == "Cognitia <noreply@cognitia.example>"
        assert message["Subject"] == "Confirm your e-mail address"
        text = message.get_content()
        assert "Hello Mo" in text
        match = re.search(r"https://cognitia\.example/api/v2/auth/verify-email\?token=(\S+)", text)
        assert match, text

        verified = await client.get("/api/v2/auth/verify-email", params={"token": match[1]})
        assert verified.status_code == 200
        assert verified.json()["is_verified"] is True
