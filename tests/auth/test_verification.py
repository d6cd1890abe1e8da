"""Verifying an address: POST and link (GET) forms, reuse, expiry, and resending the link."""

from __future__ import annotations

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.support.factories import (
    PASSWORD,
    create_user,
    expire_email_token,
    mail_jobs_to,
    mailed_token,
    mailed_tokens,
)

pytestmark = pytest.mark.asyncio

VERIFY = "/api/v2/auth/verify-email"
RESEND = "/api/v2/auth/resend-verification"


async def _verify(client: httpx.AsyncClient, form: str, token: str) -> httpx.Response:
    if form == "link":
        return await client.get(VERIFY, params={"token": token})
    return await client.post(VERIFY, json={"token": token})


async def _register(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post(
        "/api/v2/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text


async def _login_status(client: httpx.AsyncClient, email: str) -> int:
    response = await client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    return response.status_code


@pytest.mark.parametrize("form", ["post", "link"])
async def test_verify_marks_the_account_verified(
    client: httpx.AsyncClient, runtime: Runtime, form: str
) -> None:
    await _register(client, "new@example.com")
    token = await mailed_token(runtime, "new@example.com")

    response = await _verify(client, form, token)

    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"
    assert response.json()["is_verified"] is True
    assert await _login_status(client, "new@example.com") == 200


@pytest.mark.parametrize("form", ["post", "link"])
async def test_a_link_works_once(client: httpx.AsyncClient, runtime: Runtime, form: str) -> None:
    await _register(client, "once@example.com")
    token = await mailed_token(runtime, "once@example.com")
    assert (await _verify(client, form, token)).status_code == 200

    again = await _verify(client, form, token)

    assert again.status_code == 401
    assert again.json()["error"] == "invalid_token"


@pytest.mark.parametrize("form", ["post", "link"])
@pytest.mark.parametrize("token", ["unknown-token", "x" * 4096, "cgk_not-a-link"])
async def test_unknown_token_is_invalid(client: httpx.AsyncClient, form: str, token: str) -> None:
    response = await _verify(client, form, token)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("form", ["post", "link"])
async def test_expired_link_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, form: str
) -> None:
    await _register(client, "late@example.com")
    token = await mailed_token(runtime, "late@example.com")
    await expire_email_token(runtime, token)

    response = await _verify(client, form, token)

    assert response.status_code == 401
    assert response.json()["error"] == "token_expired"
    assert await _login_status(client, "late@example.com") == 403


async def test_a_password_reset_token_does_not_verify(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _register(client, "mixed@example.com")
    verify_token = await mailed_token(runtime, "mixed@example.com")
    reset = await client.post(
        "/api/v2/auth/request-password-reset", json={"email": "mixed@example.com"}
    )
    assert reset.status_code == 202
    reset_token = await mailed_token(runtime, "mixed@example.com", count=2)
    assert reset_token != verify_token

    response = await client.post(VERIFY, json={"token": reset_token})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("body", "status"), [({}, 422), ({"token": ""}, 422), ({"token": 5}, 422), (None, 422)]
)
async def test_verify_body_is_validated(
    client: httpx.AsyncClient, body: object, status: int
) -> None:
    response = await client.post(VERIFY, json=body)

    assert response.status_code == status
    assert response.json()["error"] == "validation_error"


async def test_link_without_token_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.get(VERIFY)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_resend_sends_a_new_link_and_the_old_one_stops_working(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _register(client, "resend@example.com")
    old = await mailed_token(runtime, "resend@example.com")

    response = await client.post(RESEND, json={"email": "  RESEND@example.com "})

    assert response.status_code == 202
    assert response.json()["detail"]
    new = await mailed_token(runtime, "resend@example.com", count=2)
    assert new != old
    stale = await client.post(VERIFY, json={"token": old})
    assert stale.status_code == 401
    assert stale.json()["error"] == "invalid_token"
    assert (await client.post(VERIFY, json={"token": new})).status_code == 200


async def test_resend_for_unknown_address_is_accepted_and_sends_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.post(RESEND, json={"email": "nobody@example.com"})

    assert response.status_code == 202
    assert await mail_jobs_to(runtime, "nobody@example.com") == 0


async def test_resend_for_verified_account_is_accepted_and_sends_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime, verified=True)

    response = await client.post(RESEND, json={"email": user.email})

    assert response.status_code == 202
    assert await mail_jobs_to(runtime, user.email) == 0


async def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _register(client, "exists@example.com")

    known = await client.post(RESEND, json={"email": "exists@example.com"})
    unknown = await client.post(RESEND, json={"email": "absent@example.com"})

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert len(await mailed_tokens(runtime, "exists@example.com", count=2)) == 2


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": 1}])
async def test_resend_body_is_validated(client: httpx.AsyncClient, body: object) -> None:
    response = await client.post(RESEND, json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_a_browser_following_the_link_lands_on_the_sign_in_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _register(client, "browser@example.com")
    token = await mailed_token(runtime, "browser@example.com")
    browser = {"Accept": "text/html,application/xhtml+xml"}

    first = await client.get(VERIFY, params={"token": token}, headers=browser)
    again = await client.get(VERIFY, params={"token": token}, headers=browser)

    assert first.status_code == 303
    assert first.headers["location"] == "/login?verify=ok"
    assert await _login_status(client, "browser@example.com") == 200
    assert again.status_code == 303
    assert again.headers["location"] == "/login?verify=invalid"
