"""How ``mfconsole outcomes`` prints assessments: JSON for scripts, columns for people.

ODI figures are JSON numbers with one decimal (``24.0``); a change is the follow-up minus
the baseline, so an improvement is negative; a responder is true, false or null (no
baseline or no value to compare).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from console.cli.records_commands import print_table
from console.outcomes.entries import OutcomeEntry
from console.outcomes.eq5d_value_set import Eq5dValueSet
from console.outcomes.responders import NO_PROGRESS, Progress
from console.outcomes.worklist import Waiting


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def entry_json(entry: OutcomeEntry, progress: Progress, *, current: bool,
               value_set: Eq5dValueSet | None = None) -> dict[str, Any]:
    """One entry as ``outcomes list --json`` gives it; ``eq5d_index`` only from the value
    set the clinic configured (null without one)."""
    measures, amendment = entry.measures, entry.amendment
    index = (None if value_set is None or measures.eq5d is None
             else value_set.index(measures.eq5d))
    return {
        "id": entry.id, "patient": entry.patient_clinic_id,
        "timepoint": entry.timepoint.value, "date": entry.collected_on.isoformat(),
        "nrs": measures.nrs,
        "odi_items": None if measures.odi is None else list(measures.odi),
        "odi_pct": _number(entry.odi_pct),
        "eq5d": measures.eq5d, "eq5d_index": _number(index), "eq_vas": measures.eq_vas,
        "pgic": measures.pgic,
        "analgesics": None if measures.analgesics is None else measures.analgesics.value,
        "work": None if measures.work is None else measures.work.value,
        "nrs_change": progress.nrs_change, "odi_change": _number(progress.odi_change),
        "pain_responder": progress.pain_responder,
        "function_responder": progress.function_responder,
        "recorded_by": entry.recorded_by, "recorded_at": entry.recorded_at.isoformat(),
        "visit": entry.visit_id,
        "amends": None if amendment is None else amendment.amends,
        "reason": None if amendment is None else amendment.reason,
        "withdrawn": amendment is not None and amendment.withdrawn,
        "current": current,
    }


def _signed(value: int | Decimal | None) -> str:
    return "" if value is None else f"{value:+}"


def _verdict(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def entry_rows(entries: Sequence[OutcomeEntry], progress: Mapping[int, Progress],
               ) -> list[tuple[OutcomeEntry, Progress, bool]]:
    """Each entry with its progress and whether it is current (counted)."""
    return [(e, progress.get(e.id, NO_PROGRESS), e.id in progress) for e in entries]


def print_entries(rows: Sequence[tuple[OutcomeEntry, Progress, bool]], *,
                  corrections: bool) -> None:
    """The assessments as columns; with ``corrections``, what each entry corrects."""
    if not rows:
        print("no outcome assessments recorded")
        return
    headers = ["entry", "timepoint", "date", "NRS", "ODI %", "EQ-5D", "VAS", "PGIC",
               "analgesics", "work", "NRS change", "ODI change", "pain responder",
               "function responder"]
    if corrections:
        headers += ["current", "correction"]
    table = []
    for entry, progress, current in rows:
        m = entry.measures
        row: list[object] = [
            entry.id, entry.timepoint.value, entry.collected_on, m.nrs,
            "not scored" if m.odi is not None and entry.odi_pct is None else entry.odi_pct,
            m.eq5d, m.eq_vas, m.pgic, m.analgesics and m.analgesics.value,
            m.work and m.work.value, _signed(progress.nrs_change),
            _signed(progress.odi_change), _verdict(progress.pain_responder),
            _verdict(progress.function_responder)]
        if corrections:
            row += ["yes" if current else "no", _correction(entry)]
        table.append(row)
    print_table(headers, table)


def _correction(entry: OutcomeEntry) -> str:
    amendment = entry.amendment
    if amendment is None:
        return ""
    verb = "withdraws" if amendment.withdrawn else "amends"
    return f"{verb} {amendment.amends}: {amendment.reason}"


def print_worklist(items: Sequence[Waiting], today: date) -> None:
    """The clinic's worklist: one row per patient and timepoint waiting."""
    if not items:
        print(f"no assessment is due or overdue on {today}")
        return
    print(f"Assessments due or overdue on {today}")
    print_table(("patient", "implant", "timepoint", "due", "on time until", "state"),
                [(w.clinic_id, w.implant or "not recorded", w.timepoint.value,
                  w.due_on or "before the implant", w.late_after or "", w.state.value)
                 for w in items])


def print_follow_ups(implant: date | None, items: Sequence[Waiting]) -> None:
    """Under one patient's entries: what is due or overdue."""
    print()
    implanted = f"implant {implant}" if implant else "no implant date recorded"
    if not items:
        print(f"Follow-up ({implanted}): nothing due or overdue")
        return
    print(f"Follow-up ({implanted}):")
    for w in items:
        due = f"due {w.due_on}" if w.due_on else "due before the implant"
        late = f", on time until {w.late_after}" if w.late_after else ""
        print(f"  {w.timepoint.value:<8} {w.state.value:<8} {due}{late}")
