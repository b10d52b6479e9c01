"""The visit report's outcomes: assessments collected and adverse events recorded in the
visit, each assessment against the baseline by the clinic's responder rules."""

from __future__ import annotations

from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from console.outcomes.entries import AdverseEvent, OutcomeEntry
from console.outcomes.measures import PGIC_WORDS
from console.outcomes.odi import SECTIONS
from console.outcomes.responders import Progress
from console.report.visit_data import VisitReport
from console.report.visit_style import Styles, grid_table, text

NO_OUTCOMES = "No assessment collected in this visit."
NO_EVENTS = "No adverse event recorded in this visit."


def _change(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f" ({sign}{abs(value)})"


def _verdict(value: bool | None) -> str:
    return "—" if value is None else "yes" if value else "no"


def _odi(entry: OutcomeEntry) -> str:
    if entry.measures.odi is None:
        return "—"
    score = entry.odi_pct
    if score is None:
        missing = sum(item is None for item in entry.measures.odi)
        return f"not scored ({missing} of {SECTIONS} missing)"
    return f"{score} %"


def _row(entry: OutcomeEntry, change: Progress, styles: Styles) -> list[object]:
    m = entry.measures
    cells = (entry.timepoint.value, f"{entry.collected_on:%d %b %Y}",
             "—" if m.nrs is None else f"{m.nrs}{_change(change.nrs_change)}",
             _odi(entry) + _change(change.odi_change),
             "—" if m.eq5d is None else f"{m.eq5d}, VAS {m.eq_vas}",
             "—" if m.pgic is None else f"{m.pgic} {PGIC_WORDS[m.pgic]}",
             f"{_verdict(change.pain_responder)} / {_verdict(change.function_responder)}")
    return [text(cell, styles.cell) for cell in cells]


def _event_row(event: AdverseEvent, styles: Styles) -> list[object]:
    d = event.details
    cells = (f"{d.onset:%d %b %Y}", d.category.value, "yes" if d.serious else "no",
             d.related.value,
             d.action.value + ("" if d.explant_reason is None else f" ({d.explant_reason})"),
             "ongoing" if d.resolved is None else f"{d.resolved:%d %b %Y}",
             d.yellow_card or "—")
    return [text(cell, styles.cell) for cell in cells]


def outcomes_section(report: VisitReport, styles: Styles) -> list[Flowable]:
    rules = (f"Change from baseline in brackets; responder (pain / function) by the clinic's "
             f"rules: NRS down ≥ {report.clinic.pain_responder_nrs_drop} points, ODI down "
             f"≥ {report.clinic.function_responder_odi_drop} points.")
    parts: list[Flowable] = [text("Outcomes and adverse events", styles.heading)]
    if report.outcomes:
        header = ["Timepoint", "Collected", "Pain NRS", "ODI", "EQ-5D-5L", "PGIC",
                  "Responder"]
        table = [[text(h, styles.cell_bold) for h in header]]
        table += [_row(entry, change, styles) for entry, change in report.outcomes]
        parts += [grid_table(table, [21 * mm, 22 * mm, 18 * mm, 34 * mm, 26 * mm, 30 * mm,
                                     None]), text(rules, styles.small)]
    else:
        parts.append(text(NO_OUTCOMES, styles.body))
    if report.adverse_events:
        header = ["Onset", "Category", "Serious", "Related", "Action", "Resolved",
                  "Yellow Card"]
        table = [[text(h, styles.cell_bold) for h in header]]
        table += [_event_row(event, styles) for event in report.adverse_events]
        parts.append(grid_table(table, [20 * mm, 34 * mm, 20 * mm, 18 * mm, 30 * mm, 20 * mm,
                                        None]))
    else:
        parts.append(text(NO_EVENTS, styles.body))
    return parts
