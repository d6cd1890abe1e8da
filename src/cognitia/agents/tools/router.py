"""/api/v2/tools: the tools this server offers, for a character editor to pick from."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cognitia.auth.dependencies import CurrentUser
from cognitia.config import ToolPolicyName
from cognitia.http.deps import SettingsDep, ToolsDep

router = APIRouter(prefix="/api/v2/tools", tags=["tools"])


class ToolRead(BaseModel):
    name: str
    description: str
    default_policy: ToolPolicyName = Field(description="The tool's own policy (docs/tools.md).")
    forced_policy: ToolPolicyName | None = Field(
        None, description="The admin's policy (tools.policies): it wins over any character's."
    )


class ToolList(BaseModel):
    items: list[ToolRead]


@router.get("", responses={401: {"description": "Not authenticated"}})
async def list_tools(_: CurrentUser, tools: ToolsDep, settings: SettingsDep) -> ToolList:
    """The tools a character may name here (run_python only where the sandbox works)."""
    forced = settings.tools.policies
    items = []
    for name in tools.names():
        tool = tools.get(name)
        if tool is not None:
            items.append(
                ToolRead(
                    name=name,
                    description=tool.description,
                    default_policy=tool.policy.value,
                    forced_policy=forced.get(name),
                )
            )
    return ToolList(items=items)
