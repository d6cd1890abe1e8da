"""SMTP delivery through aiosmtplib."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from cognitia.config import MailSettings
from cognitia.mail.ports import MailDeliveryError, OutgoingEmail


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingEmail) -> None:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        password = self.settings.smtp_password
        try:
            await aiosmtplib.send(
                email,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username,
                password=password.get_secret_value() if password else None,
                start_tls=self.settings.smtp_starttls,
                timeout=self.settings.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(f"SMTP delivery to {message.to} failed: {exc}") from exc
