"""Outcome entries and adverse events in the clinical record, on SQLite and PostgreSQL:
append-only in the database, corrected in one line of amendments, withdrawn but kept,
audited without the free text, refused for a closed visit, and checked by the database's
own constraints when the console is bypassed."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from console.audit import verify_chain
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
)
from console.outcomes.entries import Amendment
from console.outcomes.measures import OutcomeMeasures
from console.storage import ConflictError, VisitKind
from tests.record_fixtures import staff_by_role, table_rows

IMPLANT = date(2025, 1, 10)
NOTES = "Ada's wound reopened at the anchor site"


@pytest.fixture()
def doc(record):
    users = staff_by_role(record)
    clinician = users["clinician"]
    record.add_patient(clinician, "P001", name="Ada Example")
    record.register_device(clinician, "SN1", "MF-1", "1.0.0", patient_clinic_id="P001",
                           implant_date=IMPLANT)
    return clinician


def infection(**changes: object) -> EventDetails:
    values: dict[str, object] = dict(category=EventCategory.WOUND_INFECTION,
                                     onset=date(2025, 2, 1), serious=True,
                                     related=Relatedness.PROCEDURE, notes=NOTES)
    values.update(changes)
    return EventDetails(**values)  # type: ignore[arg-type]


def audit_details(record, event: str) -> list[dict]:
    return [json.loads(row[0]) for row in table_rows(
        record, f"SELECT details FROM audit_entries WHERE event = '{event}' ORDER BY seq")]


@pytest.mark.parametrize("table", ["outcome_entries", "adverse_events"])
def test_the_tables_are_append_only_in_the_database(record, doc, table):
    record.record_outcome(doc, "P001", "baseline", date(2025, 1, 2), OutcomeMeasures(nrs=7))
    record.record_adverse_event(doc, "P001", infection(), device_serial="SN1")
    column = {"outcome_entries": "nrs = 1", "adverse_events": "serious = FALSE"}[table]
    for sql in (f"UPDATE {table} SET {column}", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"), record.engine.begin() as conn:
            conn.execute(text(sql))
    assert table_rows(record, "SELECT nrs FROM outcome_entries") == [(7,)]
    assert table_rows(record, "SELECT serious, notes FROM adverse_events") == [(True, NOTES)]


def test_outcome_amendments_form_one_line_and_a_withdrawal_is_kept(record, doc):
    first = record.record_outcome(doc, "P001", "6w", date(2025, 2, 21),
                                  OutcomeMeasures(nrs=6))
    second = record.amend_outcome(doc, first.id, date(2025, 2, 22), OutcomeMeasures(nrs=4),
                                  "NRS misread")
    assert (second.amendment, second.timepoint.value, second.measures.nrs) == (
        Amendment(first.id, "NRS misread"), "6w", 4)
    with pytest.raises(ConflictError, match=f"outcome {first.id} was corrected by outcome "
                                            f"{second.id}: amend {second.id}, the current"):
        record.amend_outcome(doc, first.id, date(2025, 2, 22), OutcomeMeasures(nrs=3), "again")
    assert [e.id for e in record.outcomes(doc, "P001")] == [second.id]

    withdrawal = record.withdraw_outcome(doc, second.id, "another patient's form")
    assert withdrawal.amendment == Amendment(second.id, "another patient's form", True)
    assert withdrawal.measures.nrs == 4  # what was withdrawn, kept with it
    assert record.outcomes(doc, "P001") == []
    kept = record.outcomes(doc, "P001", with_corrections=True)
    assert [(e.id, e.amendment) for e in kept] == [
        (first.id, None), (second.id, Amendment(first.id, "NRS misread")),
        (withdrawal.id, Amendment(second.id, "another patient's form", True))]
    with pytest.raises(ConflictError, match="withdrew an entry made in error"):
        record.amend_outcome(doc, withdrawal.id, date(2025, 2, 22), OutcomeMeasures(nrs=3),
                             "undo")
    with pytest.raises(ConflictError, match=f"amend {withdrawal.id}, the current"):
        record.withdraw_outcome(doc, second.id, "twice")
    assert table_rows(record, "SELECT count(*) FROM outcome_entries") == [(3,)]


def test_event_amendments_form_one_line_and_a_withdrawal_is_kept(record, doc):
    first = record.record_adverse_event(doc, "P001", infection())
    resolved = record.amend_adverse_event(doc, first.id, infection(resolved=date(2025, 3, 1)),
                                          "resolved")
    with pytest.raises(ConflictError, match=f"amend {resolved.id}, the current one"):
        record.amend_adverse_event(doc, first.id, infection(), "again")
    withdrawal = record.withdraw_adverse_event(doc, resolved.id, "recorded in error")
    assert record.adverse_events(doc, "P001") == []
    assert [(e.id, e.amendment, e.details.resolved)
            for e in record.adverse_events(doc, "P001", with_corrections=True)] == [
        (first.id, None, None), (resolved.id, Amendment(first.id, "resolved"), date(2025, 3, 1)),
        (withdrawal.id, Amendment(resolved.id, "recorded in error", True), date(2025, 3, 1))]


def test_the_database_holds_each_entry_amended_at_most_once(record, doc):
    first = record.record_outcome(doc, "P001", "other", date(2025, 3, 1),
                                  OutcomeMeasures(nrs=5))
    record.amend_outcome(doc, first.id, date(2025, 3, 1), OutcomeMeasures(nrs=4), "typo")
    patient, actor = _ids(record)
    with pytest.raises(IntegrityError, match="amends_id"), record.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outcome_entries (patient_id, timepoint, collected_on, nrs, "
            "recorded_at, actor_id, amends_id, amend_reason) VALUES (:p, 'other', "
            "'2025-03-01', 3, '2025-03-02 10:00:00+00:00', :a, :amends, 'a fork')"),
            {"p": patient, "a": actor, "amends": first.id})
    assert table_rows(record, "SELECT count(*) FROM outcome_entries") == [(2,)]


def test_every_write_is_audited_and_the_notes_stay_out_of_the_trail(record, doc):
    entry = record.record_outcome(doc, "P001", "baseline", date(2025, 1, 2),
                                  OutcomeMeasures(nrs=7, eq5d="21321", eq_vas=55))
    amended = record.amend_outcome(doc, entry.id, date(2025, 1, 3), OutcomeMeasures(nrs=8),
                                   "wrong day")
    record.withdraw_outcome(doc, amended.id, "duplicate")
    event = record.record_adverse_event(doc, "P001", infection(yellow_card="YC-1"),
                                        device_serial="SN1")
    record.amend_adverse_event(doc, event.id, infection(action=EventAction.EXPLANT,
                                                        explant_reason=ExplantReason.OTHER),
                               "explanted")
    assert audit_details(record, "outcome_recorded") == [
        {"outcome": entry.id, "patient": "P001", "timepoint": "baseline",
         "date": "2025-01-02", "measures": ["nrs", "eq5d", "eq_vas"], "visit": None}]
    assert audit_details(record, "outcome_amended") == [
        {"outcome": amended.id, "amends": entry.id, "patient": "P001",
         "timepoint": "baseline", "withdrawn": False, "measures": ["nrs"]},
        {"outcome": amended.id + 1, "amends": amended.id, "patient": "P001",
         "timepoint": "baseline", "withdrawn": True, "measures": []}]
    (recorded,) = audit_details(record, "adverse_event_recorded")
    assert (recorded["adverse_event"], recorded["category"], recorded["notes"],
            recorded["yellow_card"], recorded["device"]) == (
        event.id, "wound-infection", True, True, "SN1")
    (changed,) = audit_details(record, "adverse_event_amended")
    assert (changed["amends"], changed["action"], changed["explant_reason"]) == (
        event.id, "explant", "other")
    trail = " ".join(row[0] for row in table_rows(
        record, "SELECT details FROM audit_entries WHERE event LIKE 'outcome%' OR event LIKE "
                "'adverse_event%'"))
    assert "reopened" not in trail and "Ada" not in trail and "YC-1" not in trail
    assert verify_chain(record.engine).ok


def test_a_closed_visit_takes_no_entry(record, doc):
    visit = record.start_visit(doc, "P001", VisitKind.FOLLOW_UP, device_serial="SN1")
    open_entry = record.record_outcome(doc, "P001", "6w", date(2025, 2, 21),
                                       OutcomeMeasures(nrs=5), visit_id=visit.id)
    assert open_entry.visit_id == visit.id
    record.end_visit(doc, visit.id, expected_revision=record.visit(doc, visit.id).revision)
    with pytest.raises(ConflictError, match="a closed visit takes no new entries"):
        record.record_outcome(doc, "P001", "3m", date(2025, 4, 10), OutcomeMeasures(nrs=4),
                              visit_id=visit.id)
    with pytest.raises(ConflictError, match="a closed visit takes no new entries"):
        record.amend_outcome(doc, open_entry.id, date(2025, 2, 21), OutcomeMeasures(nrs=4),
                             "late correction", visit_id=visit.id)
    with pytest.raises(ConflictError, match="a closed visit takes no new entries"):
        record.record_adverse_event(doc, "P001", infection(), visit_id=visit.id)
    assert table_rows(record, "SELECT count(*) FROM outcome_entries") == [(1,)]
    assert table_rows(record, "SELECT count(*) FROM adverse_events") == [(0,)]
    assert len(audit_details(record, "outcome_recorded")) == 1
    assert audit_details(record, "outcome_amended") == []


OUTCOME_COLUMNS = {"timepoint": "'other'", "nrs": "5", "odi_items": "'0123450123'",
                   "eq5d": "'12345'", "eq_vas": "50", "pgic": "3", "analgesics": "'none'",
                   "work_status": "'retired'"}
BAD_OUTCOMES = [("timepoint", "'9m'"), ("nrs", "11"), ("nrs", "-1"), ("eq_vas", "101"),
                ("pgic", "0"), ("pgic", "8"), ("analgesics", "'morphine'"),
                ("work_status", "'part-time'"), ("odi_items", "'012345'"), ("eq5d", "'1234'")]
EVENT_COLUMNS = {"category": "'other'", "onset_on": "'2025-02-01'", "serious": "TRUE",
                 "related": "'device'", "action": "'none'", "explant_reason": "NULL",
                 "resolved_on": "NULL"}
BAD_EVENTS = [("category", "'lead-wander'"), ("related", "'maybe'"),
              ("action", "'surgery'"), ("explant_reason", "'bored'"),
              ("resolved_on", "'2025-01-01'")]


def _ids(record) -> tuple[int, int]:
    ((patient,),) = table_rows(record, "SELECT id FROM patients WHERE clinic_id = 'P001'")
    ((actor,),) = table_rows(record, "SELECT id FROM users WHERE username = 'clinician'")
    return patient, actor


def _insert(record, table: str, columns: dict[str, str], patient: int, actor: int) -> None:
    extra = {"patient_id": str(patient), "actor_id": str(actor),
             "recorded_at": "'2025-03-02 10:00:00+00:00'"}
    if table == "outcome_entries":
        extra["collected_on"] = "'2025-03-01'"
    values = {**columns, **extra}
    with record.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} ({', '.join(values)}) "
                          f"VALUES ({', '.join(values.values())})"))


def test_the_databases_own_checks_refuse_a_bad_code_inserted_raw(record, doc):
    patient, actor = _ids(record)
    _insert(record, "outcome_entries", OUTCOME_COLUMNS, patient, actor)  # the good row fits
    _insert(record, "adverse_events", EVENT_COLUMNS, patient, actor)
    for column, bad in BAD_OUTCOMES:
        with pytest.raises(IntegrityError, match=f"ck_outcome_entries_{column}"):
            _insert(record, "outcome_entries", {**OUTCOME_COLUMNS, column: bad}, patient, actor)
    for column, bad in BAD_EVENTS:
        with pytest.raises(IntegrityError, match=f"ck_adverse_events_{column}"):
            _insert(record, "adverse_events", {**EVENT_COLUMNS, column: bad}, patient, actor)
    with pytest.raises(IntegrityError, match="ck_adverse_events_withdrawn"):
        _insert(record, "adverse_events", {**EVENT_COLUMNS, "withdrawn": "TRUE"}, patient,
                actor)  # only a correction may withdraw
    assert table_rows(record, "SELECT count(*) FROM outcome_entries") == [(1,)]
    assert table_rows(record, "SELECT count(*) FROM adverse_events") == [(1,)]
