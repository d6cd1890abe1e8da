"""The pure parts of card handling, without a database: PNG chunks, the mappings."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from cognitia.characters.cards import png, writing
from cognitia.characters.cards.books import book_from_card, book_from_world_info
from cognitia.characters.cards.character import character_from_card
from cognitia.characters.errors import FileTooLarge, MalformedCard, NotAnImage
from cognitia.characters.images import check_image, placeholder_png
from cognitia.models.lorebook import EntryPosition, SelectiveLogic
from tests.characters.helpers import image_bytes


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _insert(picture: bytes, *chunks: bytes) -> bytes:
    """Put chunks just after IHDR (before the image data, where some tools write them)."""
    ihdr_end = 8 + 25
    return picture[:ihdr_end] + b"".join(chunks) + picture[ihdr_end:]


def test_text_chunks_are_written_and_read_back_without_touching_the_image() -> None:
    picture = image_bytes()

    written = png.with_text(picture, {"chara": "djI=", "ccv3": "djM="})
    rewritten = png.with_text(written, {"chara": "bmV3"})

    assert png.read_text(written, {"chara", "ccv3"}) == {"chara": "djI=", "ccv3": "djM="}
    assert png.read_text(rewritten, {"chara", "ccv3"}) == {"chara": "bmV3", "ccv3": "djM="}
    assert png.without_text(written, {"chara", "ccv3"}) == picture
    with Image.open(io.BytesIO(rewritten)) as image:
        assert image.size == (24, 16)
        assert image.text["chara"] == "bmV3"  # Pillow reads what we wrote


def test_compressed_and_international_text_chunks_are_read() -> None:
    ztxt = _chunk(b"zTXt", b"chara\x00\x00" + zlib.compress(b"Y29tcHJlc3NlZA=="))
    itxt = _chunk(b"iTXt", b"ccv3\x00\x01\x00en\x00\x00" + zlib.compress("ünï".encode()))
    data = _insert(image_bytes(), ztxt, itxt)

    assert png.read_text(data, {"chara", "ccv3"}) == {"chara": "Y29tcHJlc3NlZA==", "ccv3": "ünï"}
    assert png.read_text(data, {"other"}) == {}


def test_keywords_match_in_any_case_and_the_first_wins() -> None:
    data = _insert(
        image_bytes(), _chunk(b"tEXt", b"Chara\x00first"), _chunk(b"tEXt", b"chara\x00second")
    )

    assert png.read_text(data, {"chara"}) == {"chara": "first"}


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p[:-5],  # truncated IEND
        lambda p: p[:20],  # truncated chunk
        lambda p: p[:30] + bytes([p[30] ^ 0xFF]) + p[31:],  # bad CRC
        lambda p: p[:-12],  # no IEND
        lambda p: b"GIF89a" + p[6:],  # not a PNG
    ],
)
def test_damaged_pngs_are_reported(damage: object) -> None:
    data = damage(image_bytes())  # type: ignore[operator]

    with pytest.raises(png.PngError):
        png.read_text(data, {"chara"})


def test_a_compressed_text_bomb_is_refused() -> None:
    bomb = zlib.compress(b"A" * (png.MAX_TEXT + 1), 9)
    data = _insert(image_bytes(), _chunk(b"zTXt", b"chara\x00\x00" + bomb))

    with pytest.raises(png.PngError, match="too large"):
        png.read_text(data, {"chara"})


def test_image_checks() -> None:
    for fmt, mime in [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("WEBP", "image/webp"),
        ("GIF", "image/gif"),
    ]:
        assert check_image(image_bytes(fmt)).mime == mime
    with pytest.raises(NotAnImage):
        check_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    with pytest.raises(NotAnImage):
        check_image(image_bytes("TIFF"))
    with pytest.raises(FileTooLarge):
        check_image(image_bytes(), max_bytes=10)


@pytest.mark.parametrize("mode", ["CMYK", "RGB", "L", "P"])
def test_any_avatar_becomes_the_png_a_card_is_written_into(mode: str) -> None:
    out = io.BytesIO()
    Image.new(mode, (8, 6)).save(out, format="JPEG" if mode in ("CMYK", "L") else "GIF")

    converted = writing._as_png(out.getvalue())

    assert check_image(converted).mime == "image/png"
    assert png.with_text(converted, {"chara": "e30="}).startswith(png.SIGNATURE)


def test_placeholder_is_a_real_png_and_the_same_for_the_same_name() -> None:
    first, second = placeholder_png("Luna"), placeholder_png("Luna")

    assert first == second
    assert check_image(first).width == 400
    assert placeholder_png("Sol") != first


def test_st_positions_and_logic_in_entry_extensions() -> None:
    book = book_from_card(
        {
            "entries": [
                {
                    "keys": ["a"],
                    "position": "before_char",
                    "extensions": {"position": 4, "depth": 7},
                },
                {"keys": ["b"], "position": "after_char", "extensions": {"position": 2}},
                {"keys": ["c"], "extensions": {"selectiveLogic": 2, "position": [1]}},
                {"keys": ["d"], "extensions": {"selectiveLogic": "x"}},
            ]
        }
    )

    a, b, c, d = book.entries
    assert (a["position"], a["depth"]) == (EntryPosition.AT_DEPTH, 7)
    assert b["position"] == EntryPosition.AFTER_CHAR
    assert (c["position"], c["selective_logic"]) == (
        EntryPosition.BEFORE_CHAR,
        SelectiveLogic.NOT_ANY,
    )
    assert d["selective_logic"] == SelectiveLogic.AND_ANY
    assert book.fields["scan_depth"] == 4


def test_world_info_positions() -> None:
    book = book_from_world_info(
        {
            "entries": {
                "0": {
                    "uid": 0,
                    "key": ["k"],
                    "position": 4,
                    "depth": 3,
                    "selectiveLogic": 1,
                    "disable": True,
                }
            }
        },
        name="World",
    )

    [entry] = book.entries
    assert book.fields["name"] == "World"
    assert (entry["position"], entry["depth"], entry["enabled"]) == (
        EntryPosition.AT_DEPTH,
        3,
        False,
    )
    assert entry["selective_logic"] == SelectiveLogic.NOT_ALL
    assert entry["extensions"] == {"position": 4, "selectiveLogic": 1, "depth": 3}


@pytest.mark.parametrize(
    "card",
    [
        None,
        [],
        {"spec": "chara_card_v2"},
        {"spec": "chara_card_v2", "data": {"name": "x", "extensions": []}},
        {"spec": "chara_card_v2", "data": {"name": "x", "alternate_greetings": [1]}},
        {"spec": "chara_card_v2", "data": {"name": "x", "character_book": []}},
        {
            "spec": "chara_card_v2",
            "data": {"name": "x", "character_book": {"entries": [{"insertion_order": "1"}]}},
        },
        {"spec": "chara_card_v2", "data": {"name": "x", "character_book": {"scan_depth": True}}},
    ],
    ids=str,
)
def test_malformed_cards(card: object) -> None:
    with pytest.raises(MalformedCard):
        character_from_card(card)


def test_talkativeness_that_is_not_a_number_reads_as_the_default() -> None:
    for value in ("chatty", "nan", 5, True, None):
        card = character_from_card(
            {"spec": "chara_card_v2", "data": {"name": "x", "extensions": {"talkativeness": value}}}
        )
        assert card.fields["talkativeness"] == 0.5
