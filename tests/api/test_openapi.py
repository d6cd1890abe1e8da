"""The spec says what the API does: the real error bodies, the shared errors, the PNG
export's content type, and 405 with every method of a path in Allow."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.support.factories import user_with_token

pytestmark = pytest.mark.asyncio


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # the spec and the routing read no database


async def spec_of(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


def body_schema(operation: dict[str, Any], status: str) -> str:
    ref: str = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


async def test_422_is_described_with_the_body_it_has(client: httpx.AsyncClient) -> None:
    spec = await spec_of(client)
    register = spec["paths"]["/api/v2/auth/register"]["post"]

    assert body_schema(register, "422") == "ValidationErrorBody"
    fields = spec["components"]["schemas"]["ValidationErrorBody"]["properties"]
    assert {"error", "detail", "fields"} <= fields.keys()
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_every_422_has_fields(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)
    # A domain error (not pydantic's) with status 422: a template that does not exist.
    body = {"name": "A", "prompt_template": "no-such-template"}

    response = await client.post("/api/v2/characters", json=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["fields"] == []


async def test_shared_errors_are_on_every_operation_that_can_answer_them(
    client: httpx.AsyncClient,
) -> None:
    spec = await spec_of(client)
    create_chat = spec["paths"]["/api/v2/chats"]["post"]["responses"]
    health = spec["paths"]["/health"]["get"]["responses"]

    assert {"400", "401", "403", "422"} <= create_chat.keys()
    assert body_schema({"responses": create_chat}, "401") == "ErrorBody"
    assert "401" not in health


async def test_v1_errors_are_described_in_openai_shape(client: httpx.AsyncClient) -> None:
    spec = await spec_of(client)
    completions = spec["paths"]["/v1/chat/completions"]["post"]

    assert "422" not in completions["responses"]
    assert body_schema(completions, "400") == "OpenAIErrorBody"
    assert body_schema(completions, "404") == "OpenAIErrorBody"


async def test_the_png_export_is_described_as_png(client: httpx.AsyncClient) -> None:
    spec = await spec_of(client)
    export = spec["paths"]["/api/v2/characters/{character_id}/export"]["get"]

    assert {"image/png", "application/json"} <= export["responses"]["200"]["content"].keys()


@pytest.mark.parametrize("method", ["PUT", "OPTIONS", "POST"])
async def test_a_missing_method_lists_every_method_of_the_path(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/api/v2/chats/some-id")

    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["allow"] == "DELETE, GET, PATCH"
