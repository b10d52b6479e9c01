"""The Clinic tab: the clinic's audit for clinicians and admins, counted off the GUI thread
from the record, its figures the ones a hand count of a small clinic gives."""

from __future__ import annotations

import math
import re
import threading
from datetime import date

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt

from console.accounts.roles import Role
from console.emulation.demo import DemoEnvironment
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
)
from console.outcomes.measures import OutcomeMeasures
from console.outcomes.timepoints import SCHEDULED, due_date
from ui.clinic.panel import NO_OUTCOMES, ClinicPanel
from ui.shell.app import application, demo_window

from .window_fixtures import select_tab, start_test_stim_on_device

AS_OF = date(2025, 4, 15)
EARLIER = date(2025, 3, 1)
TIMEPOINTS = ("Baseline", "6 weeks", "3 months", "6 months", "12 months", "24 months")


def _odi(score: int, missing: int = 0) -> tuple[int | None, ...]:
    return (None,) * missing + (score,) * (10 - missing)


def _build_clinic(demo: DemoEnvironment) -> None:
    """Three patients besides the demo's (implanted two weeks ago, so never due in 2025).

    P1: baseline NRS 7, ODI 60 %; 6 weeks NRS 4, ODI 40 % (both responders); 3 months
    NRS 6, ODI 60 % with one section missing (neither). P2: baseline NRS 8 (no ODI),
    6 weeks NRS 6 (a pain responder at exactly 2 points). P3: no baseline, 6 weeks NRS 3.
    """
    record, user = demo.record, demo.user
    implants = {"P1": date(2025, 1, 10), "P2": date(2025, 2, 1), "P3": date(2025, 3, 1)}
    for number, (clinic_id, implanted) in enumerate(implants.items()):
        record.add_patient(user, clinic_id)
        record.register_device(user, f"CLN-{number:05d}", "MF-IPG", "1.0.0",
                               patient_clinic_id=clinic_id, implant_date=implanted)
    entries = [
        ("P1", "baseline", date(2025, 1, 3), OutcomeMeasures(nrs=7, odi=_odi(3))),
        ("P1", "6w", date(2025, 2, 21), OutcomeMeasures(nrs=4, odi=_odi(2))),
        ("P1", "3m", date(2025, 4, 12), OutcomeMeasures(nrs=6, odi=_odi(3, missing=1))),
        ("P2", "baseline", date(2025, 1, 20), OutcomeMeasures(nrs=8)),
        ("P2", "6w", date(2025, 3, 16), OutcomeMeasures(nrs=6)),
        ("P3", "6w", date(2025, 4, 12), OutcomeMeasures(nrs=3)),
    ]
    for clinic_id, point, collected, measures in entries:
        record.record_outcome(user, clinic_id, point, collected, measures)
    for clinic_id, details in (
            ("P1", EventDetails(EventCategory.LEAD_MIGRATION, date(2025, 2, 1), False,
                                Relatedness.DEVICE)),
            ("P2", EventDetails(EventCategory.WOUND_INFECTION, date(2025, 2, 20), True,
                                Relatedness.PROCEDURE)),
            ("P1", EventDetails(EventCategory.LEAD_MIGRATION, date(2025, 3, 20), True,
                                Relatedness.DEVICE, EventAction.EXPLANT,
                                ExplantReason.LACK_OF_EFFICACY)),
            ("P3", EventDetails(EventCategory.OVERSTIMULATION, date(2025, 5, 2), False,
                                Relatedness.DEVICE))):  # after AS_OF: not yet counted
        record.record_adverse_event(user, clinic_id, details)


def _wilson(n: int, of: int) -> str:
    """The Wilson 95 % interval, computed here from its formula, as the table words it."""
    z, p = 1.96, n / of
    centre = (p + z * z / (2 * of)) / (1 + z * z / of)
    half = z * math.sqrt(p * (1 - p) / of + z * z / (4 * of * of)) / (1 + z * z / of)
    low, high = max(0.0, centre - half), min(1.0, centre + half)  # float noise at 0 and 1
    return f"{100 * low:.1f}–{100 * high:.1f}"


def _counted(qtbot, panel: ClinicPanel, as_of: date) -> None:
    """Choose ``as_of`` (or Refresh when it is chosen already) and wait for its figures."""
    if panel.as_of_date() == as_of:
        qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
    else:
        panel.as_of.setDate(QDate(as_of.year, as_of.month, as_of.day))
    qtbot.waitUntil(lambda: panel.shown_as_of == as_of and not panel.reading, timeout=10000)


def _column(panel_table, name: str) -> list[str]:
    """The figures of one timepoint, down the table."""
    rows = panel_table.texts()
    headers = [panel_table.horizontalHeaderItem(c).text()
               for c in range(panel_table.columnCount())]
    return [row[headers.index(name)] for row in rows]


def _tab_titles(window) -> list[str]:
    return [window.tabs.tabText(index) for index in range(window.tabs.count())]


@pytest.mark.parametrize(("role", "sees"), [(Role.ADMIN, True), (Role.THEATRE, False),
                                            (Role.ENGINEER, False)])
def test_the_clinic_tab_is_for_clinicians_and_admins_only(qtbot, role, sees):
    application()
    environment = DemoEnvironment.start(role=role)
    try:
        window = demo_window(environment)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
            window.show()
        assert ("Clinic" in _tab_titles(window)) is sees
        assert (window.tabs.show_panel(ClinicPanel) is not None) is sees
        window.close()
    finally:
        environment.close()


def test_the_tables_show_the_hand_counted_figures_and_the_date_moves_what_is_due(
        qtbot, window, demo):
    assert "Clinic" in _tab_titles(window)  # the demo's user is a clinician
    _build_clinic(demo)
    panel = select_tab(window, ClinicPanel)
    _counted(qtbot, panel, AS_OF)

    assert panel.patients.text() == "4 patients in the audit, as of 15 Apr 2025."
    assert not panel.empty.isVisible()
    follow_up = panel.followup.texts()
    assert [row[0] for row in follow_up] == ["Due", "Collected", "Complete"]
    # due: implanted by then (baseline), or the implant + 6 weeks / 3 months by then
    assert follow_up[0][1:] == ("3", "3", "1", "0", "0", "0")
    assert follow_up[1][1:] == ("2", "3", "1", "0", "0", "0")
    assert follow_up[2][1:] == ("66.7 %", "100.0 %", "100.0 %", "—", "—", "—")
    assert panel.followup_chart.due == [3, 3, 1, 0, 0, 0]

    assert _column(panel.responders, "6 weeks") == [
        "2 / 2", "100.0 %", _wilson(2, 2), "1 / 1", "100.0 %", _wilson(1, 1)]
    assert _column(panel.responders, "3 months") == [
        "0 / 1", "0.0 %", _wilson(0, 1), "0 / 1", "0.0 %", _wilson(0, 1)]
    assert _column(panel.responders, "6 months") == ["0 / 0", "—", "—", "0 / 0", "—", "—"]
    assert panel.responder_chart.drawn == {"pain": {"6w": 100.0, "3m": 0.0},
                                           "function": {"6w": 100.0, "3m": 0.0}}
    assert "pain NRS down ≥ 2 points" in panel.rules.text()
    assert "function ODI down ≥ 10 points" in panel.rules.text()

    assert panel.events.texts() == [("lead-migration", "2"), ("wound-infection", "1")]
    assert panel.events_total.text() == "<b>3</b> in total, <b>2</b> serious"
    assert panel.explants.texts() == [("lack-of-efficacy", "1"), ("Total", "1")]
    assert "no usage downloaded" in panel.adherence.text()

    _counted(qtbot, panel, EARLIER)  # P1's 6 weeks only; P1's 3 months not yet
    follow_up = panel.followup.texts()
    assert follow_up[0][1:] == ("3", "1", "0", "0", "0", "0")
    assert follow_up[1][1:] == ("2", "1", "0", "0", "0", "0")
    assert _column(panel.responders, "6 weeks")[:2] == ["1 / 1", "100.0 %"]
    assert panel.events.texts() == [("lead-migration", "1"), ("wound-infection", "1")]


def test_an_empty_record_says_so_without_nan(qtbot, window):
    record, user = window.context.record, window.context.user
    for patient in record.list_patients(user):  # the demo's own entries, withdrawn
        for entry in record.outcomes(user, patient.clinic_id):
            record.withdraw_outcome(user, entry.id, "entered for the demonstration")
        for event in record.adverse_events(user, patient.clinic_id):
            record.withdraw_adverse_event(user, event.id, "entered for the demonstration")
    panel = select_tab(window, ClinicPanel)
    _counted(qtbot, panel, date.today())

    assert panel.empty.isVisible() and panel.empty.text() == NO_OUTCOMES
    assert not panel.message.isVisible()
    assert panel.patients.text().startswith("1 patient in the audit")
    cells = [cell for table in (panel.followup, panel.responders, panel.events,
                                panel.explants) for row in table.texts() for cell in row]
    assert not any("nan" in cell.lower() for cell in cells)
    implant = record.implant_date(user, record.list_patients(user)[0].clinic_id)
    assert panel.followup.texts()[2][1:] == tuple(  # due, none collected: 0 %; not due: —
        "0.0 %" if due_date(implant, point) <= date.today() else "—" for point in SCHEDULED)
    assert panel.events.texts() == []
    assert panel.events_total.text() == "<b>0</b> in total, <b>0</b> serious"
    assert panel.responder_chart.drawn == {}


def test_stop_works_while_the_clinic_is_counted(qtbot, window, demo, monkeypatch):
    panel = select_tab(window, ClinicPanel)
    _counted(qtbot, panel, date.today())
    release = threading.Event()
    counting = threading.Event()
    cohort = demo.record.cohort

    def slow_cohort(*args, **kwargs):
        counting.set()
        release.wait(20)
        return cohort(*args, **kwargs)

    monkeypatch.setattr(demo.record, "cohort", slow_cohort)
    start_test_stim_on_device(qtbot, window)
    try:
        qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(counting.is_set, timeout=5000)
        with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
            window.context.controller.stop()
        assert panel.message.text().startswith("Counting the clinic")
    finally:
        release.set()
    qtbot.waitUntil(lambda: not panel.reading, timeout=10000)


def _save(qtbot, panel: ClinicPanel, button, path) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = panel.files.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.selectFile(str(path))
    dialog.accept()
    qtbot.waitUntil(lambda: panel.files.written == path, timeout=20000)


def test_the_audit_report_and_figures_are_written_where_the_dialog_says(
        qtbot, window, demo, tmp_path):
    _build_clinic(demo)
    panel = select_tab(window, ClinicPanel)
    _counted(qtbot, panel, AS_OF)
    shown = sum(panel.cohort["adverse_events"]["by_category"].values())
    # Recorded after the figures were shown: the files hold what the clinician saw.
    demo.record.record_adverse_event(demo.user, demo.patient_clinic_id, EventDetails(
        EventCategory.HAEMATOMA, AS_OF, False, Relatedness.PROCEDURE))

    report = tmp_path / "audit.pdf"
    _save(qtbot, panel, panel.pdf_button, report)
    data = report.read_bytes()
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(str(report)).pages)
    assert "lead-migration" in text
    assert re.search(rf"All categories\s+{shown}\s", text), text
    assert str(report) in panel.message.text()

    figures = tmp_path / "figures.csv"
    _save(qtbot, panel, panel.csv_button, figures)
    lines = figures.read_text().splitlines()
    assert len(lines) > 1 and "6w" in figures.read_text()
    assert str(figures) in panel.message.text()
