"""The placement test's timeline: each step stamped with the seconds since the test began
(monotonic, injectable so tests never sleep) and the time of day (UTC, for the report)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from console.placement.result import Step


def utc_now() -> datetime:
    """The wall clock the report is stamped with, unless a test gives its own."""
    return datetime.now(UTC)


class Timeline:
    """The steps so far, in order; the test begins when the timeline is made."""

    def __init__(self, clock: Callable[[], float], wall: Callable[[], datetime]) -> None:
        self._clock = clock
        self._wall = wall
        self._t0 = clock()
        self.steps: list[Step] = []

    def iso(self) -> str:
        """The time of day now, as the report writes it: UTC, milliseconds, a Z."""
        return self._wall().astimezone(UTC).isoformat(timespec="milliseconds") \
            .replace("+00:00", "Z")

    def add(self, event: str, lead: int | None = None, anode: int | None = None,
            cathode: int | None = None, amplitude_ma: Decimal | None = None,
            detail: str = "") -> None:
        self.steps.append(Step(len(self.steps) + 1, self._clock() - self._t0, self.iso(),
                               event, lead, anode, cathode, amplitude_ma, detail))
