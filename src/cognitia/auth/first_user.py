"""The first account of a laptop instance: an admin, verified at once.

On embedded defaults the console mail backend prints verification links into the server's
log, where a person trying Cognitia on a laptop would have to dig one out before signing in
(Open WebUI makes its first user an admin for the same reason). So in development mode with
console mail, the first account registered needs no link and can administer the instance.
With a real mail backend, and always in production mode, nothing changes: there the first
person to reach a fresh instance may be anyone.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.auth import repository
from cognitia.config import Settings
from cognitia.db import Database

NOTICE = (
    "No accounts yet: the first account registered becomes an admin and is verified at once"
    " (console mail backend, development mode)."
)


def applies(settings: Settings) -> bool:
    """Whether this instance gives its first account admin rights without a mailed link."""
    return settings.environment == "development" and settings.mail.backend == "console"


async def is_first_account(session: AsyncSession, settings: Settings) -> bool:
    """Whether the account about to be added in this transaction gets the first-account rule.

    Registrations are serialised from here to the commit (repository.lock_registrations), so
    of two first sign-ups at the same moment only one sees an empty table.
    """
    if not applies(settings):
        return False
    await repository.lock_registrations(session)
    return not await repository.any_user(session)


async def first_user_notice(settings: Settings, db: Database) -> str | None:
    """The start-up log line that says the rule applies, while there is no account yet."""
    if not applies(settings):
        return None
    try:
        async with db.read() as session:
            if await repository.any_user(session):
                return None
    except SQLAlchemyError:
        return None  # a database not migrated yet: a hint is not worth failing the start
    return NOTICE
