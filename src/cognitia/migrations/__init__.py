"""Alembic migrations; run them with `cognitia migrate`."""
