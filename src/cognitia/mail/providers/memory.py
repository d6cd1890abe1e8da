"""Keeps sent e-mail in a list: for tests and demos that read the outbox."""

from cognitia.mail.ports import OutgoingEmail


class MemoryMailer:
    def __init__(self) -> None:
        self.outbox: list[OutgoingEmail] = []

    async def send(self, message: OutgoingEmail) -> None:
        self.outbox.append(message)
