from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class AuthSession(Base):
    """One login: the family of refresh tokens it rotates through.

    Access tokens carry the session id, so revoking the row ends them at once in every
    API process (each request checks it in the same query that loads the user).
    """

    __tablename__ = "auth_session"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
