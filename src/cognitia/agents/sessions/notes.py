"""A session's notes: asked of the summarize lane as JSON with a schema, validated with
pydantic (SessionNotes), exported as Markdown.

Small models often answer with prose or broken JSON even when the schema is sent; one
more try is cheap next to the session, a second failure is said plainly (502
notes_invalid) and the session keeps no half-parsed notes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from cognitia.agents.sessions.errors import NotesInvalid, NotesUnavailable
from cognitia.agents.sessions.schemas import SessionNotes, notes_json_schema
from cognitia.errors import CognitiaError
from cognitia.llm import service as llm
from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling
from cognitia.llm.registry import ModelRegistry

log = logging.getLogger(__name__)

LANE = "summarize"  # background work no person is typing into
ATTEMPTS = 2
MAX_OUTPUT_TOKENS = 1500
MAX_TRANSCRIPT_CHARS = 60_000  # the latest part of a long session

INSTRUCTIONS = """You write the notes of a coaching session between {person} and the coach
{coach}. Read the transcript and answer with JSON only, matching the schema:
{{"summary": "...", "insights": ["..."],
  "action_items": [{{"text": "...", "owner": "{person} or {coach}",
                    "due_date": "YYYY-MM-DD or null", "done": false}}],
  "follow_up_questions": ["..."]}}
Action items are concrete next steps agreed in the session; give a due date only when
one was said."""


def response_format() -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "session_notes", "schema": notes_json_schema()},
    }


def build_request(
    *, person: str, coach: str, goal: str, lines: Sequence[tuple[str, str]]
) -> ChatRequest:
    said = "\n".join(f"{name}: {text}" for name, text in lines)[-MAX_TRANSCRIPT_CHARS:]
    heading = f"Goal of the session: {goal}\n\n" if goal else ""
    return ChatRequest(
        messages=[
            ChatMessage(role="system", content=INSTRUCTIONS.format(person=person, coach=coach)),
            ChatMessage(role="user", content=f"{heading}Transcript:\n{said or '(empty)'}"),
        ],
        sampling=Sampling(temperature=0.0, max_tokens=MAX_OUTPUT_TOKENS),
        response_format=response_format(),
        background=True,
    )


def parse(text: str) -> SessionNotes | None:
    """The notes in a model's answer, None when it is not valid notes JSON."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return SessionNotes.model_validate(json.loads(text[start : end + 1]))
    except (ValueError, ValidationError):
        return None


async def generate(
    models: ModelRegistry,
    usage: llm.UsageRecorder,
    *,
    request: ChatRequest,
    context: llm.CallContext,
) -> SessionNotes:
    """Ask up to ATTEMPTS times; NotesInvalid / NotesUnavailable when no notes come."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = await llm.complete(
                models, usage, request=request, target=Target(lane=LANE), context=context
            )
        except CognitiaError as error:  # no model in the lane, the provider refused...
            raise NotesUnavailable() from error
        if result.failed is not None:
            raise NotesUnavailable()
        notes = parse(result.text)
        if notes is not None:
            return notes
        log.warning(
            "session notes: attempt %d was not valid notes JSON: %.200r", attempt, result.text
        )
    raise NotesInvalid()


def markdown(notes: SessionNotes, *, title: str) -> str:
    """The notes as a Markdown document."""
    parts = [f"# {title}", "", "## Summary", "", notes.summary or "_None._", ""]
    parts += _section("Insights", [f"- {text}" for text in notes.insights])
    items = [
        f"- [{'x' if item.done else ' '}] {item.text} — {item.owner}"
        + (f" (due {item.due_date.isoformat()})" if item.due_date else "")
        for item in notes.action_items
    ]
    parts += _section("Action items", items)
    parts += _section("Follow-up questions", [f"- {q}" for q in notes.follow_up_questions])
    return "\n".join(parts).rstrip() + "\n"


def _section(heading: str, lines: list[str]) -> list[str]:
    return [f"## {heading}", "", *(lines or ["_None._"]), ""]
