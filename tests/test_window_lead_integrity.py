"""The window never writes onto a pair it has not measured on this connection, and never
forgets a pair it saw open: reconnecting keeps it blocked until it is measured again.

Screenshots of the key screens go to ``$MFCONSOLE_SCREENSHOTS`` when it names a folder.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.test_window_impedance import _measure
from tests.test_window_program import click_write, reconnect, slot_bytes, type_into
from tests.test_window_test_stim import _start as _start_test_stim
from tests.window_fixtures import select_tab, shot
from ui.impedance.panel import ImpedancePanel
from ui.program.panel import ProgramPanel
from ui.stimulation.panel import TestStimPanel


def _received(demo, since: int) -> list[str]:
    return [e["opcode"] for e in demo.emulator.trace(since=since)["entries"]
            if e["dir"] == "rx" and e["kind"] == "REQUEST"]


def _write(qtbot, panel: ProgramPanel, amplitude: str) -> None:
    type_into(qtbot, panel, "left.amplitude_ma", amplitude)
    panel.reason_edit.clear()
    qtbot.keyClicks(panel.reason_edit, "stronger contraction wanted")
    click_write(qtbot, panel)
    qtbot.waitUntil(lambda: not panel.busy, timeout=15000)


def test_an_open_pair_stays_blocked_across_a_reconnection(qtbot, window, demo):
    program = select_tab(window, ProgramPanel)
    left = program.session.draft.leads[0]
    demo.emulator.inject_open(0, left.cathode)
    _measure(qtbot, select_tab(window, ImpedancePanel))
    program = select_tab(window, ProgramPanel)
    assert program.summary_state.startswith("Blocked")

    reconnect(qtbot, window, demo, program)
    assert program.summary_state.startswith("Blocked")
    assert not program.write_button.isEnabled()
    findings = program.electrode_findings[0].text()
    assert "open circuit on" in findings and "an earlier connection" in findings
    assert "Last reading: open circuit" in program.figures[0].text()
    shot(window, "program-blocked-after-reconnect")

    demo.emulator.inject_open(0, left.cathode, is_open=False)  # the lead is repaired
    _measure(qtbot, select_tab(window, ImpedancePanel))
    assert select_tab(window, ProgramPanel).summary_state == "Writable"


def test_a_write_measures_the_pairs_in_use_first(qtbot, window, demo):
    panel = select_tab(window, ProgramPanel)
    assert "not measured on this connection" in panel.electrode_findings[0].text()
    mark = demo.emulator.trace()["next"]
    _write(qtbot, panel, "5.5")
    assert "Written and verified" in panel.result.text()
    assert "Measured impedance first: left E" in panel.result.text()
    shot(window, "program-measured-first")
    received = _received(demo, mark)
    assert received.index("MEASURE_IMPEDANCE") < received.index("WRITE_PROGRAM")
    assert panel.session.impedances.bipolar  # kept as measured on this connection
    assert "not measured on this connection" not in panel.electrode_findings[0].text()


def test_a_write_onto_an_open_pair_never_measured_is_refused(qtbot, window, demo):
    panel = select_tab(window, ProgramPanel)
    demo.emulator.inject_open(0, panel.session.draft.leads[0].anode)
    before = slot_bytes(demo, 0)
    mark = demo.emulator.trace()["next"]
    _write(qtbot, panel, "5.0")
    assert "NOT applied: refused by the safety engine" in panel.result.text()
    assert "open circuit" in panel.result.text()
    assert "WRITE_PROGRAM" not in _received(demo, mark)
    assert slot_bytes(demo, 0) == before
    assert panel.summary_state.startswith("Blocked")


def test_test_stimulation_measures_its_pair_before_the_start(qtbot, window, demo):
    panel = select_tab(window, TestStimPanel)
    assert any("not measured on this connection" in text
               for text in panel.setup.finding_texts())
    mark = demo.emulator.trace()["next"]
    _start_test_stim(qtbot, panel, demo)
    received = _received(demo, mark)
    assert received.index("MEASURE_IMPEDANCE") < received.index("TEST_STIM_START")
    assert "measured impedance first: left E1–E2" in panel.message.text()
    window.context.controller.stop()
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)


def test_test_stimulation_on_an_open_pair_never_measured_does_not_start(qtbot, window, demo):
    panel = select_tab(window, TestStimPanel)
    demo.emulator.inject_open(0, 1)
    mark = demo.emulator.trace()["next"]
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
    qtbot.mouseClick(panel.setup.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not started" in panel.message.text(), timeout=10000)
    assert "open circuit" in panel.message.text()
    assert "TEST_STIM_START" not in _received(demo, mark)
    assert demo.emulator.state()["state"] == "IDLE"
    assert not panel.setup.start_button.isEnabled()  # now known open: blocked on screen


def test_a_lead_the_device_flags_mid_session_is_blocked_until_measured_again(qtbot, window,
                                                                             demo):
    _measure(qtbot, select_tab(window, ImpedancePanel))
    program = select_tab(window, ProgramPanel)
    assert program.summary_state.startswith("Writable")
    demo.emulator.inject_open(0, 1)  # the left lead fractures under test stimulation
    panel = select_tab(window, TestStimPanel)
    _start_test_stim(qtbot, panel, demo)  # measured already on this connection: no check
    qtbot.waitUntil(lambda: program.summary_state.startswith("Blocked"), timeout=10000)
    assert "the device reports the left lead&#x27;s impedance out of range" in \
        program.electrode_findings[0].text()
    window.context.controller.stop()
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    demo.emulator.inject_open(0, 1, is_open=False)
    _measure(qtbot, select_tab(window, ImpedancePanel))
    assert program.summary_state.startswith("Writable")
