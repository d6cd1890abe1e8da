"""current_time: the date and time now, in UTC and optionally in an IANA time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cognitia.agents.tools.base import Tool, ToolContext, ToolError, object_schema


def describe(now: datetime, timezone: str | None) -> str:
    lines = [f"UTC: {now.astimezone(UTC):%Y-%m-%d %H:%M:%S} ({now.astimezone(UTC):%A})"]
    if timezone:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ToolError(
                f"unknown time zone {timezone!r} (use an IANA name such as Europe/Paris)"
            ) from None
        local = now.astimezone(zone)
        lines.append(f"{timezone}: {local:%Y-%m-%d %H:%M:%S} ({local:%A}, UTC{local:%z})")
    return "\n".join(lines)


async def _run(args: dict[str, Any], context: ToolContext) -> str:
    return describe(datetime.now(UTC), args.get("timezone"))


CURRENT_TIME = Tool(
    name="current_time",
    description="The current date and time in UTC, and in a time zone if one is named.",
    parameters=object_schema(
        {
            "timezone": {
                "type": "string",
                "maxLength": 64,
                "description": "An IANA time zone, e.g. Europe/Paris or America/New_York.",
            }
        }
    ),
    runner=_run,
)
