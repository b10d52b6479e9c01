"""The clinic's audit: follow-up completeness, responders, adverse events, explants, adherence.

A pure function of the clinic's facts, so the figures can be checked on a hand-built
clinic. Everything counts as it stood on ``as_of``: entries collected later, and events
with a later onset, are left out. Definitions: docs/outcomes-audit.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from console.outcomes.adverse_events import EventCategory, ExplantReason
from console.outcomes.clinic import ClinicFacts, ClinicPatient
from console.outcomes.entries import OutcomeEntry
from console.outcomes.responders import ResponderRules, progress
from console.outcomes.timepoints import FOLLOW_UPS, SCHEDULED, Timepoint, due_date
from console.outcomes.wilson import wilson_percent

EMULATOR_MODEL_PREFIX = "EMU"  # as console.report.marking decides a device is the emulator
_TENTH = Decimal("0.1")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Completeness:
    """Of the patients a timepoint is due for, how many have it collected."""

    due: int
    collected: int

    def as_json(self) -> dict[str, int]:
        return {"due": self.due, "collected": self.collected}


@dataclass(frozen=True, slots=True)
class Proportion:
    """``n`` responders of ``of`` patients with the measure at baseline and the timepoint."""

    n: int
    of: int

    @property
    def pct(self) -> Decimal | None:
        """100 × n / of to one decimal (halves up); None when nobody can be judged."""
        if self.of == 0:
            return None
        return (Decimal(100 * self.n) / self.of).quantize(_TENTH, rounding=ROUND_HALF_UP)

    @property
    def ci95(self) -> tuple[Decimal, Decimal] | None:
        return wilson_percent(self.n, self.of)

    def as_json(self) -> dict[str, Any]:
        interval = self.ci95
        return {"n": self.n, "of": self.of, "pct": _number(self.pct),
                "ci95": None if interval is None else [float(v) for v in interval]}


@dataclass(frozen=True, slots=True)
class Responders:
    pain: Proportion
    function: Proportion

    def as_json(self) -> dict[str, Any]:
        return {"pain": self.pain.as_json(), "function": self.function.as_json()}


@dataclass(frozen=True, slots=True)
class AdverseEventCounts:
    by_category: tuple[tuple[EventCategory, int], ...]  # every category, zeros included
    serious: int

    @property
    def total(self) -> int:
        return sum(count for _category, count in self.by_category)

    def as_json(self) -> dict[str, Any]:
        return {"by_category": {c.value: n for c, n in self.by_category},
                "serious": self.serious}


@dataclass(frozen=True, slots=True)
class ExplantCounts:
    by_reason: tuple[tuple[ExplantReason, int], ...]  # every reason, zeros included

    @property
    def total(self) -> int:
        return sum(count for _reason, count in self.by_reason)

    def as_json(self) -> dict[str, Any]:
        return {"by_reason": {r.value: n for r, n in self.by_reason}}


@dataclass(frozen=True, slots=True)
class AdherenceSummary:
    """Mean adherence over the patients whose usage in the period is known."""

    mean_pct: Decimal | None
    patients: int

    def as_json(self) -> dict[str, Any]:
        return {"mean_pct": _number(self.mean_pct), "patients": self.patients}


@dataclass(frozen=True, slots=True)
class CohortReport:
    as_of: date
    rules: ResponderRules
    patients: int
    followup: tuple[tuple[Timepoint, Completeness], ...]  # baseline and each follow-up
    responders: tuple[tuple[Timepoint, Responders], ...]  # each follow-up
    adverse_events: AdverseEventCounts
    explants: ExplantCounts
    adherence: AdherenceSummary
    emulated: bool  # some device is the emulator: the figures are not a clinic's

    def as_json(self) -> dict[str, Any]:
        """The issue's keys exactly, for ``mfconsole cohort --json`` and the Clinic view."""
        return {
            "patients": self.patients,
            "followup": {t.value: c.as_json() for t, c in self.followup},
            "responders": {t.value: r.as_json() for t, r in self.responders},
            "adverse_events": self.adverse_events.as_json(),
            "explants": self.explants.as_json(),
            "adherence": self.adherence.as_json(),
        }


def cohort_report(facts: ClinicFacts, rules: ResponderRules, as_of: date,
                  adherence: Mapping[str, float] | None = None) -> CohortReport:
    """The audit of ``facts`` on ``as_of``; ``adherence``: percent by clinic ID, for the
    patients whose usage is known (others are simply absent)."""
    patients = facts.patients
    entries = [_entries_by_timepoint(p, as_of) for p in patients]
    implants = [p.implant_date for p in patients]
    return CohortReport(
        as_of=as_of, rules=rules, patients=len(patients),
        followup=tuple((point, _completeness(implants, entries, point, as_of))
                       for point in SCHEDULED),
        responders=tuple((point, _responders(entries, point, rules)) for point in FOLLOW_UPS),
        adverse_events=_adverse_events(patients, as_of),
        explants=_explants(patients, as_of),
        adherence=_adherence(patients, adherence or {}),
        emulated=any(d.model.startswith(EMULATOR_MODEL_PREFIX)
                     for p in patients for d in p.devices))


def _entries_by_timepoint(patient: ClinicPatient, as_of: date,
                          ) -> dict[Timepoint, OutcomeEntry]:
    """The patient's current scheduled entries collected by ``as_of``, one per timepoint."""
    return {e.timepoint: e for e in patient.outcomes
            if e.timepoint is not Timepoint.OTHER and e.collected_on <= as_of}


def _completeness(implants: Sequence[date | None],
                  entries: Sequence[Mapping[Timepoint, OutcomeEntry]], point: Timepoint,
                  as_of: date) -> Completeness:
    due = [found for implant, found in zip(implants, entries, strict=True)
           if implant is not None and _due_on(implant, point) <= as_of]
    return Completeness(len(due), sum(point in found for found in due))


def _due_on(implant: date, point: Timepoint) -> date:
    due = due_date(implant, point)
    assert due is not None, "every scheduled timepoint has a due date"
    return due


def _responders(everyone: Iterable[Mapping[Timepoint, OutcomeEntry]], point: Timepoint,
                rules: ResponderRules) -> Responders:
    pain = [0, 0]
    function = [0, 0]
    for entries in everyone:
        baseline, follow_up = entries.get(Timepoint.BASELINE), entries.get(point)
        if baseline is None or follow_up is None:
            continue
        change = progress(rules, baseline.measures.nrs, baseline.odi_pct,
                          follow_up.measures.nrs, follow_up.odi_pct)
        for verdict, tally in ((change.pain_responder, pain),
                               (change.function_responder, function)):
            if verdict is not None:
                tally[0] += int(verdict)
                tally[1] += 1
    return Responders(Proportion(*pain), Proportion(*function))


def _adverse_events(patients: tuple[ClinicPatient, ...], as_of: date) -> AdverseEventCounts:
    events = [e.details for p in patients for e in p.adverse_events if e.details.onset <= as_of]
    counts = Counter(d.category for d in events)
    return AdverseEventCounts(tuple((c, counts[c]) for c in EventCategory),
                              sum(d.serious for d in events))


def _explants(patients: tuple[ClinicPatient, ...], as_of: date) -> ExplantCounts:
    counts = Counter(e.details.explant_reason for p in patients for e in p.adverse_events
                     if e.details.onset <= as_of and e.details.explanted)
    return ExplantCounts(tuple((r, counts[r]) for r in ExplantReason))


def _adherence(patients: tuple[ClinicPatient, ...],
               adherence: Mapping[str, float]) -> AdherenceSummary:
    known = [Decimal(repr(adherence[p.clinic_id])) for p in patients
             if p.clinic_id in adherence]
    if not known:
        return AdherenceSummary(None, 0)
    mean = (sum(known) / len(known)).quantize(_TENTH, rounding=ROUND_HALF_UP)
    return AdherenceSummary(mean, len(known))
