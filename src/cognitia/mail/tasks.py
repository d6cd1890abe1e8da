"""The e-mail job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognitia.jobs.registry import job
from cognitia.mail.ports import OutgoingEmail

if TYPE_CHECKING:
    from cognitia.runtime import Runtime

SEND_EMAIL = "mail.send"


@job(SEND_EMAIL, max_tries=3, backoff_seconds=5.0)
async def send_email(runtime: Runtime, payload: dict[str, Any]) -> None:
    await runtime.mailer.send(OutgoingEmail(**payload))
