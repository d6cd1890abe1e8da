"""POST /api/v2/auth/register: normalisation, duplicates, password policy, body validation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.support.factories import PASSWORD, mailed_token

pytestmark = pytest.mark.asyncio

REGISTER = "/api/v2/auth/register"


async def _user_count(runtime: Runtime) -> int:
    async with runtime.db.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_register_returns_the_account_unverified(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    body = {
        "email": "ada@example.com",
        "password": PASSWORD,
        "first_name": "  Ada ",
        "last_name": "Lovelace",
    }

    response = await client.post(REGISTER, json=body)

    assert response.status_code == 201
    user = response.json()
    assert user["email"] == "ada@example.com"
    assert (user["first_name"], user["last_name"]) == ("Ada", "Lovelace")
    assert user["role"] == "user"
    assert user["is_active"] is True
    assert user["is_verified"] is False
    assert "password" not in user
    assert "password_hash" not in user
    assert await mailed_token(runtime, "ada@example.com")


async def test_register_normalises_case_and_whitespace(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, json={"email": "  Grace.Hopper@EXAMPLE.com ", "password": PASSWORD}
    )

    assert response.status_code == 201
    assert response.json()["email"] == "grace.hopper@example.com"


@pytest.mark.parametrize("second", ["dup@example.com", "DUP@Example.COM", "  dup@example.com  "])
async def test_register_twice_is_email_taken(
    client: httpx.AsyncClient, runtime: Runtime, second: str
) -> None:
    first = await client.post(REGISTER, json={"email": "dup@example.com", "password": PASSWORD})
    assert first.status_code == 201

    again = await client.post(REGISTER, json={"email": second, "password": "Another123"})

    assert again.status_code == 409
    assert again.json()["error"] == "email_taken"
    assert await _user_count(runtime) == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("weak@example.com", "Short1"),  # under 8 characters
        ("weak@example.com", "onlyletters"),  # no digit
        ("weak@example.com", "1234567890"),  # no letter
        ("weak1234@example.com", "weak1234@example.com"),  # the e-mail itself
        ("weak1234@example.com", "WEAK1234@Example.com"),  # the e-mail, other case
        ("weak1234@example.com", "Weak1234"),  # the e-mail's local part
    ],
)
async def test_register_weak_password(
    client: httpx.AsyncClient, runtime: Runtime, email: str, password: str
) -> None:
    response = await client.post(REGISTER, json={"email": email, "password": password})

    assert response.status_code == 422
    assert response.json()["error"] == "weak_password"
    assert response.json()["detail"]
    assert await _user_count(runtime) == 0


# 260 characters, every part within its own limit: only the total is too long.
LONG_EMAIL = "a" * 64 + "@" + ".".join(c * 63 for c in "bcd") + ".com"

INVALID_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("no at sign", {"email": "not-an-email", "password": PASSWORD}),
    ("no domain", {"email": "someone@", "password": PASSWORD}),
    ("spaces inside", {"email": "some one@example.com", "password": PASSWORD}),
    ("empty e-mail", {"email": "", "password": PASSWORD}),
    ("missing e-mail", {"password": PASSWORD}),
    ("missing password", {"email": "a@example.com"}),
    ("empty password", {"email": "a@example.com", "password": ""}),
    ("password as number", {"email": "a@example.com", "password": 12345678}),
    ("e-mail as list", {"email": ["a@example.com"], "password": PASSWORD}),
    ("name as object", {"email": "a@example.com", "password": PASSWORD, "first_name": {}}),
    ("null password", {"email": "a@example.com", "password": None}),
    ("first name > 100", {"email": "a@example.com", "password": PASSWORD, "first_name": "x" * 101}),
    ("last name > 100", {"email": "a@example.com", "password": PASSWORD, "last_name": "x" * 101}),
    ("e-mail > 254", {"email": LONG_EMAIL, "password": PASSWORD}),
    ("password > 128", {"email": "a@example.com", "password": "Ab1" * 43}),
    ("NUL in a name", {"email": "a@example.com", "password": PASSWORD, "first_name": "A\x00B"}),
    ("newline in a name", {"email": "a@example.com", "password": PASSWORD, "last_name": "A\nB"}),
    ("unknown field", {"email": "a@example.com", "password": PASSWORD, "is_admin": True}),
    ("role smuggled in", {"email": "a@example.com", "password": PASSWORD, "role": "admin"}),
]


@pytest.mark.parametrize(("case", "body"), INVALID_BODIES, ids=[c for c, _ in INVALID_BODIES])
async def test_register_invalid_body(
    client: httpx.AsyncClient, runtime: Runtime, case: str, body: dict[str, Any]
) -> None:
    response = await client.post(REGISTER, json=body)

    assert response.status_code == 422, case
    payload = response.json()
    assert payload["error"] == "validation_error"
    assert payload["detail"]
    assert payload["fields"]
    assert await _user_count(runtime) == 0


async def test_register_reports_which_field_is_wrong(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json={"email": "a@example.com", "password": 12345678})

    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == ["password"]


async def test_names_of_exactly_100_characters_are_accepted(client: httpx.AsyncClient) -> None:
    body = {"email": "long@example.com", "password": PASSWORD, "first_name": "n" * 100}

    response = await client.post(REGISTER, json=body)

    assert response.status_code == 201
    assert response.json()["first_name"] == "n" * 100


@pytest.mark.parametrize(
    "raw", [b'{"email": "a@example.com", "password": ', b"{'email': 1}", b"not json", b"{"]
)
async def test_register_malformed_json(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        REGISTER, content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b'"text"', b"42"])
async def test_register_empty_or_non_object_body(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        REGISTER, content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
