"""Errors of the memory domain.

NotFound (404)
└── MemoryNotFound (memory_not_found): no such memory of the caller with this character
Conflict (409)
└── MemoryNotEditable (memory_not_editable): episodes are what was said; only facts change
"""

from __future__ import annotations

from cognitia.errors import Conflict, NotFound


class MemoryNotFound(NotFound):
    code = "memory_not_found"
    default_detail = "No such memory."


class MemoryNotEditable(Conflict):
    code = "memory_not_editable"
    default_detail = "An episode is a record of what was said; delete it instead."
