"""The Mailer adapters: SMTP against a real local server, the console printer."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from cognitia.config import MailSettings
from cognitia.mail.ports import MailDeliveryError, OutgoingEmail
from cognitia.mail.providers.console import ConsoleMailer
from cognitia.mail.providers.smtp import SmtpMailer
from tests.support.net import free_port
from tests.support.smtp import Inbox

pytestmark = pytest.mark.asyncio

SENDER = "Cognitia <noreply@cognitia.test>"


def _text(message: EmailMessage) -> str:
    """The body as sent, with SMTP's CRLF line ends turned back into newlines."""
    content: str = message.get_content()
    return content.replace("\r\n", "\n")


def _smtp_settings(port: int) -> MailSettings:
    return MailSettings(
        backend="smtp",
        sender=SENDER,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_timeout_seconds=5,
    )


async def test_smtp_delivers_headers_and_body(smtp: Inbox) -> None:
    mailer = SmtpMailer(_smtp_settings(smtp.port))
    body = "Hello,\n\nConfirm: http://localhost:8000/api/v2/auth/verify-email?token=abc\n"

    await mailer.send(OutgoingEmail(to="ada@example.com", subject="Confirm it", body=body))

    assert len(smtp.received) == 1
    received = smtp.received[0]
    assert received.mail_from == "noreply@cognitia.test"
    assert received.rcpt_tos == ["ada@example.com"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Confirm it"
    assert _text(message) == body


async def test_smtp_encodes_non_ascii(smtp: Inbox) -> None:
    mailer = SmtpMailer(_smtp_settings(smtp.port))
    message = OutgoingEmail(to="zoe@example.com", subject="Bestätigung", body="Grüße, Zoë\n")

    await mailer.send(message)

    (received,) = smtp.sent_to("zoe@example.com")
    assert received["Subject"] == "Bestätigung"
    assert _text(received) == "Grüße, Zoë\n"


async def test_smtp_to_a_closed_port_raises_delivery_error() -> None:
    mailer = SmtpMailer(_smtp_settings(free_port()))

    with pytest.raises(MailDeliveryError, match=r"nobody@example\.com"):
        await mailer.send(OutgoingEmail(to="nobody@example.com", subject="s", body="b"))


async def test_console_prints_the_message_with_its_link(capsys: pytest.CaptureFixture[str]) -> None:
    link = "http://localhost:8000/api/v2/auth/verify-email?token=T0k3n"
    mailer = ConsoleMailer(SENDER)

    await mailer.send(OutgoingEmail(to="ada@example.com", subject="Confirm", body=f"Go: {link}"))

    out = capsys.readouterr().out
    assert f"From: {SENDER}" in out
    assert "To: ada@example.com" in out
    assert "Subject: Confirm" in out
    assert link in out
