"""Generating replies in tasks that belong to the process, not to the request.

A *turn* is what one request asks for: the replies to a person's message (one per
speaker, in order), a regenerated alternative, or a continuation. `Generations` (one per
process, built by the composition root with the ports a reply needs) runs each turn as a
task; each reply is written by a `ReplyWriter` (chats/writer.py). The HTTP response only
relays the turn's events (chats/fanout.py), so a client that goes away changes nothing:
the reply is generated and saved to the end.

Every event also goes to the chat's live channel, `chat:{chat_id}` on the event bus, for
the other people in the chat.

Stopping: `stop(message_id)` stops the reply's writer; what was generated is kept with
status `stopped`. A stop that reaches another API process is published on the bus
channel STOP_CHANNEL, which every API process listens on (`listen`); the process that
runs the reply stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from cognitia.chats import live, recalling, replies
from cognitia.chats.approvals import Approvals
from cognitia.chats.fanout import Turn, TurnPlan
from cognitia.chats.ports import ReplyPorts, Speech
from cognitia.chats.schemas import MessageRead
from cognitia.chats.writer import ReplyWriter
from cognitia.errors import CognitiaError
from cognitia.events import follow
from cognitia.kit.priority import Hold
from cognitia.voice.errors import VoiceUnavailable

log = logging.getLogger(__name__)

STOP_CHANNEL = "chats:stop"


@dataclass(frozen=True)
class StopCommand:
    """Stop this reply, sent to every API process: the one that runs it stops it."""

    message_id: str

    def to_event(self) -> dict[str, Any]:
        return {"message_id": self.message_id}

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> StopCommand:
        return cls(message_id=str(event.get("message_id")))


class Generations:
    """The turns this process runs; one per process, closed with it."""

    def __init__(self, ports: ReplyPorts) -> None:
        self._ports = ports
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: dict[str, ReplyWriter] = {}
        self._listener: asyncio.Task[None] | None = None
        # Tool calls waiting for a member's approval (policy ask), woken across processes.
        box = ports.tools
        self.approvals = (
            Approvals(ports.db, ports.events, box.limits.approval_seconds)
            if box is not None
            else None
        )

    def start(self, plan: TurnPlan, *, user_message: MessageRead | None) -> Turn:
        """Run the turn in a task of the process; its events are on the returned Turn."""
        turn = Turn(plan.chat_id, user_message, self._ports.events)
        # The turn goes before background work from now (kit/priority.py) until its first
        # reply takes the foreground for itself.
        opening = self._ports.db.priority.hold()
        task = asyncio.get_running_loop().create_task(self._run(turn, plan, opening))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: opening.release())  # also if it never ran
        return turn

    def warm(self, text: str) -> None:
        """Start embedding a person's message for its replies' recall now (it is ready, or
        nearly, when they search); a no-op when memory is off."""
        self._ports.warm(text)

    @property
    def speech(self) -> Speech | None:
        """The voices replies speak with; None when voice is off."""
        return self._ports.speech

    def check_speech(self) -> None:
        """Before a turn that speaks: VoiceUnavailable (503) when voice is off or no voice
        can speak now, so the request fails before anything is stored."""
        if self._ports.speech is None:
            raise VoiceUnavailable("Voice is turned off on this server.")
        self._ports.speech.check()

    async def stop(self, message_id: str) -> bool:
        """Stop the reply here (True, once it is saved) or ask the other processes (False)."""
        writer = self._writers.get(message_id)
        if writer is None:
            try:
                await self._ports.events.publish(STOP_CHANNEL, StopCommand(message_id).to_event())
            except Exception:
                log.warning("could not send a stop command", exc_info=True)
            return False
        writer.stop()
        await writer.finished.wait()
        return True

    async def listen(self) -> None:
        """Follow stop commands from other processes; returns once listening, or once the
        first try failed (the listener keeps trying in the background)."""
        if self._listener is None:
            self._listener = await follow.start(
                self._ports.events, STOP_CHANNEL, self._stop_command
            )
        if self.approvals is not None:
            await self.approvals.listen()

    async def _stop_command(self, event: dict[str, Any]) -> None:
        writer = self._writers.get(StopCommand.from_event(event).message_id)
        if writer is not None:
            writer.stop()

    async def close(self) -> None:
        """Cancel what runs (replies are saved as interrupted) and stop listening."""
        tasks = list(self._tasks)
        if self._listener is not None:
            tasks.append(self._listener)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.approvals is not None:
            await self.approvals.close()

    async def drain(self) -> None:
        """Wait for running turns to end (tests, graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- a turn ----------------------------------------------------------------------

    async def _run(self, turn: Turn, plan: TurnPlan, opening: Hold) -> None:
        try:
            if turn.user_message is not None:
                await turn.emit(live.MessageCreated(turn.user_message))
            for character_id in plan.speakers:
                if not await self._reply(turn, plan, character_id, opening):
                    break
        except asyncio.CancelledError:
            turn.silence()
            raise
        except Exception:
            log.exception("a chat turn failed")
        finally:
            try:
                await turn.spoken()  # the last sentences may still be being spoken
                await turn.settle()
            finally:
                turn.finish()

    async def _reply(self, turn: Turn, plan: TurnPlan, character_id: str, opening: Hold) -> bool:
        """Open and write one reply; True when the turn may go on to the next speaker."""
        # Until its first token the reply goes before background work (kit/priority.py).
        with self._ports.db.priority.foreground() as starting:
            opening.release()
            early = self._early_recall(turn, plan, character_id)
            try:
                return await self._open_and_write(turn, plan, character_id, early, starting)
            finally:
                if early is not None:
                    early.cancel()  # used by now, or not needed

    def _early_recall(
        self, turn: Turn, plan: TurnPlan, character_id: str
    ) -> recalling.EarlyRecall | None:
        """Recall for a reply to the person's new message, started now, beside the
        opening of the reply's message (chats/recalling.py)."""
        recall = self._ports.recall
        if recall is None or turn.user_message is None or plan.mode != "reply":
            return None
        return recalling.EarlyRecall(
            self._ports.db,
            recall,
            chat_id=plan.chat_id,
            user_id=plan.user_id,
            character_id=character_id,
            query=turn.user_message.content,
        )

    async def _open_and_write(
        self,
        turn: Turn,
        plan: TurnPlan,
        character_id: str,
        early: recalling.EarlyRecall | None,
        starting: Hold,
    ) -> bool:
        try:
            opened = await replies.open_reply(
                self._ports.db,
                chat_id=plan.chat_id,
                user_id=plan.user_id,
                character_id=character_id,
                mode=plan.mode,
                message_id=plan.message_id,
            )
        except CognitiaError as exc:
            if not turn.replies and turn.failure is None:
                turn.failure = exc
            await turn.emit(live.Error(exc.code, exc.detail, plan.message_id))
            return False
        writer = ReplyWriter(self._ports, turn, plan, opened, self.approvals, early, starting)
        self._writers[opened.message_id] = writer
        try:
            return await writer.write()
        finally:
            self._writers.pop(opened.message_id, None)
