"""Adverse event entries: codes, dates, explant reasons and references, checked whole."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    checked_details,
)
from console.outcomes.event_words import CATEGORY_WORDS
from console.outcomes.refusal import EntryRefused

TODAY = date(2026, 6, 1)
INFECTION = EventDetails(EventCategory.WOUND_INFECTION, date(2026, 2, 1), True, "procedure")

ISSUE_CATEGORIES = (
    "procedure-related, lead-migration, lead-fracture, lead-erosion, inadequate-stimulation, "
    "intermittent-stimulation, overstimulation, loss-of-stimulation, wound-infection, "
    "haemorrhage, wound-inflammation, haematoma, surgical-site-pain, "
    "anchor-or-pocket-discomfort, muscle-fatigue, undesired-sensation, nerve-irritation, "
    "nerve-damage, ipg-failure, revision-surgery, explant, other")


def test_the_categories_are_the_coded_list_each_with_its_meaning():
    assert [c.value for c in EventCategory] == ISSUE_CATEGORIES.split(", ")
    assert all(CATEGORY_WORDS[c] for c in EventCategory)


def test_codes_given_as_text_come_back_as_codes():
    checked = checked_details(replace(INFECTION, category="lead-migration", related="device",
                                      action="reprogramming"), TODAY)
    assert checked.category is EventCategory.LEAD_MIGRATION
    assert checked.action is EventAction.REPROGRAMMING


@pytest.mark.parametrize(("change", "field"), [
    ({"category": "lead-broken"}, "category"),
    ({"related": "maybe"}, "related"),
    ({"action": "surgery"}, "action"),
    ({"serious": "yes"}, "serious"),
    ({"onset": date(2026, 6, 2)}, "onset"),
    ({"onset": "2026-02-01"}, "onset"),
    ({"resolved": date(2026, 1, 31)}, "resolved"),
    ({"resolved": date(2026, 6, 2)}, "resolved"),
    ({"explant_reason": "adverse-event"}, "explant_reason"),
    ({"action": "explant"}, "explant_reason"),
    ({"category": "explant"}, "explant_reason"),
    ({"action": "explant", "explant_reason": "bored"}, "explant_reason"),
    ({"yellow_card": "2026 000123"}, "yellow_card"),
    ({"yellow_card": ""}, "yellow_card"),
    ({"yellow_card": "x" * 41}, "yellow_card"),
    ({"notes": "n" * 2001}, "notes"),
])
def test_a_wrong_value_is_refused_naming_its_field(change, field):
    with pytest.raises(EntryRefused) as refused:
        checked_details(replace(INFECTION, **change), TODAY)
    assert refused.value.field == field


def test_an_explant_carries_its_reason():
    explant = checked_details(replace(INFECTION, category="explant", action="explant",
                                      explant_reason="lack-of-efficacy"), TODAY)
    assert explant.explanted and explant.explant_reason is ExplantReason.LACK_OF_EFFICACY


def test_limits_are_accepted():
    checked = checked_details(replace(INFECTION, onset=TODAY, resolved=TODAY,
                                      yellow_card="GB-MHRA-2026/0001" + "9" * 23,
                                      notes="  n" * 666 + "  "), TODAY)
    assert len(checked.yellow_card) == 40 and checked.notes == ("  n" * 666).strip()
    assert checked_details(replace(INFECTION, notes="   "), TODAY).notes is None
