"""The model catalogue: providers, named models, lanes, embedders.

Read from a TOML file (`COGNITIA_LLM__CATALOGUE_PATH`, format in docs/models.md) merged
over the built-in default, which needs nothing: the bundled SmolLM2-135M on llama.cpp
and all-MiniLM-L6-v2 for embeddings. `COGNITIA_LLM__DEFAULT_MODEL` puts one catalogue
model at the head of every lane: switching every conversation to a capable model is
that one setting.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

LANES = ("chat", "roleplay", "summarize", "extract", "plan")
# Lanes the intent router (llm/intent.py) may pick for `lane/auto`, besides `chat` and
# `plan`: a catalogue that leaves one out gets the `chat` lane's chain for it, so a
# catalogue written before they existed routes as it did.
INTENT_LANES = ("code", "long", "retrieve", "govern")
# Not a lane but a request to pick one: no catalogue may define it.
AUTO_LANE = "auto"
LOCAL_MODEL = "smollm2-135m"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProviderConfig(_Strict):
    type: Literal["local", "openai", "anthropic"]
    base_url: str | None = None
    api_key: SecretStr | None = Field(None, description="Prefer api_key_env: keys in files leak.")
    api_key_env: str | None = Field(None, description="Environment variable holding the key.")
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(120.0, gt=0, description="Whole-request read timeout.")
    connect_timeout_seconds: float = Field(5.0, gt=0)
    first_token_timeout_seconds: float = Field(
        30.0, gt=0, description="Give up (and fall back) if no token arrives in this time."
    )
    concurrency: int = Field(64, ge=1, description="Requests in flight to this provider.")
    # local (llama.cpp) only
    model_path: str | None = Field(None, description="GGUF file; default: the bundled SmolLM2.")
    n_ctx: int = Field(2048, ge=256)
    threads: int | None = Field(None, ge=1)
    prompt_cache_mb: int = Field(
        256,
        ge=0,
        description="RAM for saved prompt states (0: off): a chat's evaluated prompt survives"
        " the other requests in between, so its next reply starts from there.",
    )

    def resolved_api_key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if self.api_key_env:
            return os.environ.get(self.api_key_env)
        return None


class ModelConfig(_Strict):
    provider: str
    upstream: str = Field(description="The model id the provider knows it by.")
    context_window: int = Field(ge=256)
    max_output_tokens: int | None = Field(None, ge=1)
    input_price: float = Field(0.0, ge=0, description="USD per million prompt tokens.")
    output_price: float = Field(0.0, ge=0, description="USD per million completion tokens.")
    capabilities: list[str] = Field(default_factory=lambda: ["chat"])
    fallbacks: list[str] = Field(
        default_factory=list, description="Models tried next when this one fails before a token."
    )


class EmbedderConfig(_Strict):
    type: Literal["local", "openai"]
    provider: str | None = Field(None, description="openai: the provider entry to call.")
    upstream: str = "all-MiniLM-L6-v2"
    dimensions: int = Field(384, ge=1)
    batch_size: int = Field(32, ge=1)
    # local: BLAS threads of the runner's forward pass. One: the runner shares the cores
    # with the API process and the chat model, and a multi-threaded BLAS that must wait
    # for a busy core spins: 4 to 25 times slower per query on a loaded 2-core machine
    # (docs/benchmarks.md, "The chat loop").
    threads: int = Field(1, ge=1, le=256)
    precision: Literal["int8", "float32"] = Field(
        "int8",
        description="local, the bundled model only: int8 on ONNX Runtime (about twice as"
        " fast per query, vectors at cosine 0.996 or more to the float32 ones) or the float32"
        " numpy pass. Both share an index."
        " A model folder always runs in float32.",
    )


class Catalogue(_Strict):
    providers: dict[str, ProviderConfig]
    models: dict[str, ModelConfig]
    lanes: dict[str, list[str]]
    embedders: dict[str, EmbedderConfig]
    default_embedder: str

    @model_validator(mode="after")
    def _references_resolve(self) -> Catalogue:
        self._check_models()
        self._check_lanes()
        if self.default_embedder not in self.embedders:
            raise ValueError(f"default_embedder {self.default_embedder!r} is not defined")
        return self

    def _check_models(self) -> None:
        for name, model in self.models.items():
            if model.provider not in self.providers:
                raise ValueError(f"model {name!r} names unknown provider {model.provider!r}")
            unknown = [f for f in model.fallbacks if f not in self.models]
            if unknown:
                raise ValueError(f"model {name!r} falls back to unknown model {unknown[0]!r}")

    def _check_lanes(self) -> None:
        if AUTO_LANE in self.lanes:
            raise ValueError(f"lane {AUTO_LANE!r} is reserved: it asks the intent router")
        for lane in INTENT_LANES:
            self.lanes.setdefault(lane, list(self.lanes.get("chat", [])))
        for lane in LANES:
            if not self.lanes.get(lane):
                raise ValueError(f"lane {lane!r} has no models")
        for lane, chain in self.lanes.items():
            unknown = [m for m in chain if m not in self.models]
            if unknown:
                raise ValueError(f"lane {lane!r} names unknown model {unknown[0]!r}")

    def chain_for_lane(self, lane: str) -> list[str]:
        return list(self.lanes[lane])

    def chain_for_model(self, model: str) -> list[str]:
        return [model, *[m for m in self.models[model].fallbacks if m != model]]


def default_catalogue_data() -> dict[str, object]:
    return {
        "providers": {"local": {"type": "local", "concurrency": 1}},
        "models": {
            LOCAL_MODEL: {
                "provider": "local",
                "upstream": "SmolLM2-135M-Instruct",
                "context_window": 2048,
                "capabilities": ["chat", "json", "completion"],
            }
        },
        "lanes": {lane: [LOCAL_MODEL] for lane in LANES},
        "embedders": {"minilm": {"type": "local"}},
        "default_embedder": "minilm",
    }


def _merge(base: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = {**current, **value}
        else:
            merged[key] = value
    return merged


def load(path: Path | None = None, *, default_model: str | None = None) -> Catalogue:
    """Build the catalogue; raise ValueError with the reason when the file is wrong."""
    data = default_catalogue_data()
    if path is not None:
        try:
            data = _merge(data, tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read model catalogue {path}: {exc}") from exc
    catalogue = Catalogue.model_validate(data)
    if default_model:
        if default_model not in catalogue.models:
            raise ValueError(f"default_model {default_model!r} is not in the catalogue")
        for lane, chain in catalogue.lanes.items():
            catalogue.lanes[lane] = [default_model, *[m for m in chain if m != default_model]]
    return catalogue
