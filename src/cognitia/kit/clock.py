"""Time, always timezone-aware UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; we store UTC, so attach it."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
