"""A reply ends where the model starts another speaker's line ("\\nName:", or "Name:" as the
reply's first word) or writes a stop string of the template: nothing from there on is
streamed or saved, whether or not the provider honoured the stop strings it was sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.chats.helpers import create_character, create_chat, messages, named, stream
from tests.support.factories import bearer, create_user, login, runtime_of
from tests.support.fake_upstream import FakeUpstream
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]


async def person_and_chat(
    chat_app: App, *, first_name: str = "Test", **character: Any
) -> tuple[dict[str, str], str]:
    app, client = chat_app
    runtime = runtime_of(app)
    user = await create_user(runtime, first_name=first_name)
    headers = bearer((await login(client, user.email))["access_token"])
    aria = await create_character(runtime, owner=user, **character)
    chat = await create_chat(client, headers, aria.id)
    return headers, chat["id"]


async def say(chat_app: App, headers: dict[str, str], chat_id: str) -> tuple[str, str]:
    """Send a message; the reply's streamed text and its saved text."""
    client = chat_app[1]
    events = await stream(client, f"/api/v2/chats/{chat_id}/messages", headers, {"content": "Hi"})
    streamed = "".join(t["text"] for t in named(events, "token"))
    [completed] = named(events, "message.completed")
    assert completed["message"]["status"] == "complete"
    [_, reply] = await messages(client, chat_id, headers)
    assert reply["content"] == completed["message"]["content"]
    return streamed, reply["content"]


@pytest.mark.parametrize("template", ["chat", "chatml"])
@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        (
            '*She smiles.* "Rest now."\nTest: "What a wonderful tale..."',
            '*She smiles.* "Rest now."',
        ),
        ('Test: "What a wonderful tale..." *Aria laughs.*', ""),
    ],
    ids=["on a new line", "as the first word"],
)
async def test_the_persons_line_is_never_streamed_nor_saved(
    chat_app: App, upstream: FakeUpstream, template: str, reply: str, kept: str
) -> None:
    headers, chat_id = await person_and_chat(chat_app, prompt_template=template)
    # A provider that writes past its stop strings, a character at a time: the chat must cut
    # the reply itself, before the cut text is streamed.
    upstream.script("rp-model", reply=reply, split="char", ignore_stop=True)

    assert await say(chat_app, headers, chat_id) == (kept, kept)
    assert "\nTest:" in upstream.last("rp-model").body["stop"]


async def test_a_reply_without_another_speakers_line_is_unchanged(
    chat_app: App, upstream: FakeUpstream
) -> None:
    headers, chat_id = await person_and_chat(chat_app, first_name="Al")
    reply = "Also: one thing.\nAlso this,\nAlmost done, Al: the end.\nAl"
    upstream.script("rp-model", reply=reply, split="char", ignore_stop=True)

    assert await say(chat_app, headers, chat_id) == (reply, reply)


async def test_stop_strings_past_the_four_sent_are_cut_too(
    chat_app: App, upstream: FakeUpstream
) -> None:
    headers, chat_id = await person_and_chat(chat_app, prompt_template="chatml")
    upstream.script("rp-model", reply="Rest now.\n<|im_start|>system\nSecrets", ignore_stop=False)

    assert await say(chat_app, headers, chat_id) == ("Rest now.", "Rest now.")
    sent = upstream.last("rp-model").body["stop"]
    assert len(sent) == 4
    assert "\n<|im_start|>system" not in sent


async def test_the_model_is_not_asked_for_more_after_the_cut(
    chat_app: App, upstream: FakeUpstream
) -> None:
    headers, chat_id = await person_and_chat(chat_app)
    rest = " ".join(["and on"] * 200)
    upstream.script("rp-model", reply=f"Rest.\nTest: {rest}", token_delay=0.01, ignore_stop=True)

    assert await say(chat_app, headers, chat_id) == ("Rest.", "Rest.")

    async def disconnected() -> bool:
        return upstream.last("rp-model").disconnected

    await eventually(disconnected)
