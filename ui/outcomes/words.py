"""How outcome values read on screen: the same words in the tables, the strip and dialogs.

State is always said in words; colour only repeats it (a colour-blind reader loses
nothing).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from console.outcomes.adverse_events import EventAction, EventCategory, ExplantReason, Relatedness
from console.outcomes.eq5d_value_set import Eq5dValueSet
from console.outcomes.event_words import CATEGORY_WORDS
from console.outcomes.measures import PGIC_WORDS, AnalgesicUse, OutcomeMeasures, WorkStatus
from console.outcomes.odi import SECTIONS, odi_percent
from console.outcomes.responders import ResponderRules
from console.outcomes.timepoints import FollowUpState, Timepoint
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, INFO_GREY, OK_GREEN

NONE_SHOWN = "—"

TIMEPOINT_WORDS: dict[Timepoint, str] = {
    Timepoint.BASELINE: "Baseline", Timepoint.WEEK_6: "6 weeks", Timepoint.MONTH_3: "3 months",
    Timepoint.MONTH_6: "6 months", Timepoint.MONTH_12: "12 months",
    Timepoint.MONTH_24: "24 months", Timepoint.OTHER: "Other"}

STATE_COLOURS: dict[FollowUpState, str] = {
    FollowUpState.COLLECTED: OK_GREEN, FollowUpState.DUE: CONFIRM_AMBER,
    FollowUpState.OVERDUE: BLOCK_RED, FollowUpState.NOT_DUE: INFO_GREY}
STATE_MARKS: dict[FollowUpState, str] = {
    FollowUpState.COLLECTED: "✓", FollowUpState.DUE: "●", FollowUpState.OVERDUE: "⚠",
    FollowUpState.NOT_DUE: "○"}

ANALGESIC_WORDS: dict[AnalgesicUse, str] = {
    AnalgesicUse.NONE: "none", AnalgesicUse.NON_OPIOID: "non-opioid",
    AnalgesicUse.WEAK_OPIOID: "weak opioid", AnalgesicUse.STRONG_OPIOID: "strong opioid"}
WORK_WORDS: dict[WorkStatus, str] = {
    WorkStatus.WORKING: "working", WorkStatus.WORKING_REDUCED: "working, reduced",
    WorkStatus.OFF_WORK_BACK_PAIN: "off work (back pain)",
    WorkStatus.NOT_WORKING_OTHER: "not working (other reason)", WorkStatus.RETIRED: "retired"}
RELATED_WORDS: dict[Relatedness, str] = {
    Relatedness.DEVICE: "device", Relatedness.PROCEDURE: "procedure",
    Relatedness.BOTH: "device and procedure", Relatedness.UNRELATED: "unrelated",
    Relatedness.UNKNOWN: "unknown"}


def day_text(day: date | None) -> str:
    return NONE_SHOWN if day is None else f"{day:%d %b %Y}"


def code_words(code: EventAction | ExplantReason | None) -> str:
    """A code as words: ``lack-of-efficacy`` reads "lack of efficacy"."""
    return NONE_SHOWN if code is None else code.value.replace("-", " ")


def category_text(category: EventCategory) -> str:
    return f"{category.value}: {CATEGORY_WORDS[category]}"


def odi_text(items: tuple[int | None, ...] | None) -> str:
    """The ODI in percent, or why it is not scored (Fairbank: more than 2 sections missing)."""
    if items is None:
        return NONE_SHOWN
    score = odi_percent(items)
    if score is None:
        missing = sum(item is None for item in items)
        return f"not scored ({missing} of {SECTIONS} sections missing)"
    return f"{score} %"


def eq5d_text(measures: OutcomeMeasures, values: Eq5dValueSet | None = None) -> str:
    """Profile and VAS, with the index only from the value set the clinic configured."""
    if measures.eq5d is None:
        return NONE_SHOWN
    text = f"{measures.eq5d} · VAS {measures.eq_vas}"
    return text if values is None else f"{text} · index {values.index(measures.eq5d)}"


def pgic_text(pgic: int | None) -> str:
    return NONE_SHOWN if pgic is None else f"{pgic} {PGIC_WORDS[pgic]}"


def change_text(change: int | Decimal | None, unit: str = "") -> str:
    """A change from baseline with its sign (a fall, an improvement, reads −)."""
    if change is None:
        return NONE_SHOWN
    sign = "−" if change < 0 else "+" if change > 0 else "±"
    return f"{sign}{abs(change)}{unit}"


def responder_text(responder: bool | None) -> str:
    return NONE_SHOWN if responder is None else "yes" if responder else "no"


def rules_text(rules: ResponderRules) -> str:
    return (f"Responders (clinic profile): pain = NRS down ≥ {rules.pain_nrs_drop}, "
            f"function = ODI down ≥ {rules.function_odi_drop} points from baseline")
