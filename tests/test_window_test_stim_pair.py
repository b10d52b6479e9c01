"""What test stimulation stimulates, on screen: the pair drawn while it is set up or runs,
the program's pair as its default, the highest amplitude after the end carried into the
program, Return on Start, and the device's electrode count. Against the demo emulator."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from console.programming.screen_state import DeviceFacts, ProgrammingSession
from device_link.messages import Identity, Limits, Status
from ui.device.session_model import SessionModel
from ui.engineering.faults import FaultControls
from ui.leads.drawing import Polarity
from ui.leads.view import LeadsPanel
from ui.program.panel import ProgramPanel
from ui.stimulation.panel import TestStimPanel

from .test_placement_workflow import ManualClock
from .window_fixtures import select_tab

D = Decimal
OFF, CATHODE, ANODE = Polarity.OFF, Polarity.CATHODE, Polarity.ANODE


def polarities(leads: LeadsPanel, lead: int) -> list[Polarity]:
    return [contact.polarity for contact in leads.drawing.pictures[lead].contacts]


def start(qtbot, panel: TestStimPanel) -> None:
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
    qtbot.mouseClick(panel.setup.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._running is not None, timeout=5000)


def stop(qtbot, window, panel: TestStimPanel) -> None:
    window.context.controller.stop()
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)


def test_the_drawing_shows_the_pair_test_stimulation_uses_and_the_program_otherwise(
        qtbot, window, demo):
    leads = window.findChild(LeadsPanel)
    model = window.context.model
    # the device's program: left cathode E1, anode E2
    assert polarities(leads, 0) == [OFF, CATHODE, ANODE, OFF]
    assert model.test_pair is None and leads.drawing.banner == ""

    panel = select_tab(window, TestStimPanel)
    panel.setup.anode.setCurrentIndex(3)  # E3+ E2−, as in the report: not the program's pair
    panel.setup.cathode.setCurrentIndex(2)
    assert polarities(leads, 0) == [OFF, OFF, CATHODE, ANODE]
    assert polarities(leads, 1) == [OFF, OFF, OFF, OFF]
    assert leads.drawing.banner == "TEST STIMULATION SET-UP on left E2− E3+, not the program"
    assert "TEST STIMULATION" in leads.summaries[0].text()
    assert "not in this test stimulation" in leads.summaries[1].text()

    start(qtbot, panel)
    stim = demo.emulator.state()["test_stim"]
    assert (stim["anode"], stim["cathode"]) == (3, 2)
    assert leads.drawing.banner == "TEST STIMULATION on left E2− E3+: electrodes locked"
    assert polarities(leads, 0) == [OFF, OFF, CATHODE, ANODE]

    select_tab(window, ProgramPanel)  # another tab: what runs is still what is drawn
    assert model.test_pair is not None and model.test_pair.live
    assert polarities(leads, 0) == [OFF, OFF, CATHODE, ANODE]

    stop(qtbot, window, panel)
    qtbot.waitUntil(lambda: model.test_pair is None, timeout=5000)
    assert polarities(leads, 0) == [OFF, CATHODE, ANODE, OFF]  # the program's again
    assert leads.drawing.banner == ""


def test_a_click_on_the_drawing_during_set_up_leaves_the_program_alone(qtbot, window):
    leads = window.findChild(LeadsPanel)
    select_tab(window, TestStimPanel)
    before = leads.session.draft
    point = leads.drawing.contact_rect(0, 3).center().toPoint()

    qtbot.mouseClick(leads.drawing, Qt.MouseButton.LeftButton, pos=point)

    assert leads.session.draft == before
    assert "Set up on the Test stimulation tab" in leads.notice.text()


def test_the_default_pair_is_the_programs_with_the_same_polarity(qtbot, window):
    panel = select_tab(window, TestStimPanel)
    draft = window.context.model.session.draft
    for lead in (0, 1):
        panel.setup.lead.setCurrentIndex(lead)
        program = draft.leads[lead]
        assert (panel.setup.anode.currentIndex(), panel.setup.cathode.currentIndex()) == (
            program.anode, program.cathode)
    assert (draft.leads[0].anode, draft.leads[0].cathode) == (2, 1)  # the demo's left lead


def test_after_stop_the_highest_amplitude_goes_into_the_program_on_screen(qtbot, window,
                                                                          demo):
    panel = select_tab(window, TestStimPanel)
    clock = panel.clock = ManualClock()
    session = window.context.model.session
    held = session.device_program
    start(qtbot, panel)
    assert panel.titrated.button.isHidden()
    clock.advance(1.0)
    qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.0 mA", timeout=5000)
    qtbot.keyClick(panel, Qt.Key.Key_Down)  # the highest, not the last, is kept
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "0.5 mA", timeout=5000)

    stop(qtbot, window, panel)

    assert panel._stimulation is not None and panel._stimulation.highest_ma == D("1.0")
    assert "Highest in the last test: <b>1.0&nbsp;mA</b>" in panel.titrated.text.text()
    assert panel.titrated.button.text() == "Use 1.0 mA in the program"
    qtbot.mouseClick(panel.titrated.button, Qt.MouseButton.LeftButton)

    program = window.findChild(ProgramPanel)
    assert window.tabs.current_panel() is program
    left = session.draft.leads[0]
    assert (left.enabled, left.anode, left.cathode, left.amplitude_ma) == (True, 2, 1, D("1.0"))
    assert "left.amplitude_ma" in session.differing_fields()  # on screen, not written
    assert session.device_program == held
    assert demo.emulator.state()["state"] == "IDLE"
    assert "not yet on the device" in panel.message.text()


def test_another_pair_goes_into_the_program_with_its_polarity_and_amplitude(qtbot, window):
    panel = select_tab(window, TestStimPanel)
    panel.setup.anode.setCurrentIndex(3)
    panel.setup.cathode.setCurrentIndex(2)
    start(qtbot, panel)
    stop(qtbot, window, panel)

    assert panel.titrated.button.text() == "Use 0.5 mA and E2− E3+ in the program"
    qtbot.mouseClick(panel.titrated.button, Qt.MouseButton.LeftButton)

    left = window.context.model.session.draft.leads[0]
    # the electrodes first, then the amplitude: set_lead's zeroing does not undo it
    assert (left.anode, left.cathode, left.amplitude_ma) == (3, 2, D("0.5"))


def test_an_amplitude_above_the_program_limit_is_shown_as_the_engines_finding(qtbot, window):
    panel = select_tab(window, TestStimPanel)
    start(qtbot, panel)
    stop(qtbot, window, panel)
    run = panel.titrated.run
    assert run is not None
    panel.titrated.show_run(run, D("30.0"), window.context.model.session.draft.leads[0])

    qtbot.mouseClick(panel.titrated.button, Qt.MouseButton.LeftButton)

    assert window.context.model.session.draft.leads[0].amplitude_ma == D("30.0")  # not clamped
    program = window.findChild(ProgramPanel)
    words = program.fields["left.amplitude_ma"].findings_text
    assert "30.0 mA" in words and "25.0 mA" in words, words
    assert program.summary_state.startswith("Blocked")


def test_return_on_the_focused_start_button_starts_and_space_still_stops(qtbot, window, demo):
    panel = select_tab(window, TestStimPanel)
    button = panel.setup.start_button
    qtbot.waitUntil(button.isEnabled, timeout=5000)
    button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is button, timeout=5000)

    qtbot.keyClick(button, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: panel._running is not None, timeout=5000)
    first = panel._stimulation
    qtbot.keyClick(button, Qt.Key.Key_Return)  # stimulating: Return starts nothing
    assert panel._stimulation is first and not panel._starting
    qtbot.keyClick(panel, Qt.Key.Key_Space)  # and Space is STOP
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"


def _three_electrodes(facts: DeviceFacts) -> DeviceFacts:
    return dataclasses.replace(
        facts, identity=dataclasses.replace(facts.identity, electrodes_per_lead=3))


def test_the_electrode_count_is_the_devices(qtbot, window):
    model = window.context.model
    facts = model.device
    assert facts is not None
    panel = select_tab(window, TestStimPanel)
    leads = window.findChild(LeadsPanel)
    assert panel.setup.anode.count() == 4 and leads.drawing.electrodes == 4

    model.attach(_three_electrodes(facts))

    assert panel.setup.anode.count() == panel.setup.cathode.count() == 3
    assert [panel.setup.cathode.itemText(i) for i in range(3)] == ["E0 (tip)", "E1", "E2"]
    assert leads.drawing.electrodes == 3
    assert all(len(picture.contacts) == 3 for picture in leads.drawing.pictures)


def test_fault_controls_offer_the_devices_contacts_and_keep_the_last_count(qtbot):
    model = SessionModel(ProgrammingSession())
    faults = FaultControls(lambda *_args: None, model)
    qtbot.addWidget(faults)
    assert faults.electrode.count() == 4  # no device yet: MFL/1's count

    identity = Identity(1, "EMU-IPG", "EMU-3", "1.0.0", bytes(16))
    model.attach(_three_electrodes(DeviceFacts(identity, Limits(), Status(
        1, 80, 3900, 0, 0, 0, 0, 0, 0, 0))))
    assert faults.electrode.count() == faults.other.count() == 3
    assert faults.electrode.itemText(2) == "E2"
    model.detach()
    assert model.electrodes_per_lead == 3 and faults.electrode.count() == 3
