"""CHARX: a ZIP holding `card.json` (a V3 card) and its assets.

Read defensively: the archive comes from a stranger. At most MAX_FILES members and
MAX_TOTAL bytes uncompressed as declared, and every read is capped whatever the header
claims, so a small archive cannot inflate into gigabytes (a zip bomb).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

from cognitia.characters.errors import FileTooLarge, MalformedCard

ZIP_SIGNATURE = b"PK\x03\x04"
MAX_FILES = 1000
MAX_TOTAL = 200 * 1024 * 1024
MAX_MEMBER = 20 * 1024 * 1024
EMBEDDED = ("embeded://", "embedded://")  # the V3 spec spells it "embeded"


def read(data: bytes, *, parse: Callable[[bytes], Any]) -> tuple[Any, bytes | None]:
    """The parsed card.json and the main icon's bytes (None when it has none)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_FILES:
                raise FileTooLarge(f"A CHARX archive may hold at most {MAX_FILES} files.")
            if sum(member.file_size for member in members) > MAX_TOTAL:
                raise FileTooLarge("The CHARX archive is too large once uncompressed.")
            card = parse(_member(archive, "card.json"))
            return card, _icon(archive, card)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError):
        # Damaged, encrypted or using an unsupported compression method.
        raise MalformedCard("The CHARX archive cannot be read.") from None


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise MalformedCard(f"The CHARX archive has no {name}.") from None
    with archive.open(info) as file:
        content = file.read(MAX_MEMBER + 1)
    if len(content) > MAX_MEMBER:
        raise FileTooLarge(f"{name} in the CHARX archive is too large.")
    return content


def _icon(archive: zipfile.ZipFile, card: Any) -> bytes | None:
    data = card.get("data") if isinstance(card, dict) else None
    assets = data.get("assets") if isinstance(data, dict) else None
    if not isinstance(assets, list):
        return None
    icons = [a for a in assets if isinstance(a, dict) and a.get("type") == "icon"]
    icons.sort(key=lambda asset: asset.get("name") != "main")
    for icon in icons:
        uri = icon.get("uri")
        if isinstance(uri, str) and uri.startswith(EMBEDDED):
            path = uri.split("://", 1)[1]
            if path in archive.namelist():
                return _member(archive, path)
    return None
