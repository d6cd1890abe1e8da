"""The retrieval service over a test's runtime, as the composition root builds it."""

from __future__ import annotations

from cognitia.retrieval.service import Retrieval
from cognitia.runtime import Runtime


def index_of(runtime: Runtime) -> Retrieval:
    return Retrieval.over(runtime)
