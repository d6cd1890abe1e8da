"""Generating replies in tasks that belong to the process, not to the request.

A *turn* is what one request asks for: the replies to a person's message (one per
speaker, in order), a regenerated alternative, or a continuation. `Generations` (one per
process, `runtime.generations`) runs each turn as a task. The HTTP response only relays
the turn's events (chats/fanout.py), so a client that goes away changes nothing: the reply
is generated and saved to the end.

Every event also goes to the chat's live channel, `chat:{chat_id}` on the event bus, for
the other people in the chat.

Stopping: `stop(message_id)` ends the reply's pump (cancelled at once, or right after a
save in progress); what was generated is kept with status `stopped`. A stop that reaches
another API process is published on the bus channel STOP_CHANNEL, which every API process
listens on (`listen`); the process that runs the reply stops it.

Ending: a reply also ends where the model writes a stop string, such as the start of
another speaker's line (chats/stops.py); nothing from there on is streamed or saved, and
the model is not asked for more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cognitia.chats import context, live, replies
from cognitia.chats.fanout import Event, Turn, TurnPlan
from cognitia.chats.replies import OpenedReply
from cognitia.chats.sentences import SentenceStream
from cognitia.chats.stops import StopCut
from cognitia.errors import CognitiaError
from cognitia.events import follow
from cognitia.llm import logic
from cognitia.llm.ports import ChatRequest, TextDelta, Usage
from cognitia.llm.service import CallContext, GenerationFailed, Generator, ModelSelected
from cognitia.memory import recall
from cognitia.models.message import MessageStatus
from cognitia.retrieval.service import Retrieval

if TYPE_CHECKING:
    from cognitia.runtime import Runtime

log = logging.getLogger(__name__)

# A growing reply is saved after this many tokens or seconds, whichever comes first.
SAVE_EVERY_TOKENS = 20
SAVE_EVERY_SECONDS = 0.25
STOP_CHANNEL = "chats:stop"


class Reply:
    """One message being generated in this process: what a stop acts on."""

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.stop_requested = False
        self.saving = False
        self.pump: asyncio.Task[None] | None = None
        self.finished = asyncio.Event()

    def stop(self) -> None:
        """Cancel the pump (a stalled model too), unless it is saving: a save is never cut
        short, the pump ends by itself right after it."""
        self.stop_requested = True
        if self.pump is not None and not self.saving:
            self.pump.cancel()


class _StopAfterSave(Exception):
    """Raised in the pump when a stop came while it was saving."""


@dataclass
class Progress:
    """The text of a reply so far, and what the model said about it."""

    opened: OpenedReply
    new_text: str = ""
    model: str | None = None
    usage: Usage | None = None
    failed: GenerationFailed | None = None
    prompt_estimate: int = 0
    context_sources: list[dict[str, Any]] = field(default_factory=list)
    unsaved_tokens: int = 0
    saved_at: float = field(default_factory=time.monotonic)
    sentences: SentenceStream = field(default_factory=SentenceStream)
    cut: StopCut = field(default_factory=lambda: StopCut(()))

    @property
    def message_id(self) -> str:
        return str(self.opened.message["id"])

    @property
    def text(self) -> str:
        return self.opened.base_text + self.new_text


@dataclass(frozen=True)
class Outcome:
    status: MessageStatus
    code: str | None = None
    detail: str | None = None
    error: CognitiaError | None = None  # a failure before the first token


class Generations:
    """The turns this process runs; one per process, closed with the runtime."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._replies: dict[str, Reply] = {}
        self._listener: asyncio.Task[None] | None = None

    def start(
        self, runtime: Runtime, plan: TurnPlan, *, user_message: dict[str, Any] | None
    ) -> Turn:
        turn = Turn(plan.chat_id, user_message)
        task = asyncio.get_running_loop().create_task(self._run(runtime, turn, plan))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return turn

    async def stop(self, runtime: Runtime, message_id: str) -> bool:
        """Stop the reply here (True, once it is saved) or ask the other processes (False)."""
        reply = self._replies.get(message_id)
        if reply is None:
            try:
                await runtime.events.publish(STOP_CHANNEL, {"message_id": message_id})
            except Exception:
                log.warning("could not send a stop command", exc_info=True)
            return False
        reply.stop()
        await reply.finished.wait()
        return True

    async def listen(self, runtime: Runtime) -> None:
        """Follow stop commands from other processes; returns once listening, or once the
        first try failed (the listener keeps trying in the background)."""
        if self._listener is None:
            self._listener = await follow.start(runtime.events, STOP_CHANNEL, self._stop_command)

    async def _stop_command(self, command: dict[str, Any]) -> None:
        reply = self._replies.get(str(command.get("message_id")))
        if reply is not None:
            reply.stop()

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

    async def drain(self) -> None:
        """Wait for running turns to end (tests, graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- a turn ----------------------------------------------------------------------

    async def _run(self, runtime: Runtime, turn: Turn, plan: TurnPlan) -> None:
        try:
            if turn.user_message is not None:
                await _emit(runtime, turn, live.message_created(turn.user_message))
            for character_id in plan.speakers:
                if not await self._reply(runtime, turn, plan, character_id):
                    break
        except Exception:
            log.exception("a chat turn failed")
        finally:
            turn.finish()

    async def _reply(self, runtime: Runtime, turn: Turn, plan: TurnPlan, character_id: str) -> bool:
        """Generate one reply; True when the turn may go on to the next speaker."""
        try:
            opened = await replies.open_reply(
                runtime.db,
                chat_id=plan.chat_id,
                user_id=plan.user_id,
                character_id=character_id,
                mode=plan.mode,
                message_id=plan.message_id,
            )
        except CognitiaError as exc:
            await _fail_to_open(runtime, turn, plan, exc)
            return False
        progress = Progress(opened)
        reply = self._replies[progress.message_id] = Reply(progress.message_id)
        try:
            try:
                await _emit(runtime, turn, live.message_created(opened.message))
                outcome = await self._generate(runtime, turn, reply, progress, plan)
            except asyncio.CancelledError:
                await _finish(runtime, turn, progress, INTERRUPTED)
                raise
            except Exception:
                log.exception("generating a reply failed")
                outcome = INTERNAL_ERROR
            return await _finish(runtime, turn, progress, outcome)
        finally:
            self._replies.pop(progress.message_id, None)
            reply.finished.set()

    async def _generate(
        self, runtime: Runtime, turn: Turn, reply: Reply, progress: Progress, plan: TurnPlan
    ) -> Outcome:
        if reply.stop_requested:
            return Outcome(MessageStatus.STOPPED)
        source = progress.opened.source
        for_reply = recall.Recall(
            character_id=source.character.id,
            private_user_id=source.audience.private_user_id,
            chat_id=plan.chat_id,
            shared=source.audience.shared,
            query=source.query,
            exclude={*source.message_ids, progress.message_id},
        )
        index = Retrieval(runtime.db, runtime.models.embedder, runtime.vectors)
        budget = runtime.settings.retrieval.recall_budget_seconds
        recalled = await recall.sections(index, for_reply, budget_seconds=budget)
        try:
            built = await context.build(runtime.models, replace(source, sections=recalled))
        except CognitiaError as exc:
            return Outcome(MessageStatus.ERROR, exc.code, exc.detail, exc)
        request, target = built.request, built.target
        progress.context_sources = built.context_sources
        base = progress.opened.base_text
        progress.cut = StopCut(built.stops, line_start=not base or base.endswith("\n"))
        progress.prompt_estimate = logic.estimate_prompt_tokens(request.messages)
        call = CallContext(
            user_id=plan.user_id,
            chat_id=plan.chat_id,
            character_id=progress.opened.source.character.id,
        )
        generator = Generator(runtime.models, runtime.usage, call)
        pump = _Pump(runtime, turn, reply, progress)
        reply.pump = asyncio.create_task(pump.run(generator, request, target))
        try:
            await reply.pump
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the process is shutting down, not a stop
            return Outcome(MessageStatus.STOPPED)
        except CognitiaError as exc:
            return Outcome(MessageStatus.ERROR, exc.code, exc.detail, exc)
        if reply.stop_requested:
            return Outcome(MessageStatus.STOPPED)
        if progress.failed is not None:
            failed = progress.failed
            return Outcome(MessageStatus.ERROR, failed.code, failed.message)
        return Outcome(MessageStatus.COMPLETE)


INTERRUPTED = Outcome(MessageStatus.ERROR, "interrupted", "The server stopped while generating.")
INTERNAL_ERROR = Outcome(MessageStatus.ERROR, "internal_error", "Something went wrong on our side.")


class _Pump:
    """Moves a model's stream into events and saves; one per reply."""

    def __init__(self, runtime: Runtime, turn: Turn, reply: Reply, progress: Progress) -> None:
        self.runtime, self.turn, self.reply, self.progress = runtime, turn, reply, progress

    async def run(self, generator: Generator, request: ChatRequest, target: logic.Target) -> None:
        progress = self.progress
        with contextlib.suppress(_StopAfterSave):
            async with aclosing(generator.stream(request, target)) as events:
                async for event in events:
                    if isinstance(event, ModelSelected):
                        progress.model = event.model
                    elif isinstance(event, TextDelta):
                        await self._token(progress.cut.feed(event.text))
                        if progress.cut.found:
                            break  # the reply ends here; leaving closes the model's stream
                    elif isinstance(event, Usage):
                        progress.usage = event
                    elif isinstance(event, GenerationFailed):
                        progress.failed = event

    async def _token(self, text: str) -> None:
        if not text:
            return
        progress = self.progress
        await _add_text(self.runtime, self.turn, progress, text)
        progress.unsaved_tokens += 1
        elapsed = time.monotonic() - progress.saved_at
        if progress.unsaved_tokens >= SAVE_EVERY_TOKENS or elapsed >= SAVE_EVERY_SECONDS:
            await self._save()

    async def _save(self) -> None:
        progress = self.progress
        self.reply.saving = True
        try:
            await replies.save(
                self.runtime.db,
                message_id=progress.message_id,
                swipe_index=progress.opened.swipe_index,
                content=progress.text,
            )
        finally:
            self.reply.saving = False
        progress.unsaved_tokens, progress.saved_at = 0, time.monotonic()
        if self.reply.stop_requested:
            raise _StopAfterSave()


async def _fail_to_open(runtime: Runtime, turn: Turn, plan: TurnPlan, exc: CognitiaError) -> None:
    if not turn.replies and turn.failure is None:
        turn.failure = exc
    payload = {"message_id": plan.message_id, "error": exc.code, "detail": exc.detail}
    await _emit(runtime, turn, live.event(live.ERROR, {**payload, "partial_text": ""}))


async def _add_text(runtime: Runtime, turn: Turn, progress: Progress, text: str) -> None:
    progress.new_text += text
    await _emit(runtime, turn, live.token(progress.message_id, text))
    for sentence in progress.sentences.feed(text):
        await _sentence(runtime, turn, progress, sentence)


async def _finish(runtime: Runtime, turn: Turn, progress: Progress, outcome: Outcome) -> bool:
    """Save the final state and tell the readers; True if the turn may go on."""
    if held := progress.cut.close():  # however the reply ended, held-back text is its own
        await _add_text(runtime, turn, progress, held)
    for sentence in progress.sentences.close():
        await _sentence(runtime, turn, progress, sentence)
    usage = _usage(progress)
    values: dict[str, Any] = {
        "content": progress.text,
        "status": outcome.status,
        "model": progress.model,
        "usage": usage,
        "error": f"{outcome.code}: {outcome.detail}" if outcome.code else None,
        "context_sources": progress.context_sources,
    }
    final = await replies.finish(
        runtime.db,
        message_id=progress.message_id,
        swipe_index=progress.opened.swipe_index,
        values=values,
    )
    if final is None:  # deleted meanwhile, with its chat
        return False
    turn.replies.append(final)
    completed = live.event(live.MESSAGE_COMPLETED, {"message": final, "usage": usage})
    if outcome.status != MessageStatus.ERROR:
        await _emit(runtime, turn, completed)
        return outcome.status == MessageStatus.COMPLETE
    if outcome.error is not None and len(turn.replies) == 1 and turn.failure is None:
        turn.failure = outcome.error
    payload = {
        "message_id": progress.message_id,
        "error": outcome.code,
        "detail": outcome.detail,
        "partial_text": progress.new_text,
    }
    await _emit(runtime, turn, live.event(live.ERROR, payload))
    await _emit(runtime, turn, completed)
    return False


async def _sentence(runtime: Runtime, turn: Turn, progress: Progress, text: str) -> None:
    index = progress.sentences.count - 1
    await _emit(runtime, turn, live.sentence(progress.message_id, index, text))


def _usage(progress: Progress) -> dict[str, Any]:
    """The provider's usage, else an estimate (marked as one)."""
    if progress.usage is not None:
        used = progress.usage
        return {
            "prompt_tokens": used.prompt_tokens,
            "completion_tokens": used.completion_tokens,
            "total_tokens": used.total_tokens,
        }
    if not progress.model:
        return {}
    completion = logic.estimate_tokens(progress.new_text)
    return {
        "prompt_tokens": progress.prompt_estimate,
        "completion_tokens": completion,
        "total_tokens": progress.prompt_estimate + completion,
        "estimated": True,
    }


async def _emit(runtime: Runtime, turn: Turn, item: Event) -> None:
    """To the request's readers and to the chat's live channel."""
    turn.add(item)
    await live.publish(runtime.events, turn.chat_id, item)
