"""Migration 0012 on both backends: up from 0011 with a subscriber, down, and up again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, Table, inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.migrations import runner

NEW_COLUMNS = {"stripe_customer_id", "stripe_subscription_id", "grace_until", "stripe_event_at"}


def _schema(url: str) -> tuple[set[str], set[str], set[str]]:
    """The subscription's and plan's columns, and the tables."""

    async def read() -> tuple[set[str], set[str], set[str]]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            found = await conn.run_sync(
                lambda sync: (
                    {c["name"] for c in inspect(sync).get_columns("subscription")},
                    {c["name"] for c in inspect(sync).get_columns("plan")},
                    set(inspect(sync).get_table_names()),
                )
            )
        await engine.dispose()
        return found

    return asyncio.run(read())


async def _insert(url: str, table: str, values: dict[str, object]) -> None:
    """A row as the schema at this revision takes it: columns not given get a plain value
    of their type."""
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns(table))
        row = dict(values)
        for column in columns:
            if column["name"] not in row and not column["nullable"]:
                row[column["name"]] = _plain(column["type"].python_type)
        target = Table(table, MetaData(), *(Column(c["name"], c["type"]) for c in columns))
        await conn.execute(target.insert().values(row))
    await engine.dispose()


def _plain(kind: type) -> object:
    if kind is datetime:
        return datetime.now(UTC)
    return kind()  # "", 0, False


def test_0012_adds_the_stripe_columns_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, "0011")
    user = {"id": "u1", "email": "a@example.com", "role": "user"}
    asyncio.run(_insert(empty_url, "user", user))
    asyncio.run(
        _insert(empty_url, "subscription", {"user_id": "u1", "plan_id": "pro", "status": "active"})
    )

    runner.upgrade(empty_url)
    subscription, plan, tables = _schema(empty_url)
    assert subscription >= NEW_COLUMNS
    assert "stripe_price_id" in plan
    assert "stripe_event" in tables

    runner.downgrade(empty_url, "0011")
    subscription, plan, tables = _schema(empty_url)
    assert NEW_COLUMNS.isdisjoint(subscription)
    assert "stripe_price_id" not in plan
    assert "stripe_event" not in tables

    runner.upgrade(empty_url)
    assert _schema(empty_url)[0] >= NEW_COLUMNS
