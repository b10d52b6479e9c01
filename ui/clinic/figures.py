"""The cohort's figures as the Clinic tab's rows of text.

Read from the cohort's JSON mapping (the keys ``mfconsole cohort --json`` prints), so the
tab shows exactly what the command line and the audit report say. A percentage without a
denominator is a dash, never NaN or a guessed zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from console.outcomes.adverse_events import EventCategory
from console.outcomes.event_words import CATEGORY_WORDS
from console.outcomes.responders import ResponderRules
from console.outcomes.timepoints import FOLLOW_UPS, SCHEDULED, Timepoint

Cohort = Mapping[str, Any]
Row = tuple[str, ...]
DASH = "—"

TIMEPOINT_WORDS: dict[Timepoint, str] = {
    Timepoint.BASELINE: "Baseline", Timepoint.WEEK_6: "6 weeks",
    Timepoint.MONTH_3: "3 months", Timepoint.MONTH_6: "6 months",
    Timepoint.MONTH_12: "12 months", Timepoint.MONTH_24: "24 months",
    Timepoint.OTHER: "Other",
}
TIMEPOINT_SHORT: dict[Timepoint, str] = {point: point.value for point in Timepoint}
TIMEPOINT_SHORT[Timepoint.BASELINE] = "base"
"""The codes on chart axes, where the full words do not fit."""

FOLLOWUP_HEADERS: Row = ("", *(TIMEPOINT_WORDS[p] for p in SCHEDULED))
RESPONDER_HEADERS: Row = ("", *(TIMEPOINT_WORDS[p] for p in FOLLOW_UPS))
"""Timepoints across, as on the charts' axes; the figures down."""
EVENT_HEADERS: Row = ("Category", "Events")
EXPLANT_HEADERS: Row = ("Reason", "Explants")


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f} %"


def completeness(due: int, collected: int) -> float | None:
    """Collected as a percentage of due; None when nothing is due yet."""
    return None if due == 0 else round(100 * collected / due, 1)


def interval(ci95: list[float] | tuple[float, float] | None) -> str:
    return DASH if not ci95 else f"{ci95[0]:.1f}–{ci95[1]:.1f}"


def collected_any(cohort: Cohort) -> bool:
    """Whether any outcome has been collected at all: the empty record says so plainly."""
    return any(cell["collected"] for cell in cohort["followup"].values())


def followup_rows(cohort: Cohort) -> list[Row]:
    """Due, collected and complete (%) per scheduled timepoint."""
    cells = [cohort["followup"].get(p.value, {"due": 0, "collected": 0}) for p in SCHEDULED]
    return [("Due", *(str(cell["due"]) for cell in cells)),
            ("Collected", *(str(cell["collected"]) for cell in cells)),
            ("Complete", *(percent(completeness(cell["due"], cell["collected"]))
                           for cell in cells))]


def responder_rows(cohort: Cohort) -> list[Row]:
    """For pain, then function: responders of those counted, the %, the Wilson 95 % CI."""
    empty = {"n": 0, "of": 0, "pct": None, "ci95": None}
    rows = []
    for kind, word in (("pain", "Pain"), ("function", "Function")):
        cells = [cohort["responders"].get(p.value, {}).get(kind, empty) for p in FOLLOW_UPS]
        rows += [(f"{word}: n / of", *(f"{c['n']} / {c['of']}" for c in cells)),
                 (f"{word}: %", *(percent(c["pct"]) for c in cells)),
                 (f"{word}: 95 % CI (%)", *(interval(c["ci95"]) for c in cells))]
    return rows


def event_rows(cohort: Cohort) -> list[Row]:
    """The categories with events, most first (the others are not listed)."""
    counted = sorted(((code, count) for code, count
                      in cohort["adverse_events"]["by_category"].items() if count),
                     key=lambda item: (-item[1], item[0]))
    return [(code, str(count)) for code, count in counted]


def events_text(cohort: Cohort) -> str:
    """The total and the serious ones, above the list so they never scroll away."""
    events = cohort["adverse_events"]
    total = sum(events["by_category"].values())
    return f"<b>{total}</b> in total, <b>{events['serious']}</b> serious"


def category_meaning(code: str) -> str:
    """The category (its name in full, as a narrow list may cut it) and its meaning."""
    try:
        return f"{code}: {CATEGORY_WORDS[EventCategory(code)]}"
    except ValueError:
        return code


def explant_rows(cohort: Cohort) -> list[Row]:
    reasons = cohort["explants"]["by_reason"]
    counted = sorted(((reason, count) for reason, count in reasons.items() if count),
                     key=lambda item: (-item[1], item[0]))
    return [*((reason, str(count)) for reason, count in counted),
            ("Total", str(sum(count for _reason, count in counted)))]


def adherence_text(cohort: Cohort) -> str:
    adherence = cohort.get("adherence") or {}
    mean, patients = adherence.get("mean_pct"), adherence.get("patients", 0)
    if mean is None or not patients:
        return "Mean adherence: no usage downloaded from any patient's device yet."
    who = "patient" if patients == 1 else "patients"
    return (f"Mean adherence: {mean:.1f} % over {patients} {who} whose device usage is "
            f"in the record.")


def rules_text(rules: ResponderRules) -> str:
    """The clinic profile's responder rules, under the table they decide."""
    return (f"Responder (clinic profile): pain NRS down ≥ {rules.pain_nrs_drop} points, "
            f"function ODI down ≥ {rules.function_odi_drop} points from baseline. Of: patients "
            f"with a baseline and that follow-up. CI: Wilson.")


def day(when: date) -> str:
    """``3 Jun 2026``, as the date picker shows it."""
    return f"{when.day} {when:%b %Y}"


def patients_text(cohort: Cohort, as_of: date) -> str:
    patients = cohort["patients"]
    who = "patient" if patients == 1 else "patients"
    return f"{patients} {who} in the audit, as of {day(as_of)}."
