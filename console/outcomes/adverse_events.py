"""Adverse events: coded as the registry and the NICE audit count them.

The categories are those reported for restorative multifidus stimulation (procedure,
lead, wound, stimulation and device events); ``docs/outcomes.md`` describes each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from console.outcomes.refusal import EntryRefused, coded


class EventCategory(StrEnum):
    PROCEDURE_RELATED = "procedure-related"
    LEAD_MIGRATION = "lead-migration"
    LEAD_FRACTURE = "lead-fracture"
    LEAD_EROSION = "lead-erosion"
    INADEQUATE_STIMULATION = "inadequate-stimulation"
    INTERMITTENT_STIMULATION = "intermittent-stimulation"
    OVERSTIMULATION = "overstimulation"
    LOSS_OF_STIMULATION = "loss-of-stimulation"
    WOUND_INFECTION = "wound-infection"
    HAEMORRHAGE = "haemorrhage"
    WOUND_INFLAMMATION = "wound-inflammation"
    HAEMATOMA = "haematoma"
    SURGICAL_SITE_PAIN = "surgical-site-pain"
    ANCHOR_OR_POCKET_DISCOMFORT = "anchor-or-pocket-discomfort"
    MUSCLE_FATIGUE = "muscle-fatigue"
    UNDESIRED_SENSATION = "undesired-sensation"
    NERVE_IRRITATION = "nerve-irritation"
    NERVE_DAMAGE = "nerve-damage"
    IPG_FAILURE = "ipg-failure"
    REVISION_SURGERY = "revision-surgery"
    EXPLANT = "explant"
    OTHER = "other"


class Relatedness(StrEnum):
    DEVICE = "device"
    PROCEDURE = "procedure"
    BOTH = "both"
    UNRELATED = "unrelated"
    UNKNOWN = "unknown"


class EventAction(StrEnum):
    NONE = "none"
    REPROGRAMMING = "reprogramming"
    REVISION = "revision"
    EXPLANT = "explant"


class ExplantReason(StrEnum):
    LACK_OF_EFFICACY = "lack-of-efficacy"
    PAIN_RESOLUTION = "pain-resolution"
    ADVERSE_EVENT = "adverse-event"
    OTHER = "other"


YELLOW_CARD = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-]{0,39}")
"""An MHRA Yellow Card reference as the scheme issues it (letters, digits, / and -)."""
MAX_NOTES = 2000


@dataclass(frozen=True, slots=True)
class EventDetails:
    """What is known of one adverse event; an amendment gives it all again."""

    category: EventCategory
    onset: date
    serious: bool
    related: Relatedness
    action: EventAction = EventAction.NONE
    explant_reason: ExplantReason | None = None
    resolved: date | None = None
    yellow_card: str | None = None
    notes: str | None = None

    @property
    def explanted(self) -> bool:
        return self.action is EventAction.EXPLANT or self.category is EventCategory.EXPLANT


def checked_details(details: EventDetails, today: date) -> EventDetails:
    """``details`` with every code, date and text checked; EntryRefused names the first
    that is wrong."""
    category = coded("category", details.category, EventCategory)
    related = coded("related", details.related, Relatedness)
    action = coded("action", details.action, EventAction)
    reason = (None if details.explant_reason is None
              else coded("explant_reason", details.explant_reason, ExplantReason))
    if not isinstance(details.serious, bool):
        raise EntryRefused("serious", details.serious, "must be true or false")
    for field, value in (("onset", details.onset), ("resolved", details.resolved)):
        if value is None and field == "resolved":
            continue
        if not isinstance(value, date):
            raise EntryRefused(field, value, "must be a date (YYYY-MM-DD)")
        if value > today:
            raise EntryRefused(field, value.isoformat(), f"is after today ({today})")
    if details.resolved is not None and details.resolved < details.onset:
        raise EntryRefused("resolved", details.resolved.isoformat(),
                           f"is before the onset ({details.onset})")
    explant = action is EventAction.EXPLANT or category is EventCategory.EXPLANT
    if explant and reason is None:
        raise EntryRefused("explant_reason", None, "an explant needs its reason: one of "
                           + ", ".join(r.value for r in ExplantReason))
    if not explant and reason is not None:
        raise EntryRefused("explant_reason", reason.value,
                           "given only when the action or the category is explant")
    card = details.yellow_card
    if card is not None and (not isinstance(card, str) or not YELLOW_CARD.fullmatch(card)):
        raise EntryRefused("yellow_card", card, "must be 1 to 40 letters, digits, / or -")
    notes = details.notes.strip() if isinstance(details.notes, str) else details.notes
    if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
        raise EntryRefused("notes", f"{len(notes)} characters" if isinstance(notes, str)
                           else notes, f"at most {MAX_NOTES} characters")
    return EventDetails(category, details.onset, details.serious, related, action,
                        reason, details.resolved, card, notes or None)
