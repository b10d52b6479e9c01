"""What a program write came to, typed, so each caller chooses its own words and status."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from console.leads.integrity import PreCheck
from console.programming.program import Program
from console.storage import ProgramVersion
from device_link.client import AppliedProgram
from device_link.program_record import ProgramRecord


class Ending(Enum):
    """Where the sequence stopped. Only VERIFIED means the device holds the program."""

    VERIFIED = "written and read back byte for byte"
    BLOCKED = "refused by the safety engine"
    NEEDS_CONFIRMATION = "a finding needs the clinician's agreement"
    MEASUREMENT_STOPPED = "the impedance measurement was stopped"
    MEASUREMENT_REFUSED = "the device refused the impedance measurement"
    MEASUREMENT_FAILED = "the link failed during the impedance measurement"
    MEASUREMENT_NOT_STORED = "the record could not store the impedance measured"
    UNMEASURED = "a pair in use has no impedance reading"
    NOT_SENT = "the record refused the new version: nothing was sent"
    NOT_APPLIED = "the device does not hold the program"
    RECORD_BEHIND = "the device acted but the record could not note it"
    OUTCOME_UNKNOWN = "the link failed before the device confirmed"


DEVICE_UNKNOWN = frozenset({Ending.NOT_APPLIED, Ending.RECORD_BEHIND, Ending.OUTCOME_UNKNOWN})
"""Endings after which the slot may hold something other than before: read it again."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The ending and what is known with it.

    ``detail`` says what happened, as a lower-case clause; ``reasons`` are the engine's
    for BLOCKED and NEEDS_CONFIRMATION. ``check`` is the measurement taken first, once the
    sequence got that far. ``applied`` and ``version`` (None without a record) come with
    VERIFIED.
    """

    ending: Ending
    slot: int
    detail: str = ""
    reasons: tuple[str, ...] = ()
    check: PreCheck | None = None
    applied: AppliedProgram | None = None
    version: ProgramVersion | None = None

    @property
    def verified(self) -> bool:
        return self.ending is Ending.VERIFIED

    @property
    def device_unknown(self) -> bool:
        return self.ending in DEVICE_UNKNOWN

    def held(self) -> Program | None:
        """The program the device proved it holds, as the clinician reads it."""
        if self.applied is None:
            return None
        return Program.from_record(ProgramRecord.decode(self.applied.program))
