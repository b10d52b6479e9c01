"""The placement wizard in the demo window, driven by the keys a circulating nurse would press.

The emulator on a real pseudo-terminal plays the patient; the test looks at its
simulated observation only to decide when "the nurse sees" a contraction, then presses C.
Screenshots of the key steps go to ``$MFCONSOLE_SCREENSHOTS`` when it names a folder
(docs/screenshots for the documentation).
"""

from __future__ import annotations

import dataclasses
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from console.placement import Outcome, Phase, ResultStatus, TrialEnd, Unwanted
from console.report.marking import DEMO_MARK
from console.safety import parse_profile
from console.safety.profile import SAFETY_PROFILE
from ui.placement.flow import PlacementWizard
from ui.placement.tab import PlacementTab

from .window_fixtures import select_tab

SHOTS = os.environ.get("MFCONSOLE_SCREENSHOTS")


def _tab(window) -> PlacementTab:
    """The tab, its tests quick: the clinic lets increases follow each other at once (the
    pace between increases has its own tests, in test_titration_pace)."""
    window.context.model.session.profile = parse_profile(
        SAFETY_PROFILE.shipped_text().replace("min_interval_s = 1.0", "min_interval_s = 0.000001"),
        "quick")
    return select_tab(window, PlacementTab)


TAB_WIDTH_AT_1280 = 840  # what the side panel leaves the tabs of a 1280-pixel window
THEATRE_WIDTH_AT_1280 = 1260


def _shot(widget, name: str) -> None:
    """Every key screen fits a 1280×800 screen (in the tab, or alone); saved when asked."""
    for wizard in widget.findChildren(PlacementWizard):
        room = THEATRE_WIDTH_AT_1280 if wizard.identity.isVisibleTo(wizard) \
            else TAB_WIDTH_AT_1280
        assert wizard.minimumSizeHint().width() <= room, name
    if SHOTS:
        for _ in range(2):  # pending layout requests, as the event loop would
            QApplication.processEvents()
        widget.grab().save(str(Path(SHOTS) / f"placement-{name}.png"))


def _press(qtbot, wizard: PlacementWizard, key: Qt.Key) -> None:
    qtbot.keyClick(wizard, key)


def _idle(wizard: PlacementWizard) -> bool:
    return not wizard._busy


def _begin(qtbot, wizard: PlacementWizard, key: Qt.Key = Qt.Key.Key_M) -> None:
    wizard.setFocus()
    _press(qtbot, wizard, key)
    _press(qtbot, wizard, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: wizard.workflow is not None and _idle(wizard)
                    and all(i.measured for i in wizard.workflow.snapshot().integrity),
                    timeout=15000)


def _running(wizard: PlacementWizard):
    return wizard.workflow.snapshot().active_trial


def _start(qtbot, wizard: PlacementWizard, demo) -> None:
    _press(qtbot, wizard, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: _running(wizard) is not None and _idle(wizard), timeout=5000)
    assert demo.emulator.state()["state"] == "TEST_STIM"


def _contraction(demo, lead: int) -> float:
    return demo.emulator.observe()["leads"][lead]["contraction"]


def _step_until(qtbot, wizard: PlacementWizard, seen) -> None:
    """↑ once per amplitude, as the nurse would, until ``seen()`` or the trial ends."""
    while _running(wizard) is not None and not seen():
        _press(qtbot, wizard, Qt.Key.Key_Up)
        qtbot.waitUntil(lambda: _idle(wizard), timeout=5000)


def _threshold_then_margin(qtbot, wizard: PlacementWizard, demo, lead: int) -> Decimal:
    _start(qtbot, wizard, demo)
    _step_until(qtbot, wizard, lambda: _contraction(demo, lead) > 0)
    _press(qtbot, wizard, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: _running(wizard) is None and _idle(wizard), timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"
    threshold = wizard.workflow.snapshot().trials[-1].contraction_ma
    _start(qtbot, wizard, demo)  # S again: the margin check on the same pair
    _step_until(qtbot, wizard, lambda: False)
    return threshold


def test_a_good_placement_by_keyboard_records_thresholds_and_signs_off(qtbot, window, demo):
    tab = _tab(window)
    wizard = tab.wizard
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _shot(window, "start")
    _begin(qtbot, wizard)
    assert wizard.page == "impedance"
    _shot(window, "impedance")
    _press(qtbot, wizard, Qt.Key.Key_N)
    assert wizard.page == "lead0"
    _start(qtbot, wizard, demo)
    _step_until(qtbot, wizard, lambda: _contraction(demo, 0) > 0)
    trial = _running(wizard)
    assert trial.amplitude_ma == Decimal("3.0")  # 2.76 mA threshold, 0.5 mA steps
    assert "3.0 mA" in wizard.live.amplitude.text()
    assert "STIMULATING" in wizard.live.state.text()
    _shot(window, "stimulating")
    _press(qtbot, wizard, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: _running(wizard) is None and _idle(wizard), timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"
    first = wizard.workflow.snapshot().trials[0]
    assert (first.lead, first.pair, first.contraction_ma) == (0, (2, 1), Decimal("3.0"))
    assert "margin check" in wizard.lead_pages[0].buttons["start"].text()
    _shot(window, "threshold")
    _start(qtbot, wizard, demo)
    _step_until(qtbot, wizard, lambda: False)  # nothing unwanted up to 4.5 mA
    assert wizard.workflow.snapshot().verdicts[0].outcome == Outcome.PASS

    _press(qtbot, wizard, Qt.Key.Key_N)
    assert wizard.page == "lead1"
    assert _threshold_then_margin(qtbot, wizard, demo, 1) == Decimal("4.0")
    _press(qtbot, wizard, Qt.Key.Key_N)
    assert wizard.page == "verdict"
    _press(qtbot, wizard, Qt.Key.Key_F)
    assert wizard.verdict_page.fluoroscopy.isChecked()
    wizard.verdict_page.notes.setText("Both leads at L3 on fluoroscopy")
    _shot(window, "verdict")
    wizard.setFocus()
    _press(qtbot, wizard, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: wizard.page == "done" and wizard.report_path is not None,
                    timeout=10000)
    _shot(window, "signed")

    result = wizard.workflow.snapshot()
    assert result.phase == Phase.SIGNED and result.passed and not result.simulated
    stored = demo.record.timeline(demo.user, demo.patient_clinic_id).placement_tests
    assert [(p.lead, p.outcome, p.threshold_ma) for p in stored] == [
        (0, "pass", 3.0), (1, "pass", 4.0)]
    assert stored[0].data["fluoroscopy_confirmed"] is True
    assert stored[0].data["notes"] == "Both leads at L3 on fluoroscopy"
    assert stored[0].visit_id == demo.visit_id
    assert "Stored in the clinical record as complete" in wizard.done_page.stored.text()
    text = PdfReader(io.BytesIO(wizard.report_path.read_bytes())).pages[0].extract_text()
    assert "PASS — both leads meet the placement criteria" in text
    assert "SIMULATED" not in text
    assert DEMO_MARK in text  # made in the demo window, on the emulator
    wizard.report_path.unlink()


def _interrupted(qtbot, wizard: PlacementWizard) -> None:
    """After STOP: the done page offers to resume; nothing is stored yet."""
    qtbot.waitUntil(lambda: wizard.page == "done" and _idle(wizard)
                    and wizard.workflow.snapshot().resumable, timeout=10000)
    assert wizard.done_page.resume.isVisible() and wizard.done_page.resume.isEnabled()
    assert "STOPPED — not a pass" in wizard.done_page.outcome.text()
    assert wizard.report_path is None


def _end_interrupted(qtbot, wizard: PlacementWizard) -> None:
    """N on the interrupted test: it ends incomplete, is stored and reported."""
    wizard.setFocus()
    _press(qtbot, wizard, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: wizard.page == "done" and wizard.report_path is not None,
                    timeout=10000)


def test_escape_stops_at_once_and_the_test_is_kept_as_incomplete(qtbot, window, demo):
    wizard = _tab(window).wizard
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _begin(qtbot, wizard)
    _press(qtbot, wizard, Qt.Key.Key_N)
    _start(qtbot, wizard, demo)
    _press(qtbot, wizard, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: _idle(wizard), timeout=5000)
    with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert demo.emulator.state()["state"] == "IDLE"
    _interrupted(qtbot, wizard)
    assert wizard.done_page.resume.text() == "Resume left lead  [R]"
    assert not demo.record.timeline(demo.user, demo.patient_clinic_id).placement_tests
    _end_interrupted(qtbot, wizard)
    result = wizard.workflow.snapshot()
    assert result.phase == Phase.STOPPED and result.overall == Outcome.INCOMPLETE
    assert "INCOMPLETE" in wizard.done_page.outcome.text()
    _shot(window, "stopped")
    stored = demo.record.timeline(demo.user, demo.patient_clinic_id).placement_tests
    assert [p.outcome for p in stored] == ["incomplete", "incomplete"]
    wizard.report_path.unlink()


def test_an_unwanted_response_stops_at_once_and_is_named_by_number(qtbot, window, demo):
    wizard = _tab(window).wizard
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _begin(qtbot, wizard)
    _press(qtbot, wizard, Qt.Key.Key_N)
    _start(qtbot, wizard, demo)
    _press(qtbot, wizard, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: _idle(wizard), timeout=5000)
    _press(qtbot, wizard, Qt.Key.Key_U)
    qtbot.waitUntil(lambda: _running(wizard) is None and _idle(wizard), timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"
    assert wizard.lead_pages[0].kinds.isVisible()
    _shot(window, "unwanted")
    _press(qtbot, wizard, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: _idle(wizard) and wizard.workflow.snapshot().trials[-1]
                    .unwanted[0].kind == Unwanted.GLUTEAL, timeout=5000)
    seen = wizard.workflow.snapshot().trials[-1].unwanted[0]
    assert seen.amplitude_ma == Decimal("1.0")
    assert not wizard.lead_pages[0].kinds.isVisible()
    assert "gluteal response at 1.0 mA before any contraction" in \
        wizard.lead_pages[0].map.text()


def test_automatic_stepping_rises_by_itself_until_the_team_sees_the_contraction(
        qtbot, window, demo):
    wizard = _tab(window).wizard
    wizard.profile = dataclasses.replace(wizard.profile, step_interval_s=Decimal("0.05"))
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _begin(qtbot, wizard, Qt.Key.Key_A)
    _press(qtbot, wizard, Qt.Key.Key_N)
    _start(qtbot, wizard, demo)
    qtbot.waitUntil(lambda: _contraction(demo, 0) > 0, timeout=20000)
    _press(qtbot, wizard, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: _running(wizard) is None and _idle(wizard), timeout=5000)
    threshold = wizard.workflow.snapshot().trials[-1].contraction_ma
    assert threshold is not None and Decimal("3.0") <= threshold <= Decimal("3.5")
    assert demo.emulator.state()["state"] == "IDLE"


@pytest.mark.parametrize("demo", ["fractured-lead"], indirect=True)
def test_a_fractured_lead_is_never_stimulated(qtbot, window, demo):
    wizard = _tab(window).wizard
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _begin(qtbot, wizard)
    assert "E2 open" in wizard.impedance_page.lines[1].text()
    _shot(window, "impedance-fault")
    _press(qtbot, wizard, Qt.Key.Key_N)
    _press(qtbot, wizard, Qt.Key.Key_N)
    assert wizard.page == "lead1"
    page = wizard.lead_pages[1]
    assert not page.buttons["start"].isVisible()
    assert "fails on impedance and is not stimulated" in page.instruction.text()
    _press(qtbot, wizard, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: _idle(wizard), timeout=5000)
    assert wizard.workflow.snapshot().trials == ()
    assert demo.emulator.state()["state"] == "IDLE"
    _shot(window, "lead-fault")


def test_theatre_view_carries_the_running_test_and_gives_it_back(qtbot, window, demo):
    tab = _tab(window)
    wizard = tab.wizard
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _begin(qtbot, wizard)
    _press(qtbot, wizard, Qt.Key.Key_N)
    _start(qtbot, wizard, demo)
    for _ in range(3):
        _press(qtbot, wizard, Qt.Key.Key_Up)
        qtbot.waitUntil(lambda: _idle(wizard), timeout=5000)
    _press(qtbot, wizard, Qt.Key.Key_T)
    assert tab.theatre is not None and wizard.window() is tab.theatre
    assert tab.placeholder.isVisibleTo(tab)
    tab.theatre.showNormal()  # the offscreen screen is smaller than a theatre display
    tab.theatre.resize(1280, 800)
    QApplication.processEvents()
    assert "2.0 mA" in wizard.live.amplitude.text()
    _shot(tab.theatre, "theatre")
    with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)  # Esc stops from the theatre window too
    assert demo.emulator.state()["state"] == "IDLE"
    _interrupted(qtbot, wizard)
    _end_interrupted(qtbot, wizard)
    tab.theatre.close()
    assert tab.theatre is None and wizard.window() is window
    assert not tab.placeholder.isVisibleTo(tab)
    wizard.report_path.unlink()


def test_a_lost_link_ends_the_test_incomplete(qtbot, window, demo):
    wizard = _tab(window).wizard
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _begin(qtbot, wizard)
    _press(qtbot, wizard, Qt.Key.Key_N)
    _start(qtbot, wizard, demo)
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=10000):
        demo.emulator.disconnect()
    qtbot.waitUntil(lambda: wizard.page == "done" and wizard.report_path is not None,
                    timeout=10000)
    result = wizard.workflow.snapshot()
    assert result.phase == Phase.STOPPED and result.stop_reason.startswith("link lost")
    assert result.trials[-1].end == TrialEnd.LINK_LOST
    stored = demo.record.timeline(demo.user, demo.patient_clinic_id).placement_tests
    assert [p.outcome for p in stored] == ["incomplete", "incomplete"]
    wizard.report_path.unlink()


def test_a_stop_on_the_right_lead_keeps_the_left_pass_and_r_resumes_the_right_lead(
        qtbot, window, demo):
    wizard = _tab(window).wizard
    qtbot.waitUntil(wizard.start_page.begin.isEnabled, timeout=5000)
    _begin(qtbot, wizard)
    _press(qtbot, wizard, Qt.Key.Key_N)
    _threshold_then_margin(qtbot, wizard, demo, 0)
    _press(qtbot, wizard, Qt.Key.Key_N)
    assert wizard.page == "lead1" and wizard.workflow.snapshot().finished_leads == (0,)
    _start(qtbot, wizard, demo)
    _press(qtbot, wizard, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: _idle(wizard), timeout=5000)
    with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert demo.emulator.state()["state"] == "IDLE"
    _interrupted(qtbot, wizard)
    stopped = wizard.workflow.snapshot()
    assert stopped.status == ResultStatus.INCOMPLETE
    assert [v.outcome for v in stopped.verdicts] == [Outcome.PASS, Outcome.INCOMPLETE]
    assert wizard.done_page.resume.text() == "Resume right lead  [R]"
    assert "Left lead (0): PASS" in wizard.done_page.leads.text()
    _shot(window, "interrupted")

    _press(qtbot, wizard, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: wizard.page == "lead1" and _idle(wizard), timeout=5000)
    assert wizard.workflow.snapshot().phase == Phase.STIMULATION
    assert demo.emulator.state()["state"] == "IDLE"  # nothing stimulates until S
    assert _threshold_then_margin(qtbot, wizard, demo, 1) == Decimal("4.0")
    _press(qtbot, wizard, Qt.Key.Key_N)
    assert wizard.page == "verdict"
    _press(qtbot, wizard, Qt.Key.Key_F)
    wizard.verdict_page.fluoroscopy.setFocus()
    _shot(window, "verdict-focus")
    wizard.setFocus()
    _press(qtbot, wizard, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: wizard.page == "done" and wizard.report_path is not None,
                    timeout=10000)
    result = wizard.workflow.snapshot()
    assert result.passed
    assert [(t.lead, t.end) for t in result.trials if t.end == TrialEnd.STOPPED] == [
        (1, TrialEnd.STOPPED)]
    events = [s.event for s in result.steps]
    assert events.index("test interrupted") < events.index("test resumed")
    stored = demo.record.timeline(demo.user, demo.patient_clinic_id).placement_tests
    assert [(p.lead, p.outcome) for p in stored] == [(0, "pass"), (1, "pass")]
    wizard.report_path.unlink()


def test_the_fluoroscopy_box_and_the_focus_are_seen_from_afar(qtbot, window, demo):
    wizard = _tab(window).wizard
    box = wizard.verdict_page.fluoroscopy
    assert box.objectName() == "wizardFluoroscopy"
    assert box.sizeHint().height() >= 56  # a large target, read across the theatre
    unticked = box.text()
    box.setChecked(True)
    assert box.text().startswith("✔ YES") and box.text() != unticked
    style = wizard.styleSheet()
    assert "QCheckBox#wizardFluoroscopy::indicator" in style
    assert "QPushButton#wizardPrimary:focus" in style and "5px solid" in style
    assert "stopButton:focus" not in style  # STOP keeps the window's own look
