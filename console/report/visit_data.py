"""Everything the visit report and the patient handout say, gathered from the record.

Kept apart from the PDF so that what a report claims can be checked without reading a
PDF: which program the device arrived with and which it left with (per slot), what was
written in between and which safety findings were confirmed with which reasons, the
impedance readings with their flags, the usage and the titration marks.

Arrived with: the program read from the device at the start of this visit and recorded
as found; where none was recorded (the record held it already, or the device was not
read), the slot's last version verified before the visit started. Left with: the slot's
last version verified by the end of the visit (now, while it is open).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from console.accounts import User
from console.clinic.profile import ClinicProfile
from console.leads.impedance import ContactState, classify
from console.leads.naming import contact_name, on_lead, pair_name, polarised_pair_name
from console.outcomes.entries import AdverseEvent, OutcomeEntry
from console.outcomes.responders import Progress, ResponderRules, with_progress
from console.programming.program import Program
from console.report.marking import is_emulator
from console.safety import SafetyProfile
from console.storage import (
    ClinicalRecord,
    Device,
    ImpedanceMeasurement,
    Patient,
    ProgramVersion,
    Timeline,
    VersionStatus,
    Visit,
)
from console.storage.programs import found_on_arrival
from console.titration.marks import MarkKind, TitrationMark
from console.usage.report import UsageReport

_EARLIEST = datetime.min.replace(tzinfo=UTC)  # a mark without a time sorts first


@dataclass(frozen=True, slots=True)
class ImpedanceReading:
    """One contact against the case (``electrode_b`` None) or one pair, with its flag."""

    lead: int
    electrode_a: int
    electrode_b: int | None
    ohms: int | None
    state: ContactState

    @property
    def name(self) -> str:
        if self.electrode_b is None:
            return contact_name(self.electrode_a)
        return pair_name(self.electrode_a, self.electrode_b)

    @property
    def flagged(self) -> bool:
        return self.state is not ContactState.NORMAL

    def flag_text(self) -> str:
        """``left E2 open (no reading)``: for the list of flags under the table."""
        reading = "no reading" if self.ohms is None else f"{self.ohms} Ω"
        return f"{on_lead(self.lead, self.name)} {self.state.value} ({reading})"


@dataclass(frozen=True, slots=True)
class ImpedanceSection:
    """The readings of this visit, else of the device's latest run before it ended."""

    measured_at: datetime | None
    in_visit: bool
    readings: tuple[ImpedanceReading, ...]
    normal_min_ohm: int
    normal_max_ohm: int

    @property
    def flagged(self) -> tuple[ImpedanceReading, ...]:
        return tuple(r for r in self.readings if r.flagged)


@dataclass(frozen=True, slots=True)
class SlotPrograms:
    """One program slot: what the device arrived with and what it left with."""

    slot: int
    arrived: ProgramVersion | None
    arrived_found: bool  # read from the device at the start of this visit
    left: ProgramVersion | None
    not_verified: tuple[ProgramVersion, ...]  # written in this visit, never read back

    @property
    def changed(self) -> bool:
        if self.arrived is None or self.left is None:
            return self.arrived is not self.left
        return self.arrived.record != self.left.record


@dataclass(frozen=True, slots=True)
class TitrationRow:
    """One pair's marks: the latest of each kind, in mA; None where not marked."""

    lead: int
    anode: int
    cathode: int
    threshold_ma: Decimal | None
    target_ma: Decimal | None
    maximum_ma: Decimal | None
    pulse_width_us: int
    frequency_hz: int
    note: str

    @property
    def pair(self) -> str:
        return polarised_pair_name(self.anode, self.cathode)


@dataclass(frozen=True, slots=True)
class VisitReport:
    """The visit and everything its report and handout print."""

    visit: Visit
    patient: Patient
    device: Device | None
    clinic: ClinicProfile
    impedance: ImpedanceSection
    usage: UsageReport | None
    titration: tuple[TitrationRow, ...]
    slots: tuple[SlotPrograms, ...]
    written: tuple[ProgramVersion, ...]  # created in this visit by the console
    made_by: User
    made_at: datetime
    demo: bool = False
    outcomes: tuple[tuple[OutcomeEntry, Progress], ...] = ()  # collected in this visit
    adverse_events: tuple[AdverseEvent, ...] = ()  # recorded or corrected in this visit

    @property
    def patient_text(self) -> str:
        """The pseudonymous clinic ID; the name too only where the clinic profile says so."""
        if self.clinic.show_patient_name and self.patient.name:
            return f"{self.patient.name} ({self.patient.clinic_id})"
        return self.patient.clinic_id

    @property
    def marked(self) -> bool:
        """Made in the demo or of the emulator: every page says so."""
        device = self.device
        return self.demo or (device is not None and is_emulator({"model": device.model}))

    @property
    def confirmations(self) -> tuple[tuple[ProgramVersion, str, str], ...]:
        """(version, finding message, reason) of every finding confirmed in this visit."""
        return tuple((version, c.message, c.reason) for version in self.written
                     for c in version.confirmations)

    def handout_program(self) -> Program | None:
        """The program the patient goes home with: the one verified last in this visit,
        else the lowest slot's; None when the record holds none for the device."""
        left = [s.left for s in self.slots if s.left is not None]
        if not left:
            return None
        ours = [v for v in left if v.visit_id == self.visit.id]
        chosen = max(ours, key=_verified_at) if ours else left[0]
        return chosen.program


def gather_visit_report(record: ClinicalRecord, actor: User, visit_id: int, *,
                        clinic: ClinicProfile, usage: UsageReport | None,
                        marks: Sequence[TitrationMark], demo: bool = False,
                        now: datetime | None = None) -> VisitReport:
    """Read the visit's patient, device, versions and impedance from the record.

    ``usage`` and ``marks`` are computed elsewhere and passed in (None / empty: the
    report says they were not downloaded / recorded).
    """
    visit = record.visit(actor, visit_id)
    timeline = record.timeline(actor, visit.patient_clinic_id)
    report = assemble_visit_report(timeline, visit, clinic=clinic, usage=usage, marks=marks,
                                   safety=record.safety_profile(), made_by=actor, demo=demo,
                                   now=now)
    judged = with_progress(record.outcomes(actor, visit.patient_clinic_id),
                           ResponderRules.of(clinic))
    events = record.adverse_events(actor, visit.patient_clinic_id)
    return replace(report,
                   outcomes=tuple((e, p) for e, p in judged if e.visit_id == visit.id),
                   adverse_events=tuple(e for e in events if e.visit_id == visit.id))


def assemble_visit_report(timeline: Timeline, visit: Visit, *, clinic: ClinicProfile,
                          usage: UsageReport | None, marks: Sequence[TitrationMark],
                          safety: SafetyProfile, made_by: User, demo: bool = False,
                          now: datetime | None = None) -> VisitReport:
    """The report of ``visit`` from the patient's timeline (no database needed)."""
    made_at = now or datetime.now(UTC)
    device = _device_of(timeline, visit)
    serial = device.serial if device is not None else None
    versions = [v for v in timeline.versions if v.device_serial == serial]
    end = visit.ended_at or made_at
    return VisitReport(
        visit=visit, patient=timeline.patient, device=device, clinic=clinic,
        impedance=impedance_section(
            [m for m in timeline.impedance if m.device_serial == serial], visit, end, safety),
        usage=usage,
        titration=titration_rows(m for m in marks if m.visit_id in (None, visit.id)),
        slots=slot_programs(versions, visit, end),
        written=tuple(v for v in versions
                      if v.visit_id == visit.id and not found_on_arrival(v)),
        made_by=made_by, made_at=made_at, demo=demo)


def _device_of(timeline: Timeline, visit: Visit) -> Device | None:
    """The visit's device; else the patient's, when they have exactly one."""
    if visit.device_serial is not None:
        return next((d for d in timeline.devices if d.serial == visit.device_serial), None)
    return timeline.devices[0] if len(timeline.devices) == 1 else None


def _verified_at(version: ProgramVersion) -> datetime | None:
    """When the device was first confirmed to hold this version (read back, or found)."""
    return next((step.at for step in version.history
                 if step.status is VersionStatus.VERIFIED), None)


def _last_verified(versions: Iterable[ProgramVersion], by: datetime) -> ProgramVersion | None:
    verified = [(at, v.slot_sequence, v) for v in versions
                if (at := _verified_at(v)) is not None and at <= by]
    return max(verified, key=lambda item: item[:2])[2] if verified else None


def slot_programs(versions: Sequence[ProgramVersion], visit: Visit,
                  end: datetime) -> tuple[SlotPrograms, ...]:
    """Arrived with and left with, per slot that holds anything, slot order."""
    result = []
    for slot in sorted({v.slot for v in versions}):
        mine = [v for v in versions if v.slot == slot]
        found = [v for v in mine if v.visit_id == visit.id and found_on_arrival(v)]
        arrived = found[0] if found else _last_verified(mine, visit.started_at)
        left = _last_verified(mine, end)
        pending = tuple(v for v in mine if v.visit_id == visit.id and not found_on_arrival(v)
                        and v.status is not VersionStatus.VERIFIED)
        if arrived is None and left is None and not pending:
            continue
        result.append(SlotPrograms(slot, arrived, bool(found), left, pending))
    return tuple(result)


def impedance_section(measurements: Sequence[ImpedanceMeasurement], visit: Visit,
                      end: datetime, safety: SafetyProfile) -> ImpedanceSection:
    """This visit's readings (the latest of each contact and pair), else the latest run."""
    ours = [m for m in measurements if m.visit_id == visit.id]
    in_visit = bool(ours)
    if not ours:
        before = [m for m in measurements if m.measured_at <= end]
        if before:
            last = max(m.measured_at for m in before)
            ours = [m for m in before if m.measured_at == last]
    latest: dict[tuple[int, int, int | None], ImpedanceMeasurement] = {}
    for m in sorted(ours, key=lambda m: m.measured_at):
        b = m.electrode_b
        a, b = (m.electrode_a, None) if b is None else tuple(sorted((m.electrode_a, b)))
        latest[(m.lead, a, b)] = m
    readings = tuple(
        ImpedanceReading(lead, a, b, m.ohms, classify(m.ohms, safety))
        for (lead, a, b), m in sorted(latest.items(),
                                      key=lambda item: (item[0][0], item[0][2] is not None,
                                                        item[0][1], item[0][2] or 0)))
    return ImpedanceSection(max((m.measured_at for m in ours), default=None), in_visit,
                            readings, safety.impedance_normal_min_ohm,
                            safety.impedance_normal_max_ohm)


def titration_rows(marks: Iterable[TitrationMark]) -> tuple[TitrationRow, ...]:
    """One row per lead and pair, in lead then electrode order; each kind's latest mark."""
    by_pair: dict[tuple[int, int, int], list[TitrationMark]] = {}
    for mark in marks:
        by_pair.setdefault((mark.lead, mark.anode, mark.cathode), []).append(mark)
    rows = []
    for (lead, anode, cathode), pair_marks in sorted(
            by_pair.items(), key=lambda item: (item[0][0], sorted(item[0][1:]), item[0][1])):
        ordered = sorted(pair_marks, key=lambda m: m.marked_at or _EARLIEST)
        latest = {m.kind: m.amplitude_ma for m in ordered}
        notes = [m.note.strip() for m in ordered if m.note and m.note.strip()]
        rows.append(TitrationRow(
            lead, anode, cathode, latest.get(MarkKind.THRESHOLD), latest.get(MarkKind.TARGET),
            latest.get(MarkKind.MAXIMUM), ordered[-1].pulse_width_us, ordered[-1].frequency_hz,
            "; ".join(dict.fromkeys(notes))))
    return tuple(rows)
