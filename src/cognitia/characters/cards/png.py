"""PNG text chunks, read and written at the chunk level.

Why not Pillow's PngInfo: writing through Pillow re-encodes the whole image (slow for a
large avatar, and it may drop or change chunks Pillow does not know), and reading card
chunks placed after the image data makes Pillow decode every pixel first, under a 1 MB
cap per text chunk that a card with a large lorebook exceeds. A PNG is a signature and a
list of length-type-data-CRC chunks, so reading and replacing text chunks here is short,
keeps the image bytes exactly, and needs no decoding; Pillow still checks that an avatar
decodes (images.py).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT = 64 * 1024 * 1024  # decompressed zTXt / iTXt
TEXT_TYPES = (b"tEXt", b"zTXt", b"iTXt")


class PngError(ValueError):
    pass


def is_png(data: bytes) -> bool:
    return data.startswith(SIGNATURE)


def chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of each chunk up to IEND; PngError when the file is damaged."""
    if not is_png(png):
        raise PngError("not a PNG file")
    position = len(SIGNATURE)
    while position + 12 <= len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        end = position + 12 + length
        if length > 2**31 - 1 or end > len(png):
            raise PngError("truncated chunk")
        data = png[position + 8 : end - 4]
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(kind + data) != crc:
            raise PngError(f"bad CRC in a {kind!r} chunk")
        yield kind, data
        if kind == b"IEND":
            return
        position = end
    raise PngError("no IEND chunk")


def read_text(png: bytes, keywords: set[str]) -> dict[str, str]:
    """The first tEXt, zTXt or iTXt chunk of each keyword (compared lower-cased)."""
    found: dict[str, str] = {}
    for kind, data in chunks(png):
        if kind not in TEXT_TYPES:
            continue
        keyword, _, rest = data.partition(b"\x00")
        name = keyword.decode("latin-1").lower()
        if name in keywords and name not in found:
            found[name] = _text_of(kind, rest)
    return found


def _text_of(kind: bytes, rest: bytes) -> str:
    if kind == b"tEXt":
        return rest.decode("latin-1")
    if kind == b"zTXt":
        return _inflate(rest[1:]).decode("latin-1")
    # iTXt: compression flag, method, language tag NUL, translated keyword NUL, UTF-8 text.
    if len(rest) < 2:
        raise PngError("truncated iTXt chunk")
    compressed = rest[0] == 1
    _language, _, tail = rest[2:].partition(b"\x00")
    _translated, _, text = tail.partition(b"\x00")
    raw = _inflate(text) if compressed else text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PngError("iTXt chunk is not UTF-8") from None


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT)
    except zlib.error:
        raise PngError("damaged compressed text chunk") from None
    if inflater.unconsumed_tail:
        raise PngError("compressed text chunk too large")
    return out


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def with_text(png: bytes, texts: Mapping[str, str]) -> bytes:
    """The PNG with every text chunk of these keywords replaced by one tEXt chunk each
    (placed just before IEND, where SillyTavern writes them). Text must be Latin-1."""
    stripped = without_text(png, {name.lower() for name in texts})
    added = [
        _chunk(b"tEXt", name.encode("latin-1") + b"\x00" + text.encode("latin-1"))
        for name, text in texts.items()
    ]
    iend = len(stripped) - 12  # without_text ends with the (empty) IEND chunk
    return b"".join([stripped[:iend], *added, stripped[iend:]])


def without_text(png: bytes, keywords: set[str]) -> bytes:
    """The PNG without the text chunks of these keywords (the card, before storing an avatar)."""
    out = [SIGNATURE]
    for kind, data in chunks(png):
        if kind in TEXT_TYPES and data.partition(b"\x00")[0].decode("latin-1").lower() in keywords:
            continue
        out.append(_chunk(kind, b"" if kind == b"IEND" else data))
    return b"".join(out)
