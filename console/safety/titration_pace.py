"""How fast test stimulation may rise: increases at least the clinic's interval apart.

The person watching the patient needs about a second after each step to see a
contraction, or an unwanted response, build; steps closer together outrun them. The
window, the command line and the placement test each keep one ``TitrationPace`` per
stimulation, ask it before every increase and tell it when one goes out. Decreases are
never limited. Time is a monotonic clock, injectable so that tests move it by hand.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from decimal import Decimal

from console.programming.program import TestStimulus
from console.safety.assessment import Assessment, Finding, Severity
from console.safety.context import LeadSetting

Clock = Callable[[], float]


class TitrationPace:
    """Remembers when the last increase went out; refuses another until the interval passed.

    The window asks on its GUI thread and sends on its device thread, hence the lock.
    """

    def __init__(self, min_interval_s: Decimal, clock: Clock = time.monotonic) -> None:
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last_increase: float | None = None

    def allowed_at(self) -> float:
        """Clock reading from which the next increase may go out (-inf: at any time)."""
        with self._lock:
            if self._last_increase is None:
                return -math.inf
            return self._last_increase + float(self.min_interval_s)

    def check(self, current: TestStimulus, requested: TestStimulus) -> Assessment:
        """Blocks an increase that comes sooner than the interval after the last one."""
        if requested.amplitude_ma <= current.amplitude_ma:
            return Assessment()
        now, allowed_at = self._clock(), self.allowed_at()
        if now >= allowed_at:
            return Assessment()
        since = now - (allowed_at - float(self.min_interval_s))
        title = LeadSetting.of_test(requested).title
        return Assessment((Finding(
            Severity.BLOCK, "titration_pace", "amplitude_ma", Decimal(f"{since:.3f}"),
            self.min_interval_s, "s",
            f"{title} amplitude {current.amplitude_ma} → {requested.amplitude_ma} mA comes "
            f"{_tenths(since, math.floor)} s after the last increase: increases are at least "
            f"{self.min_interval_s} s apart so that the response to each step can be seen; "
            f"the next increase is allowed in {_tenths(allowed_at - now, math.ceil)} s."),))

    def started(self) -> None:
        """Stimulation started: the first increase waits the interval from the start, so
        the response to the starting amplitude can be seen too."""
        now = self._clock()
        with self._lock:
            self._last_increase = now

    def sent(self, current: TestStimulus, requested: TestStimulus) -> None:
        """An increase goes out now: the next one waits the interval from here."""
        if requested.amplitude_ma > current.amplitude_ma:
            now = self._clock()
            with self._lock:
                self._last_increase = now

    def schedule_refusal(self, every_s: Decimal) -> str | None:
        """Why increases every ``every_s`` seconds cannot be kept to (None: they can)."""
        if not every_s.is_finite():
            return "is not a number of seconds"
        if every_s < self.min_interval_s:
            return (f"is shorter than the shortest interval between increases, "
                    f"{self.min_interval_s} s (clinic profile), which lets the person "
                    f"watching the patient see the response to each step")
        return None


def _tenths(seconds: float, rounding: Callable[[float], int]) -> str:
    """Seconds in tenths, rounded the safe way, after float noise (0.70000001) is dropped."""
    return f"{rounding(round(seconds * 10, 6)) / 10:.1f}"
