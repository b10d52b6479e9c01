"""``mfconsole events add|list|amend|withdraw|categories``, each run as its own process."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from console.outcomes.adverse_events import EventCategory
from tests.outcomes_clinic import Clinic, make_clinic

EVENT_KEYS = {"id", "patient", "device", "date", "category", "serious", "related", "action",
              "explant_reason", "resolved", "yellow_card", "notes", "recorded_by",
              "recorded_at", "visit", "amends", "reason", "withdrawn", "current"}
CATEGORY_CODES = (
    "procedure-related, lead-migration, lead-fracture, lead-erosion, inadequate-stimulation, "
    "intermittent-stimulation, overstimulation, loss-of-stimulation, wound-infection, "
    "haemorrhage, wound-inflammation, haematoma, surgical-site-pain, "
    "anchor-or-pocket-discomfort, muscle-fatigue, undesired-sensation, nerve-irritation, "
    "nerve-damage, ipg-failure, revision-surgery, explant, other")
NOTES = "Left lead felt to move when lifting the grandchild"


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    return make_clinic(tmp_path)


def test_an_event_is_recorded_whole_and_listed(clinic):
    event = clinic.json("events", "add", "P001", "--date", "2025-02-03", "--category",
                        "lead-migration", "--serious", "--related", "device", "--action",
                        "reprogramming", "--device", "SN1", "--notes", NOTES,
                        "--yellow-card", "YC/2025/0042", "--resolved", "2025-02-20")
    assert set(event) == EVENT_KEYS
    assert {k: v for k, v in event.items() if k != "recorded_at"} == {
        "id": 1, "patient": "P001", "device": "SN1", "date": "2025-02-03",
        "category": "lead-migration", "serious": True, "related": "device",
        "action": "reprogramming", "explant_reason": None, "resolved": "2025-02-20",
        "yellow_card": "YC/2025/0042", "notes": NOTES, "recorded_by": "doc", "visit": None,
        "amends": None, "reason": None, "withdrawn": False, "current": True}
    assert clinic.ok("events", "add", "P001", "--date", "2025-06-01", "--category",
                     "explant", "--not-serious", "--related", "device", "--action", "explant",
                     "--explant-reason", "lack-of-efficacy") == (
        "recorded adverse event 2: patient P001, explant from 2025-06-01\n")
    listed = clinic.json("events", "list", "P001")
    assert [(e["id"], e["category"], e["serious"], e["explant_reason"], e["device"])
            for e in listed] == [(1, "lead-migration", True, None, "SN1"),
                                 (2, "explant", False, "lack-of-efficacy", None)]
    assert [set(e) for e in listed] == [EVENT_KEYS] * 2
    table = clinic.ok("events", "list", "P001").splitlines()
    assert table[0].split()[:3] == ["event", "onset", "category"]
    assert table[1].split() == ["1", "2025-02-03", "lead-migration", "serious", "device",
                                "reprogramming", "2025-02-20", "YC/2025/0042", "SN1"]
    assert table[2].split() == ["2", "2025-06-01", "explant", "not", "serious", "device",
                                "explant", "lack-of-efficacy", "not", "yet"]
    assert clinic.json("events", "list", "P002") == []
    recorded = clinic.audit("adverse_event_recorded")
    assert [(e["adverse_event"], e["category"], e["notes"], e["yellow_card"])
            for e in recorded] == [(1, "lead-migration", True, True),
                                   (2, "explant", False, False)]
    assert not any("grandchild" in line for line in map(str, recorded))


TODAY_BUT_ONE = (date.today() + timedelta(days=2)).isoformat()
BASE = ("--date", "2025-02-03", "--not-serious", "--related", "device")
REFUSALS = [
    (("--category", "lead-wander", *BASE),
     f"adverse event category = 'lead-wander': must be one of {CATEGORY_CODES}"),
    (("--category", "other", "--date", "2025-02-03", "--serious", "--related", "devices"),
     "adverse event related = 'devices': must be one of device, procedure, both, unrelated, "
     "unknown"),
    (("--category", "other", *BASE, "--action", "surgery"),
     "adverse event action = 'surgery': must be one of none, reprogramming, revision, "
     "explant"),
    (("--category", "explant", *BASE, "--explant-reason", "bored"),
     "adverse event explant_reason = 'bored': must be one of lack-of-efficacy, "
     "pain-resolution, adverse-event, other"),
    (("--category", "explant", *BASE),
     "adverse event explant_reason = None: an explant needs its reason: one of "
     "lack-of-efficacy, pain-resolution, adverse-event, other"),
    (("--category", "other", *BASE, "--action", "explant"),
     "adverse event explant_reason = None: an explant needs its reason"),
    (("--category", "haematoma", *BASE, "--explant-reason", "other"),
     "adverse event explant_reason = 'other': given only when the action or the category "
     "is explant"),
    (("--category", "haematoma", "--date", TODAY_BUT_ONE, "--serious", "--related",
      "procedure"), f"adverse event onset = '{TODAY_BUT_ONE}': is after today"),
    (("--category", "haematoma", "--date", "2025-02-30", "--serious", "--related",
      "procedure"), "adverse event onset = '2025-02-30': must be a date (YYYY-MM-DD)"),
    (("--category", "haematoma", *BASE, "--resolved", "2025-02-01"),
     "adverse event resolved = '2025-02-01': is before the onset (2025-02-03)"),
    (("--category", "haematoma", *BASE, "--yellow-card", "YC 42"),
     "adverse event yellow_card = 'YC 42': must be 1 to 40 letters, digits, / or -"),
    (("--category", "haematoma", *BASE, "--device", "SN9"), "no device"),
]


def test_every_refusal_names_field_value_and_choices_and_stores_nothing(clinic):
    for argv, sentence in REFUSALS:
        line = clinic.refused("events", "add", "P001", *argv)
        assert line.startswith(f"mfconsole: {sentence}"), (argv, line)
    assert clinic.refused("events", "add", "P002", "--category", "haematoma", *BASE,
                          "--device", "SN1") == (
        "mfconsole: device SN1 is not patient P002's\n")
    assert clinic.json("events", "list", "P001", "--with-corrections") == []
    assert clinic.json("events", "list", "P002", "--with-corrections") == []
    assert clinic.rows("SELECT count(*) FROM adverse_events") == [(0,)]
    assert clinic.audit("adverse_event_recorded") == []


def test_a_resolution_learnt_later_is_an_amendment_and_a_withdrawal_keeps_the_event(clinic):
    clinic.ok("events", "add", "P001", "--date", "2025-02-03", "--category",
              "wound-infection", "--serious", "--related", "procedure", "--notes", NOTES)
    amended = clinic.json("events", "amend", "1", "--reason", "resolved with antibiotics",
                          "--date", "2025-02-03", "--category", "wound-infection",
                          "--serious", "--related", "procedure", "--resolved", "2025-03-01",
                          "--yellow-card", "YC-77")
    assert (amended["id"], amended["amends"], amended["reason"], amended["resolved"],
            amended["yellow_card"], amended["notes"]) == (
        2, 1, "resolved with antibiotics", "2025-03-01", "YC-77", None)
    assert clinic.refused("events", "amend", "1", "--reason", "again", "--date",
                          "2025-02-03", "--category", "wound-infection", "--serious",
                          "--related", "procedure") == (
        "mfconsole: adverse event 1 was corrected by adverse event 2: amend 2, the current "
        "one\n")
    assert [e["id"] for e in clinic.json("events", "list", "P001")] == [2]
    assert clinic.ok("events", "withdraw", "2", "--reason", "another patient's event") == (
        "withdrew adverse event 2 by adverse event 3: patient P001, wound-infection from "
        "2025-02-03\n")
    assert clinic.json("events", "list", "P001") == []
    assert clinic.ok("events", "list", "P001") == "no adverse events recorded\n"
    history = clinic.json("events", "list", "P001", "--with-corrections")
    assert [(e["id"], e["amends"], e["withdrawn"], e["current"]) for e in history] == [
        (1, None, False, False), (2, 1, False, False), (3, 2, True, False)]
    assert history[0]["notes"] == NOTES  # kept in the record
    amendments = clinic.audit("adverse_event_amended")
    assert [(e["adverse_event"], e["amends"], e["withdrawn"], e["resolved"])
            for e in amendments] == [(2, 1, False, "2025-03-01"), (3, 2, True, "2025-03-01")]
    assert "grandchild" not in str(clinic.audit("adverse_event_recorded"))


def test_theatre_may_record_an_event_and_an_engineer_may_not(clinic):
    event = clinic.json("events", "add", "P001", "--date", "2025-01-10", "--category",
                        "haemorrhage", "--not-serious", "--related", "procedure", user="th")
    assert (event["id"], event["recorded_by"]) == (1, "th")
    line = clinic.refused("events", "add", "P001", "--date", "2025-01-10", "--category",
                          "haematoma", "--not-serious", "--related", "procedure", user="eng")
    assert line == ("mfconsole: user eng (role engineer) may not record outcomes and "
                    "adverse events\n")
    assert [e["id"] for e in clinic.json("events", "list", "P001", user="eng")] == [1]


def test_the_categories_are_listed_with_their_meaning_and_in_the_help(clinic):
    lines = clinic.ok("events", "categories").splitlines()
    assert [line.split()[0] for line in lines] == [c.value for c in EventCategory]
    assert lines[1].split(None, 1)[1] == "a lead has moved from where it was placed"
    assert all(len(line.split(None, 1)) == 2 for line in lines)
    described = clinic.json("events", "categories")
    assert list(described) == [c.value for c in EventCategory]
    assert described["other"] == "any other adverse event (describe it in the notes)"
    helped = " ".join(clinic.ok("events", "add", "--help").split())
    assert CATEGORY_CODES in helped.replace("- ", "-")
