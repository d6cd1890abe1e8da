"""What generating a reply is given to work with: the adapters and the recall port.

The composition root (cognitia/runtime.py) builds one `ReplyPorts` for the process's
`Generations`; nothing in chats reaches for the rest of the process's adapters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cognitia.db import Database
from cognitia.events.ports import EventBus
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.service import UsageRecorder
from cognitia.memory.recall import Recall
from cognitia.prompting.types import ContextSection

# The memories, knowledge and summary a reply's prompt may draw on. Its contract: it
# never raises and keeps to its time budget (memory/recall.py), so a reply never fails,
# nor waits long, for recall.
Recaller = Callable[[Recall], Awaitable[list[ContextSection]]]


@dataclass(frozen=True)
class ReplyPorts:
    db: Database
    models: ModelRegistry
    usage: UsageRecorder  # what each model call cost
    events: EventBus  # the chats' live channels, and stop commands between processes
    recall: Recaller
    remember: bool = True  # index each finished exchange (memory.enabled)
