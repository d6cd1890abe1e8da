"""Avatars: what an uploaded file really is (by its content, decoded with Pillow), and the
placeholder picture a card is written into when a character has none. CPU-bound: call
from a thread."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from cognitia.characters.errors import FileTooLarge, NotAnImage

AVATAR_MAX_BYTES = 5 * 1024 * 1024
# Far above any avatar, far below what would take real memory to decode (RGBA: 4 bytes each).
MAX_PIXELS = 40_000_000
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    mime: str
    extension: str
    width: int
    height: int


def check_image(data: bytes, *, max_bytes: int = AVATAR_MAX_BYTES) -> CheckedImage:
    """The image's type and size, or NotAnImage unless it is a PNG, JPEG, WebP or GIF
    that decodes; FileTooLarge over `max_bytes`."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"An image may be at most {max_bytes // (1024 * 1024)} MB.")
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            kind = image.format or ""
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise NotAnImage(f"The image has more than {MAX_PIXELS} pixels.")
            image.load()
    except NotAnImage:
        raise
    # Pillow reports damaged or foreign data with many exception types (OSError,
    # SyntaxError, ValueError, DecompressionBombError, EOFError...): all mean "not an image".
    except Exception:
        raise NotAnImage() from None
    if kind not in FORMATS:
        raise NotAnImage()
    mime, extension = FORMATS[kind]
    return CheckedImage(data, mime, extension, width, height)


def placeholder_png(name: str) -> bytes:
    """A 400x600 PNG in a colour drawn from the name, with its initial: the picture a card
    is written into when the character has no avatar. The same name gives the same bytes."""
    digest = hashlib.sha256(name.encode("utf-8", "replace")).digest()
    background = (64 + digest[0] // 2, 64 + digest[1] // 2, 64 + digest[2] // 2)
    image = Image.new("RGB", (400, 600), background)
    draw = ImageDraw.Draw(image)
    initial = (name.strip()[:1] or "?").upper()
    try:
        draw.text((200, 300), initial, fill=(255, 255, 255), anchor="mm", font_size=160)
    except (ImportError, OSError, ValueError):  # a Pillow built without FreeType
        draw.text((200, 300), initial, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
