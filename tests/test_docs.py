"""Every setting is documented in docs/configuration.md, and nothing there is stale.

Like datasette's tests/test_docs.py: the settings are walked, not listed by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from cognitia.config import Settings

CONFIGURATION = Path(__file__).parent.parent / "docs" / "configuration.md"


def env_names(model: type[BaseModel], prefix: str = "COGNITIA_") -> list[str]:
    """The environment variable of every leaf setting, nested groups included."""
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(env_names(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def documented_names() -> set[str]:
    """Names in the first column of the tables."""
    return set(re.findall(r"^\| `(COGNITIA_[A-Z0-9_]+)` \|", CONFIGURATION.read_text(), re.M))


def test_the_walk_finds_nested_settings() -> None:
    names = env_names(Settings)

    assert "COGNITIA_JWT_SECRET" in names
    assert "COGNITIA_AUTH__ACCESS_TOKEN_MINUTES" in names
    assert "COGNITIA_AUTH" not in names
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", env_names(Settings))
def test_setting_is_documented(name: str) -> None:
    assert name in documented_names(), f"{name} is missing from docs/configuration.md"


def test_no_documented_setting_is_stale() -> None:
    stale = documented_names() - set(env_names(Settings))

    assert not stale, f"docs/configuration.md lists settings that do not exist: {sorted(stale)}"
