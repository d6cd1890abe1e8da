from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime


class Violation(Base):
    """One violation point of a caller (billing/bans.py), for servers without Redis: the
    points within the ban window are the rows since its start."""

    __tablename__ = "violation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Whom the refusal counted against: user:<id>, key:<hash>, ip:<address>.
    subject: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ban(Base):
    """A caller banned until `until`, for servers without Redis (billing/bans.py)."""

    __tablename__ = "ban"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
