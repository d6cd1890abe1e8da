"""Prints e-mail to standard output: the embedded default, so links are visible."""

import sys

from cognitia.mail.ports import OutgoingEmail


class ConsoleMailer:
    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, message: OutgoingEmail) -> None:
        text = (
            f"\n----- e-mail -----\nFrom: {self.sender}\nTo: {message.to}\n"
            f"Subject: {message.subject}\n\n{message.body}\n------------------\n"
        )
        sys.stdout.write(text)
        sys.stdout.flush()
