"""A circuit breaker per provider: skip one that keeps failing, probe it again later.

closed --(threshold consecutive failures)--> open --(cooldown)--> half-open
half-open --(probe succeeds)--> closed;  half-open --(probe fails)--> open
A 429's Retry-After opens the breaker for exactly that long.
State is per process: each API process learns about a failing provider on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_until: float = 0.0
    _state: BreakerState = field(default=BreakerState.CLOSED)
    _probe_in_flight: bool = False

    @property
    def state(self) -> BreakerState:
        if self._state == BreakerState.OPEN and self.clock() >= self.opened_until:
            self._state = BreakerState.HALF_OPEN
            self._probe_in_flight = False
        return self._state

    def allow(self) -> bool:
        """May a request go to this provider now? In half-open, only one probe at a time."""
        state = self.state
        if state == BreakerState.CLOSED:
            return True
        if state == BreakerState.HALF_OPEN and not self._probe_in_flight:
            self._probe_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self.failures = 0
        self._state = BreakerState.CLOSED
        self._probe_in_flight = False

    def record_failure(self, *, retry_after: float | None = None) -> None:
        self.failures += 1
        if retry_after is not None and retry_after > 0:
            self._open(retry_after)
        elif self._state == BreakerState.HALF_OPEN or self.failures >= self.failure_threshold:
            self._open(self.cooldown_seconds)

    def _open(self, seconds: float) -> None:
        self._state = BreakerState.OPEN
        self.opened_until = max(self.opened_until, self.clock() + seconds)
        self._probe_in_flight = False
