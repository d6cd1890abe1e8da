"""The chat objects an endpoint may ask for: this process's replies and /events streams.

They live with chats, not in http/deps.py, so that the generic request dependencies (and
every domain that uses them) do not import the chat package.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cognitia.chats.generation import Generations
from cognitia.chats.watchers import Watchers


def get_generations(request: Request) -> Generations:
    generations: Generations = request.app.state.runtime.generations
    return generations


def get_watchers(request: Request) -> Watchers:
    watchers: Watchers = request.app.state.runtime.watchers
    return watchers


GenerationsDep = Annotated[Generations, Depends(get_generations)]
WatchersDep = Annotated[Watchers, Depends(get_watchers)]
