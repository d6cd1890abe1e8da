"""search_knowledge: the answering character's documents (its knowledge base), searched as
the reply's own recall searches them."""

from __future__ import annotations

from typing import Any

from cognitia.agents.tools.base import SEARCH_ARGUMENTS, Tool, ToolContext, ToolError
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import Hit, Scope

DEFAULT_LIMIT = 5


def index_of(context: ToolContext) -> Retrieval:
    if context.index is None:
        raise ToolError("search is not available here")
    return context.index


def listed(hits: list[Hit], *, empty: str) -> str:
    if not hits:
        return empty
    return "\n".join(f"{n}. {hit.text.strip()}" for n, hit in enumerate(hits, start=1))


async def _run(args: dict[str, Any], context: ToolContext) -> str:
    hits = await index_of(context).search(
        query=str(args["query"]),
        scopes=[Scope(character_id=context.character_id)],
        limit=int(args.get("limit", DEFAULT_LIMIT)),
        kinds=["document"],
    )
    return listed(hits, empty="No passage of the documents matches.")


SEARCH_KNOWLEDGE = Tool(
    name="search_knowledge",
    description="Search this character's documents; returns the best matching passages.",
    parameters=SEARCH_ARGUMENTS,
    runner=_run,
)
