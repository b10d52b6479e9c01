"""The usage report's figures, as ``mfconsole usage`` prints them and the visit report shows them.

Definitions are in docs/usage.md: a session is a "therapy session start" entry with its
following "therapy session end" of the same slot, counted on the local calendar day of its
start; completed means ended with stop reason 4; adherence caps each day at the prescription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class DayUsage:
    """One calendar day of the period (local time)."""

    day: date
    started: int
    completed: int
    minutes: float

    def as_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "started": self.started,
                "completed": self.completed, "minutes": self.minutes}


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Use of the therapy over ``start``..``end`` inclusive (``days`` calendar days)."""

    start: date
    end: date
    days: int
    prescribed_per_day: int
    sessions_started: int
    sessions_completed: int
    minutes_delivered: float
    adherence_pct: float
    undated: int  # sessions started while the device clock was not set: never placed on a day
    daily: tuple[DayUsage, ...]

    def as_json(self) -> dict[str, Any]:
        """The keys ``--json`` prints, in this order."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days,
                "prescribed_per_day": self.prescribed_per_day,
                "sessions_started": self.sessions_started,
                "sessions_completed": self.sessions_completed,
                "minutes_delivered": self.minutes_delivered,
                "adherence_pct": self.adherence_pct, "undated": self.undated,
                "daily": [day.as_json() for day in self.daily]}
