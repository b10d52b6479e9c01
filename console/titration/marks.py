"""Titration marks: first visible contraction, strong comfortable contraction, most tolerated.

Each is the amplitude the device was confirmed to deliver on a pair when the clinician
pressed the mark's key, with the stimulus around it; stored in the record, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class MarkKind(StrEnum):
    THRESHOLD = "threshold"
    TARGET = "target"
    MAXIMUM = "maximum"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    MarkKind.THRESHOLD: "first visible contraction",
    MarkKind.TARGET: "strong comfortable contraction",
    MarkKind.MAXIMUM: "maximum tolerated",
}


@dataclass(frozen=True, slots=True)
class TitrationMark:
    """One mark on one pair; ``marked_at``, ``operator`` and ``visit_id`` come from the record."""

    kind: MarkKind
    lead: int
    anode: int
    cathode: int
    amplitude_ma: Decimal
    pulse_width_us: int
    frequency_hz: int
    note: str | None = None
    marked_at: datetime | None = None
    operator: str | None = None
    visit_id: int | None = None
