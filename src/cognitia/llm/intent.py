"""Routing by intent: which lane serves a request that names `lane/auto`.

Rules first, in this order, the first that matches wins (docs/models.md, "Routing by
intent"): a long input goes to `long`; code (a fenced block, an error trace, source lines,
a request to write or fix code) to `code`; a question about the person's documents to
`retrieve`; policy, compliance and safety questions to `govern`; requests for steps or a
plan to `plan`. When no rule matches, the optional classifier (`routing.classifier`)
compares the latest user message with example prompts of each lane through the default
embedder (offline with the bundled one) and decides only when it is clearly nearer one
lane; otherwise `chat`.

Reasons are fixed phrases and numbers, never quoted user text: they are stored with the
usage row and sent in a response header.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cognitia.config import RoutingSettings
from cognitia.llm import logic
from cognitia.llm.intent_prototypes import PROTOTYPES
from cognitia.llm.ports import ChatMessage, Embedder, ProviderError

log = logging.getLogger(__name__)

FALLBACK_LANE = "chat"


@dataclass(frozen=True)
class Route:
    """The lane picked for a `lane/auto` request, and why."""

    lane: str
    reason: str


@dataclass(frozen=True)
class _Rule:
    lane: str
    reason: str
    pattern: re.Pattern[str]


def _rule(lane: str, reason: str, pattern: str) -> _Rule:
    return _Rule(lane, f"{lane}: {reason}", re.compile(pattern, re.IGNORECASE | re.MULTILINE))


_DOCS = (
    r"(?:uploaded |attached |shared )?(?:documents?|docs|files?|pdfs?|notes|manual|handbook"
    r"|knowledge base|sources?|wiki|records|contract|report|spec(?:ification)?)"
)
RULES = (
    _rule("code", "a fenced code block", r"```"),
    _rule(
        "code",
        "an error trace",
        r"Traceback \(most recent call last\)|\b\w+(?:Error|Exception): |\bstack ?trace\b",
    ),
    _rule(
        "code",
        "lines of source code",
        r"^\s*(?:def \w+\(|class \w+[(:]|import \w+$|from [\w.]+ import \w|#include\b"
        r"|function \w+\(|(?:const|let|var) \w+ =)",
    ),
    _rule(
        "code",
        "asks to write or fix code",
        r"\b(?:write|implement|code|fix|debug|refactor|optimi[sz]e)\b[^.?!\n]{0,40}"
        r"\b(?:functions?|methods?|class(?:es)?|scripts?|programs?|code|regex(?:es)?|sql"
        r"|quer(?:y|ies)|unit tests?|bugs?)\b",
    ),
    _rule(
        "retrieve",
        "asks about the documents",
        rf"\b(?:according to|based on|from|in|per) (?:the|my|our|this|these|that|those|your)"
        rf" {_DOCS}\b|\b{_DOCS} (?:say|says|said|mention|mentions|state|states)\b",
    ),
    _rule("retrieve", "asks for sources", r"\b(?:cite|citations?|with sources|quote the)\b"),
    _rule(
        "govern",
        "asks about policy, compliance or safety",
        r"\b(?:is (?:it|this|that) (?:allowed|legal|compliant|permitted|ethical)"
        r"|complian(?:ce|t)|gdpr|hipaa|ccpa|terms of (?:service|use)"
        r"|(?:content|usage|privacy|acceptable[- ]use) polic(?:y|ies)|violat(?:e|es|ion)"
        r"|moderat(?:e|ion)|audit|redact|personal data|pii)\b",
    ),
    _rule(
        "plan",
        "asks for steps or a plan",
        r"\b(?:steps? to|step[- ]by[- ]step|plan (?:for|to|out|my|a|the)|make a plan|action plan"
        r"|roadmap|break (?:it|this|that) down|to-?do list|milestones"
        r"|how (?:do|should|can|would) (?:i|we) (?:go about|get started|approach))\b",
    ),
)


def latest_user_text(messages: Sequence[ChatMessage]) -> str:
    """What the person asked last: the intent is read from it."""
    said = [m.content for m in messages if m.role == "user"]
    return said[-1] if said else ""


def by_rules(text: str, input_tokens: int, *, long_input_tokens: int) -> Route | None:
    """The first rule that matches, or None when none does."""
    if input_tokens >= long_input_tokens:
        return Route(
            "long",
            f"long: about {input_tokens} input tokens, at least {long_input_tokens}",
        )
    for rule in RULES:
        if rule.pattern.search(text):
            return Route(rule.lane, rule.reason)
    return None


def nearest(
    query: Sequence[float],
    prototypes: dict[str, list[list[float]]],
    *,
    min_similarity: float,
    margin: float,
) -> tuple[Route | None, str]:
    """The lane of the most similar prototype (unit vectors: the dot product is the
    cosine), when it is similar enough and clearly ahead of every other lane; else None
    and what the classifier saw."""
    best = {
        lane: max(sum(q * p for q, p in zip(query, vector, strict=True)) for vector in vectors)
        for lane, vectors in prototypes.items()
    }
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    (lane, first), second = ranked[0], (ranked[1][1] if len(ranked) > 1 else -1.0)
    seen = f"nearest {lane} {first:.2f}, next {second:.2f}"
    if first >= min_similarity and first - second >= margin:
        return Route(lane, f"classifier: {seen}"), seen
    return None, seen


class IntentRouter:
    """Picks the lane of a `lane/auto` request; the one place that decides."""

    def __init__(self, settings: RoutingSettings, embedder: Callable[[], Embedder]) -> None:
        self.settings = settings
        self._embedder = embedder
        self._prototypes: dict[str, list[list[float]]] | None = None
        self._lock = asyncio.Lock()

    async def route(self, messages: Sequence[ChatMessage]) -> Route:
        text = latest_user_text(messages)
        tokens = logic.estimate_prompt_tokens(messages)
        decided = by_rules(text, tokens, long_input_tokens=self.settings.long_input_tokens)
        if decided is not None:
            return decided
        if not self.settings.classifier or not text.strip():
            return Route(FALLBACK_LANE, f"{FALLBACK_LANE}: no rule matched")
        return await self._classify(text)

    async def _classify(self, text: str) -> Route:
        try:
            prototypes = await self._prototype_vectors()
            [query] = await self._embedder().embed([text])
        except ProviderError:
            # Routing never fails a request: the chat lane answers instead.
            log.warning("the routing classifier could not embed; using the chat lane")
            return Route(FALLBACK_LANE, f"{FALLBACK_LANE}: no rule matched, classifier unavailable")
        route, seen = nearest(
            query,
            prototypes,
            min_similarity=self.settings.classifier_min_similarity,
            margin=self.settings.classifier_margin,
        )
        if route is not None:
            return route
        return Route(FALLBACK_LANE, f"{FALLBACK_LANE}: no rule matched, classifier unsure ({seen})")

    async def _prototype_vectors(self) -> dict[str, list[list[float]]]:
        """The example prompts' vectors, embedded once per process."""
        async with self._lock:
            if self._prototypes is None:
                texts = [(lane, text) for lane, examples in PROTOTYPES.items() for text in examples]
                vectors = await self._embedder().embed([text for _, text in texts])
                found: dict[str, list[list[float]]] = {}
                for (lane, _), vector in zip(texts, vectors, strict=True):
                    found.setdefault(lane, []).append(vector)
                self._prototypes = found
            return self._prototypes
