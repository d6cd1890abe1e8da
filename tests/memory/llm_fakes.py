"""Memory tests point the extract and summarize lanes, and the embedder, at the fake
upstream; rows for a person, a character and a chat are written directly."""

from __future__ import annotations

from pathlib import Path

from cognitia.config import Settings
from cognitia.models.character import Character
from cognitia.models.chat import Chat
from cognitia.models.message import AuthorType, Message
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.factories import create_user
from tests.support.fake_upstream import FakeUpstream

EXTRACT_MODEL = "extract-model"
SUMMARIZE_MODEL = "summarize-model"


def memory_settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    path = tmp_path / "models.toml"
    path.write_text(f"""
default_embedder = "fake"

[providers.up]
type = "openai"
base_url = "{upstream.openai_url}"

[models.extractor]
provider = "up"
upstream = "{EXTRACT_MODEL}"
context_window = 8192

[models.summarizer]
provider = "up"
upstream = "{SUMMARIZE_MODEL}"
context_window = 8192

[lanes]
extract = ["extractor"]
summarize = ["summarizer"]

[embedders.fake]
type = "openai"
provider = "up"
upstream = "embed-fake"
dimensions = 384
""")
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path})


async def user_and_character(runtime: Runtime, *, first_name: str = "Ana") -> tuple[str, str]:
    user = await create_user(runtime, first_name=first_name)
    async with runtime.db.unit_of_work() as session:
        character = Character(owner_id=user.id, name="Mira")
        session.add(character)
        await session.flush()
        return user.id, character.id


async def chat_with_messages(runtime: Runtime, *, owner_id: str, count: int) -> str:
    async with runtime.db.unit_of_work() as session:
        chat = Chat(owner_id=owner_id, last_seq=count)
        session.add(chat)
        await session.flush()
        for seq in range(1, count + 1):
            by_user = seq % 2 == 1
            session.add(
                Message(
                    chat_id=chat.id,
                    seq=seq,
                    author_type=AuthorType.USER if by_user else AuthorType.CHARACTER,
                    user_id=owner_id if by_user else None,
                    name="Ana" if by_user else "Mira",
                    content=f"message number {seq}",
                )
            )
        return chat.id
