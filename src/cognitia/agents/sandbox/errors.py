"""Errors of the Python sandbox, rendered by errors.py with stable codes."""

from __future__ import annotations

from cognitia.errors import BadRequest, CognitiaError


class SandboxUnavailable(CognitiaError):
    """bubblewrap cannot confine code on this host; the code is not run at all."""

    status_code = 503
    code = "sandbox_unavailable"
    default_detail = "Running code is not available on this server."


class SandboxBusy(CognitiaError):
    """Every slot of this process's sandbox stayed taken for the whole queue wait."""

    status_code = 503
    code = "sandbox_busy"
    default_detail = "Too much code is running right now; try again shortly."


class InvalidSandboxFile(BadRequest):
    code = "sandbox_invalid_file"
    default_detail = "File names must be relative paths of letters, digits, '.', '_' and '-'."
