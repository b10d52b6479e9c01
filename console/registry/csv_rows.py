"""The registry export as CSV: one row per patient and timepoint (``docs/registry.md``).

Every scheduled timepoint has its row, collected or not, so a missing follow-up shows as
an empty row with its due date; each ``other`` assessment adds a row. Text a spreadsheet
would run as a formula is neutralised as in every export of the console.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal

from console.files.csv_cells import neutral_cell
from console.outcomes.clinic import ClinicFacts, ClinicPatient
from console.outcomes.entries import AdverseEvent, OutcomeEntry
from console.outcomes.odi import SECTIONS
from console.outcomes.responders import NO_PROGRESS, Progress, ResponderRules, with_progress
from console.outcomes.timepoints import SCHEDULED, Timepoint, due_date

ODI_COLUMNS = tuple(f"odi_{number}" for number in range(1, SECTIONS + 1))
IDENTIFYING_COLUMNS = ("name", "date_of_birth")
COLUMNS = ("clinic_id", "device_serials", "device_models", "implant_date", "timepoint",
           "due_date", "collected_on", "nrs", "odi_pct", *ODI_COLUMNS, "eq5d", "eq_vas",
           "pgic", "analgesics", "work_status", "nrs_change", "odi_change", "pain_responder",
           "function_responder", "adverse_events", "serious_adverse_events", "explanted")

_MEASURES = COLUMNS.index("nrs_change") - COLUMNS.index("collected_on")
"""How many columns an assessment fills: from the collection date to the work status."""

Cell = str


def columns(identifiable: bool) -> tuple[str, ...]:
    """The header: the name and date of birth follow the clinic ID only when identifiable."""
    return (COLUMNS[0], *IDENTIFYING_COLUMNS, *COLUMNS[1:]) if identifiable else COLUMNS


def registry_rows(facts: ClinicFacts, rules: ResponderRules, *,
                  identifiable: bool) -> Iterator[list[Cell]]:
    """Every patient's rows in clinic ID order, then timepoint order."""
    for patient in facts.patients:
        yield from patient_rows(patient, rules, identifiable=identifiable)


def patient_rows(patient: ClinicPatient, rules: ResponderRules, *,
                 identifiable: bool) -> Iterator[list[Cell]]:
    implant = patient.implant_date
    who = [neutral_cell(patient.clinic_id)]
    if identifiable:
        who += [neutral_cell(patient.name or ""), _text(patient.date_of_birth)]
    devices = [";".join(neutral_cell(d.serial) for d in patient.devices),
               ";".join(neutral_cell(d.model) for d in patient.devices), _text(implant)]
    progress = {entry.id: change for entry, change in with_progress(patient.outcomes, rules)}
    for point, entry in _timepoints(patient.outcomes):
        due = None if implant is None else due_date(implant, point)
        change = NO_PROGRESS if entry is None else progress[entry.id]
        up_to = due if entry is None else entry.collected_on
        yield [*who, *devices, point.value, _text(due),
               *_measures(entry), *_progress(change), *_events(patient.adverse_events, up_to)]


def _timepoints(entries: Sequence[OutcomeEntry],
                ) -> Iterator[tuple[Timepoint, OutcomeEntry | None]]:
    """Each scheduled timepoint with its entry (if collected), then every other one."""
    by_point = {e.timepoint: e for e in entries if e.timepoint is not Timepoint.OTHER}
    for point in SCHEDULED:
        yield point, by_point.get(point)
    for entry in entries:
        if entry.timepoint is Timepoint.OTHER:
            yield Timepoint.OTHER, entry


def _measures(entry: OutcomeEntry | None) -> list[Cell]:
    if entry is None:
        return [""] * _MEASURES
    m = entry.measures
    items = m.odi if m.odi is not None else (None,) * SECTIONS
    return [entry.collected_on.isoformat(), _text(m.nrs), _text(entry.odi_pct),
            *(_text(item) for item in items), _text(m.eq5d), _text(m.eq_vas), _text(m.pgic),
            _text(m.analgesics), _text(m.work)]


def _progress(change: Progress) -> list[Cell]:
    return [_text(change.nrs_change), _text(change.odi_change),
            _text(change.pain_responder), _text(change.function_responder)]


def _events(events: Sequence[AdverseEvent], up_to: date | None) -> list[Cell]:
    """Adverse events with their onset on or before the row's date (collected, else due);
    empty where the row has no date (no implant date and nothing collected)."""
    if up_to is None:
        return ["", "", ""]
    before = [e.details for e in events if e.details.onset <= up_to]
    return [str(len(before)), str(sum(d.serious for d in before)),
            _text(any(d.explanted for d in before))]


def _text(value: object) -> Cell:
    """A value as the CSV holds it: empty when missing, true/false, numbers as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | Decimal | int):
        return value.isoformat() if isinstance(value, date) else str(value)
    return neutral_cell(str(value))
