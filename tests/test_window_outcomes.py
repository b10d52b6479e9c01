"""The Outcomes tab: the demo patient's follow-up (baseline, 6 weeks, 3 and 6 months, two
adverse events: console/emulation/demo_outcomes.py) against the real emulator and record."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from console.accounts.roles import Role
from console.clinic.profile import CLINIC_PROFILE, ENV_CLINIC_PROFILE
from console.emulation.demo import DemoEnvironment
from console.outcomes.adverse_events import EventCategory, ExplantReason, Relatedness
from console.outcomes.measures import OutcomeMeasures
from console.outcomes.timepoints import Timepoint
from tests.eq5d_sets import made_up_index, write_made_up_value_set
from ui.outcomes.assessment_dialog import AssessmentDialog
from ui.outcomes.event_dialog import EventDialog
from ui.outcomes.panel import OutcomesPanel
from ui.outcomes.tables import ENTRY_COLUMNS, EVENT_COLUMNS
from ui.outcomes.withdraw_dialog import WithdrawDialog
from ui.shell.leaving import leaving_reasons
from ui.usage.panel import UsagePanel

from .window_fixtures import open_demo_window, select_tab, shot, start_test_stim_on_device

LEFT = Qt.MouseButton.LeftButton


def _panel(qtbot, window) -> OutcomesPanel:
    panel = select_tab(window, OutcomesPanel)
    qtbot.waitUntil(lambda: panel.view is not None, timeout=10000)
    return panel


def _refreshed(qtbot, panel: OutcomesPanel) -> None:
    shown = panel.view
    panel.refresh()
    qtbot.waitUntil(lambda: panel.view is not shown, timeout=10000)


def _cell(table, row: int, column: str, columns=ENTRY_COLUMNS) -> str:
    return table.item(row, columns.index(column)).text()


def _row_of(panel: OutcomesPanel, timepoint: str) -> int:
    table = panel.entries
    rows = [r for r in range(table.rowCount()) if _cell(table, r, "Timepoint") == timepoint]
    assert len(rows) == 1, rows
    return rows[0]


def _current(demo) -> list:
    return demo.record.outcomes(demo.user, demo.patient_clinic_id)


def _open_add(qtbot, panel: OutcomesPanel) -> AssessmentDialog:
    qtbot.mouseClick(panel.add_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, AssessmentDialog) and dialog.isVisible()
    return dialog


def test_the_tab_shows_the_entries_in_the_record_against_the_baseline(qtbot, window, demo):
    panel = _panel(qtbot, window)
    assert panel.entries.rowCount() == 4 and panel.events.rowCount() == 2
    today = date.today()
    demo.record.record_outcome(demo.user, demo.patient_clinic_id, Timepoint.OTHER, today,
                               OutcomeMeasures(nrs=2, odi=(1, 1, None, 1, None, 1, 1, None,
                                                           1, 1)))

    _refreshed(qtbot, panel)

    table = panel.entries
    assert table.rowCount() == 5
    other = _row_of(panel, "Other")
    assert _cell(table, other, "NRS") == "2"
    assert _cell(table, other, "ODI") == "not scored (3 of 10 sections missing)"
    assert _cell(table, other, "NRS change") == "−5"  # baseline NRS 7
    assert _cell(table, other, "Pain responder") == "yes"
    assert _cell(table, other, "Function responder") == "—"  # no ODI score: no verdict
    three = _row_of(panel, "3 months")
    assert _cell(table, three, "ODI") == "37.8 %"  # 17 / 45
    assert _cell(table, three, "ODI change") == "−22.2"  # from 60.0 %
    assert _cell(table, three, "PGIC") == "2 much improved"
    assert _cell(table, three, "EQ-5D-5L") == "22321 · VAS 60"
    six_weeks = _row_of(panel, "6 weeks")
    assert _cell(table, six_weeks, "Pain responder") == "no"  # down 1 point only
    strip = panel.strip.labels
    assert "6 months: ✓ collected" in strip[Timepoint.MONTH_6].text()
    assert "12 months: ○ not due" in strip[Timepoint.MONTH_12].text()
    serious = [r for r in range(panel.events.rowCount())
               if _cell(panel.events, r, "Serious", EVENT_COLUMNS) == "⚠ serious"]
    assert [_cell(panel.events, r, "Category", EVENT_COLUMNS) for r in serious] == [
        "wound-infection: infection of the lead or generator wound"]


def test_a_second_baseline_is_refused_in_the_dialog_and_nothing_is_stored(qtbot, window, demo):
    panel = _panel(qtbot, window)
    dialog = _open_add(qtbot, panel)
    dialog.nrs.setValue(11)  # the widget holds only the scale
    assert dialog.nrs.value() == 10
    dialog.timepoint.setCurrentIndex(dialog.timepoint.findData(Timepoint.BASELINE))
    assert not dialog.pgic.isEnabled(), "a baseline has no impression of change"
    dialog.nrs.setValue(5)
    before = _current(demo)

    qtbot.mouseClick(dialog.save_button, LEFT)

    qtbot.waitUntil(dialog.message.isVisible, timeout=10000)
    assert "baseline assessment already" in dialog.message.text()
    assert dialog.message.text().startswith("Not saved:")
    assert dialog.isVisible() and panel.dialog is dialog
    assert dialog.nrs.value() == 5 and dialog.point is Timepoint.BASELINE
    assert dialog.save_button.isEnabled(), "the user may correct and try again"
    assert _current(demo) == before


def test_weekly_therapy_use_from_the_record_is_drawn_under_the_outcomes(qtbot, window, demo):
    window.resize(1280, 800)
    panel = _panel(qtbot, window)
    assert not panel.view.weeks, "no device log in the record yet"
    axis = panel.chart.usage.getAxis("left")
    assert axis.style["showValues"] is False, "no scale drawn without a figure"
    usage = select_tab(window, UsagePanel)
    qtbot.waitUntil(usage.download_button.isEnabled, timeout=10000)
    usage.download()
    qtbot.waitUntil(lambda: usage.message.text().startswith("Downloaded"), timeout=30000)

    panel = select_tab(window, OutcomesPanel)
    _refreshed(qtbot, panel)

    weeks = panel.view.weeks
    assert sum(weeks.values()) > 0
    assert min(weeks) <= panel.view.implant, "drawn from before the implant"
    bars = [item for item in panel.chart.usage.items if isinstance(item, pg.BarGraphItem)]
    assert len(bars) == 1 and list(bars[0].opts["height"]) == list(weeks.values())
    assert axis.style["showValues"] is True
    shot(window, "outcomes-tab")


def test_the_odi_scores_as_it_is_entered_and_is_not_scored_with_three_missing(
        qtbot, window, demo):
    panel = _panel(qtbot, window)
    dialog = _open_add(qtbot, panel)
    assert dialog.odi_score.text() == "ODI: not asked (every section missing)"
    scores = [3, 2, None, 1, 0, 4, 2, None, 2, 3]
    for spin, score in zip(dialog.odi, scores, strict=True):
        spin.setValue(spin.minimum() if score is None else score)
    answered = [s for s in scores if s is not None]
    expected = Decimal(sum(answered) * 100 / (5 * len(answered))).quantize(Decimal("0.1"))
    assert dialog.odi_score.text() == f"ODI: {expected} % (2 sections missing)"

    dialog.odi[0].setValue(dialog.odi[0].minimum())

    assert dialog.odi_score.text() == "ODI: not scored: more than 2 sections missing (3 missing)"
    assert dialog.measures().odi == (None, 2, None, 1, 0, 4, 2, None, 2, 3)
    dialog.odi[0].setValue(3)
    dialog.nrs.setValue(3)
    dialog.pgic.setCurrentIndex(dialog.pgic.findData(2))
    shot(dialog, "outcomes-add")


def test_a_correction_shows_the_corrected_value_and_is_marked(qtbot, window, demo):
    panel = _panel(qtbot, window)
    panel.entries.selectRow(_row_of(panel, "3 months"))
    qtbot.mouseClick(panel.correct_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, AssessmentDialog) and dialog.nrs.value() == 4
    assert not dialog.timepoint.isEnabled()
    dialog.nrs.setValue(5)
    assert not dialog.save_button.isEnabled(), "a correction needs its reason"
    qtbot.keyClicks(dialog.reason, "transcribed from the wrong form")

    qtbot.mouseClick(dialog.save_button, LEFT)

    qtbot.waitUntil(lambda: panel.dialog is None, timeout=10000)
    qtbot.waitUntil(lambda: _cell(panel.entries, _row_of(panel, "3 months"), "NRS") == "5",
                    timeout=10000)
    row = _row_of(panel, "3 months")
    mark = panel.entries.item(row, ENTRY_COLUMNS.index("Entry"))
    assert mark.text() == "✎ corrected"
    assert mark.toolTip() == "corrected: transcribed from the wrong form"
    assert _cell(panel.entries, row, "NRS change") == "−2"
    three = [e for e in _current(demo) if e.timepoint is Timepoint.MONTH_3]
    assert [e.measures.nrs for e in three] == [5]

    panel.show_corrections.setChecked(True)

    qtbot.waitUntil(lambda: panel.entries.rowCount() == 5, timeout=10000)
    marks = [panel.entries.item(r, ENTRY_COLUMNS.index("Entry")).text()
             for r in range(5)]
    assert sorted(marks) == ["", "", "", "replaced", "✎ corrected"]


def test_withdrawing_asks_for_a_reason_and_the_timepoint_is_open_again(qtbot, window, demo):
    panel = _panel(qtbot, window)
    panel.entries.selectRow(_row_of(panel, "6 weeks"))
    qtbot.mouseClick(panel.withdraw_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, WithdrawDialog) and not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "entered for the wrong patient")

    qtbot.mouseClick(dialog.save_button, LEFT)

    qtbot.waitUntil(lambda: panel.entries.rowCount() == 3, timeout=10000)
    assert Timepoint.WEEK_6 not in {e.timepoint for e in _current(demo)}
    assert "6 weeks: ⚠ overdue" in panel.strip.labels[Timepoint.WEEK_6].text()


def test_an_adverse_event_is_recorded_and_its_resolution_added_by_correction(
        qtbot, window, demo):
    panel = _panel(qtbot, window)
    qtbot.mouseClick(panel.add_event_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, EventDialog) and not dialog.save_button.isEnabled()
    dialog.category.setCurrentIndex(dialog.category.findData(EventCategory.EXPLANT))
    dialog.not_serious.setChecked(True)
    dialog.related.setCurrentIndex(dialog.related.findData(Relatedness.DEVICE))
    assert dialog.hint.text() == "An explant needs its reason."
    dialog.explant_reason.setCurrentIndex(
        dialog.explant_reason.findData(ExplantReason.LACK_OF_EFFICACY))
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: panel.events.rowCount() == 3, timeout=10000)
    events = demo.record.adverse_events(demo.user, demo.patient_clinic_id)
    explant = next(e for e in events if e.details.category is EventCategory.EXPLANT)
    assert explant.details.explant_reason is ExplantReason.LACK_OF_EFFICACY
    assert explant.details.resolved is None

    row = next(r for r in range(3) if panel.events.rows[r].event.id == explant.id)
    panel.lists.setCurrentIndex(1)
    panel.events.selectRow(row)
    qtbot.mouseClick(panel.correct_event_button, LEFT)
    dialog = panel.dialog
    assert isinstance(dialog, EventDialog)
    dialog.resolved_known.setChecked(True)
    qtbot.keyClicks(dialog.reason, "resolution reported by the GP")
    qtbot.mouseClick(dialog.save_button, LEFT)

    qtbot.waitUntil(lambda: panel.dialog is None, timeout=10000)
    events = demo.record.adverse_events(demo.user, demo.patient_clinic_id)
    corrected = next(e for e in events if e.details.category is EventCategory.EXPLANT)
    assert corrected.details.resolved == date.today()
    assert corrected.amendment is not None and corrected.amendment.amends == explant.id


@pytest.fixture
def engineer_window(qtbot):
    environment = DemoEnvironment.start(role=Role.ENGINEER)
    window = open_demo_window(qtbot, environment)
    yield window
    window.close()
    environment.close()


def test_an_engineer_sees_the_outcomes_but_cannot_enter_any(qtbot, engineer_window):
    panel = _panel(qtbot, engineer_window)
    panel.entries.selectRow(0)
    panel.events.selectRow(0)

    assert panel.entries.rowCount() == 4
    for button in (panel.add_button, panel.correct_button, panel.withdraw_button,
                   panel.add_event_button, panel.correct_event_button,
                   panel.withdraw_event_button):
        assert not button.isEnabled(), button.text()
        assert button.toolTip() == "Role engineer may not record outcomes and adverse events"
    assert "may view outcomes but not record them" in panel.message.text()


def test_the_chart_draws_baselines_thresholds_and_the_adverse_events(
        qtbot, window, demo, tmp_path, monkeypatch):
    chart = _panel(qtbot, window).chart

    assert chart.baseline_lines["nrs"].value() == 7
    assert chart.threshold_lines["nrs"].value() == 7 - 2  # the default pain rule
    assert chart.baseline_lines["odi"].value() == 60.0
    assert chart.threshold_lines["odi"].value() == 60.0 - 10
    for line in chart.threshold_lines.values():
        assert line.pen.style() == Qt.PenStyle.DashLine
    for line in chart.baseline_lines.values():
        assert line.pen.style() == Qt.PenStyle.SolidLine
    markers = chart.event_markers.points()
    assert sorted(p.symbol() for p in markers) == ["o", "t"]  # the serious one a triangle
    serious = next(p for p in markers if p.symbol() == "t")
    assert "wound-infection" in chart._event_tip(serious.pos().x(), serious.pos().y(),
                                                  serious.data())
    names = {label.text for _sample, label in chart.legend.items}
    assert {"Pain NRS", "ODI %", "baseline", "responder threshold", "serious AE",
            "other AE"} <= names

    from console.clinic.profile import CLINIC_PROFILE
    from console.paths import ENV_CLINIC_PROFILE

    strict = tmp_path / "clinic.toml"
    strict.write_text(CLINIC_PROFILE.shipped_text().replace(
        "pain_responder_nrs_drop = 2", "pain_responder_nrs_drop = 3"))
    monkeypatch.setenv(ENV_CLINIC_PROFILE, str(strict))
    panel = window.findChild(OutcomesPanel)
    _refreshed(qtbot, panel)
    assert panel.chart.threshold_lines["nrs"].value() == 7 - 3


def test_escape_stops_stimulation_while_the_add_dialog_is_open_and_keeps_the_form(
        qtbot, window, demo):
    panel = _panel(qtbot, window)
    dialog = _open_add(qtbot, panel)
    dialog.nrs.setValue(6)
    start_test_stim_on_device(qtbot, window)

    qtbot.keyClick(dialog.nrs, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: not window.context.model.stimulating, timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"
    assert dialog.isVisible() and dialog.nrs.value() == 6


def test_the_form_offers_the_timepoint_that_is_due_and_never_one_not_due_yet(qtbot, window,
                                                                         demo):
    panel = _panel(qtbot, window)
    dialog = _open_add(qtbot, panel)  # the demo has baseline to 6 months; 12 months not due
    assert dialog.timepoint.currentData() == Timepoint.OTHER
    dialog.reject()
    six_months = next(e for e in _current(demo) if e.timepoint is Timepoint.MONTH_6)
    window.context.record.withdraw_outcome(window.context.user, six_months.id, "test")
    _refreshed(qtbot, panel)
    assert len(panel.view.current) == 3
    assert _open_add(qtbot, panel).timepoint.currentData() == Timepoint.MONTH_6


def test_an_eq5d_index_is_shown_only_with_the_clinics_value_set(qtbot, window, tmp_path,
                                                               monkeypatch):
    panel = _panel(qtbot, window)
    column = ENTRY_COLUMNS.index("EQ-5D-5L")
    assert "index" not in panel.entries.item(0, column).text()
    write_made_up_value_set(tmp_path / "eq5d.csv")
    profile = tmp_path / "clinic_profile.toml"
    profile.write_text(CLINIC_PROFILE.shipped_text().replace(
        'eq5d_value_set = ""', 'eq5d_value_set = "eq5d.csv"'), encoding="utf-8")
    monkeypatch.setenv(ENV_CLINIC_PROFILE, str(profile))

    _refreshed(qtbot, panel)

    baseline = panel.view.baseline()
    assert panel.entries.item(0, column).text() == (
        f"{baseline.measures.eq5d} · VAS {baseline.measures.eq_vas} · index "
        f"{made_up_index(baseline.measures.eq5d)}")


def test_leaving_with_a_form_open_names_what_would_be_lost(qtbot, window):
    panel = _panel(qtbot, window)
    assert not any("not saved" in reason for reason in leaving_reasons(window.context))
    dialog = _open_add(qtbot, panel)
    dialog.nrs.setValue(6)

    reasons = leaving_reasons(window.context)

    assert f"“{dialog.windowTitle()}” is open and not saved: what it holds is lost." in reasons
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert not any("not saved" in reason for reason in leaving_reasons(window.context))


def test_a_follow_up_dated_before_the_implant_is_refused_by_the_record(qtbot, window, demo):
    panel = _panel(qtbot, window)
    dialog = _open_add(qtbot, panel)
    dialog.timepoint.setCurrentIndex(dialog.timepoint.findData(Timepoint.MONTH_12))
    implant = panel.view.implant
    early = implant - timedelta(days=3)
    dialog.collected_on.setDate(dialog.collected_on.date().addDays(
        (early - date.today()).days))
    dialog.nrs.setValue(3)

    qtbot.mouseClick(dialog.save_button, LEFT)

    qtbot.waitUntil(dialog.message.isVisible, timeout=10000)
    assert "outcome date" in dialog.message.text() and str(implant) in dialog.message.text()
    assert len(_current(demo)) == 4
