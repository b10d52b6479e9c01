"""What the clinical record hands back: plain frozen values, never live ORM rows.

Callers (the device commands, the window, the command line) can keep these
after the transaction that produced them has ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from console.programming.program import Program
from device_link.program_record import ProgramRecord


class VisitKind(StrEnum):
    IMPLANT = "implant"
    PROGRAMMING = "programming"
    FOLLOW_UP = "follow-up"
    ENGINEERING = "engineering"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    WRITTEN = "written"
    VERIFIED = "verified"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # the link dropped mid-write: the device may hold it


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    clinic_id: str
    name: str | None
    date_of_birth: date | None
    revision: int


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    serial: str
    model: str
    firmware: str
    implant_date: date | None
    patient_clinic_id: str | None
    revision: int


@dataclass(frozen=True, slots=True)
class Visit:
    id: int
    patient_clinic_id: str
    device_serial: str | None
    kind: VisitKind
    operator: str
    started_at: datetime
    ended_at: datetime | None
    revision: int


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A safety finding the author saw and confirmed, with the reason they gave."""

    finding: str
    message: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"finding": self.finding, "message": self.message, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class StatusChange:
    revision: int
    status: VersionStatus
    at: datetime
    actor: str
    device_crc: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class ProgramVersion:
    """One immutable program version and every status step it has gone through.

    ``revision`` is the number of status steps so far: pass it back as
    ``expected_revision`` when recording the next step.
    """

    id: int
    device_serial: str
    slot: int
    slot_sequence: int
    record: ProgramRecord
    record_crc: int
    author: str
    created_at: datetime
    reason: str
    confirmations: tuple[Confirmation, ...]
    parent_id: int | None
    visit_id: int | None
    history: tuple[StatusChange, ...]

    @property
    def program(self) -> Program:
        """The program in clinical units (mA, µs, Hz, s, min)."""
        return Program.from_record(self.record)

    @property
    def status(self) -> VersionStatus:
        return self.history[-1].status

    @property
    def revision(self) -> int:
        return self.history[-1].revision

    @property
    def device_crc(self) -> int | None:
        """The CRC the device last reported for this version, if any."""
        reported = [step.device_crc for step in self.history if step.device_crc is not None]
        return reported[-1] if reported else None


@dataclass(frozen=True, slots=True)
class ImpedanceMeasurement:
    """``electrode_b`` None is the case (monopolar); ``ohms`` None is an open circuit."""

    device_serial: str
    visit_id: int | None
    measured_at: datetime
    lead: int
    electrode_a: int
    electrode_b: int | None
    ohms: int | None


@dataclass(frozen=True, slots=True)
class PlacementLeadSummary:
    """One lead of a whole placement test: the values kept in ``placement_tests`` columns."""

    lead: int
    electrode_a: int
    electrode_b: int | None
    threshold_ma: Decimal | None
    outcome: str


@dataclass(frozen=True, slots=True)
class PlacementTest:
    id: int
    patient_clinic_id: str
    visit_id: int | None
    device_serial: str | None
    tested_at: datetime
    operator: str
    lead: int
    electrode_a: int
    electrode_b: int | None
    threshold_ma: float | None
    outcome: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeviceLogRecord:
    device_serial: str
    index: int
    time: int
    code: int
    a: int
    b: int
    c: int


@dataclass(frozen=True, slots=True)
class Timeline:
    """Everything the record holds about one patient, oldest first in each list."""

    patient: Patient
    devices: tuple[Device, ...]
    visits: tuple[Visit, ...]
    versions: tuple[ProgramVersion, ...]
    impedance: tuple[ImpedanceMeasurement, ...]
    placement_tests: tuple[PlacementTest, ...] = field(default=())
