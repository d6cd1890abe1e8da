"""http_fetch: a web page's text, through the SSRF-safe fetch (agents/fetch): only public
addresses (or the admin's allow-list), every redirect checked again, size and time capped."""

from __future__ import annotations

from typing import Any

from cognitia.agents.fetch import FetchError, fetch
from cognitia.agents.tools.base import Policy, Tool, ToolContext, ToolError, object_schema
from cognitia.config import FetchSettings


def http_fetch_tool(settings: FetchSettings) -> Tool:
    async def run(args: dict[str, Any], context: ToolContext) -> str:
        try:
            page = await fetch(args["url"], settings)
        except FetchError as exc:
            raise ToolError(f"{exc.code}: {exc.detail}") from None
        cut = "\n[cut: the page is longer]" if page.truncated else ""
        return f"HTTP {page.status} {page.content_type} {page.final_url}\n\n{page.text}{cut}"

    return Tool(
        name="http_fetch",
        description="Fetch a public web page (http or https) and return its text.",
        parameters=object_schema(
            {"url": {"type": "string", "maxLength": 2048, "description": "The page's URL."}},
            required=("url",),
        ),
        runner=run,
        # ask by default: a URL the model writes can carry what the chat said to any host.
        policy=Policy.ASK,
    )
