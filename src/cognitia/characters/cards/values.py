"""Typed reads from a parsed card, naming the place of anything malformed."""

from __future__ import annotations

from typing import Any

from cognitia.characters.errors import MalformedCard


def text(obj: dict[str, Any], key: str, where: str, default: str = "") -> str:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise MalformedCard(f"{where}.{key} must be text.")
    return value


def flag(obj: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise MalformedCard(f"{where}.{key} must be true or false.")
    return value


def integer(obj: dict[str, Any], key: str, where: str, default: int) -> int:
    value = obj.get(key)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedCard(f"{where}.{key} must be a whole number.")
    return value


def strings(obj: dict[str, Any], key: str, where: str) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedCard(f"{where}.{key} must be a list of text.")
    return list(value)


def mapping(obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedCard(f"{where}.{key} must be an object.")
    return dict(value)


def number(value: Any) -> float | None:
    """A number, or text holding one (SillyTavern writes talkativeness as "0.5")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
