"""How a test stimulation's start came out, typed, so each caller chooses its own words
and exit status; ``reason`` is the window's sentence, ``detail`` the bare cause."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from console.leads.integrity import PreCheck

NOTHING_SENT = "STOP was pressed before the start was sent; nothing was sent"
OVERTAKEN = ("STOP was pressed while the start was on its way; the device was stopped again "
             "at once")


class Start(Enum):
    """Where the start sequence ended. Only STARTED means the device is stimulating."""

    STARTED = "the device is stimulating"
    REFUSED = "refused by the safety engine"
    STOPPED = "STOP came before the start was sent"
    MEASUREMENT_STOPPED = "STOP ended the impedance measurement"
    MEASUREMENT_REFUSED = "the device refused the impedance measurement"
    MEASUREMENT_FAILED = "the link failed during the impedance measurement"
    MEASUREMENT_NOT_STORED = "the record could not store the impedance measured"
    UNMEASURED = "a pair in use has no impedance reading"
    NOT_RECORDED = "the record refused the start: nothing was sent"
    DEVICE_FAILED = "the device did not start"
    STOPPED_WHILE_STARTING = "STOP overtook the start: the device was stopped again"


STOPPED_BY_STOP = frozenset({Start.STOPPED, Start.MEASUREMENT_STOPPED,
                             Start.STOPPED_WHILE_STARTING})
"""Endings a STOP caused: the caller reports the STOP, not a failure."""


@dataclass(frozen=True, slots=True)
class StartResult:
    """The ending, why (``reason``, one sentence; ``detail``, the cause alone), the
    measurement taken before the start once it got that far, and for STARTED whether the
    clinical record holds the start."""

    ending: Start
    reason: str = ""
    detail: str = ""
    check: PreCheck | None = None
    recorded: bool = False

    @property
    def started(self) -> bool:
        return self.ending is Start.STARTED

    def note(self) -> str:
        """What came before the current: the measurement, and how the record took the start."""
        recorded = ("start recorded in the clinical record" if self.recorded
                    else "NOT recorded: no clinical record is open")
        if self.check is not None and self.check.measured:
            return f"{self.check.summary()}; {recorded}"
        return recorded
