"""The intent router of `lane/auto`: rules on prompts of each kind, and the optional
nearest-prototype classifier on the real bundled embedder (all-MiniLM-L6-v2)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cognitia.config import RoutingSettings
from cognitia.llm.catalogue import EmbedderConfig, ProviderConfig
from cognitia.llm.embedders.minilm import MiniLM, bundled_model_dir
from cognitia.llm.embedders.openai_compat import OpenAIEmbedder
from cognitia.llm.intent import IntentRouter, Route, by_rules
from cognitia.llm.ports import ChatMessage, Embedder
from tests.support.net import free_port

LONG = 6000


@pytest.mark.parametrize(
    ("prompt", "lane", "reason"),
    [
        ("What is wrong here?\n```py\nprint(1/0)\n```", "code", "code: a fenced code block"),
        (
            'Traceback (most recent call last):\n  File "a.py"\nZeroDivisionError: division by'
            " zero",
            "code",
            "code: an error trace",
        ),
        ("def area(r):\n    return 3.14 * r * r", "code", "code: lines of source code"),
        ("Write a function that reverses a string", "code", "code: asks to write or fix code"),
        ("Can you fix the bug in my login form?", "code", "code: asks to write or fix code"),
        (
            "According to the handbook, how many vacation days do I get?",
            "retrieve",
            "retrieve: asks about the documents",
        ),
        (
            "What does the contract say about termination?",
            "retrieve",
            "retrieve: asks about the documents",
        ),
        ("Answer with citations please", "retrieve", "retrieve: asks for sources"),
        (
            "Is it legal to record my neighbour's calls?",
            "govern",
            "govern: asks about policy, compliance or safety",
        ),
        (
            "Are we GDPR compliant if we keep emails forever?",
            "govern",
            "govern: asks about policy, compliance or safety",
        ),
        ("What are the steps to open a bakery?", "plan", "plan: asks for steps or a plan"),
        ("Help me plan a trip to Lisbon", "plan", "plan: asks for steps or a plan"),
    ],
)
def test_rules_pick_each_lane_with_its_reason(prompt: str, lane: str, reason: str) -> None:
    assert by_rules(prompt, 50, long_input_tokens=LONG) == Route(lane, reason)


def test_a_long_input_goes_to_the_long_lane_before_any_other_rule() -> None:
    route = by_rules("```code```", 9000, long_input_tokens=LONG)
    assert route == Route("long", "long: about 9000 input tokens, at least 6000")


def test_small_talk_matches_no_rule() -> None:
    assert by_rules("Good evening, how was your day?", 12, long_input_tokens=LONG) is None


class InProcessMiniLM:
    """The bundled embedder's real forward pass, in this process rather than the runner's."""

    name = "minilm"
    dimensions = 384

    def __init__(self) -> None:
        self.model = MiniLM.load(bundled_model_dir())
        self.calls = 0

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> list[list[float]]:
        self.calls += 1
        return [[float(x) for x in row] for row in self.model.encode(list(texts))]

    async def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def minilm() -> InProcessMiniLM:
    return InProcessMiniLM()


def router(embedder: Embedder, *, classifier: bool = True) -> IntentRouter:
    return IntentRouter(RoutingSettings(classifier=classifier), lambda: embedder)


def asked(text: str) -> list[ChatMessage]:
    return [ChatMessage("system", "You are helpful."), ChatMessage("user", text)]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("prompt", "lane"),
    [
        ("My Python loop never ends, why?", "code"),
        ("Would sharing my coworker's home address online be okay?", "govern"),
        ("Can I send customers newsletters without asking them first?", "govern"),
        ("How should we organise the launch of the new website over the next quarter?", "plan"),
        ("I love rainy afternoons", "chat"),
    ],
)
async def test_the_classifier_decides_what_no_rule_matches(
    minilm: InProcessMiniLM, prompt: str, lane: str
) -> None:
    assert by_rules(prompt, 20, long_input_tokens=LONG) is None
    route = await router(minilm).route(asked(prompt))
    assert route.lane == lane
    assert route.reason.startswith(f"classifier: nearest {lane} ")


@pytest.mark.asyncio
async def test_an_unsure_classifier_leaves_the_chat_lane(minilm: InProcessMiniLM) -> None:
    route = await router(minilm).route(asked("How can I make my Rust program compile faster?"))
    assert route.lane == "chat"
    assert route.reason.startswith("chat: no rule matched, classifier unsure (nearest ")


@pytest.mark.asyncio
async def test_the_prototypes_are_embedded_once(minilm: InProcessMiniLM) -> None:
    routing = router(minilm)
    before = minilm.calls
    await routing.route(asked("I love rainy afternoons"))
    await routing.route(asked("Tell me about your day"))
    assert minilm.calls - before == 3, "prototypes once, then one query each"


@pytest.mark.asyncio
async def test_without_the_classifier_no_rule_means_chat(minilm: InProcessMiniLM) -> None:
    before = minilm.calls
    route = await router(minilm, classifier=False).route(asked("I love rainy afternoons"))
    assert route == Route("chat", "chat: no rule matched")
    assert minilm.calls == before, "the embedder is not asked"


@pytest.mark.asyncio
async def test_rules_win_over_the_classifier(minilm: InProcessMiniLM) -> None:
    before = minilm.calls
    route = await router(minilm).route(asked("Write a function that adds two numbers"))
    assert route == Route("code", "code: asks to write or fix code")
    assert minilm.calls == before


@pytest.mark.asyncio
async def test_intent_is_read_from_the_latest_user_message() -> None:
    messages = [
        ChatMessage("user", "Write a function that adds two numbers"),
        ChatMessage("assistant", "def add(a, b): return a + b"),
        ChatMessage("user", "Thanks! Now help me plan a birthday party"),
    ]
    route = await IntentRouter(RoutingSettings(), _unreachable).route(messages)
    assert route == Route("plan", "plan: asks for steps or a plan")


@pytest.mark.asyncio
async def test_length_counts_the_whole_conversation() -> None:
    messages = [ChatMessage("user", "word " * 1000), ChatMessage("user", "and this?")]
    settings = RoutingSettings(long_input_tokens=1000)
    route = await IntentRouter(settings, _unreachable).route(messages)
    assert route.lane == "long"


@pytest.mark.asyncio
async def test_an_embedder_that_is_down_leaves_the_chat_lane() -> None:
    down = ProviderConfig(
        type="openai", base_url=f"http://127.0.0.1:{free_port()}/v1", connect_timeout_seconds=1
    )
    embedder = OpenAIEmbedder("down", EmbedderConfig(type="openai", provider="down"), down)
    try:
        route = await router(embedder).route(asked("I love rainy afternoons"))
    finally:
        await embedder.close()
    assert route == Route("chat", "chat: no rule matched, classifier unavailable")


def _unreachable() -> Embedder:
    raise AssertionError("the classifier is off: no embedder is asked for")
