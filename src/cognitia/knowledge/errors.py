"""Errors of the knowledge domain beyond the upload checks of `formats`.

NotFound (404 not_found)
└── DocumentNotFound
Conflict (409)
├── DuplicateDocument (409 duplicate_document)
└── DocumentNotRetryable (409 document_not_retryable)

An upload that cannot be used raises a `formats.InvalidDocument` (413, 415 or 422).
"""

from __future__ import annotations

from cognitia.errors import Conflict, NotFound


class DocumentNotFound(NotFound):
    default_detail = "No such document."


class DuplicateDocument(Conflict):
    code = "duplicate_document"
    default_detail = "The same file is already there."


class DocumentNotRetryable(Conflict):
    code = "document_not_retryable"
    default_detail = "Only a document whose ingestion failed can be retried."
