"""Whether bubblewrap confines code on this host: probed once per configuration.

A host without bwrap, without user namespaces (when not root), or with a seccomp
profile that forbids mount or unshare fails the probe; run_python then refuses.
"""

from __future__ import annotations

import logging

from cognitia.agents.sandbox.process import run_confined
from cognitia.config import SandboxSettings

logger = logging.getLogger(__name__)

_PROBE = "import sys; print('sandbox-ok', sys.version_info[0])"
_cache: dict[tuple[str, str, int], bool] = {}


async def available(settings: SandboxSettings) -> bool:
    key = (settings.bwrap, settings.python, settings.run_as_uid)
    if key not in _cache:  # two first calls may both probe; both get the same answer
        _cache[key] = await _probe(settings)
    return _cache[key]


async def _probe(settings: SandboxSettings) -> bool:
    try:  # the same path a real run takes
        result = await run_confined(_PROBE, settings, {})
    except OSError as exc:  # bwrap or prlimit missing, or not executable
        logger.warning("sandbox unavailable: %s", exc)
        return False
    ok = result.exit_code == 0 and result.stdout.strip() == "sandbox-ok 3"
    if not ok:
        logger.warning("sandbox unavailable: %s", result.stderr.strip()[:500])
    return ok
