"""The e-mail job."""

from __future__ import annotations

from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import Payload, job
from cognitia.mail.ports import OutgoingEmail

SEND_EMAIL = "mail.send"


class SendEmail(Payload):
    to: str
    subject: str
    body: str


@job(SEND_EMAIL, SendEmail, max_tries=3, backoff_seconds=5.0)
async def send_email(ctx: JobContext, payload: SendEmail) -> None:
    await ctx.mailer.send(OutgoingEmail(to=payload.to, subject=payload.subject, body=payload.body))
