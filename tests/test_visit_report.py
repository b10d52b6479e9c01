"""What the visit report and the handout say, gathered from a real record (SQLite).

The data module is checked without a PDF; the sections are then checked in the PDF's
own text (pypdf), so a section that is computed but never printed fails too.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from console.clinic.profile import load_clinic_profile
from console.leads.impedance import ContactState
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    Relatedness,
)
from console.outcomes.measures import OutcomeMeasures
from console.programming.program import LeadProgram, Program
from console.report.handout_pdf import CONTACT_YOU, handout_pdf, program_words
from console.report.marking import DEMO_MARK
from console.report.visit_data import gather_visit_report, titration_rows
from console.report.visit_outcomes import NO_EVENTS, NO_OUTCOMES
from console.report.visit_pdf import PROVISIONAL, visit_report_pdf
from console.report.visit_sections import NO_MARKS
from console.report.visit_usage import NOT_DOWNLOADED
from console.storage import ClinicalRecord, Confirmation, InstallationKey
from console.titration.marks import MarkKind, TitrationMark
from console.usage.report import DayUsage, UsageReport
from device_link.messages import ImpedanceRecord
from tests.record_fixtures import FAST_HASHER

SERIAL = "SN-1"
FINDING = "Left charge density 34 µC/cm² is above the 30 µC/cm² warning level"
REASON = "contraction comfortable at 8 mA, checked with the patient"


def program(left_ma: str, frequency: int = 20, session_min: int = 30) -> Program:
    return Program((LeadProgram(True, 1, 2, Decimal(left_ma), 214), LeadProgram.off()),
                   frequency, Decimal(1), Decimal(1), Decimal(10), Decimal(20), session_min)


def verified(record, user, slot, prog, *, latest=None, visit=None, confirmations=()):
    draft = record.create_program_version(user, SERIAL, slot, prog, reason=f"slot {slot}",
                                          expected_latest=latest, visit_id=visit,
                                          confirmations=confirmations)
    record.mark_written(user, draft.id, draft.record_crc, expected_revision=1)
    return record.mark_verified(user, draft.id, draft.record_crc, expected_revision=2)


@pytest.fixture
def clinic(tmp_path: Path):
    record = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite3'}",
                                 password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.add_patient(doc, "P001", name="Jane Example")
    record.register_device(doc, SERIAL, "MF-1", "1.2.0", patient_clinic_id="P001",
                           implant_date=date(2024, 3, 1))
    yield record, doc
    record.close()


def report_of(record, doc, visit_id, **options):
    options.setdefault("clinic", load_clinic_profile())
    options.setdefault("usage", None)
    options.setdefault("marks", ())
    return gather_visit_report(record, doc, visit_id, **options)


def pdf_text(data: bytes) -> str:
    """The PDF's text with every run of white space as one space (cells wrap lines)."""
    assert data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def usage_report(adherence: float = 68.0) -> UsageReport:
    start = date(2025, 5, 1)
    daily = tuple(DayUsage(start + timedelta(days=i), started, done, done * 30.0)
                  for i, (started, done) in enumerate([(2, 2), (2, 1), (0, 0), (3, 2)] * 7))
    return UsageReport(start, daily[-1].day, len(daily), 2, sum(d.started for d in daily),
                       sum(d.completed for d in daily), sum(d.minutes for d in daily),
                       adherence, 3, daily)


def test_arrived_with_is_what_was_found_and_left_with_what_was_verified_last(clinic):
    record, doc = clinic
    before = verified(record, doc, 0, program("6.0"))
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    changed_elsewhere = program("5.0").to_record()
    found = record.record_found_program(doc, SERIAL, 0, changed_elsewhere,
                                        device_crc=changed_elsewhere.crc, visit_id=visit.id)
    written = verified(record, doc, 0, program("8.0", 25), latest=found.id, visit=visit.id,
                       confirmations=[Confirmation("charge_density", FINDING, REASON)])
    lost = record.create_program_version(doc, SERIAL, 1, program("4.0"), reason="second",
                                         expected_latest=None, visit_id=visit.id)
    record.mark_unconfirmed(doc, lost.id, "link lost", expected_revision=1)

    report = report_of(record, doc, visit.id)

    slot0, slot1 = report.slots
    assert (slot0.slot, slot0.arrived.id, slot0.arrived_found, slot0.left.id) == (
        0, found.id, True, written.id)
    assert slot0.changed and slot0.not_verified == ()
    assert before.id not in (slot0.arrived.id, slot0.left.id)
    assert (slot1.slot, slot1.arrived, slot1.left) == (1, None, None)
    assert [v.id for v in slot1.not_verified] == [lost.id]
    assert [v.id for v in report.written] == [written.id, lost.id]  # never the found one
    assert [(v.id, message, reason) for v, message, reason in report.confirmations] == [
        (written.id, FINDING, REASON)]
    assert report.handout_program() == written.program

    text = pdf_text(visit_report_pdf(report, compress=False))
    assert f"version {found.id}, read from the device on arrival" in text
    assert f"version {written.id}, verified by doc" in text
    assert "E1+ E2−, 5.0 mA, 214 µs" in text and "E1+ E2−, 8.0 mA, 214 µs" in text
    assert FINDING in text and REASON in text
    assert "the device may hold it" in text
    assert PROVISIONAL in text  # the visit is still open


def test_without_a_found_program_the_device_arrived_with_the_last_verified(clinic):
    record, doc = clinic
    first = verified(record, doc, 0, program("6.0"))
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    record.end_visit(doc, visit.id, expected_revision=visit.revision)
    later = record.start_visit(doc, "P001", "programming", device_serial=SERIAL)
    verified(record, doc, 0, program("7.0"), latest=first.id, visit=later.id)

    report = report_of(record, doc, visit.id)  # the earlier, ended visit

    (slot,) = report.slots
    assert (slot.arrived.id, slot.arrived_found, slot.left.id, slot.changed) == (
        first.id, False, first.id, False)
    assert report.written == () and report.confirmations == ()
    text = pdf_text(visit_report_pdf(report, compress=False))
    assert "as the record last verified it" in text and "(unchanged)" in text
    assert "No program was written in this visit." in text
    assert PROVISIONAL not in text


def test_impedance_is_this_visits_with_flags_else_the_latest_run(clinic):
    record, doc = clinic
    record.record_impedance(doc, SERIAL, [ImpedanceRecord(0, e, None, 700) for e in range(4)])
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    report = report_of(record, doc, visit.id)
    assert not report.impedance.in_visit and len(report.impedance.readings) == 4
    assert report.impedance.flagged == ()

    record.record_impedance(doc, SERIAL, [
        ImpedanceRecord(0, 0, None, 650), ImpedanceRecord(0, 2, None, None),
        ImpedanceRecord(1, 0, 1, 20)], visit_id=visit.id)
    report = report_of(record, doc, visit.id)

    assert report.impedance.in_visit and len(report.impedance.readings) == 3
    assert [(r.flag_text(), r.state) for r in report.impedance.flagged] == [
        ("left E2 open (no reading)", ContactState.OPEN),
        ("right E0–E1 shorted (20 Ω)", ContactState.SHORTED)]
    text = pdf_text(visit_report_pdf(report, compress=False))
    assert "Measured in this visit" in text
    assert "Flagged: left E2 open (no reading); right E0–E1 shorted (20 Ω)." in text


def test_usage_section_from_a_constructed_report(clinic):
    record, doc = clinic
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    assert NOT_DOWNLOADED in pdf_text(visit_report_pdf(report_of(record, doc, visit.id)))

    usage = usage_report()
    text = pdf_text(visit_report_pdf(report_of(record, doc, visit.id, usage=usage)))

    assert NOT_DOWNLOADED not in text
    assert "01 May 2025 to 28 May 2025 (28 days)" in text
    assert f"{usage.sessions_started} started, {usage.sessions_completed} completed" in text
    assert "68 % — below the clinic's 70 %" in text
    assert "3 log entries made while the device clock was not set" in text
    assert "prescribed: 2 a day" in text  # the chart's legend
    good = pdf_text(visit_report_pdf(report_of(record, doc, visit.id,
                                               usage=usage_report(91.5))))
    assert "91.5 %" in good and "below the clinic" not in good


def test_titration_table_from_constructed_marks(clinic):
    record, doc = clinic
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    marks = [
        TitrationMark(MarkKind.TARGET, 1, 2, 1, Decimal("7.5"), 300, 20),
        TitrationMark(MarkKind.THRESHOLD, 0, 1, 2, Decimal("3.5"), 214, 20),
        TitrationMark(MarkKind.TARGET, 0, 1, 2, Decimal("8.0"), 214, 20, note="deep, both sides"),
        TitrationMark(MarkKind.MAXIMUM, 0, 1, 2, Decimal("11.0"), 214, 20),
        TitrationMark(MarkKind.THRESHOLD, 0, 3, 2, Decimal("2.0"), 214, 20, visit_id=visit.id + 1),
    ]
    rows = titration_rows(marks)
    assert [(r.lead, r.pair, r.threshold_ma, r.target_ma, r.maximum_ma, r.note) for r in rows] \
        == [(0, "E1+ E2−", Decimal("3.5"), Decimal("8.0"), Decimal("11.0"), "deep, both sides"),
            (0, "E2− E3+", Decimal("2.0"), None, None, ""),
            (1, "E1− E2+", None, Decimal("7.5"), None, "")]

    report = report_of(record, doc, visit.id, marks=marks)
    assert [r.pair for r in report.titration] == ["E1+ E2−", "E1− E2+"]  # another visit's left out
    text = pdf_text(visit_report_pdf(report, compress=False))
    assert NO_MARKS not in text
    for words in ("E1+ E2−", "3.5 mA", "8.0 mA", "11.0 mA", "deep, both sides", "E1− E2+"):
        assert words in text
    assert NO_MARKS in pdf_text(visit_report_pdf(report_of(record, doc, visit.id)))


def test_the_patient_name_only_where_the_clinic_profile_says(clinic):
    record, doc = clinic
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    report = report_of(record, doc, visit.id)
    assert report.patient_text == "P001"
    assert "Jane Example" not in pdf_text(visit_report_pdf(report))
    named = replace(report, clinic=replace(report.clinic, show_patient_name=True))
    assert named.patient_text == "Jane Example (P001)"
    assert "Jane Example (P001)" in pdf_text(visit_report_pdf(named))


def test_an_emulator_report_and_handout_are_marked_demo(clinic):
    record, doc = clinic
    record.register_device(doc, "EMU-000009", "EMU-IPG", "1.0.0", patient_clinic_id="P001")
    visit = record.start_visit(doc, "P001", "follow-up", device_serial="EMU-000009")
    report = report_of(record, doc, visit.id)
    assert report.marked and DEMO_MARK in pdf_text(visit_report_pdf(report))
    assert DEMO_MARK in pdf_text(handout_pdf(report))
    ours = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    assert DEMO_MARK not in pdf_text(visit_report_pdf(report_of(record, doc, ours.id)))


def test_handout_in_plain_words(clinic):
    record, doc = clinic
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    verified(record, doc, 0, program("8.0", session_min=25), visit=visit.id)
    report = report_of(record, doc, visit.id)
    clinic_profile = report.clinic

    assert program_words(report.handout_program(), 2) == [
        "Use your stimulator twice a day.",
        "Each session lasts 25 minutes; the stimulator stops by itself at the end of the "
        "session.",
        "During a session the muscles work and rest in turn: about 10 seconds of contraction, "
        "then 20 seconds of rest.",
        "You should feel it on the left side of your lower back."]
    text = pdf_text(handout_pdf(report, next_visit=date(2030, 1, 15)))
    assert "Your next visit is on Tuesday 15 January 2030." in text
    assert " ".join(clinic_profile.contraction_feel.split()) in text
    assert clinic_profile.clinic_name in text and clinic_profile.clinic_contact in text
    assert "8.0 mA" not in text and "E1" not in text  # no clinician's numbers for the patient
    assert CONTACT_YOU in pdf_text(handout_pdf(report))


def test_the_report_counts_use_since_the_previous_visit_and_this_visits_marks(clinic):
    from datetime import datetime

    from console.report.visit_inputs import visit_marks, visit_usage
    from console.storage import VisitKind
    from device_link.messages import LogEntry

    record, doc = clinic
    first = record.start_visit(doc, "P001", VisitKind.PROGRAMMING, device_serial=SERIAL)
    record.end_visit(doc, first.id, expected_revision=first.revision)
    visit = record.start_visit(doc, "P001", VisitKind.FOLLOW_UP, device_serial=SERIAL)
    yesterday = visit.started_at.astimezone().date() - timedelta(days=1)
    noon = int(datetime(yesterday.year, yesterday.month, yesterday.day, 12).timestamp())
    record.record_log_entries(doc, SERIAL, [
        LogEntry(0, noon, 2, 0, 0), LogEntry(1, noon + 1800, 3, 0, 4, 1800),   # completed
        LogEntry(2, noon + 3600, 2, 0, 1), LogEntry(3, noon + 3700, 3, 0, 0, 100)])  # early
    mark = TitrationMark(MarkKind.TARGET, 0, 2, 1, Decimal("2.5"), 210, 20)
    record.record_titration_mark(doc, SERIAL, mark, visit_id=visit.id)

    usage = visit_usage(record, doc, visit, load_clinic_profile())
    marks = visit_marks(record, doc, visit)

    assert usage is not None
    assert usage.end == yesterday
    assert usage.start == yesterday - timedelta(days=27)  # both visits today: the 28 days
    assert (usage.sessions_started, usage.sessions_completed) == (2, 1)
    assert [(m.kind, m.amplitude_ma) for m in marks] == [(MarkKind.TARGET, Decimal("2.5"))]
    text = pdf_text(visit_report_pdf(report_of(record, doc, visit.id, usage=usage,
                                               marks=marks)))
    assert NOT_DOWNLOADED not in text and NO_MARKS not in text


def test_the_usage_period_runs_from_the_previous_visit_to_the_day_before_this_one():
    from datetime import UTC, datetime

    from console.report.visit_inputs import usage_period
    from console.storage import Visit, VisitKind

    def visit_on(day: date) -> Visit:
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        return Visit(1, "P001", SERIAL, VisitKind.FOLLOW_UP, "doc", at, None, 1)

    this, before = visit_on(date(2026, 6, 1)), visit_on(date(2026, 3, 1))
    period = usage_period(this, before, date(2026, 1, 10))
    assert (period.start, period.end) == (date(2026, 3, 1), date(2026, 5, 31))
    first = usage_period(this, None, date(2026, 1, 10))
    assert (first.start, first.end) == (date(2026, 1, 10), date(2026, 5, 31))


def test_the_visits_outcomes_and_adverse_events_against_the_baseline(clinic):
    record, doc = clinic
    record.record_outcome(doc, "P001", "baseline", date(2024, 2, 20),
                          OutcomeMeasures(nrs=7, odi=(3,) * 10))  # 60.0 %
    earlier = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    empty = pdf_text(visit_report_pdf(report_of(record, doc, earlier.id)))
    assert NO_OUTCOMES in empty and NO_EVENTS in empty
    record.end_visit(doc, earlier.id, expected_revision=earlier.revision)
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    record.record_outcome(doc, "P001", "3m", date(2024, 6, 3),
                          OutcomeMeasures(nrs=4, odi=(2,) * 10, pgic=2), visit_id=visit.id)
    record.record_adverse_event(doc, "P001", EventDetails(
        EventCategory.LEAD_MIGRATION, date(2024, 5, 20), False, Relatedness.DEVICE,
        EventAction.REPROGRAMMING), device_serial=SERIAL, visit_id=visit.id)

    report = report_of(record, doc, visit.id)
    text = pdf_text(visit_report_pdf(report))

    assert [e.timepoint.value for e, _ in report.outcomes] == ["3m"]  # not the baseline
    assert "3m 03 Jun 2024 4 (−3) 40.0 % (−20.0)" in text
    assert "2 much improved yes / yes" in text
    assert "lead-migration no device reprogramming ongoing" in text
    assert NO_OUTCOMES not in text and NO_EVENTS not in text
