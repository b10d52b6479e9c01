"""Time sources for the emulator: the real monotonic clock, or a manual one tests advance.

The device core never reads time itself; it asks its clock, so every timer rule
(watchdog, measurement, lockout, session timeout) can be driven deterministically.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""

    def timeout_until(self, deadline: float) -> float | None:
        """Real seconds to wait for ``deadline``; None when only ``subscribe`` wakes us."""

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever time jumps (manual clocks only)."""


class SystemClock:
    """``time.perf_counter``: CLOCK_MONOTONIC on Linux, so comparable across processes."""

    def now(self) -> float:
        return time.perf_counter()

    def timeout_until(self, deadline: float) -> float | None:
        return max(0.0, deadline - time.perf_counter())

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Real time never jumps, so there is nothing to announce."""


class ManualClock:
    """A clock that moves only when ``advance`` is called."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def timeout_until(self, deadline: float) -> float | None:
        return None

    def subscribe(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._callbacks.append(callback)
