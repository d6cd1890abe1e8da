"""Errors of coaching sessions.

NotFound (404)
├── SessionNotFound (session_not_found): no such session, or another person's
├── NotesNotFound (notes_not_found): the session has no notes
└── ActionItemNotFound (action_item_not_found)
Conflict (409)
├── SessionEnded (session_ended): the session has ended (turns, a second end)
└── SessionActive (session_active): notes are edited once the session has ended
NotesInvalid (502 notes_invalid): the model answered twice without valid notes JSON
NotesUnavailable (502 notes_unavailable): no model could write the notes
"""

from __future__ import annotations

from cognitia.errors import CognitiaError, Conflict, NotFound


class SessionNotFound(NotFound):
    code = "session_not_found"
    default_detail = "No such session."


class NotesNotFound(NotFound):
    code = "notes_not_found"
    default_detail = "This session has no notes."


class ActionItemNotFound(NotFound):
    code = "action_item_not_found"
    default_detail = "The notes have no action item with that number."


class SessionEnded(Conflict):
    code = "session_ended"
    default_detail = "This session has ended."


class SessionActive(Conflict):
    code = "session_active"
    default_detail = "The session has not ended yet."


class NotesInvalid(CognitiaError):
    status_code = 502
    code = "notes_invalid"
    default_detail = (
        "The model did not answer with valid notes (asked twice). The session has ended"
        " without notes; ask again with POST /end and generate_notes."
    )


class NotesUnavailable(CognitiaError):
    status_code = 502
    code = "notes_unavailable"
    default_detail = (
        "No model could write the notes. The session has ended without notes; ask again"
        " with POST /end and generate_notes."
    )
