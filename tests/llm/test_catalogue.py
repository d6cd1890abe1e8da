"""The model catalogue: built-in default, TOML file, validation, the one-setting switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognitia.llm import catalogue
from cognitia.llm.catalogue import LANES, LOCAL_MODEL


def test_default_needs_nothing_and_routes_every_lane_to_the_local_model() -> None:
    cat = catalogue.load()
    assert cat.providers["local"].type == "local"
    for lane in LANES:
        assert cat.chain_for_lane(lane) == [LOCAL_MODEL]
    assert cat.default_embedder == "minilm"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text)
    return path


HOSTED = """
[providers.openai]
type = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "TEST_OPENAI_KEY"

[models.gpt]
provider = "openai"
upstream = "gpt-4o-mini"
context_window = 128000
input_price = 0.15
output_price = 0.6
fallbacks = ["smollm2-135m"]

[lanes]
chat = ["gpt", "smollm2-135m"]
"""


def test_file_merges_over_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_OPENAI_KEY", "sk-from-env")
    cat = catalogue.load(_write(tmp_path, HOSTED))
    assert set(cat.models) == {"gpt", LOCAL_MODEL}
    assert cat.chain_for_lane("chat") == ["gpt", LOCAL_MODEL]
    assert cat.chain_for_lane("summarize") == [LOCAL_MODEL]
    assert cat.chain_for_model("gpt") == ["gpt", LOCAL_MODEL]
    assert cat.providers["openai"].resolved_api_key() == "sk-from-env"
    assert cat.models["gpt"].input_price == 0.15


def test_default_model_heads_every_lane(tmp_path: Path) -> None:
    cat = catalogue.load(_write(tmp_path, HOSTED), default_model="gpt")
    for lane in LANES:
        assert cat.chain_for_lane(lane)[0] == "gpt"
    assert cat.chain_for_lane("chat") == ["gpt", LOCAL_MODEL]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[models.x]\nprovider = "nope"\nupstream = "x"\ncontext_window = 1000\n',
            "unknown provider",
        ),
        ('[lanes]\nchat = ["ghost"]\n', "unknown model"),
        ("[lanes]\nchat = []\n", "has no models"),
        ('[providers.p]\ntype = "weird"\n', "type"),
        ("not toml at all [", "cannot read"),
        (
            '[models.smollm2-135m]\nprovider = "local"\nupstream = "x"\ncontext_window = 10\n',
            "context_window",
        ),
        ('default_embedder = "none"\n', "default_embedder"),
    ],
)
def test_invalid_files_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        catalogue.load(_write(tmp_path, text))


def test_unknown_default_model_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the catalogue"):
        catalogue.load(default_model="ghost")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        catalogue.load(tmp_path / "missing.toml")


def test_missing_intent_lanes_take_the_chat_chain(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[lanes]\nchat = ["smollm2-135m"]\nretrieve = ["smollm2-135m"]\n')
    cat = catalogue.load(path)
    assert cat.lanes["code"] == cat.lanes["chat"]
    assert cat.lanes["retrieve"] == ["smollm2-135m"]


def test_a_catalogue_may_not_define_a_lane_named_auto(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[lanes]\nauto = ["smollm2-135m"]\n')
    with pytest.raises(ValueError, match="reserved"):
        catalogue.load(path)
