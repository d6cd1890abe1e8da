"""Bodies for /api/v2/personas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, model_validator

from cognitia.characters.fields import LongText, Name


class PersonaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: LongText = ""
    is_default: bool = False


class PersonaUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: LongText | None = None
    is_default: bool | None = None

    @model_validator(mode="after")
    def _fields_are_not_cleared(self) -> PersonaUpdate:
        cleared = sorted(n for n in self.model_fields_set if getattr(self, n) is None)
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null")
        return self


class PersonaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str
    is_default: bool
    created_at: datetime
