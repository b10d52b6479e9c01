"""``mfconsole outcomes add|list|amend|withdraw|due``, each run as its own process.

The figures the tests expect are worked out here by hand (Fairbank's ODI, change from
baseline, the responder thresholds), not by the console's own functions.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from console.paths import shipped
from tests.eq5d_sets import write_made_up_value_set
from tests.outcomes_clinic import IMPLANT, Clinic, make_clinic

REQUIRED_KEYS = {"timepoint", "date", "nrs", "odi_pct", "nrs_change", "odi_change",
                 "pain_responder", "function_responder"}
ENTRY_KEYS = REQUIRED_KEYS | {"id", "patient", "odi_items", "eq5d", "eq5d_index", "eq_vas",
                              "pgic",
                              "analgesics", "work", "recorded_by", "recorded_at", "visit",
                              "amends", "reason", "withdrawn", "current"}
BASELINE_ODI = "3,3,2,3,2,3,2,3,2,2"  # 25 of 50: 50.0 %
WEEK6_ODI = "2,2,2,2,2,2,2,2,2,2"  # 20 of 50: 40.0 %, exactly 10 points down
MONTH3_ODI = "-,2,2,2,2,3,2,2,2,2"  # 19 of 45: 42.2 %, 7.8 points down
MONTH6_ODI = "-,2,2,-,2,2,-,2,2,2"  # three missing: not scored


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    return make_clinic(tmp_path)


def add(clinic: Clinic, *argv: str, patient: str = "P001", user: str = "doc") -> dict:
    return clinic.json("outcomes", "add", patient, *argv, user=user)


def test_entries_come_back_with_their_change_from_baseline_and_the_responders(clinic):
    baseline = add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--nrs", "7",
                   "--odi", BASELINE_ODI, "--eq5d", "23321", "--eq-vas", "40",
                   "--analgesics", "weak-opioid", "--work", "off-work-back-pain")
    assert set(baseline) == ENTRY_KEYS
    assert {k: baseline[k] for k in REQUIRED_KEYS} == {
        "timepoint": "baseline", "date": "2025-01-02", "nrs": 7, "odi_pct": 50.0,
        "nrs_change": None, "odi_change": None, "pain_responder": None,
        "function_responder": None}
    assert (baseline["odi_items"], baseline["eq5d"], baseline["eq_vas"], baseline["pgic"],
            baseline["analgesics"], baseline["work"], baseline["recorded_by"],
            baseline["amends"], baseline["current"]) == (
        [3, 3, 2, 3, 2, 3, 2, 3, 2, 2], "23321", 40, None, "weak-opioid",
        "off-work-back-pain", "doc", None, True)
    assert baseline["eq5d_index"] is None  # no value set configured: no index, ever
    add(clinic, "--timepoint", "6w", "--date", "2025-02-21", "--nrs", "5", "--odi", WEEK6_ODI,
        "--pgic", "2", "--work", "working-reduced")
    add(clinic, "--timepoint", "3m", "--date", "2025-04-10", "--nrs", "6",
        "--odi", MONTH3_ODI, "--pgic", "3")  # the first section missing, written bare
    add(clinic, "--timepoint", "6m", "--date", "2025-07-10", "--odi", MONTH6_ODI)

    raw = clinic.ok("outcomes", "list", "P001", "--json")
    assert '"odi_pct": 50.0,' in raw and '"odi_change": -10.0,' in raw  # JSON numbers
    listed = [{k: e[k] for k in ("timepoint", "date", "nrs", "odi_pct", "nrs_change",
                                  "odi_change", "pain_responder", "function_responder")}
              for e in json.loads(raw)]
    assert listed == [
        {"timepoint": "baseline", "date": "2025-01-02", "nrs": 7, "odi_pct": 50.0,
         "nrs_change": None, "odi_change": None, "pain_responder": None,
         "function_responder": None},
        {"timepoint": "6w", "date": "2025-02-21", "nrs": 5, "odi_pct": 40.0,
         "nrs_change": -2, "odi_change": -10.0, "pain_responder": True,
         "function_responder": True},  # both exactly at the default thresholds
        {"timepoint": "3m", "date": "2025-04-10", "nrs": 6, "odi_pct": 42.2,
         "nrs_change": -1, "odi_change": -7.8, "pain_responder": False,
         "function_responder": False},
        {"timepoint": "6m", "date": "2025-07-10", "nrs": None, "odi_pct": None,
         "nrs_change": None, "odi_change": None, "pain_responder": None,
         "function_responder": None}]
    assert [set(e) for e in json.loads(raw)] == [ENTRY_KEYS] * 4
    assert json.loads(raw)[2]["odi_items"][0] is None


def test_the_responder_thresholds_are_the_clinic_profiles(clinic):
    profile = clinic.tmp / "clinic_profile.toml"
    profile.write_text(shipped("clinic_profile.toml").read_text(encoding="utf-8").replace(
        "pain_responder_nrs_drop = 2", "pain_responder_nrs_drop = 3").replace(
        "function_responder_odi_drop = 10", "function_responder_odi_drop = 8"),
        encoding="utf-8")
    clinic.env["MFCONSOLE_CLINIC_PROFILE"] = str(profile)
    add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--nrs", "7",
        "--odi", BASELINE_ODI)
    week6 = add(clinic, "--timepoint", "6w", "--date", "2025-02-21", "--nrs", "5",
                "--odi", MONTH3_ODI)
    assert (week6["nrs_change"], week6["pain_responder"], week6["odi_change"],
            week6["function_responder"]) == (-2, False, -7.8, False)
    month3 = add(clinic, "--timepoint", "3m", "--date", "2025-04-10", "--nrs", "4",
                 "--odi", "2,2,2,2,2,2,2,2,2,3")  # 21 of 50: 42.0 %
    assert (month3["nrs_change"], month3["pain_responder"], month3["odi_change"],
            month3["function_responder"]) == (-3, True, -8.0, True)


def test_an_eq5d_index_comes_only_from_the_value_set_the_clinic_configured(clinic):
    write_made_up_value_set(clinic.tmp / "eq5d.csv")
    profile = clinic.tmp / "clinic_profile.toml"
    profile.write_text(shipped("clinic_profile.toml").read_text(encoding="utf-8").replace(
        'eq5d_value_set = ""', 'eq5d_value_set = "eq5d.csv"'), encoding="utf-8")
    clinic.env["MFCONSOLE_CLINIC_PROFILE"] = str(profile)
    add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--eq5d", "23321",
        "--eq-vas", "40")
    listed = clinic.json("outcomes", "list", "P001")
    assert (listed[0]["eq5d"], listed[0]["eq5d_index"]) == ("23321", 0.94)  # 1 - (1+2+2+1+0) × 0.01


def test_the_table_shows_the_entries_then_the_follow_ups_waiting(clinic):
    add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--nrs", "7",
        "--odi", BASELINE_ODI)
    add(clinic, "--timepoint", "6w", "--date", "2025-02-21", "--nrs", "4")
    lines = clinic.ok("outcomes", "list", "P001").splitlines()
    assert lines[0].split()[:5] == ["entry", "timepoint", "date", "NRS", "ODI"]
    assert lines[1].split() == ["1", "baseline", "2025-01-02", "7", "50.0"]
    assert lines[2].split() == ["2", "6w", "2025-02-21", "4", "-3", "yes"]
    # worked out here from the implant date and each timepoint's window
    due = {"3m": (date(2025, 4, 10), 30), "6m": (date(2025, 7, 10), 30),
           "12m": (date(2026, 1, 10), 60), "24m": (date(2027, 1, 10), 60)}
    today = date.today()
    waiting = [(point, "overdue" if today > on + timedelta(days=days) else "due")
               for point, (on, days) in due.items() if today >= on]
    follow = lines[lines.index(f"Follow-up (implant {IMPLANT}):") + 1:]
    assert [tuple(line.split()[:2]) for line in follow] == waiting
    assert clinic.ok("outcomes", "list", "P002") == (
        "no outcome assessments recorded\n\n"
        "Follow-up (no implant date recorded):\n"
        "  baseline due      due before the implant\n")


def test_the_worklist_names_every_patients_due_and_overdue_assessments(clinic):
    add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--nrs", "7")
    add(clinic, "--timepoint", "6w", "--date", "2025-02-21", "--nrs", "4")
    on_time = clinic.json("outcomes", "due", "--as-of", "2025-05-10")  # last day on time
    assert on_time == [
        {"patient": "P001", "implant_date": "2025-01-10", "timepoint": "3m",
         "due_date": "2025-04-10", "late_after": "2025-05-10", "state": "due"},
        {"patient": "P002", "implant_date": None, "timepoint": "baseline", "due_date": None,
         "late_after": None, "state": "due"}]
    late = clinic.json("outcomes", "due", "--as-of", "2025-05-11")
    assert [(w["patient"], w["timepoint"], w["state"]) for w in late] == [
        ("P001", "3m", "overdue"), ("P002", "baseline", "due")]
    before = clinic.json("outcomes", "due", "--as-of", "2025-04-09")
    assert [(w["patient"], w["timepoint"]) for w in before] == [("P002", "baseline")]
    table = clinic.ok("outcomes", "due", "--as-of", "2025-05-11").splitlines()
    assert table[0] == "Assessments due or overdue on 2025-05-11"
    assert table[2].split() == ["P001", "2025-01-10", "3m", "2025-04-10", "2025-05-10",
                                "overdue"]
    assert clinic.refused("outcomes", "due", "--as-of", "11/05/2025") == (
        "mfconsole: --as-of = '11/05/2025': must be a date (YYYY-MM-DD)\n")
    assert "may not record outcomes" in clinic.refused("outcomes", "due", user="eng")


TOMORROW_BUT_ONE = (date.today() + timedelta(days=2)).isoformat()
REFUSALS = [
    (("--timepoint", "3m", "--date", "2025-04-10", "--nrs", "11"),
     "outcome nrs = 11: must be a whole number from 0 to 10"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--nrs", "-1"),
     "outcome nrs = -1: must be a whole number from 0 to 10"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--nrs", "seven"),
     "outcome nrs = 'seven': must be a whole number"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--odi", "1,1,1,1,1,6,1,1,1,1"),
     "outcome odi section 6 (Standing) = 6: must be a whole number from 0 to 5, or missing"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--odi", "1,1,1,1,1,1,1,1,1"),
     "outcome odi = '1,1,1,1,1,1,1,1,1': needs 10 sections, got 9"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--eq5d", "12346", "--eq-vas", "50"),
     "outcome eq5d = '12346': must be five digits, each from 1 to 5 (e.g. 21321)"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--eq5d", "12345"),
     "outcome eq5d = '12345': EQ-5D-5L is entered whole: the five-digit profile with the VAS"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--eq5d", "12345", "--eq-vas", "101"),
     "outcome eq_vas = 101: must be a whole number from 0 to 100"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--pgic", "0"),
     "outcome pgic = 0: must be a whole number from 1 to 7"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--pgic", "8"),
     "outcome pgic = 8: must be a whole number from 1 to 7"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--work", "sometimes"),
     "outcome work = 'sometimes': must be one of working, working-reduced, "
     "off-work-back-pain, not-working-other, retired"),
    (("--timepoint", "3m", "--date", "2025-04-10"),
     "outcome measures = None: an assessment needs at least one measure"),
    (("--timepoint", "3m", "--date", "2025-04-31", "--nrs", "3"),
     "outcome date = '2025-04-31': must be a date (YYYY-MM-DD)"),
    (("--timepoint", "3m", "--date", TOMORROW_BUT_ONE, "--nrs", "3"),
     f"outcome date = '{TOMORROW_BUT_ONE}': is after today"),
    (("--timepoint", "3months", "--date", "2025-04-10", "--nrs", "3"),
     "outcome timepoint '3months': must be one of baseline, 6w, 3m, 6m, 12m, 24m, other"),
    (("--timepoint", "3m", "--date", "2025-01-09", "--nrs", "3"),
     "outcome date = 2025-01-09: a 3m follow-up is collected after the implant (2025-01-10)"),
    (("--timepoint", "baseline", "--date", "2025-01-05", "--nrs", "6"),
     "patient P001 has a baseline assessment already (outcome 1, 2025-01-02): amend it "
     "instead"),
    (("--timepoint", "3m", "--date", "2025-04-10", "--nrs", "3", "--visit", "1"),
     "visit 1 is not a visit of this patient"),
]


def test_every_refusal_names_field_value_and_limit_and_stores_nothing(clinic):
    add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--nrs", "7")
    for argv, sentence in REFUSALS:
        line = clinic.refused("outcomes", "add", "P001", *argv)
        assert line.startswith(f"mfconsole: {sentence}"), (argv, line)
    assert clinic.refused("outcomes", "add", "P002", "--timepoint", "baseline", "--date",
                          "2025-01-02", "--pgic", "3") == (
        "mfconsole: outcome pgic = 3: a baseline assessment has no impression of change "
        "(it is asked after the implant)\n")
    assert clinic.refused("outcomes", "add", "P009", "--timepoint", "baseline", "--date",
                          "2025-01-02", "--nrs", "3") == (
        "mfconsole: no patient with clinic ID 'P009'\n")
    listed = clinic.json("outcomes", "list", "P001", "--with-corrections")
    assert [(e["id"], e["timepoint"], e["nrs"]) for e in listed] == [(1, "baseline", 7)]
    assert clinic.json("outcomes", "list", "P002") == []
    assert clinic.rows("SELECT count(*) FROM outcome_entries") == [(1,)]
    assert len(clinic.audit("outcome_recorded")) == 1


def test_a_correction_is_a_new_entry_and_a_withdrawal_keeps_the_entry(clinic):
    add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--nrs", "7")
    first = add(clinic, "--timepoint", "6w", "--date", "2025-02-21", "--nrs", "6")
    amended = clinic.json("outcomes", "amend", str(first["id"]), "--date", "2025-02-22",
                          "--reason", "NRS misread from the form", "--nrs", "4",
                          "--pgic", "2")
    assert (amended["id"], amended["amends"], amended["reason"], amended["timepoint"],
            amended["date"], amended["nrs"], amended["pgic"], amended["nrs_change"],
            amended["pain_responder"]) == (3, 2, "NRS misread from the form", "6w",
                                           "2025-02-22", 4, 2, -3, True)
    assert clinic.refused("outcomes", "amend", "2", "--date", "2025-02-22", "--reason",
                          "again", "--nrs", "5") == (
        "mfconsole: outcome 2 was corrected by outcome 3: amend 3, the current one\n")
    assert clinic.refused("outcomes", "amend", "3", "--date", "2025-02-22", "--reason",
                          "  ", "--nrs", "5") == (
        "mfconsole: reason: a correction needs its reason\n")
    assert [(e["id"], e["nrs"]) for e in clinic.json("outcomes", "list", "P001")] == [
        (1, 7), (3, 4)]

    assert clinic.ok("outcomes", "withdraw", "3", "--reason", "wrong patient's form") == (
        "withdrew outcome 3 (by entry 4): patient P001, 6w of 2025-02-22\n")
    assert [e["id"] for e in clinic.json("outcomes", "list", "P001")] == [1]
    history = clinic.json("outcomes", "list", "P001", "--with-corrections")
    assert [(e["id"], e["amends"], e["withdrawn"], e["current"], e["reason"])
            for e in history] == [
        (1, None, False, True, None), (2, None, False, False, None),
        (3, 2, False, False, "NRS misread from the form"),
        (4, 3, True, False, "wrong patient's form")]
    again = add(clinic, "--timepoint", "6w", "--date", "2025-02-23", "--nrs", "5")
    assert (again["id"], again["nrs_change"]) == (5, -2)  # the 6w may be entered anew
    assert [(e["outcome"], e["amends"], e["withdrawn"], e["measures"])
            for e in clinic.audit("outcome_amended")] == [
        (3, 2, False, ["nrs", "pgic"]), (4, 3, True, [])]
    table = clinic.ok("outcomes", "list", "P001", "--with-corrections").splitlines()
    assert table[4].split()[-5:] == ["withdraws", "3:", "wrong", "patient's", "form"]


def test_an_engineer_may_read_but_not_record(clinic):
    line = clinic.refused("outcomes", "add", "P001", "--timepoint", "baseline", "--date",
                          "2025-01-02", "--nrs", "7", user="eng")
    assert "may not record outcomes and adverse events" in line
    assert clinic.json("outcomes", "list", "P001", user="eng") == []
    theatre = add(clinic, "--timepoint", "baseline", "--date", "2025-01-02", "--nrs", "7",
                  user="th")
    assert theatre["recorded_by"] == "th"
    assert [e["recorded_by"] for e in clinic.json("outcomes", "list", "P001", user="eng")] \
        == ["th"]
