"""The drawn leads against the built-in emulator: choosing a pair, impedances, locking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from console.leads.impedance import ContactState
from device_link.messages import TestStimStart
from device_link.protocol import ImpedanceMode
from ui.leads.drawing import Polarity
from ui.leads.view import LOCKED_TEXT, LeadsPanel, Selection
from ui.program.panel import ProgramPanel

from .window_fixtures import unexpected_failure


@pytest.fixture
def leads(window) -> LeadsPanel:
    return window.findChild(LeadsPanel)


def click(qtbot, leads: LeadsPanel, lead: int, electrode: int) -> None:
    point = leads.drawing.contact_rect(lead, electrode).center().toPoint()
    qtbot.mouseClick(leads.drawing, Qt.MouseButton.LeftButton, pos=point)


def polarities(leads: LeadsPanel, lead: int) -> list[Polarity]:
    return [contact.polarity for contact in leads.drawing.pictures[lead].contacts]


def test_a_click_cycles_off_cathode_anode_off():
    chosen = Selection()
    chosen = chosen.cycled(2)
    assert chosen == Selection(cathode=2) and not chosen.complete
    chosen = chosen.cycled(1)
    assert chosen == Selection(cathode=1)  # a new cathode replaces the old one
    chosen = chosen.cycled(1)
    assert chosen == Selection(anode=1)
    chosen = chosen.cycled(3).cycled(1)
    assert chosen == Selection(cathode=3) and chosen.polarity(1) is Polarity.OFF


def test_clicking_electrodes_chooses_the_pair_and_zeroes_the_amplitude(qtbot, leads):
    session = leads.session
    # the device holds left: cathode 1, anode 2 at 4.0 mA
    assert polarities(leads, 0) == [Polarity.OFF, Polarity.CATHODE, Polarity.ANODE,
                                    Polarity.OFF]
    assert session.draft.leads[0].amplitude_ma == Decimal("4.0")
    click(qtbot, leads, 0, 3)
    left = session.draft.leads[0]
    assert (left.enabled, left.cathode, left.anode) == (True, 3, 2)
    assert left.amplitude_ma == 0
    assert polarities(leads, 0) == [Polarity.OFF, Polarity.OFF, Polarity.ANODE,
                                    Polarity.CATHODE]
    assert "amplitude was set to 0 mA" in leads.notice.text()
    assert "E2+ E3−" in leads.summaries[0].text()  # console.leads.naming's pair
    assert "amplitude set to 0 mA" in leads.summaries[0].text()
    assert "not on device" in leads.summaries[0].text()
    assert leads.drawing.pictures[0].amplitude_text == "0.0 mA"
    assert "lead, E3 (15 mm from E0 at the tip): cathode" in leads.drawing.describe(0, 3)
    assert session.draft.leads[1].amplitude_ma == Decimal("4.5")  # the other lead untouched


def test_a_lead_without_both_electrodes_is_off(qtbot, leads):
    session = leads.session
    click(qtbot, leads, 1, 1)  # right lead: anode 1 → off
    assert not session.draft.leads[1].enabled
    assert polarities(leads, 1) == [Polarity.OFF, Polarity.OFF, Polarity.CATHODE,
                                    Polarity.OFF]
    assert "choose an anode (+)" in leads.summaries[1].text()
    click(qtbot, leads, 1, 0)  # a new cathode: E2 goes off
    click(qtbot, leads, 1, 0)  # cathode → anode
    assert polarities(leads, 1) == [Polarity.ANODE, Polarity.OFF, Polarity.OFF, Polarity.OFF]
    assert not session.draft.leads[1].enabled
    assert "choose a cathode (−)" in leads.summaries[1].text()
    click(qtbot, leads, 1, 2)
    right = session.draft.leads[1]
    assert (right.enabled, right.cathode, right.anode) == (True, 2, 0)
    program = leads.window().findChild(ProgramPanel)
    assert program.electrodes[1].text().startswith("E0+ E2−")


def test_keyboard_moves_between_electrodes_and_cycles_them(qtbot, leads):
    drawing = leads.drawing
    drawing.setFocus()
    drawing.cursor_at = (0, 0)
    qtbot.keyClick(drawing, Qt.Key.Key_Right)
    qtbot.keyClick(drawing, Qt.Key.Key_Down)
    qtbot.keyClick(drawing, Qt.Key.Key_Down)
    qtbot.keyClick(drawing, Qt.Key.Key_Down)
    assert drawing.cursor_at == (1, 3)
    qtbot.keyClick(drawing, Qt.Key.Key_Return)
    assert leads.session.draft.leads[1].cathode == 3
    assert leads.session.draft.leads[1].enabled
    qtbot.keyClick(drawing, Qt.Key.Key_Space)  # not stimulating: Space cycles too
    assert polarities(leads, 1) == [Polarity.OFF, Polarity.OFF, Polarity.OFF, Polarity.ANODE]
    assert not leads.session.draft.leads[1].enabled


def test_electrodes_are_locked_while_stimulating(qtbot, window, leads, demo):
    stimulus = TestStimStart(lead=0, anode=2, cathode=1, freq_hz=20, pw_us=214, amp_ua=500,
                             duration_s=60)
    controller = window.context.controller
    controller.run("test stimulation", lambda client: client.start_test_stim(stimulus),
                   on_failed=unexpected_failure)
    qtbot.waitUntil(lambda: window.context.model.stimulating, timeout=5000)
    before = leads.session.draft
    click(qtbot, leads, 0, 3)
    assert leads.session.draft == before
    assert leads.notice.text() == LOCKED_TEXT and leads.drawing.locked
    controller.stop()
    qtbot.waitUntil(lambda: not window.context.model.stimulating, timeout=5000)
    assert not leads.drawing.locked
    click(qtbot, leads, 0, 3)
    assert leads.session.draft.leads[0].cathode == 3


def test_impedances_and_contact_states_are_drawn(qtbot, window, leads, demo):
    demo.emulator.inject_open(0, 3)
    controller, model = window.context.controller, window.context.model

    def measure(client):
        monopolar = client.measure_impedance(0b11, ImpedanceMode.MONOPOLAR).records
        return monopolar + client.measure_impedance(0b11, ImpedanceMode.BIPOLAR).records

    with qtbot.waitSignal(controller.busy_changed, check_params_cb=lambda name: name == "",
                          timeout=10000):
        controller.run("impedance", measure, lambda records: (model.session.measured(records),
                                                               model.notify_impedance()),
                       on_failed=unexpected_failure)
    left = leads.drawing.pictures[0]
    assert left.contacts[3].state is ContactState.OPEN
    assert left.contacts[3].ohms_text == "no reading"
    assert left.contacts[0].state is ContactState.NORMAL
    assert left.contacts[0].ohms_text.endswith(" Ω") and left.contacts[0].ohms_text[0].isdigit()
    measured, ohms = model.session.impedances.pair_ohms(0, 2, 1)
    assert measured and left.pair_ohms_short == f"{ohms} Ω"
    assert f"pair {ohms} Ω" in leads.summaries[0].text()
    click(qtbot, leads, 0, 3)  # the open contact as cathode: the pair in use reads open
    program = window.findChild(ProgramPanel)
    assert "open circuit" in program.electrode_findings[0].text()
    assert program.summary_state.startswith("Blocked")
