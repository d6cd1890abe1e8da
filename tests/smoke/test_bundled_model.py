"""The real default, end to end: `cognitia serve` as a process on embedded defaults (SQLite,
console mail, the bundled SmolLM2 and MiniLM in the model runner), no fake upstream.

A person registers (the first account is verified at once on console mail), creates a
character and chats, receiving streamed tokens; a developer streams through /v1 with the
official openai SDK; and killing the model runner mid-reply ends that reply with an
error while the API keeps answering and the next reply works.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse
from openai import OpenAI

from cognitia.config import VoiceSettings
from cognitia.voice.catalogue import local_piper_voices
from tests.support.net import free_port
from tests.support.processes import COGNITIA, child_running, process_env, stop
from tests.support.waiting import eventually_sync

pytestmark = pytest.mark.slow
PASSWORD = "SecurePass123"
LONG_ASK = "Tell me a very long story about a dragon and a knight, with many details."


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    cwd = tmp_path_factory.mktemp("smoke")
    port = free_port()
    env = process_env(
        COGNITIA_DATA_DIR=str(cwd / "data"),
        COGNITIA_HTTP__WEB_UI="false",
        COGNITIA_AUTH__ARGON2_MEMORY_KIB="1024",
        COGNITIA_AUTH__ARGON2_TIME_COST="1",
        COGNITIA_LLM__RUNNER__RESTART_BACKOFF_SECONDS="0.2",
        COGNITIA_LLM__RUNNER__HEALTH_INTERVAL_SECONDS="0.5",
    )
    log = cwd / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [COGNITIA, "serve", "--port", str(port)], cwd=cwd, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        eventually_sync(lambda: process.poll() is not None or ready(base), timeout=180)
        assert process.poll() is None, log.read_text()
        yield Server(base, process, log)
    finally:
        stop(process)


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    email = "first@example.com"
    body = {"email": email, "password": PASSWORD, "first_name": "Ana"}
    assert httpx.post(f"{server.base}/api/v2/auth/register", json=body).status_code == 201
    login = httpx.post(
        f"{server.base}/api/v2/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text  # verified at once: the first account
    return str(login.json()["access_token"])


@pytest.fixture(scope="module")
def api(server: Server, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def chat_id(api: httpx.Client) -> str:
    character = api.post(
        "/api/v2/characters",
        json={"name": "Mira", "description": "A cheerful librarian.", "first_mes": "Hello!"},
    )
    assert character.status_code == 201, character.text
    chat = api.post("/api/v2/chats", json={"character_ids": [character.json()["id"]]})
    assert chat.status_code == 201, chat.text
    return str(chat.json()["id"])


def send(api: httpx.Client, chat_id: str, content: str) -> Iterator[tuple[str, dict[str, object]]]:
    with connect_sse(
        api, "POST", f"/api/v2/chats/{chat_id}/messages", json={"content": content}
    ) as source:
        for sse in source.iter_sse():
            yield sse.event, json.loads(sse.data) if sse.data else {}


def test_a_person_chats_with_the_bundled_model(api: httpx.Client, chat_id: str) -> None:
    events = list(send(api, chat_id, "Hi Mira, what do you like to read?"))

    names = [name for name, _ in events]
    assert names.count("token") >= 2, names  # streamed, not all at once
    completed = [data for name, data in events if name == "message.completed"]
    assert completed, names
    assert str(completed[-1]["message"]["content"]).strip()  # type: ignore[index]


def test_a_developer_streams_through_v1_with_the_openai_sdk(
    server: Server, api: httpx.Client
) -> None:
    key = api.post("/api/v2/api-keys", json={"name": "smoke", "current_password": PASSWORD})
    assert key.status_code == 201, key.text
    client = OpenAI(base_url=f"{server.base}/v1", api_key=key.json()["key"])

    stream = client.chat.completions.create(
        model="lane/chat",
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=16,
        stream=True,
    )
    deltas = [chunk.choices[0].delta.content for chunk in stream if chunk.choices]

    assert len([d for d in deltas if d]) >= 2
    assert "".join(d for d in deltas if d).strip()


def runner_pid(server: Server) -> int:
    """The model runner: the child of the serve process running `model-runner`."""
    return child_running(server.process.pid, b"model-runner")


def test_killing_the_runner_mid_reply_ends_that_reply_only(
    server: Server, api: httpx.Client, chat_id: str
) -> None:
    pid = runner_pid(server)
    events: list[tuple[str, dict[str, object]]] = []
    worded = 0
    for name, data in send(api, chat_id, LONG_ASK):
        events.append((name, data))
        # After three tokens with text (a sampled reply may open with blank ones).
        if name == "token" and str(data.get("text", "")).strip():
            worded += 1
            if worded == 3:
                os.kill(pid, signal.SIGKILL)

    names = [name for name, _ in events]
    assert "error" in names, names
    assert httpx.get(f"{server.base}/health").status_code == 200  # the API is still up
    failed = api.get(f"/api/v2/chats/{chat_id}/messages").json()["items"][-1]
    assert failed["status"] == "error"
    assert failed["content"], events  # the partial text is kept

    eventually_sync(lambda: ready(server.base), timeout=120)
    assert runner_pid(server) != pid
    after = [name for name, _ in send(api, chat_id, "Are you still there?")]
    assert "message.completed" in after, after


def test_ready_is_announced_once_the_local_models_and_voices_have_loaded(server: Server) -> None:
    """No first-message penalty: the address is printed after the runners are ready."""
    eventually_sync(lambda: "Cognitia is ready" in server.log.read_text(), timeout=180)
    log = server.log.read_text()
    announced = log.index("Cognitia is ready")

    assert log.index("model runner ready") < announced
    if local_piper_voices(VoiceSettings()):  # the voice extra and joe's files installed
        assert log.index("voice runner ready") < announced
