"""Tool calls through the prompt on the real bundled SmolLM2-135M in llama.cpp: the JSON
schema grammar holds its reply to a call of an offered tool with valid arguments, or an
answer, and the parse turns it into a ToolCall or text. (The tiny model picks poorly;
what is checked is the shape, which the grammar guarantees.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import jsonschema
import pytest
import pytest_asyncio

from cognitia.llm import tool_prompt
from cognitia.llm.catalogue import ProviderConfig
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling, TextDelta, ToolCall
from cognitia.llm.runner.llama import LocalLlama

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
            "additionalProperties": False,
        },
    },
}


@pytest_asyncio.fixture(scope="module")
async def llama() -> AsyncIterator[LocalLlama]:
    provider = LocalLlama("local", ProviderConfig(type="local", concurrency=1))
    yield provider
    await provider.close()


async def test_the_grammar_holds_the_reply_to_a_call_or_an_answer(llama: LocalLlama) -> None:
    request = ChatRequest(
        [ChatMessage("user", "Use the calculator: what is 6 times 7?")],
        sampling=Sampling(temperature=0.0, max_tokens=96),
        tools=[CALCULATOR],
    )
    prompted = tool_prompt.prepare(request, constrained=True)
    assert prompted.response_format is not None

    events = [e async for e in llama.stream(prompted, model="smollm2-135m")]
    raw = "".join(e.text for e in events if isinstance(e, TextDelta))

    jsonschema.validate(json.loads(raw), tool_prompt.response_schema([CALCULATOR]))
    text, call = tool_prompt.parse(raw)
    if call is not None:
        assert isinstance(call, ToolCall)
        assert call.name == "calculator"
        assert isinstance(json.loads(call.arguments)["expression"], str)
    else:
        assert text == json.loads(raw)["answer"]
