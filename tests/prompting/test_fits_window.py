"""Property: whatever the template, history, recalled sections, lorebook and context
window, the request a reply is built into fits the window as the model layer counts it
(the one count a request is held to: llm.service.tokens_over)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognitia.characters.schemas import PROMPT_TEMPLATES
from cognitia.chats.context import ReplySource, build
from cognitia.chats.privacy import Audience
from cognitia.llm.catalogue import load
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.runner.supervisor import ExternalRunner
from cognitia.llm.service import tokens_over
from cognitia.prompting.types import (
    CharacterCard,
    ContextSection,
    HistoryMessage,
    Lorebook,
    LoreEntry,
)

WORDS = ("lantern", "harbour", "a", "quiet", "I", "think", "so,", "yes!", "the", "tide")


def text(words: int, seed: int) -> str:
    return " ".join(WORDS[(seed + i * 7) % len(WORDS)] for i in range(words))


def registry(tmp: Path, window: int, completion: bool) -> ModelRegistry:
    path = tmp / f"models-{window}-{completion}.toml"
    capabilities = '["chat", "completion"]' if completion else '["chat"]'
    path.write_text(
        f"""
[providers.any]
type = "openai"
base_url = "http://127.0.0.1:9/v1"

[models.rp]
provider = "any"
upstream = "rp"
context_window = {window}
capabilities = {capabilities}

[lanes]
roleplay = ["rp"]
"""
    )
    return ModelRegistry(load(path), runner=ExternalRunner("http://127.0.0.1:9"))


def source(
    template: str, history: list[int], sections: list[int], lore: list[int], reply: int | None
) -> ReplySource:
    said = [
        HistoryMessage("user" if i % 2 else "character", "Ann" if i % 2 else "Aria", text(n, i))
        for i, n in enumerate(history)
    ]
    entries = [
        LoreEntry(keys=["harbour"], content=text(n, i), constant=True, id=str(i))
        for i, n in enumerate(lore)
    ]
    return ReplySource(
        character=CharacterCard(
            id="c", name="Aria", description=text(40, 1), prompt_template=template
        ),
        model=None,
        temperature=None,
        top_p=None,
        max_tokens=reply,
        user_name="Ann",
        persona_description=text(10, 2),
        history=said,
        other_characters=[],
        lorebooks=[Lorebook(entries=entries, token_budget=4096)] if entries else [],
        continue_last=False,
        audience=Audience(shared=False, private_user_id="u"),
        sections=[ContextSection("memory", text(n, i)) for i, n in enumerate(sections)],
    )


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    template=st.sampled_from(PROMPT_TEMPLATES),
    window=st.integers(min_value=512, max_value=16384),
    completion=st.booleans(),
    messages=st.integers(min_value=0, max_value=600),
    longest=st.integers(min_value=1, max_value=120),
    sections=st.lists(st.integers(min_value=1, max_value=300), max_size=6),
    lore=st.lists(st.integers(min_value=1, max_value=200), max_size=5),
    reply=st.one_of(st.none(), st.integers(min_value=16, max_value=400)),
)
def test_the_request_fits_the_window(  # noqa: PLR0913 - the generated case
    tmp_path: Path,
    template: str,
    window: int,
    completion: bool,
    messages: int,
    longest: int,
    sections: list[int],
    lore: list[int],
    reply: int | None,
) -> None:
    models = registry(tmp_path, window, completion)
    history = [(i * 37) % (longest + 1) for i in range(messages)]  # lengths 0 to longest
    case = source(template, history, sections, lore, reply)

    async def over() -> int:
        built = await build(models, case)
        return await tokens_over(models, "rp", built.request)

    assert asyncio.run(over()) <= 0
