"""The placement test's result as plain frozen data: what the record stores and the report prints.

Everything is kept: the device, who operated and whether observations were simulated,
each impedance run, each contact and pair classified, every step with its time and
amplitude, every trial (a pair stimulated from the start amplitude upwards) with the
threshold and the unwanted responses found, and the verdict of each lead with reasons.
``to_dict`` gives the JSON form (exact decimals as strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from console.leads.impedance import ContactState
from console.leads.naming import contact_name, pair_name
from console.placement.observation import Unwanted
from console.placement.profile import PlacementProfile
from console.programming.program import LEAD_NAMES
from device_link.messages import ImpedanceRecord


class Phase(StrEnum):
    START = "start"  # nothing asked of the device yet
    IMPEDANCE = "impedance"  # identified; impedance next
    STIMULATION = "stimulation"  # measured; leads are being stimulated
    VERDICT = "verdict"  # testing finished; awaiting sign-off
    SIGNED = "signed"
    STOPPED = "stopped"  # ended by STOP or a lost link: incomplete


class ResultStatus(StrEnum):
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


class Stepping(StrEnum):
    AUTOMATIC = "automatic"  # one step every step_interval_s
    MANUAL = "manual"  # one step per operator command


class Purpose(StrEnum):
    THRESHOLD = "threshold"  # rise until the multifidus contracts
    MARGIN = "margin check"  # rise to threshold × margin, watching for unwanted responses


class TrialEnd(StrEnum):
    CONTRACTION = "multifidus contraction seen"
    UNWANTED = "unwanted response"
    MAXIMUM = "highest amplitude reached"
    STOPPED = "STOP"
    DEVICE_STOPPED = "stopped by the device"
    HELD = "held by the safety engine"
    LINK_LOST = "link lost"


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    PENDING = "pending"
    INCOMPLETE = "incomplete"


class Failure(StrEnum):
    """Why a lead fails, most basic first."""

    IMPEDANCE = "impedance"
    NOT_TESTED = "not tested"
    THRESHOLD = "threshold"
    MARGIN = "margin"
    MARGIN_NOT_CHECKED = "margin not checked"


def lead_title(lead: int) -> str:
    """"Left lead (0)" — the spec's lead 0 is the left lead."""
    return f"{LEAD_NAMES[lead].capitalize()} lead ({lead})"


def _ma(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happened, with the time since the test began and the amplitude."""

    index: int
    elapsed_s: float
    at: str  # UTC, ISO 8601
    event: str
    lead: int | None = None
    anode: int | None = None
    cathode: int | None = None
    amplitude_ma: Decimal | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "elapsed_s": round(self.elapsed_s, 3), "at": self.at,
                "event": self.event, "lead": self.lead, "anode": self.anode,
                "cathode": self.cathode, "amplitude_ma": _ma(self.amplitude_ma),
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class UnwantedAt:
    kind: Unwanted
    amplitude_ma: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "amplitude_ma": str(self.amplitude_ma)}


@dataclass(frozen=True, slots=True)
class Trial:
    """One pair stimulated from the start amplitude upwards, for a threshold or a margin."""

    number: int
    lead: int
    anode: int
    cathode: int
    purpose: Purpose
    target_ma: Decimal  # the highest amplitude this trial may reach
    amplitude_ma: Decimal  # in force now, or when the trial ended
    end: TrialEnd | None
    end_detail: str
    contraction_ma: Decimal | None
    unwanted: tuple[UnwantedAt, ...]
    threshold_ma: Decimal | None  # for a margin check: the threshold it checks above

    @property
    def running(self) -> bool:
        return self.end is None

    @property
    def pair(self) -> tuple[int, int]:
        return self.anode, self.cathode

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "lead": self.lead, "anode": self.anode,
                "cathode": self.cathode, "purpose": self.purpose.value,
                "target_ma": str(self.target_ma), "amplitude_ma": str(self.amplitude_ma),
                "end": self.end.value if self.end else None, "end_detail": self.end_detail,
                "contraction_ma": _ma(self.contraction_ma),
                "unwanted": [u.to_dict() for u in self.unwanted],
                "threshold_ma": _ma(self.threshold_ma)}


@dataclass(frozen=True, slots=True)
class Reading:
    """A contact against the case (``electrode_b`` None) or a pair; ``ohms`` None is open."""

    electrode_a: int
    electrode_b: int | None
    ohms: int | None
    state: ContactState

    @property
    def name(self) -> str:
        """``E2`` for a contact, ``E1–E2`` for a pair."""
        if self.electrode_b is None:
            return contact_name(self.electrode_a)
        return pair_name(self.electrode_a, self.electrode_b)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.electrode_a, "b": self.electrode_b, "ohms": self.ohms,
                "state": self.state.value}


@dataclass(frozen=True, slots=True)
class LeadIntegrity:
    """A lead's contacts and pairs as classified by the safety profile's impedance ranges."""

    lead: int
    contacts: tuple[Reading, ...]  # each contact's worst state from every reading
    pairs: tuple[Reading, ...]
    faults: tuple[str, ...]  # open or shorted contacts and pairs, as sentences

    @property
    def measured(self) -> bool:
        return bool(self.contacts)

    @property
    def ok(self) -> bool:
        return self.measured and not self.faults

    def to_dict(self) -> dict[str, Any]:
        return {"lead": self.lead, "contacts": [c.to_dict() for c in self.contacts],
                "pairs": [p.to_dict() for p in self.pairs], "faults": list(self.faults),
                "ok": self.ok}


@dataclass(frozen=True, slots=True)
class ImpedanceRun:
    """One measurement of both leads, monopolar and bipolar, as the device reported it."""

    at: str
    records: tuple[ImpedanceRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "records": [
            {"lead": r.lead, "a": r.electrode_a, "b": r.electrode_b, "ohms": r.ohms}
            for r in self.records]}


@dataclass(frozen=True, slots=True)
class Interruption:
    """Where a STOP interrupted the test: the team may resume it there."""

    phase: Phase  # the phase the test was in
    lead: int | None  # in stimulation: the lead being tested, which the test resumes on
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"phase": self.phase.value, "lead": self.lead, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class LeadVerdict:
    lead: int
    outcome: Outcome
    failure: Failure | None
    reasons: tuple[str, ...]
    suggestions: tuple[str, ...]
    pair: tuple[int, int] | None  # the pair the verdict rests on
    threshold_ma: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return {"lead": self.lead, "outcome": self.outcome.value,
                "failure": self.failure.value if self.failure else None,
                "reasons": list(self.reasons), "suggestions": list(self.suggestions),
                "pair": list(self.pair) if self.pair else None,
                "threshold_ma": _ma(self.threshold_ma)}


@dataclass(frozen=True, slots=True)
class PlacementResult:
    """Everything about one placement test, at one moment (a snapshot while it runs)."""

    status: ResultStatus
    phase: Phase
    simulated: bool
    operator: str
    patient: str | None
    device: dict[str, Any] | None  # model, serial, firmware
    profile: PlacementProfile
    stepping: Stepping
    started_at: str
    ended_at: str | None
    integrity: tuple[LeadIntegrity, LeadIntegrity]
    impedance_runs: tuple[ImpedanceRun, ...]
    trials: tuple[Trial, ...]
    steps: tuple[Step, ...]
    verdicts: tuple[LeadVerdict, LeadVerdict]
    overall: Outcome
    fluoroscopy_confirmed: bool | None
    notes: str
    stop_reason: str | None
    finished_leads: tuple[int, ...] = ()  # leads the team is done with: verdicts final
    interruption: Interruption | None = None  # set while a STOP may still be resumed

    @property
    def active_trial(self) -> Trial | None:
        if self.trials and self.trials[-1].running:
            return self.trials[-1]
        return None

    @property
    def passed(self) -> bool:
        return self.overall == Outcome.PASS and self.status == ResultStatus.COMPLETE

    @property
    def resumable(self) -> bool:
        """Stopped, and the team may still resume it where it was."""
        return self.interruption is not None

    @property
    def serial(self) -> str | None:
        return self.device["serial"] if self.device else None

    def trials_of(self, lead: int) -> tuple[Trial, ...]:
        return tuple(t for t in self.trials if t.lead == lead)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "phase": self.phase.value,
                "overall": self.overall.value, "simulated": self.simulated,
                "operator": self.operator, "patient": self.patient, "device": self.device,
                "profile": self.profile.as_dict(), "stepping": self.stepping.value,
                "started_at": self.started_at, "ended_at": self.ended_at,
                "verdicts": [v.to_dict() for v in self.verdicts],
                "integrity": [i.to_dict() for i in self.integrity],
                "impedance_runs": [r.to_dict() for r in self.impedance_runs],
                "trials": [t.to_dict() for t in self.trials],
                "steps": [s.to_dict() for s in self.steps],
                "fluoroscopy_confirmed": self.fluoroscopy_confirmed, "notes": self.notes,
                "stop_reason": self.stop_reason, "finished_leads": list(self.finished_leads),
                "interruption": self.interruption.to_dict() if self.interruption else None}
