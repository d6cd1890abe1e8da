"""POST /api/v2/voice/livekit-token: tokens checked with LiveKit's own TokenVerifier."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from livekit.api import TokenVerifier

from cognitia.app import create_app
from cognitia.config import Settings
from tests.chats.helpers import create_character as character_of
from tests.chats.helpers import create_chat
from tests.conftest import make_settings
from tests.support.factories import runtime_of, user_with_token

pytestmark = pytest.mark.asyncio
TOKEN = "/api/v2/voice/livekit-token"
KEY = "APIcognitiatest"
SECRET = "a-livekit-secret-that-is-long-enough-0123456789"
LIVEKIT = {"url": "wss://livekit.test", "api_key": KEY, "api_secret": SECRET}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    livekit = {**LIVEKIT, "token_ttl_seconds": 600}
    return make_settings(database_url, tmp_path, voice={"livekit": livekit})


async def a_chat(app: FastAPI, client: httpx.AsyncClient) -> tuple[str, str, dict[str, str]]:
    """A user, their headers and a chat of theirs: (user id, chat id, headers)."""
    user, headers = await user_with_token(runtime_of(app), client)
    character = await character_of(runtime_of(app), owner=user)
    chat = await create_chat(client, headers, character.id)
    return user.id, chat["id"], headers


async def test_a_member_gets_a_token_livekit_accepts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, chat_id, headers = await a_chat(app, client)

    response = await client.post(TOKEN, json={"chat_id": chat_id}, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == "wss://livekit.test"
    assert body["room"] == f"chat-{chat_id}"
    assert body["identity"] == user_id
    claims = TokenVerifier(KEY, SECRET).verify(body["token"])
    assert claims.identity == user_id
    assert claims.video is not None
    assert claims.video.room == f"chat-{chat_id}"
    assert claims.video.room_join is True
    assert claims.video.can_publish is True
    assert claims.video.can_subscribe is True
    assert claims.video.can_publish_data is True


async def test_the_token_expires_after_the_configured_ttl(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, chat_id, headers = await a_chat(app, client)

    body = (await client.post(TOKEN, json={"chat_id": chat_id}, headers=headers)).json()

    raw = jwt.decode(body["token"], SECRET, algorithms=["HS256"], issuer=KEY)
    assert raw["exp"] - raw["nbf"] == 600
    assert raw["iss"] == KEY
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.timestamp() == raw["exp"]
    # 601 seconds on, it has expired (a negative leeway moves the clock forward).
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(
            body["token"], SECRET, algorithms=["HS256"], leeway=-601, options={"verify_nbf": False}
        )


async def test_a_token_signed_with_another_secret_fails_verification(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, chat_id, headers = await a_chat(app, client)

    body = (await client.post(TOKEN, json={"chat_id": chat_id}, headers=headers)).json()

    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(KEY, "another-secret-that-is-long-enough-0123456789").verify(body["token"])
    with pytest.raises(jwt.InvalidIssuerError):
        TokenVerifier("APIsomeoneelse", SECRET).verify(body["token"])


async def test_the_secret_is_never_in_the_answer(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, chat_id, headers = await a_chat(app, client)

    response = await client.post(TOKEN, json={"chat_id": chat_id}, headers=headers)

    assert SECRET not in response.text
    assert SECRET not in repr(runtime_of(app).settings)


async def test_another_users_chat_and_an_unknown_chat_are_404(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, chat_id, _ = await a_chat(app, client)
    _, stranger = await user_with_token(runtime_of(app), client)

    theirs = await client.post(TOKEN, json={"chat_id": chat_id}, headers=stranger)
    unknown = await client.post(TOKEN, json={"chat_id": "no-such-chat"}, headers=stranger)

    assert (theirs.status_code, theirs.json()["error"]) == (404, "chat_not_found")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "chat_not_found")


async def test_an_invited_member_gets_their_own_identity(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, owner_headers = await user_with_token(runtime_of(app), client)
    friend, friend_headers = await user_with_token(runtime_of(app), client)
    character = await character_of(runtime_of(app), owner=owner)
    chat = await create_chat(client, owner_headers, character.id, participant_ids=[friend.id])

    response = await client.post(TOKEN, json={"chat_id": chat["id"]}, headers=friend_headers)

    assert response.status_code == 200, response.text
    claims = TokenVerifier(KEY, SECRET).verify(response.json()["token"])
    assert claims.identity == friend.id
    assert claims.video is not None
    assert claims.video.room == f"chat-{chat['id']}"


async def test_a_login_is_needed(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN, json={"chat_id": "x"})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("voice", "code"),
    [
        ({}, "livekit_not_configured"),
        ({"livekit": {**LIVEKIT, "api_secret": ""}}, "livekit_not_configured"),
        ({"enabled": False, "livekit": LIVEKIT}, "voice_unavailable"),
    ],
)
async def test_without_livekit_settings_it_is_503(
    database_url: str, tmp_path: Path, voice: dict[str, object], code: str
) -> None:
    app = create_app(make_settings(database_url, tmp_path, voice=voice))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            _, chat_id, headers = await a_chat(app, http)
            response = await http.post(TOKEN, json={"chat_id": chat_id}, headers=headers)

    assert (response.status_code, response.json()["error"]) == (503, code)
