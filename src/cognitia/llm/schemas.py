"""Response bodies of the model layer's own endpoints (/api/v2/models)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cognitia.llm.catalogue import Catalogue


class ModelRead(BaseModel):
    """A catalogue model as clients see it: no upstream id, no provider secrets."""

    id: str
    provider: str
    context_window: int
    input_price_per_mtok: float = Field(description="USD per million prompt tokens.")
    output_price_per_mtok: float = Field(description="USD per million completion tokens.")
    capabilities: list[str]
    fallbacks: list[str]


class CatalogueRead(BaseModel):
    models: list[ModelRead]
    lanes: dict[str, list[str]] = Field(description="Each lane's models, in the order tried.")
    default_embedder: str

    @classmethod
    def of(cls, catalogue: Catalogue) -> CatalogueRead:
        models = [
            ModelRead(
                id=name,
                provider=m.provider,
                context_window=m.context_window,
                input_price_per_mtok=m.input_price,
                output_price_per_mtok=m.output_price,
                capabilities=m.capabilities,
                fallbacks=m.fallbacks,
            )
            for name, m in catalogue.models.items()
        ]
        return cls(
            models=models, lanes=catalogue.lanes, default_embedder=catalogue.default_embedder
        )
