"""Character Card import and export: real SillyTavern files, round trips, CHARX, World Info."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from tests.characters.conftest import Account
from tests.characters.helpers import (
    CHARACTERS,
    LOREBOOKS,
    LUNA,
    assert_error,
    b64_json,
    card_chunks,
    charx,
    create_character,
    image_bytes,
    imported,
    png_with,
    real_card,
)

pytestmark = pytest.mark.asyncio

Headers = dict[str, str]


async def _export(
    client: httpx.AsyncClient, headers: Headers, character_id: str, fmt: str = "png"
) -> httpx.Response:
    response = await client.get(
        f"{CHARACTERS}/{character_id}/export", params={"format": fmt}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def _entries(
    client: httpx.AsyncClient, headers: Headers, book_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"{LOREBOOKS}/{book_id}/entries", headers=headers)
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_seraphina_imports_with_her_lorebook_and_picture(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    original = real_card("default_Seraphina.png")

    result = await imported(client, headers, original, "default_Seraphina.png")

    assert result["kind"] == "character"
    assert result["lorebook"] is None
    seraphina = result["character"]
    assert seraphina["name"] == "Seraphina"
    assert seraphina["creator"] == "OtisAlejandro"
    assert seraphina["character_version"] == "1.0.0"
    assert seraphina["creator_notes"] == "ST Default Bot contest winner: roleplay bots category"
    assert seraphina["description"].startswith('[Seraphina\'s Personality= "caring"')
    assert seraphina["first_message"].startswith("*You wake with a start")
    assert seraphina["talkativeness"] == 0.5
    assert seraphina["extensions"] == {"talkativeness": "0.5", "fav": False, "world": "Eldoria"}
    assert seraphina["card_extra"]["card"]["create_date"] == "2023-5-12 @21h 32m 29s 228ms"
    assert seraphina["visibility"] == "private"
    book = (await client.get(f"{LOREBOOKS}/{seraphina['lorebook_id']}", headers=headers)).json()
    assert book["name"] == "Eldoria"
    assert [e["source_uid"] for e in book["entries"]] == [0, 1, 2, 3]
    first = book["entries"][0]
    assert first["keys"] == ["eldoria", "wood", "forest", "magical forest"]
    assert first["content"].startswith('{{user}}: "What is Eldoria?"')
    assert (first["position"], first["insertion_order"], first["enabled"]) == (
        "before_char",
        100,
        True,
    )
    assert first["extensions"] == {"position": 0, "probability": None, "useProbability": False}
    assert first["extra"] == {"selective": False}
    picture = await client.get(seraphina["avatar_url"], headers=headers)
    assert picture.headers["content-type"] == "image/png"
    assert card_chunks(picture.content) == {}  # the card lives in the database, not the picture


async def test_seraphina_exports_the_card_she_came_with(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    original = real_card("default_Seraphina.png")
    seraphina = (await imported(client, headers, original))["character"]

    exported = await _export(client, headers, seraphina["id"])

    assert exported.headers["content-type"] == "image/png"
    assert 'filename="Seraphina.png"' in exported.headers["content-disposition"]
    cards = card_chunks(exported.content)
    # Every field SillyTavern wrote, beside `data` and in it, lorebook included.
    assert cards["chara"] == card_chunks(original)["chara"]
    v3 = cards["ccv3"]
    assert (v3["spec"], v3["spec_version"]) == ("chara_card_v3", "3.0")
    assert {k: v for k, v in v3["data"].items() if k != "character_book"} == {
        **{k: v for k, v in cards["chara"]["data"].items() if k != "character_book"},
        "group_only_greetings": [],
    }
    assert all(e["use_regex"] is False for e in v3["data"]["character_book"]["entries"])


async def test_png_export_then_import_gives_the_same_card(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    first = (await imported(client, headers, real_card("default_Seraphina.png")))["character"]
    exported = (await _export(client, headers, first["id"])).content

    again = (await imported(client, headers, exported, "Seraphina.png"))["character"]
    re_exported = (await _export(client, headers, again["id"])).content

    assert card_chunks(re_exported) == card_chunks(exported)
    assert again["avatar_url"] is not None
    ignore = {"id", "lorebook_id", "created_at", "updated_at", "avatar_url"}
    assert {k: v for k, v in again.items() if k not in ignore} == {
        k: v for k, v in first.items() if k not in ignore
    }
    pictures = [await client.get(c["avatar_url"], headers=headers) for c in (first, again)]
    assert pictures[0].content == pictures[1].content
    assert len(await _entries(client, headers, again["lorebook_id"])) == 4


async def test_json_export_then_import_gives_the_same_card(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    first = (await imported(client, headers, real_card("default_Seraphina.png")))["character"]
    exported = await _export(client, headers, first["id"], "json")
    card = exported.json()
    assert exported.headers["content-type"] == "application/json"
    assert card["spec"] == "chara_card_v3"

    again = (await imported(client, headers, exported.content, "Seraphina.json"))["character"]

    assert (await _export(client, headers, again["id"], "json")).json() == card
    assert again["avatar_url"] is None  # a JSON card has no picture


async def test_eldoria_world_info_imports_as_a_lorebook(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    world = json.loads(real_card("Eldoria.json"))

    result = await imported(client, headers, real_card("Eldoria.json"), "Eldoria.json")

    assert result["kind"] == "lorebook"
    assert result["character"] is None
    book = result["lorebook"]
    assert book["name"] == "Eldoria"
    entries = await _entries(client, headers, book["id"])
    assert len(entries) == len(world["entries"]) == 4
    for entry, source in zip(entries, world["entries"].values(), strict=True):
        assert entry["keys"] == source["key"]
        assert entry["secondary_keys"] == source["keysecondary"]
        assert entry["content"] == source["content"]
        assert entry["source_uid"] == source["uid"]
        assert entry["enabled"] is not source["disable"]
        assert entry["insertion_order"] == source["order"]
        assert entry["position"] == "before_char"
        assert entry["extra"] == {"selective": False}
    assert (await client.get(CHARACTERS, headers=headers)).json()["total"] == 0


def _v2_card(**data: Any) -> dict[str, Any]:
    return {
        "spec": "chara_card_v2",
        "spec_version": "2.0",
        "made_by": "some tool",
        "data": {
            "name": "Rook",
            "description": "A chess piece.",
            "personality": "",
            "scenario": "",
            "first_mes": "Check.",
            "mes_example": "",
            "creator_notes": "",
            "system_prompt": "",
            "post_history_instructions": "",
            "alternate_greetings": ["Mate."],
            "tags": ["Games"],
            "creator": "me",
            "character_version": "1",
            "extensions": {"talkativeness": 0.9, "regex_scripts": [{"find": "a"}]},
            "source_url": "https://example.com/rook",
            "character_book": {
                "name": "Board",
                "scan_depth": 6,
                "extensions": {"tool": "x"},
                "custom_book_field": [1, 2],
                "entries": [
                    {
                        "id": 7,
                        "keys": ["castle"],
                        "secondary_keys": ["king"],
                        "content": "Castling moves two pieces.",
                        "comment": "",
                        "constant": False,
                        "selective": True,
                        "insertion_order": 5,
                        "enabled": True,
                        "position": "after_char",
                        "case_sensitive": True,
                        "priority": 10,
                        "name": "castling",
                        "extensions": {"position": 4, "depth": 2, "selectiveLogic": 3, "weight": 1},
                    },
                    {
                        "keys": ["pawn"],
                        "content": "Pawns promote.",
                        "extensions": {},
                        "enabled": False,
                        "insertion_order": 1,
                        "id": "text-id",
                    },
                ],
            },
            **data,
        },
    }


async def test_unknown_fields_and_extensions_survive_a_round_trip(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    card = _v2_card()
    content = png_with({"chara": b64_json(card)})

    rook = (await imported(client, headers, content, "rook.png"))["character"]
    entries = await _entries(client, headers, rook["lorebook_id"])
    exported = card_chunks((await _export(client, headers, rook["id"])).content)

    assert rook["talkativeness"] == 0.9
    assert rook["card_extra"] == {
        "card": {"made_by": "some tool"},
        "data": {"source_url": "https://example.com/rook"},
    }
    castle = entries[0]
    assert (castle["position"], castle["depth"], castle["selective_logic"]) == (
        "at_depth",
        2,
        "and_all",
    )
    assert castle["extra"] == {"selective": True, "priority": 10, "name": "castling"}
    assert entries[1]["extra"] == {"id": "text-id"}
    expected = copy.deepcopy(card)
    # Written in SillyTavern's full form: the fields the second entry left out, with defaults.
    expected["data"]["character_book"]["entries"][1].update(
        secondary_keys=[], comment="", constant=False, position="before_char", selective=False
    )
    assert exported["chara"] == expected
    v3 = exported["ccv3"]
    assert v3["data"]["source_url"] == "https://example.com/rook"
    assert v3["made_by"] == "some tool"
    assert v3["data"]["character_book"]["custom_book_field"] == [1, 2]


async def test_v3_card_with_our_settings(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    card = {
        "spec": "chara_card_v3",
        "spec_version": "3.0",
        "data": {
            **_v2_card()["data"],
            "group_only_greetings": ["Hello, all."],
            "nickname": "R",
            "creation_date": 1700000000,
            "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
            "extensions": {
                "cognitia": {
                    "prompt_template": "chatml",
                    "voice_model": "am_adam",
                    "temperature": 0.4,
                },
            },
        },
    }
    card["data"].pop("character_book")

    rook = (await imported(client, headers, json.dumps(card).encode(), "rook.json"))["character"]
    exported = (await _export(client, headers, rook["id"], "json")).json()

    assert (rook["prompt_template"], rook["voice_model"], rook["temperature"]) == (
        "chatml",
        "am_adam",
        0.4,
    )
    assert rook["group_only_greetings"] == ["Hello, all."]
    assert rook["extensions"] == {}
    assert exported == card


async def test_our_own_settings_travel_in_the_card(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    luna = await create_character(
        client,
        headers,
        **{**LUNA, "model": "lane/roleplay", "max_tokens": 200, "talkativeness": 0.2},
    )

    exported = card_chunks((await _export(client, headers, luna["id"])).content)
    again = (await imported(client, headers, png_with({"ccv3": b64_json(exported["ccv3"])})))[
        "character"
    ]

    assert exported["chara"]["data"]["extensions"] == {
        "cognitia": {
            "prompt_template": "pygmalion",
            "voice_model": "af_bella",
            "model": "lane/roleplay",
            "max_tokens": 200,
        },
        "talkativeness": "0.2",
    }
    same = [
        "prompt_template",
        "voice_model",
        "model",
        "max_tokens",
        "talkativeness",
        "first_message",
    ]
    assert {k: again[k] for k in same} == {k: luna[k] for k in same}


async def test_ccv3_is_preferred_over_chara(client: httpx.AsyncClient, owner: Account) -> None:
    v2 = _v2_card(name="From chara")
    v3 = {
        "spec": "chara_card_v3",
        "spec_version": "3.0",
        "data": {**_v2_card()["data"], "name": "From ccv3"},
    }
    content = png_with({"chara": b64_json(v2), "ccv3": b64_json(v3)})

    result = await imported(client, owner[1], content)

    assert result["character"]["name"] == "From ccv3"


async def test_a_v1_card(client: httpx.AsyncClient, owner: Account) -> None:
    card = {
        "name": "Old",
        "description": "d",
        "personality": "p",
        "scenario": "s",
        "first_mes": "f",
        "mes_example": "m",
        "creatorcomment": "c",
        "talkativeness": "0.7",
        "chat": "x",
    }

    old = (await imported(client, owner[1], json.dumps(card).encode(), "old.json"))["character"]
    exported = card_chunks((await _export(client, owner[1], old["id"])).content)["chara"]

    assert (old["first_message"], old["example_dialogue"], old["creator_notes"]) == ("f", "m", "c")
    assert old["talkativeness"] == 0.7
    assert {k: exported[k] for k in card} == card


async def test_a_charx_archive_with_its_icon(client: httpx.AsyncClient, owner: Account) -> None:
    icon = image_bytes("WEBP")
    card = {
        "spec": "chara_card_v3",
        "spec_version": "3.0",
        "data": {
            **_v2_card()["data"],
            "assets": [
                {
                    "type": "background",
                    "uri": "embeded://assets/bg.png",
                    "name": "bg",
                    "ext": "png",
                },
                {
                    "type": "icon",
                    "uri": "embeded://assets/icon/images/main.webp",
                    "name": "main",
                    "ext": "webp",
                },
            ],
        },
    }
    archive = charx(card, {"assets/icon/images/main.webp": icon, "assets/bg.png": image_bytes()})

    rook = (await imported(client, owner[1], archive, "rook.charx"))["character"]
    picture = await client.get(rook["avatar_url"], headers=owner[1])

    assert picture.content == icon
    assert picture.headers["content-type"] == "image/webp"
    assert len(await _entries(client, owner[1], rook["lorebook_id"])) == 2
    exported = (await _export(client, owner[1], rook["id"])).content
    assert card_chunks(exported)["ccv3"]["data"]["assets"] == card["data"]["assets"]


async def test_export_without_a_picture_uses_a_placeholder(
    client: httpx.AsyncClient, owner: Account
) -> None:
    luna = await create_character(client, owner[1], **LUNA)

    exported = (await _export(client, owner[1], luna["id"])).content
    again = (await imported(client, owner[1], exported))["character"]

    assert exported.startswith(b"\x89PNG")
    assert card_chunks(exported)["ccv3"]["data"]["name"] == "Luna"
    assert again["avatar_url"] is not None


async def test_a_non_png_picture_is_converted_for_the_png_card(
    client: httpx.AsyncClient, owner: Account
) -> None:
    luna = await create_character(client, owner[1], **LUNA)
    await client.put(
        f"{CHARACTERS}/{luna['id']}/avatar",
        files={"file": ("a.jpg", image_bytes("JPEG", (40, 30)), "image/jpeg")},
        headers=owner[1],
    )

    exported = (await _export(client, owner[1], luna["id"])).content

    assert exported.startswith(b"\x89PNG")
    assert card_chunks(exported)["chara"]["data"]["name"] == "Luna"


async def test_bad_export_format(client: httpx.AsyncClient, owner: Account) -> None:
    luna = await create_character(client, owner[1])

    response = await client.get(
        f"{CHARACTERS}/{luna['id']}/export", params={"format": "yaml"}, headers=owner[1]
    )

    assert_error(response, 422, "validation_error")


async def test_a_nameless_lorebook_is_named_after_its_file(
    client: httpx.AsyncClient, owner: Account
) -> None:
    world = {"entries": {"0": {"uid": 0, "key": ["k"], "content": "c"}}}
    book = {"entries": [{"keys": ["k"], "content": "c", "extensions": {}}]}

    first = await imported(client, owner[1], json.dumps(world).encode(), "My World.json")
    second = await imported(client, owner[1], json.dumps(book).encode(), "dir/Other.json")

    assert (first["kind"], first["lorebook"]["name"]) == ("lorebook", "My World")
    assert second["lorebook"]["name"] == "Other"
