"""The clinic's audit on a hand-built clinic, its figures worked out here by hand.

The clinic (audit date 2025-06-30; rules: pain NRS down >= 2, function ODI down >= 10):

  P1 implanted 2024-06-30: baseline NRS 8 / ODI 60; 6w NRS 6 / ODI 50 (both exactly at
     the thresholds); 3m NRS 7 / ODI 52 (below both); 12m dated 2025-06-30, the day it
     falls due, NRS 3 / ODI 20. Serious lead migration.
  P2 implanted 2025-05-19: 6w falls due on 2025-06-30 exactly; baseline only.
  P3 implanted 2025-05-20: 6w due 2025-07-01, the day after; baseline only.
  P4 implanted 2024-12-01, no baseline: 6w NRS 2 and 3m NRS 3 judge nothing.
  P5 a device with no implant date: due for nothing, its baseline counts nowhere.
  P6 implanted 2023-01-15: baseline NRS 9 with ODI not scored (3 sections missing); 12m
     NRS 8 / ODI 20; 24m NRS 5 / ODI 30; a 6m entry dated after the audit date.
     Wound infection; an explant (lack of efficacy) on the audit date itself.
  P7 implanted 2024-10-01: baseline NRS 6 / ODI 40, 6m NRS 6 / ODI 44 (worse), an
     "other" entry; an explant for an adverse event the day after the audit date.
  P8 implanted 2025-01-01: baseline NRS 5 only; 3m NRS 3 (exactly at the threshold).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from console.accounts import PermissionDenied
from console.clinic.profile import load_clinic_profile
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
)
from console.outcomes.clinic import ClinicDevice, ClinicFacts, ClinicPatient
from console.outcomes.cohort import cohort_report
from console.outcomes.entries import AdverseEvent, OutcomeEntry
from console.outcomes.measures import OutcomeMeasures
from console.outcomes.responders import ResponderRules
from console.outcomes.timepoints import Timepoint
from console.outcomes.wilson import wilson_percent
from console.storage import transactions
from console.storage.clinic_facts import load_clinic_facts
from console.usage.log_report import usage_from_log
from console.usage.period import default_period
from device_link.emulator.program_requests import IMPLANT_PROGRAM
from device_link.emulator.usage_log import generate_history
from device_link.messages import LogEntry
from tests.record_fixtures import staff_by_role

AS_OF = date(2025, 6, 30)
RULES = ResponderRules(pain_nrs_drop=2, function_odi_drop=10)
AT = datetime(2025, 7, 1, tzinfo=UTC)
_ids = iter(range(1, 1000))


def odi(*items: int | None) -> tuple[int | None, ...]:
    """Ten sections; a single value repeated: all ten answered alike (score = 2 × sum)."""
    return items * 10 if len(items) == 1 else items


def entry(patient: str, point: str, on: str, nrs: int | None = None,
          items: tuple[int | None, ...] | None = None) -> OutcomeEntry:
    return OutcomeEntry(next(_ids), patient, Timepoint(point), date.fromisoformat(on),
                        OutcomeMeasures(nrs=nrs, odi=items), AT, "doc", None, None)


def event(patient: str, category: str, onset: str, serious: bool = False,
          action: str = "none", reason: str | None = None) -> AdverseEvent:
    details = EventDetails(EventCategory(category), date.fromisoformat(onset), serious,
                           Relatedness.DEVICE, EventAction(action),
                           None if reason is None else ExplantReason(reason))
    return AdverseEvent(next(_ids), patient, None, details, AT, "doc", None, None)


def patient(clinic_id: str, implant: str | None, outcomes=(), events=()) -> ClinicPatient:
    device = ClinicDevice(f"SN-{clinic_id}", "MF-1",
                          None if implant is None else date.fromisoformat(implant))
    return ClinicPatient(clinic_id, (device,), tuple(outcomes), tuple(events))


CLINIC = ClinicFacts((
    patient("P1", "2024-06-30", [
        entry("P1", "baseline", "2024-06-01", 8, odi(3)),          # ODI 30 × 2 = 60
        entry("P1", "6w", "2024-08-12", 6, odi(2, 2, 2, 2, 2, 3, 3, 3, 3, 3)),  # 25 × 2 = 50
        entry("P1", "3m", "2024-10-01", 7, odi(3, 3, 3, 3, 3, 3, 2, 2, 2, 2)),  # 26 × 2 = 52
        entry("P1", "12m", "2025-06-30", 3, odi(1))],              # 10 × 2 = 20
        [event("P1", "lead-migration", "2024-09-01", serious=True, action="reprogramming")]),
    patient("P2", "2025-05-19", [entry("P2", "baseline", "2025-05-01", 7, odi(2))]),
    patient("P3", "2025-05-20", [entry("P3", "baseline", "2025-05-02", 7, odi(2))]),
    patient("P4", "2024-12-01", [entry("P4", "6w", "2025-01-13", 2),
                                 entry("P4", "3m", "2025-03-02", 3)],
            [event("P4", "undesired-sensation", "2025-01-10")]),
    patient("P5", None, [entry("P5", "baseline", "2025-01-01", 6)]),
    patient("P6", "2023-01-15", [
        entry("P6", "baseline", "2023-01-01", 9, odi(4, 4, 4, 4, 4, 4, 4, None, None, None)),
        entry("P6", "12m", "2024-01-20", 8, odi(1)),               # 20
        entry("P6", "24m", "2025-01-20", 5, odi(1, 1, 1, 1, 1, 2, 2, 2, 2, 2)),  # 15 × 2 = 30
        entry("P6", "6m", "2025-07-05", 1, odi(0))],               # after the audit date
        [event("P6", "wound-infection", "2023-02-01"),
         event("P6", "explant", "2025-06-30", serious=True, action="explant",
               reason="lack-of-efficacy")]),
    patient("P7", "2024-10-01", [
        entry("P7", "baseline", "2024-09-01", 6, odi(2)),          # 40
        entry("P7", "6m", "2025-04-02", 6, odi(2, 2, 2, 2, 2, 2, 2, 2, 3, 3)),  # 22 × 2 = 44
        entry("P7", "other", "2025-05-01", 2, odi(0))],
        [event("P7", "overstimulation", "2025-07-01", serious=True, action="explant",
               reason="adverse-event")]),
    patient("P8", "2025-01-01", [entry("P8", "baseline", "2024-12-01", 5),
                                 entry("P8", "3m", "2025-04-02", 3)]),
))


def test_follow_up_counts_who_is_due_and_who_was_seen():
    figures = cohort_report(CLINIC, RULES, AS_OF).as_json()
    assert figures["patients"] == 8
    assert figures["followup"] == {
        # due: implanted by the audit date (all but P5); collected: all but P4 (and P5)
        "baseline": {"due": 7, "collected": 6},
        # due: P1, P2 (on the day), P4, P6, P7, P8 — not P3 (tomorrow); seen: P1, P4
        "6w": {"due": 6, "collected": 2},
        # due: P1, P4, P6, P7, P8; seen: P1, P4, P8
        "3m": {"due": 5, "collected": 3},
        # due: P1, P4, P6, P7 (P8's falls due 2025-07-01); seen: P7 (P6's is dated later)
        "6m": {"due": 4, "collected": 1},
        # due: P1 (on the day), P6; seen: both
        "12m": {"due": 2, "collected": 2},
        "24m": {"due": 1, "collected": 1},  # P6
    }


def test_a_day_earlier_the_timepoints_falling_due_on_the_audit_date_are_not_due():
    figures = cohort_report(CLINIC, RULES, AS_OF - timedelta(days=1)).as_json()
    assert figures["followup"]["6w"] == {"due": 5, "collected": 2}  # P2 no longer due
    assert figures["followup"]["12m"] == {"due": 1, "collected": 1}  # P1 not due, nor seen
    assert figures["adverse_events"]["by_category"]["explant"] == 0  # P6's is on 06-30
    assert figures["explants"]["by_reason"]["lack-of-efficacy"] == 0


def test_responders_by_the_rules_with_their_wilson_intervals():
    responders = cohort_report(CLINIC, RULES, AS_OF).as_json()["responders"]
    one_of_one = {"n": 1, "of": 1, "pct": 100.0, "ci95": [20.7, 100.0]}
    none_of_one = {"n": 0, "of": 1, "pct": 0.0, "ci95": [0.0, 79.3]}
    half_of_two = {"n": 1, "of": 2, "pct": 50.0, "ci95": [9.5, 90.5]}
    nobody = {"n": 0, "of": 0, "pct": None, "ci95": None}
    assert responders == {
        # P1: NRS 8 -> 6 and ODI 60 -> 50, each exactly at the threshold; P4 has no baseline
        "6w": {"pain": one_of_one, "function": one_of_one},
        # P1: 8 -> 7, 60 -> 52 (neither); P8: NRS 5 -> 3 (at the threshold), no ODI
        "3m": {"pain": half_of_two, "function": none_of_one},
        # P7: 6 -> 6, 40 -> 44; P6's 6m is after the audit date
        "6m": {"pain": none_of_one, "function": none_of_one},
        # P1: 8 -> 3, 60 -> 20 (both); P6: 9 -> 8 (not), baseline ODI not scored
        "12m": {"pain": half_of_two, "function": one_of_one},
        # P6: 9 -> 5; no scored ODI at baseline, so nobody to judge for function
        "24m": {"pain": one_of_one, "function": nobody},
    }


def test_a_threshold_one_point_stricter_turns_the_exact_responders_away():
    stricter = ResponderRules(pain_nrs_drop=3, function_odi_drop=11)
    responders = cohort_report(CLINIC, stricter, AS_OF).as_json()["responders"]
    assert responders["6w"]["pain"]["n"] == 0 and responders["6w"]["function"]["n"] == 0
    assert responders["3m"]["pain"] == {"n": 0, "of": 2, "pct": 0.0, "ci95": [0.0, 65.8]}


def test_adverse_events_every_category_counted_up_to_the_audit_date():
    figures = cohort_report(CLINIC, RULES, AS_OF).as_json()
    by_category = figures["adverse_events"]["by_category"]
    assert list(by_category) == [c.value for c in EventCategory]  # zeros included
    assert {c: n for c, n in by_category.items() if n} == {
        "lead-migration": 1, "wound-infection": 1, "explant": 1, "undesired-sensation": 1}
    assert figures["adverse_events"]["serious"] == 2  # P1's migration, P6's explant
    # P7's explant (an overstimulation with the action explant) comes the day after
    assert figures["explants"] == {"by_reason": {"lack-of-efficacy": 1, "pain-resolution": 0,
                                                 "adverse-event": 0, "other": 0}}


def test_an_explant_by_action_counts_as_much_as_one_by_category():
    later = cohort_report(CLINIC, RULES, date(2025, 7, 1)).as_json()
    assert later["explants"]["by_reason"] == {"lack-of-efficacy": 1, "pain-resolution": 0,
                                              "adverse-event": 1, "other": 0}
    assert later["adverse_events"]["by_category"]["overstimulation"] == 1


def test_adherence_is_the_mean_over_the_patients_whose_usage_is_known():
    figures = cohort_report(CLINIC, RULES, AS_OF, {"P1": 80.0, "P6": 91.5, "X9": 10.0})
    # (80.0 + 91.5) / 2 = 85.75, to one decimal halves up: 85.8; X9 is no patient here
    assert figures.as_json()["adherence"] == {"mean_pct": 85.8, "patients": 2}
    assert cohort_report(CLINIC, RULES, AS_OF).as_json()["adherence"] == {
        "mean_pct": None, "patients": 0}


def test_the_json_has_exactly_the_issues_keys():
    figures = cohort_report(CLINIC, RULES, AS_OF).as_json()
    assert list(figures) == ["patients", "followup", "responders", "adverse_events",
                             "explants", "adherence"]
    assert list(figures["followup"]) == ["baseline", "6w", "3m", "6m", "12m", "24m"]
    assert list(figures["responders"]) == ["6w", "3m", "6m", "12m", "24m"]


def test_an_empty_clinic_has_nothing_due_and_no_percentages():
    figures = cohort_report(ClinicFacts(()), RULES, AS_OF).as_json()
    assert figures["patients"] == 0
    assert figures["followup"]["baseline"] == {"due": 0, "collected": 0}
    assert figures["responders"]["12m"]["pain"] == {"n": 0, "of": 0, "pct": None,
                                                    "ci95": None}


@pytest.mark.parametrize(("n", "of", "expected"), [
    (8, 10, ("49.0", "94.3")),   # 0.4902 to 0.9433
    (0, 10, ("0.0", "27.8")),
    (10, 10, ("72.2", "100.0")),
    (5, 10, ("23.7", "76.3")),
    (1, 2, ("9.5", "90.5")),
    (81, 263, ("25.5", "36.6")),  # Newcombe (1998): 81/263 -> 0.2553 to 0.3662
])
def test_wilson_interval_known_values(n, of, expected):
    assert wilson_percent(n, of) == tuple(Decimal(v) for v in expected)


def test_wilson_interval_of_nobody_is_none():
    assert wilson_percent(0, 0) is None


# -- the record's path, on both backends ----------------------------------------------------


def _history(serial_seed: int, today: date) -> list[LogEntry]:
    end = int(datetime.combine(today, time.min).timestamp())
    history = generate_history(240, end, serial_seed, IMPLANT_PROGRAM.crc,
                               IMPLANT_PROGRAM.session_min * 60)
    return [LogEntry(index, *fields) for index, fields in enumerate(history)]


def test_the_record_gives_the_pure_functions_figures(record):
    staff = staff_by_role(record)
    doc = staff["clinician"]
    today = date.today()
    implanted = today - timedelta(days=200)
    for n, clinic_id in enumerate(("R1", "R2", "R3"), start=1):
        record.add_patient(doc, clinic_id)
        record.register_device(doc, f"SN{n}", "MF-1", "1.0", patient_clinic_id=clinic_id,
                               implant_date=implanted - timedelta(days=30 * n))
    record.record_outcome(doc, "R1", "baseline", implanted - timedelta(days=10),
                          OutcomeMeasures(nrs=8, odi=odi(3)))
    record.record_outcome(doc, "R1", "6w", implanted + timedelta(days=50),
                          OutcomeMeasures(nrs=5, odi=odi(1)))
    wrong = record.record_outcome(doc, "R2", "baseline", implanted - timedelta(days=50),
                                  OutcomeMeasures(nrs=2))
    record.amend_outcome(doc, wrong.id, implanted - timedelta(days=50),
                         OutcomeMeasures(nrs=7), "typed 2 for 7")
    record.record_outcome(doc, "R2", "3m", implanted + timedelta(days=60),
                          OutcomeMeasures(nrs=6))
    record.record_adverse_event(doc, "R3", EventDetails(
        EventCategory.EXPLANT, today - timedelta(days=3), True, Relatedness.DEVICE,
        EventAction.EXPLANT, ExplantReason.PAIN_RESOLUTION))
    log = _history(1, today)
    record.record_log_entries(doc, "SN1", log)
    clinic = load_clinic_profile()
    with transactions.read(record.engine) as session:
        facts = load_clinic_facts(session)
    adherence = usage_from_log(log, default_period(today),
                               clinic.prescribed_sessions_per_day).report.adherence_pct
    expected = cohort_report(facts, ResponderRules.of(clinic), today, {"R1": adherence})
    stored = record.cohort(doc, today, clinic)
    assert stored.as_json() == expected.as_json()
    figures = stored.as_json()
    assert figures["followup"]["baseline"] == {"due": 3, "collected": 2}
    assert figures["responders"]["3m"]["pain"] == {"n": 0, "of": 1, "pct": 0.0,
                                                   "ci95": [0.0, 79.3]}  # 7 -> 6, amended
    assert figures["explants"]["by_reason"]["pain-resolution"] == 1
    assert figures["adherence"]["patients"] == 1 and figures["adherence"]["mean_pct"] > 50
    # The log was downloaded today: for an audit dated tomorrow it does not cover the period.
    later = record.cohort(doc, today + timedelta(days=1), clinic).as_json()
    assert later["adherence"] == {"mean_pct": None, "patients": 0}


def test_a_log_that_grows_is_paired_again_for_the_next_audit(record):
    doc = staff_by_role(record)["clinician"]
    today = date.today()
    record.add_patient(doc, "R1")
    record.register_device(doc, "SN1", "MF-1", "1.0", patient_clinic_id="R1",
                           implant_date=today - timedelta(days=200))
    log = _history(2, today)
    clinic = load_clinic_profile()

    def expected(entries: list[LogEntry]) -> float:
        return usage_from_log(entries, default_period(today),
                              clinic.prescribed_sessions_per_day).report.adherence_pct

    record.record_log_entries(doc, "SN1", log[:-24])  # the last days not downloaded yet
    first = record.cohort(doc, today, clinic).as_json()["adherence"]["mean_pct"]
    record.record_log_entries(doc, "SN1", log[-24:])
    second = record.cohort(doc, today, clinic).as_json()["adherence"]["mean_pct"]

    assert first == expected(log[:-24]) and second == expected(log)
    assert first < second  # the sessions of the last days now count


def test_only_clinicians_and_admins_see_the_clinics_audit(record):
    staff = staff_by_role(record)
    clinic = load_clinic_profile()
    for role in ("clinician", "admin"):
        assert record.cohort(staff[role], AS_OF, clinic).patients == 0
    for role in ("theatre", "engineer"):
        with pytest.raises(PermissionDenied):
            record.cohort(staff[role], AS_OF, clinic)
