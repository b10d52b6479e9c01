"""Outcome rules at their boundaries: ODI scoring, measure ranges, responders, due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from console.outcomes.entries import Amendment, OutcomeEntry
from console.outcomes.measures import OutcomeMeasures, checked_measures, checked_pgic_timepoint
from console.outcomes.odi import odi_percent, parse_items
from console.outcomes.refusal import EntryRefused
from console.outcomes.responders import ResponderRules, progress, with_progress
from console.outcomes.timepoints import (
    FollowUpState,
    Timepoint,
    add_months,
    due_date,
    follow_up_state,
)

RULES = ResponderRules(pain_nrs_drop=2, function_odi_drop=10)


@pytest.mark.parametrize(("items", "expected"), [
    ("0,0,0,0,0,0,0,0,0,0", "0.0"),
    ("5,5,5,5,5,5,5,5,5,5", "100.0"),
    ("1,1,1,1,1,1,1,1,1,1", "20.0"),
    ("3,2,1,0,4,2,1,2,3,2", "40.0"),              # 20 / 50
    ("3,2,1,0,4,2,1,2,3,-", "40.0"),              # 18 / 45
    ("1,0,0,0,0,0,0,0,0,-", "2.2"),               # 1 / 45 = 2.222…
    ("2,0,0,0,0,0,0,0,-,-", "5.0"),               # 2 / 40, two missing: still scored
    ("1,0,0,0,0,0,0,-,-,-", None),                # three missing: not scored
    ("-,-,-,-,-,-,-,-,-,-", None),
    ("1,1,0,0,0,0,0,0,0,-", "4.4"),               # 2 / 45 = 4.444…
    ("3,3,3,3,3,3,3,3,3,-", "60.0"),
    ("1,1,1,0,0,0,0,0,0,-", "6.7"),               # 3 / 45 = 6.666… rounds up
])
def test_odi_is_scored_as_fairbank_describes(items, expected):
    score = odi_percent(parse_items(items))
    assert score == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(("text", "field"), [
    ("6,0,0,0,0,0,0,0,0,0", "odi section 1"),
    ("0,0,0,0,0,0,0,0,0", "odi"),
    ("0,0,0,0,0,0,0,0,0,0,0", "odi"),
    ("0,0,x,0,0,0,0,0,0,0", "odi section 3"),
    ("0,0,0,0,0,0,0,0,0,-1", "odi section 10"),
    ("0,0,0,0,0,0,0,0,0,10", "odi section 10"),
])
def test_odi_sections_out_of_range_are_refused_by_number(text, field):
    with pytest.raises(EntryRefused) as refused:
        parse_items(text)
    assert refused.value.field.startswith(field)


@pytest.mark.parametrize(("measures", "field"), [
    (OutcomeMeasures(nrs=-1), "nrs"),
    (OutcomeMeasures(nrs=11), "nrs"),
    (OutcomeMeasures(nrs=True), "nrs"),
    (OutcomeMeasures(eq5d="12346", eq_vas=50), "eq5d"),
    (OutcomeMeasures(eq5d="1234", eq_vas=50), "eq5d"),
    (OutcomeMeasures(eq5d="02345", eq_vas=50), "eq5d"),
    (OutcomeMeasures(eq5d="12345"), "eq5d"),
    (OutcomeMeasures(eq_vas=50), "eq_vas"),
    (OutcomeMeasures(eq5d="12345", eq_vas=101), "eq_vas"),
    (OutcomeMeasures(eq5d="12345", eq_vas=-1), "eq_vas"),
    (OutcomeMeasures(pgic=0), "pgic"),
    (OutcomeMeasures(pgic=8), "pgic"),
    (OutcomeMeasures(analgesics="morphine"), "analgesics"),
    (OutcomeMeasures(work="astronaut"), "work"),
    (OutcomeMeasures(), "measures"),
])
def test_measures_out_of_range_are_refused_naming_the_field(measures, field):
    with pytest.raises(EntryRefused) as refused:
        checked_measures(measures)
    assert refused.value.field == field
    assert field in str(refused.value)


@pytest.mark.parametrize("measures", [
    OutcomeMeasures(nrs=0), OutcomeMeasures(nrs=10), OutcomeMeasures(pgic=1),
    OutcomeMeasures(pgic=7), OutcomeMeasures(eq5d="11111", eq_vas=0),
    OutcomeMeasures(eq5d="55555", eq_vas=100), OutcomeMeasures(analgesics="strong-opioid"),
])
def test_measures_at_their_limits_are_accepted(measures):
    assert checked_measures(measures).given()


def test_a_baseline_has_no_impression_of_change():
    with pytest.raises(EntryRefused, match="pgic"):
        checked_pgic_timepoint(Timepoint.BASELINE, OutcomeMeasures(pgic=4))
    checked_pgic_timepoint(Timepoint.MONTH_3, OutcomeMeasures(pgic=4))


@pytest.mark.parametrize(("baseline", "now", "change", "responder"), [
    (7, 5, -2, True),    # exactly the threshold
    (7, 6, -1, False),   # one short
    (7, 0, -7, True),
    (7, 7, 0, False),
    (3, 8, 5, False),    # worse
    (None, 5, None, None),
    (7, None, None, None),
])
def test_pain_responder_is_a_fall_of_at_least_the_clinic_threshold(baseline, now, change,
                                                                   responder):
    found = progress(RULES, baseline, None, now, None)
    assert (found.nrs_change, found.pain_responder) == (change, responder)


@pytest.mark.parametrize(("baseline", "now", "change", "responder"), [
    ("50.0", "40.0", "-10.0", True),   # exactly 10 points
    ("50.0", "40.1", "-9.9", False),   # 0.1 short
    ("44.4", "34.4", "-10.0", True),
    ("20.0", "30.0", "10.0", False),
])
def test_function_responder_is_an_odi_fall_of_at_least_the_threshold(baseline, now, change,
                                                                     responder):
    found = progress(RULES, None, Decimal(baseline), None, Decimal(now))
    assert (found.odi_change, found.function_responder) == (Decimal(change), responder)


def test_the_clinic_rules_decide_who_responds():
    strict = ResponderRules(pain_nrs_drop=3, function_odi_drop=15)
    assert progress(strict, 7, Decimal(50), 5, Decimal(40)).pain_responder is False
    assert progress(strict, 7, Decimal(50), 4, Decimal(35)).function_responder is True


def _entry(entry_id: int, point: Timepoint, nrs: int | None, odi: str | None) -> OutcomeEntry:
    measures = OutcomeMeasures(nrs=nrs, odi=None if odi is None else parse_items(odi))
    return OutcomeEntry(entry_id, "P1", point, date(2026, 1, entry_id), measures,
                        datetime(2026, 1, 1, tzinfo=UTC), "doc", None, None)


def test_each_entry_is_judged_against_the_patients_baseline():
    baseline = _entry(1, Timepoint.BASELINE, 8, "4,4,4,4,4,4,4,4,4,4")     # 80 %
    better = _entry(2, Timepoint.MONTH_3, 5, "2,2,2,2,2,2,2,2,2,2")         # 40 %
    unscored = _entry(3, Timepoint.MONTH_6, 7, "1,1,1,-,-,-,1,1,1,1")       # 4 missing
    judged = dict((e.id, p) for e, p in with_progress([baseline, better, unscored], RULES))
    assert judged[1].nrs_change is None and judged[1].pain_responder is None
    assert (judged[2].nrs_change, judged[2].odi_change) == (-3, Decimal("-40.0"))
    assert judged[2].pain_responder and judged[2].function_responder
    assert judged[3].odi_change is None and judged[3].function_responder is None
    assert judged[3].pain_responder is False


def test_without_a_baseline_nothing_is_judged():
    alone = _entry(2, Timepoint.MONTH_3, 5, None)
    assert with_progress([alone], RULES)[0][1].pain_responder is None


def test_a_correction_is_judged_like_any_entry():
    corrected = OutcomeEntry(5, "P1", Timepoint.MONTH_3, date(2026, 4, 1),
                             OutcomeMeasures(nrs=4), datetime(2026, 4, 1, tzinfo=UTC), "doc",
                             None, Amendment(2, "typo"))
    judged = with_progress([_entry(1, Timepoint.BASELINE, 6, None), corrected], RULES)
    assert judged[1][1].pain_responder is True


@pytest.mark.parametrize(("implant", "point", "due"), [
    (date(2026, 1, 10), Timepoint.BASELINE, date(2026, 1, 10)),
    (date(2026, 1, 10), Timepoint.WEEK_6, date(2026, 2, 21)),
    (date(2026, 1, 10), Timepoint.MONTH_3, date(2026, 4, 10)),
    (date(2026, 1, 10), Timepoint.MONTH_12, date(2027, 1, 10)),
    (date(2026, 1, 10), Timepoint.MONTH_24, date(2028, 1, 10)),
    (date(2025, 11, 30), Timepoint.MONTH_3, date(2026, 2, 28)),   # month end
    (date(2027, 11, 30), Timepoint.MONTH_3, date(2028, 2, 29)),   # leap year
    (date(2026, 1, 10), Timepoint.OTHER, None),
])
def test_due_dates_count_from_the_implant(implant, point, due):
    assert due_date(implant, point) == due


def test_adding_months_keeps_the_day_where_the_month_has_it():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


@pytest.mark.parametrize(("today", "state"), [
    (date(2026, 4, 9), FollowUpState.NOT_DUE),
    (date(2026, 4, 10), FollowUpState.DUE),      # the due day itself
    (date(2026, 5, 10), FollowUpState.DUE),      # last day of the 30-day window
    (date(2026, 5, 11), FollowUpState.OVERDUE),
])
def test_a_follow_up_is_due_from_its_day_and_overdue_after_its_window(today, state):
    assert follow_up_state(date(2026, 1, 10), Timepoint.MONTH_3, False, today) is state
    assert follow_up_state(date(2026, 1, 10), Timepoint.MONTH_3, True,
                           today) is FollowUpState.COLLECTED


def test_baseline_is_due_until_the_implant_and_overdue_after_it():
    implant = date(2026, 1, 10)
    assert follow_up_state(implant, Timepoint.BASELINE, False, implant) is FollowUpState.DUE
    assert follow_up_state(implant, Timepoint.BASELINE, False,
                           date(2026, 1, 11)) is FollowUpState.OVERDUE
    assert follow_up_state(None, Timepoint.BASELINE, False,
                           date(2026, 1, 11)) is FollowUpState.DUE
    assert follow_up_state(None, Timepoint.MONTH_3, False,
                           date(2030, 1, 1)) is FollowUpState.NOT_DUE
