"""The MCP servers' API shapes. Environment values and header values are secrets: they are
written, never read back; a server's read names them only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cognitia.agents.tools.mcp.naming import SERVER_NAME
from cognitia.auth.schemas import NoControlCharacters
from cognitia.models.mcp_server import McpTransport

ServerName = Annotated[
    str, Field(pattern=SERVER_NAME, description="Lower-case letters, digits, _.")
]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
HeaderName = Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")]


def _no_nul(value: str) -> str:
    # PostgreSQL text and JSONB cannot hold NUL; a secret may need other control characters.
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    return value


Secret = Annotated[str, Field(max_length=8192), AfterValidator(_no_nul)]
Arg = Annotated[str, Field(max_length=4096), NoControlCharacters]
Command = Annotated[str, Field(min_length=1, max_length=4096), NoControlCharacters]
Url = Annotated[str, Field(min_length=1, max_length=2048), NoControlCharacters]
ConnectTimeout = Annotated[float, Field(gt=0, le=120)]
CallTimeout = Annotated[float, Field(gt=0, le=600)]


class McpServerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ServerName
    transport: McpTransport
    command: Command | None = Field(None, description="stdio only.")
    args: list[Arg] = Field(default_factory=list, max_length=64, description="stdio only.")
    env: dict[EnvName, Secret] = Field(
        default_factory=dict, max_length=64, description="stdio only; values never read back."
    )
    url: Url | None = Field(None, description="http only.")
    headers: dict[HeaderName, Secret] = Field(
        default_factory=dict, max_length=64, description="http only; values never read back."
    )
    connect_timeout_seconds: ConnectTimeout = 10.0
    call_timeout_seconds: CallTimeout = 30.0
    enabled: bool = True
    everyone: bool = Field(False, description="Admins only: offered to every user.")


class McpServerUpdate(BaseModel):
    """Fields left out are kept; `env` or `headers` given replace the whole map."""

    model_config = ConfigDict(extra="forbid")

    name: ServerName | None = None
    command: Command | None = None
    args: list[Arg] | None = Field(None, max_length=64)
    env: dict[EnvName, Secret] | None = Field(None, max_length=64)
    url: Url | None = None
    headers: dict[HeaderName, Secret] | None = Field(None, max_length=64)
    connect_timeout_seconds: ConnectTimeout | None = None
    call_timeout_seconds: CallTimeout | None = None
    enabled: bool | None = None


class McpToolRead(BaseModel):
    name: str = Field(description="The name a character's `tools` lists (mcp-<server>-<tool>).")
    tool: str = Field(description="The server's own name for it.")
    description: str
    offered: bool = Field(description="false: its name cannot be a model function name.")


class McpStatusRead(BaseModel):
    state: Literal["idle", "connected", "broken"]
    last_error: str | None
    checked_at: datetime | None
    tools: list[McpToolRead]


class McpServerRead(BaseModel):
    id: str
    name: str
    transport: McpTransport
    everyone: bool
    command: str | None
    args: list[str]
    env_names: list[str]
    url: str | None
    header_names: list[str]
    connect_timeout_seconds: float
    call_timeout_seconds: float
    enabled: bool
    created_at: datetime
    updated_at: datetime
    status: McpStatusRead = Field(description="This process's connection to it.")


class McpServerList(BaseModel):
    items: list[McpServerRead]
