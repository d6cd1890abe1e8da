"""GET /api/v2/characters/marketplace: search by name and tag, newest or popular, pages."""

from __future__ import annotations

import httpx
import pytest

from cognitia.characters import service
from cognitia.runtime import Runtime
from tests.characters.conftest import Account
from tests.characters.helpers import CHARACTERS, assert_error, create_character

pytestmark = pytest.mark.asyncio

MARKET = f"{CHARACTERS}/marketplace"


async def _names(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list[str]:
    response = await client.get(MARKET, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [c["name"] for c in response.json()["items"]]


async def _publish(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, *tags: str
) -> str:
    body = await create_character(client, headers, name=name, tags=list(tags), visibility="public")
    return str(body["id"])


async def test_search_by_part_of_the_name_in_any_case(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    for name in ("Luna", "Lunaria", "Sol", "100% Real", "a_b"):
        await _publish(client, owner[1], name)
    headers = other[1]

    assert sorted(await _names(client, headers, q="LUNA")) == ["Luna", "Lunaria"]
    assert await _names(client, headers, q="aria") == ["Lunaria"]
    # LIKE wildcards are searched for literally.
    assert await _names(client, headers, q="%") == ["100% Real"]
    assert await _names(client, headers, q="_") == ["a_b"]
    assert await _names(client, headers, q="nobody") == []


async def test_filter_by_tag_in_any_case(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    await _publish(client, owner[1], "Knight", "Fantasy", "Action")
    await _publish(client, owner[1], "Pilot", "Sci-Fi", "Action")
    await _publish(client, owner[1], "Hidden", "Fantasy")
    await create_character(client, owner[1], name="Private", tags=["fantasy"])
    headers = other[1]

    assert sorted(await _names(client, headers, tag="fantasy")) == ["Hidden", "Knight"]
    assert sorted(await _names(client, headers, tag="ACTION")) == ["Knight", "Pilot"]
    assert await _names(client, headers, tag="action", q="pil") == ["Pilot"]
    assert await _names(client, headers, tag="romance") == []


async def test_sort_newest_or_by_popularity(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    first = await _publish(client, owner[1], "First")
    second = await _publish(client, owner[1], "Second")
    await _publish(client, owner[1], "Third")
    async with runtime.db.unit_of_work() as session:
        await service.increment_chat_count(session, character_ids=[first, second])
        await service.increment_chat_count(session, character_ids=[first])

    assert await _names(client, owner[1]) == ["Third", "Second", "First"]
    assert await _names(client, owner[1], sort="newest") == ["Third", "Second", "First"]
    assert await _names(client, owner[1], sort="popular") == ["First", "Second", "Third"]
    popular = (await client.get(MARKET, params={"sort": "popular"}, headers=owner[1])).json()
    assert [c["chat_count"] for c in popular["items"]] == [2, 1, 0]


async def test_pages(client: httpx.AsyncClient, owner: Account) -> None:
    for index in range(5):
        await _publish(client, owner[1], f"C{index}")

    page = (await client.get(MARKET, params={"limit": 2, "offset": 1}, headers=owner[1])).json()
    last = await _names(client, owner[1], limit=2, offset=4)

    assert [c["name"] for c in page["items"]] == ["C3", "C2"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert last == ["C0"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "oldest"},
        {"limit": 0},
        {"limit": 201},
        {"offset": -1},
        {"q": "x" * 101},
        {"tag": "t" * 65},
    ],
)
async def test_bad_parameters_are_refused(
    client: httpx.AsyncClient, owner: Account, params: dict[str, object]
) -> None:
    assert_error(await client.get(MARKET, params=params, headers=owner[1]), 422, "validation_error")


async def test_marketplace_is_not_mistaken_for_an_id(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.get(MARKET, headers=owner[1])

    assert response.status_code == 200
    assert response.json()["items"] == []
