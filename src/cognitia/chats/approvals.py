"""Consent for tools with the policy ask: the reply waits until a member of the chat
approves or declines the call, or until tools.approval_seconds pass (declined).

The decision is a `tool_approval` row (models/tool_approval.py), the one truth shared by
every API process: deciding is a conditional update from `pending`, so only the first
decision counts (a second one is 409 tool_call_not_pending), whichever process it reaches.
The decider then publishes the row's id on DECISION_CHANNEL; the process whose writer
waits wakes it, and the writer reads the decision from the row. The writer also rereads
the row every POLL_SECONDS, so a bus message lost in a reconnect delays it, never loses it.

A reply stopped (or a process shutting down) while it waits marks the row expired, so no
one can approve a call that nothing will run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.chats import service
from cognitia.chats.errors import ToolCallNotFound, ToolCallNotPending
from cognitia.chats.schemas import ToolApprovalRead
from cognitia.db import Database
from cognitia.events import follow
from cognitia.events.ports import EventBus
from cognitia.kit.clock import as_utc, utcnow
from cognitia.llm.ports import ToolCall
from cognitia.models.tool_approval import ApprovalStatus, ToolApproval
from cognitia.models.user import User

log = logging.getLogger(__name__)

DECISION_CHANNEL = "chats:tool-decision"
POLL_SECONDS = 2.0

PENDING = ApprovalStatus.PENDING


@dataclass(frozen=True)
class Pending:
    """A call waiting for its decision: the row's id and when it is declined on its own."""

    id: str
    expires_at: datetime


class Approvals:
    """The waiting writers of this process (one per process, owned by `Generations`)."""

    def __init__(self, db: Database, events: EventBus, seconds: float) -> None:
        self._db, self._events, self._seconds = db, events, seconds
        self._waiters: dict[str, asyncio.Event] = {}
        self._listener: asyncio.Task[None] | None = None

    async def listen(self) -> None:
        """Follow decisions made in any process (returns once listening, or once the
        first try failed: the listener keeps trying, and waiting writers poll)."""
        if self._listener is None:
            self._listener = await follow.start(self._events, DECISION_CHANNEL, self._wake)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener

    async def _wake(self, event: dict[str, Any]) -> None:
        waiter = self._waiters.get(str(event.get("id")))
        if waiter is not None:
            waiter.set()

    async def open(self, *, chat_id: str, message_id: str, call: ToolCall) -> Pending:
        expires_at = utcnow() + timedelta(seconds=self._seconds)
        async with self._db.unit_of_work() as session:
            row = ToolApproval(
                chat_id=chat_id,
                message_id=message_id,
                call_id=call.id,
                name=call.name,
                arguments=call.arguments,
                expires_at=expires_at,
            )
            session.add(row)
            await session.flush()
            return Pending(row.id, expires_at)

    async def wait(self, pending: Pending) -> ApprovalStatus:
        """The decision: approved, declined, or expired (time ran out)."""
        woken = self._waiters[pending.id] = asyncio.Event()
        try:
            return await self._decision(pending, woken)
        except asyncio.CancelledError:
            # Stopped while waiting: nothing will run the call, so nobody may approve it.
            with contextlib.suppress(Exception):
                await self._expire(pending.id)
            raise
        finally:
            self._waiters.pop(pending.id, None)

    async def _decision(self, pending: Pending, woken: asyncio.Event) -> ApprovalStatus:
        while True:
            woken.clear()  # before reading: a wake after the read is not missed
            status = await self._status(pending.id)
            if status is not PENDING:
                return status
            left = (pending.expires_at - utcnow()).total_seconds()
            if left <= 0:
                return await self._expire(pending.id)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, POLL_SECONDS)):
                    await woken.wait()

    async def _status(self, approval_id: str) -> ApprovalStatus:
        async with self._db.read() as session:
            status = await session.scalar(
                select(ToolApproval.status).where(ToolApproval.id == approval_id)
            )
        return status if status is not None else ApprovalStatus.EXPIRED  # deleted with its chat

    async def _expire(self, approval_id: str) -> ApprovalStatus:
        """Expire the call unless a decision came first; the status it ends with."""
        async with self._db.unit_of_work() as session:
            await _settle(session, approval_id, ApprovalStatus.EXPIRED, None)
        return await self._status(approval_id)


async def decide(  # noqa: PLR0913 - the adapters, who decides, which call, and how
    db: Database, events: EventBus, *, user: User, chat_id: str, call_id: str, approve: bool
) -> ToolApprovalRead:
    """A member's decision on a call waiting in their chat: 404 for a chat they are not in
    or a call that never asked, 409 for one no longer pending."""
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DECLINED
    async with db.unit_of_work() as session:
        await service.get_for_member(session, user=user, chat_id=chat_id)
        row = await _latest(session, chat_id=chat_id, call_id=call_id)
        if row is None:
            raise ToolCallNotFound()
        if as_utc(row.expires_at) <= utcnow() or not await _settle(
            session, row.id, status, user.id
        ):
            raise ToolCallNotPending()
        await session.refresh(row)
        decided = ToolApprovalRead.model_validate(row)
    try:
        await events.publish(DECISION_CHANNEL, {"id": row.id})
    except Exception:  # the waiting writer rereads the row on its own soon
        log.warning("could not publish a tool decision", exc_info=True)
    return decided


async def waiting(db: Database, *, user: User, chat_id: str) -> list[ToolApprovalRead]:
    """The chat's calls still waiting for a decision, oldest first (for a member who opens
    the chat after the `tool.approval` event went by); 404 for a chat they are not in."""
    async with db.read() as session:
        await service.get_for_member(session, user=user, chat_id=chat_id)
        rows = await session.scalars(
            select(ToolApproval)
            .where(
                ToolApproval.chat_id == chat_id,
                ToolApproval.status == PENDING,
                ToolApproval.expires_at > utcnow(),
            )
            .order_by(ToolApproval.created_at)
        )
        return [ToolApprovalRead.model_validate(row) for row in rows]


async def _latest(session: AsyncSession, *, chat_id: str, call_id: str) -> ToolApproval | None:
    """The chat's call with this id: the pending one if any (a model may reuse an id in
    a later reply), else the newest."""
    stmt = (
        select(ToolApproval)
        .where(ToolApproval.chat_id == chat_id, ToolApproval.call_id == call_id)
        .order_by((ToolApproval.status == PENDING).desc(), ToolApproval.created_at.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def _settle(
    session: AsyncSession, approval_id: str, status: ApprovalStatus, user_id: str | None
) -> bool:
    """Decide a pending call; False when it was not pending any more."""
    done = await session.execute(
        update(ToolApproval)
        .where(ToolApproval.id == approval_id, ToolApproval.status == PENDING)
        .values(status=status, decided_by=user_id, decided_at=utcnow())
    )
    return bool(getattr(done, "rowcount", 0))
