"""search_memories and save_memory: what this character remembers about the person who
asked, through the memory domain, always scoped to (that person, this character). In a
shared chat a call acts for the member whose message is answered: another member's
memories are never read or written."""

from __future__ import annotations

from typing import Any

from cognitia.agents.tools.base import SEARCH_ARGUMENTS, Tool, ToolContext, ToolError, object_schema
from cognitia.agents.tools.knowledge import index_of
from cognitia.memory import semantic
from cognitia.memory import service as memory
from cognitia.models.memory_fact import FactCategory
from cognitia.models.user import User

DEFAULT_LIMIT = 5


def _person(context: ToolContext) -> str:
    if context.user_id is None:
        raise ToolError("memories are not available in this chat")
    return context.user_id


async def _search(args: dict[str, Any], context: ToolContext) -> str:
    index = index_of(context)
    async with context.db.read() as session:
        user = await session.get(User, _person(context))
        if user is None:
            raise ToolError("memories are not available in this chat")
        found = await memory.search(
            session,
            index,
            user=user,
            character_id=context.character_id,
            query=str(args["query"]),
            limit=int(args.get("limit", DEFAULT_LIMIT)),
        )
    if not found.items:
        return "No memory matches."
    return "\n".join(f"{n}. {item.content}" for n, item in enumerate(found.items, start=1))


async def _save(args: dict[str, Any], context: ToolContext) -> str:
    operation = semantic.Operation(
        op="add",
        content=str(args["content"]).strip(),
        category=FactCategory(args.get("category", FactCategory.OTHER.value)),
    )
    applied = await semantic.apply(
        index_of(context),
        user_id=_person(context),
        character_id=context.character_id,
        operations=[operation],
        source_message_ids=[],
    )
    return f"Saved (memory {applied.added[0]})." if applied.added else "Nothing saved."


SEARCH_MEMORIES = Tool(
    name="search_memories",
    description="Search what you remember about the person you are talking with.",
    parameters=SEARCH_ARGUMENTS,
    runner=_search,
)

SAVE_MEMORY = Tool(
    name="save_memory",
    description="Remember a fact about the person you are talking with, for later chats.",
    parameters=object_schema(
        {
            "content": {"type": "string", "minLength": 1, "maxLength": 1000},
            "category": {"type": "string", "enum": [c.value for c in FactCategory]},
        },
        required=("content",),
    ),
    runner=_save,
)
