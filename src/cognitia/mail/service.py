"""Queueing e-mail from a unit of work."""

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs.deferred import defer
from cognitia.mail import tasks


def send_later(session: AsyncSession, *, to: str, subject: str, body: str) -> None:
    """Send once the transaction commits, by a job that retries (3 tries)."""
    defer(session, tasks.SEND_EMAIL, tasks.SendEmail(to=to, subject=subject, body=body))
