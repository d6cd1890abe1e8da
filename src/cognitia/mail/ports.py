"""The Mailer port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str


class MailDeliveryError(Exception):
    """The message could not be handed to the mail system (the job retries it)."""


class Mailer(Protocol):
    async def send(self, message: OutgoingEmail) -> None:
        """Deliver one message or raise MailDeliveryError."""
        ...
