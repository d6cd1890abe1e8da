"""Writing one reply: from its opened message, through recall, the prompt and the model's
stream, to its final state; the events of each step go to the turn (chats/fanout.py).

One `ReplyWriter` per reply, made by `Generations` (chats/generation.py) once the reply's
message is open. It reads in order:

    write -> _generate -> _recall -> context.build -> _stream (a task: what a stop
    cancels) -> _token -> _save ... -> _finish

The growing text is saved every SAVE_EVERY_TOKENS tokens or SAVE_EVERY_SECONDS, each
save its own short unit of work, so what was generated survives a client that went away,
a stop, or a model that failed half-way.

Stopping: `stop()` cancels the stream at once (a stalled model too), or right after a
save in progress: a save is never cut short. The reply keeps its text, status `stopped`.

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
from dataclasses import dataclass, replace
from typing import Any

from cognitia.agents.tools.base import Policy, ToolContext, ToolResult
from cognitia.agents.tools.registry import DECLINED, EXPIRED, ToolBox
from cognitia.chats import context, live, recalling, replies, tool_rounds
from cognitia.chats.approvals import Approvals
from cognitia.chats.fanout import Turn, TurnPlan
from cognitia.chats.ports import ReplyPorts
from cognitia.chats.replies import FinalState, OpenedReply
from cognitia.chats.sentences import SentenceStream
from cognitia.chats.speaking import MeteredFor, SpokenReply
from cognitia.chats.stops import StopCut
from cognitia.errors import CognitiaError
from cognitia.kit.priority import Hold
from cognitia.llm import logic
from cognitia.llm.ports import ChatRequest, TextDelta, ToolCall, Usage
from cognitia.llm.service import CallContext, GenerationFailed, Generator, ModelSelected
from cognitia.models.message import MessageStatus
from cognitia.models.tool_approval import ApprovalStatus
from cognitia.prompting.types import ContextSection

log = logging.getLogger(__name__)

# A growing reply is saved after this many tokens or seconds, whichever comes first.
SAVE_EVERY_TOKENS = 20
SAVE_EVERY_SECONDS = 0.25


@dataclass(frozen=True)
class Outcome:
    status: MessageStatus
    code: str | None = None
    detail: str | None = None
    error: CognitiaError | None = None  # a failure before the first token

    @classmethod
    def failed(cls, exc: CognitiaError) -> Outcome:
        return cls(MessageStatus.ERROR, exc.code, exc.detail, exc)


STOPPED = Outcome(MessageStatus.STOPPED)
COMPLETE = Outcome(MessageStatus.COMPLETE)
INTERRUPTED = Outcome(MessageStatus.ERROR, "interrupted", "The server stopped while generating.")
INTERNAL_ERROR = Outcome(MessageStatus.ERROR, "internal_error", "Something went wrong on our side.")


class _StopAfterSave(Exception):
    """Raised in the stream when a stop came while it was saving."""


class ReplyWriter:
    """Writes one reply; `stop()` may come from any task, `finished` says when it has."""

    def __init__(  # noqa: PLR0913 - the reply, its turn, and what it starts with
        self,
        ports: ReplyPorts,
        turn: Turn,
        plan: TurnPlan,
        opened: OpenedReply,
        approvals: Approvals | None = None,
        early: recalling.EarlyRecall | None = None,
        starting: Hold | None = None,
    ) -> None:
        self._ports, self._turn, self._plan, self._opened = ports, turn, plan, opened
        self._early = early  # recall started beside the opening, if it was
        # The reply's hold on the process's foreground (kit/priority.py), released once the
        # model answers: until then background work steps aside.
        self._starting = starting
        self._approvals = approvals  # None: calls that need approval are refused
        self.finished = asyncio.Event()
        self._stop_requested = False
        self._saving = False
        self._stream_task: asyncio.Task[None] | None = None
        # What the model said so far, and about it.
        self._new_text = ""
        self._model: str | None = None
        self._usage: Usage | None = None
        self._failed: GenerationFailed | None = None
        self._prompt_estimate = 0
        self._context_sources: list[dict[str, Any]] = []
        self._tool_calls: list[dict[str, Any]] = []
        self._box = ports.tools  # with the character's MCP tools once the reply starts
        self._unsaved_tokens = 0
        self._saved_at = time.monotonic()
        speech = ports.speech
        clause_words = speech.first_clause_words if speech and plan.audio_format else 0
        self._sentences = SentenceStream(first_clause_min_words=clause_words)
        self._cut = StopCut(())
        self._spoken: SpokenReply | None = None  # when the turn asked for audio

    @property
    def message_id(self) -> str:
        return self._opened.message_id

    @property
    def _text(self) -> str:
        return self._opened.base_text + self._new_text

    def stop(self) -> None:
        """Cancel the stream (a stalled model too), unless it is saving: a save is never
        cut short, the stream ends by itself right after it."""
        self._stop_requested = True
        if self._spoken is not None:
            self._spoken.cancel()  # the audio stops now, the text after its save
        if self._stream_task is not None and not self._saving:
            self._stream_task.cancel()

    async def write(self) -> bool:
        """Generate and save the reply; True when the turn may go on to the next speaker."""
        try:
            try:
                await self._turn.emit(live.MessageCreated(self._opened.message))
                await self._start_speaking()
                outcome = await self._generate()
            except asyncio.CancelledError:
                await self._finish(INTERRUPTED)
                raise
            except Exception:
                log.exception("generating a reply failed")
                outcome = INTERNAL_ERROR
            return await self._finish(outcome)
        finally:
            self._started()
            self.finished.set()

    def _started(self) -> None:
        """The model answered (or the reply ended): background work may go on."""
        if self._starting is not None:
            self._starting.release()

    # -- generating ------------------------------------------------------------------

    async def _generate(self) -> Outcome:
        if self._stop_requested:
            return STOPPED
        source = replace(self._opened.source, sections=await self._recall())
        try:
            built = await context.build(self._ports.models, source)
        except CognitiaError as exc:
            return Outcome.failed(exc)
        self._context_sources = built.context_sources
        base = self._opened.base_text
        self._cut = StopCut(built.stops, line_start=not base or base.endswith("\n"))
        self._prompt_estimate = logic.estimate_prompt_tokens(built.request.messages)
        call = CallContext(
            user_id=self._plan.user_id,
            chat_id=self._plan.chat_id,
            character_id=source.character.id,
        )
        generator = Generator(self._ports.models, self._ports.usage, call)
        request = built.request
        character = source.character
        names = list(character.tools)
        servers = tool_rounds.servers_of(character.owner_id, source.audience.private_user_id)
        self._box = await tool_rounds.box_for(self._ports.tools, servers, names)
        tools = tool_rounds.offered(
            self._box, names, dict(character.tool_policies), self._ports.models, built.target
        )
        if tools:
            request = replace(request, tools=tools, prompt=None)
        # The save clock starts with the stream: the time recall and the prompt took is
        # no reason to write the first token on its own.
        self._saved_at = time.monotonic()
        self._stream_task = asyncio.create_task(self._rounds(generator, request, built.target))
        return await self._streamed(self._stream_task)

    async def _start_speaking(self) -> None:
        """Audio beside the text, when the turn asked for it; a voice that cannot be had
        is one `audio.error` event, and the reply goes on without audio."""
        speech, audio_format = self._ports.speech, self._plan.audio_format
        if speech is None or audio_format is None:
            return
        try:
            voice = speech.voice_for(self._opened.voice, audio_format)
        except CognitiaError as exc:
            await self._turn.emit(
                live.AudioError(self.message_id, None, None, exc.code, exc.detail)
            )
            return
        turn = self._turn
        self._spoken = SpokenReply(
            turn,
            self.message_id,
            voice,
            after=turn.last_spoken,
            metered=self._metered(),
        )
        turn.keep(self._spoken.task)

    def _metered(self) -> MeteredFor | None:
        meter = self._ports.meter
        return MeteredFor(meter, self._plan.user_id) if meter is not None else None

    async def _recall(self) -> list[ContextSection]:
        source = self._opened.source
        if self._ports.recall is None:
            return []
        asked = recalling.wanted(
            source.audience,
            character_id=source.character.id,
            chat_id=self._plan.chat_id,
            query=source.query,
        )
        found = await self._early.take(asked) if self._early is not None else None
        if found is None:
            # The port never raises and keeps to its time budget (chats/ports.py: Recaller).
            found = await self._ports.recall(asked)
        return found.sections({*source.message_ids, self.message_id})

    async def _streamed(self, stream: asyncio.Task[None]) -> Outcome:
        """How the stream ended: complete, stopped, or failed."""
        try:
            await stream
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the process is shutting down, not a stop
            return STOPPED
        except CognitiaError as exc:
            return Outcome.failed(exc)
        if self._stop_requested:
            return STOPPED
        if self._failed is not None:
            return Outcome(MessageStatus.ERROR, self._failed.code, self._failed.message)
        return COMPLETE

    async def _rounds(
        self, generator: Generator, request: ChatRequest, target: logic.Target
    ) -> None:
        """Stream the reply; while the model calls tools (at most tools.max_rounds
        rounds), run them and ask again with their results."""
        box = self._box
        rounds = box.limits.max_rounds if box is not None and request.tools else 0
        for done in range(rounds + 1):
            start = len(self._new_text)
            calls = await self._stream(generator, request, target)
            if not calls or box is None or done == rounds or self._ended():
                return
            results = [await self._run_tool(box, call) for call in calls]
            if self._stop_requested:
                return  # stopped during a save before a wait for consent
            text = self._new_text[start:]
            last = done + 1 == rounds
            request = tool_rounds.follow_up(request, text, calls, results, last=last)

    def _ended(self) -> bool:
        return self._stop_requested or self._cut.found or self._failed is not None

    async def _run_tool(self, box: ToolBox, call: ToolCall) -> ToolResult:
        message_id = self.message_id
        await self._turn.emit(live.ToolCalled(message_id, call.id, call.name, call.arguments))
        source = self._opened.source
        tool_context = ToolContext(
            db=self._ports.db,
            user_id=source.audience.private_user_id,
            character_id=source.character.id,
            chat_id=self._plan.chat_id,
            index=box.index,
        )
        policy = box.policy(call.name, dict(source.character.tool_policies))
        result = box.registry.refusal(call.name, call.arguments, policy)
        if result is None and policy is Policy.ASK and self._approvals is not None:
            result = await self._consent(self._approvals, call)
            policy = Policy.ALWAYS if result is None else policy
        if result is None:
            result = await box.run(call, tool_context, policy, charged_to=self._plan.user_id)
        self._tool_calls.append(tool_rounds.record(call, result))
        answered = live.ToolAnswered(
            message_id, call.id, call.name, result.text, result.ok, result.limit
        )
        await self._turn.emit(answered)
        return result

    async def _consent(self, approvals: Approvals, call: ToolCall) -> ToolResult | None:
        """Wait for a member to approve the call (None) or decline it (the result the
        model reads instead); a stop ends the wait as it ends the stream."""
        if self._unsaved_tokens:  # whoever opens the chat while it waits sees the text
            try:
                await self._save()
            except _StopAfterSave:
                return ToolResult(False, "the reply was stopped")
        pending = await approvals.open(
            chat_id=self._plan.chat_id, message_id=self.message_id, call=call
        )
        asked = live.ToolApprovalAsked(
            self.message_id, call.id, call.name, call.arguments, pending.expires_at.isoformat()
        )
        await self._turn.emit(asked)
        decision = await approvals.wait(pending)
        if decision is ApprovalStatus.APPROVED:
            return None
        why = DECLINED if decision is ApprovalStatus.DECLINED else EXPIRED
        return ToolResult(False, f"tool {call.name!r} {why}")

    async def _stream(
        self, generator: Generator, request: ChatRequest, target: logic.Target
    ) -> list[ToolCall]:
        """The model's stream into events and saves; the tools it called."""
        calls: list[ToolCall] = []
        with contextlib.suppress(_StopAfterSave):
            async with aclosing(generator.stream(request, target)) as events:
                async for event in events:
                    if isinstance(event, ModelSelected):
                        self._model = event.model
                        continue
                    self._started()
                    if isinstance(event, TextDelta):
                        await self._token(self._cut.feed(event.text))
                        if self._cut.found:
                            break  # the reply ends here; leaving closes the model's stream
                    elif isinstance(event, ToolCall):
                        calls.append(event)
                    elif isinstance(event, Usage):
                        self._add_usage(event)
                    elif isinstance(event, GenerationFailed):
                        self._failed = event
        return calls

    def _add_usage(self, usage: Usage) -> None:
        """Each tool round is a model call of its own: the reply's usage is their sum."""
        before = self._usage or Usage(0, 0)
        self._usage = Usage(
            before.prompt_tokens + usage.prompt_tokens,
            before.completion_tokens + usage.completion_tokens,
        )

    async def _token(self, text: str) -> None:
        if not text:
            return
        await self._add_text(text)
        self._unsaved_tokens += 1
        elapsed = time.monotonic() - self._saved_at
        if self._unsaved_tokens >= SAVE_EVERY_TOKENS or elapsed >= SAVE_EVERY_SECONDS:
            await self._save()

    async def _save(self) -> None:
        self._saving = True
        try:
            await replies.save(
                self._ports.db,
                message_id=self.message_id,
                swipe_index=self._opened.swipe_index,
                content=self._text,
            )
        finally:
            self._saving = False
        self._unsaved_tokens, self._saved_at = 0, time.monotonic()
        if self._stop_requested:
            raise _StopAfterSave()

    async def _add_text(self, text: str) -> None:
        self._new_text += text
        await self._turn.emit(live.Token(self.message_id, text))
        for sentence in self._sentences.feed(text):
            await self._sentence(sentence)

    async def _sentence(self, text: str) -> None:
        index = self._sentences.count - 1
        await self._turn.emit(live.Sentence(self.message_id, index, text))
        if self._spoken is not None and not self._stop_requested:
            self._spoken.say(index, text)

    # -- ending ----------------------------------------------------------------------

    async def _finish(self, outcome: Outcome) -> bool:
        """Save the final state and tell the readers; True if the turn may go on."""
        if held := self._cut.close():  # however the reply ended, held-back text is its own
            await self._add_text(held)
        for sentence in self._sentences.close():
            await self._sentence(sentence)
        if self._spoken is not None:
            if outcome is INTERRUPTED or self._stop_requested:
                self._spoken.cancel()
            else:
                self._spoken.close()  # the sentences given are still spoken
        usage = self._usage_counts()
        final = await replies.finish(
            self._ports.db,
            message_id=self.message_id,
            swipe_index=self._opened.swipe_index,
            final=FinalState(
                content=self._text,
                status=outcome.status,
                model=self._model,
                usage=usage,
                error=f"{outcome.code}: {outcome.detail}" if outcome.code else None,
                context_sources=self._context_sources,
                tool_calls=self._tool_calls,
            ),
            remember=self._ports.remember,
        )
        if final is None:  # deleted meanwhile, with its chat
            return False
        turn = self._turn
        turn.replies.append(final)
        completed = live.MessageCompleted(final, usage)
        if outcome.status != MessageStatus.ERROR:
            await turn.emit(completed)
            return outcome.status == MessageStatus.COMPLETE
        if outcome.error is not None and len(turn.replies) == 1 and turn.failure is None:
            turn.failure = outcome.error
        error = live.Error(outcome.code, outcome.detail, self.message_id, self._new_text)
        await turn.emit(error)
        await turn.emit(completed)
        return False

    def _usage_counts(self) -> dict[str, int | bool]:
        """The provider's usage, else an estimate (marked as one)."""
        if self._usage is not None:
            used = self._usage
            return {
                "prompt_tokens": used.prompt_tokens,
                "completion_tokens": used.completion_tokens,
                "total_tokens": used.total_tokens,
            }
        if not self._model:
            return {}
        completion = logic.estimate_tokens(self._new_text)
        return {
            "prompt_tokens": self._prompt_estimate,
            "completion_tokens": completion,
            "total_tokens": self._prompt_estimate + completion,
            "estimated": True,
        }
