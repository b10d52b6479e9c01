"""The Try program tab: one therapy session of a stored slot, watched with the patient.

Choose the slot (the Program tab's to begin with); the tab reads it from the device and
shows the program in words with the safety engine's findings. Start runs the console's
sequence (``console.stimulation.therapy``: read again, judge, measure, record,
THERAPY_START) on the controller's thread. While the session runs the tab shows the phase
in words and colour, the cycle, each lead's set and delivered current, and a live plot;
STOP (the button, Esc, Space) works as everywhere. When the session ends, by STOP, by
itself or by a fault, the tab says why and the record notes it, off the GUI thread.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.accounts import Action
from console.leads.integrity import LeadIntegrity
from console.programming.link_state import ScreenState
from console.safety import SafetyEngine
from console.safety.assessment import Severity
from console.stimulation.start import StartResult
from console.stimulation.stopping import stop_reason_text
from console.stimulation.therapy import (
    PhaseChange,
    PhaseTracker,
    SlotProgram,
    SlotUnusable,
    TherapyTrial,
    cycle_count,
    phase_text,
    program_lines,
    read_slot,
)
from device_link.client import DeviceClient
from device_link.messages import StimStopped, StimTelemetry
from device_link.protocol import DeviceState, StopReason
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, INFO_GREY
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks, keeper_for
from ui.stimulation.banner import show_not_stimulating, show_stimulating
from ui.stimulation.therapy_plot import TherapyPlot, phase_colour

PANEL_TITLE = "Try program"
START = "therapy session"
READ = "read slot"
_PHASE_STYLE = "font-size: 30pt; font-weight: bold; color: {};"
_COLOUR_OF = {Severity.BLOCK: BLOCK_RED, Severity.CONFIRM: CONFIRM_AMBER,
              Severity.INFO: INFO_GREY}


def create(context: WindowContext) -> QWidget:
    return TherapyPanel(context)


class TherapyPanel(QWidget):

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self._trial: TherapyTrial | None = None  # the latest start's sequence
        self._tracker: PhaseTracker | None = None
        self._judged: SlotProgram | None = None  # what the slot holds, as last read
        self._starting = False
        self._running = False
        self._early_end: str | None = None  # an end that overtook the start's reply
        self._device_busy = False
        layout = QHBoxLayout(self)
        layout.addWidget(self._build_choice(), 0)
        layout.addWidget(self._build_live(), 1)

        model, controller = context.model, context.controller
        model.device_changed.connect(self._on_device_changed)
        model.draft_changed.connect(self._refresh_controls)
        controller.notice.connect(self._on_notice)
        controller.stop_confirmed.connect(self._on_stop_confirmed)
        controller.disconnected.connect(self._on_disconnected)
        controller.busy_changed.connect(self._on_busy)
        controller.stop_sent.connect(self._stop_sent, Qt.ConnectionType.DirectConnection)
        self._fill_slots()
        self._show_idle()

    def _build_choice(self) -> QWidget:
        box = QGroupBox("Program to try")
        box.setMinimumWidth(320)
        self.slot_box = QComboBox()
        self.slot_box.setToolTip("The device's program slot to run one therapy session of.")
        self.slot_box.activated.connect(lambda _index: self.read())
        self.read_button = QPushButton("Read slot")
        self.read_button.setToolTip("Read the slot's program from the device again.")
        self.read_button.clicked.connect(self.read)
        row = QHBoxLayout()
        row.addWidget(QLabel("Slot"))
        row.addWidget(self.slot_box, 1)
        row.addWidget(self.read_button)
        self.program_text = QLabel()
        self.program_text.setWordWrap(True)
        self.program_text.setTextFormat(Qt.TextFormat.PlainText)
        self.program_text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.findings = QLabel()
        self.findings.setWordWrap(True)
        self.findings.setTextFormat(Qt.TextFormat.RichText)
        self.start_button = QPushButton("Start therapy session")
        self.start_button.setMinimumHeight(44)
        self.start_button.setToolTip("Read the slot again, check it, measure the pairs in use, "
                                     "then start one therapy session. STOP, Esc or Space stops "
                                     "it at once.")
        self.start_button.clicked.connect(self.start)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setObjectName("findingInfo")
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.program_text)
        layout.addWidget(self.findings)
        layout.addStretch(1)
        layout.addWidget(self.start_button)
        layout.addWidget(self.hint)
        return box

    def _build_live(self) -> QWidget:
        box = QGroupBox("On the device")
        self.banner = QLabel()
        self.banner.setObjectName("stateLabel")
        self.banner.setWordWrap(True)
        self.banner.setFixedHeight(2 * self.banner.fontMetrics().lineSpacing() + 30)
        self.phase = QLabel()
        self.phase.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.phase.setToolTip("The phase of the cycle the device reports now.")
        self.cycle = QLabel()
        self.cycle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.currents = QLabel()
        self.currents.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.currents.setToolTip("From the device's telemetry: delivered current falls below "
                                 "the set current when the compliance limit is reached.")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setMinimumHeight(3 * self.message.fontMetrics().lineSpacing() + 6)
        self.plot = TherapyPlot()
        self.plot.setMinimumHeight(200)
        layout = QVBoxLayout(box)
        layout.addWidget(self.banner)
        layout.addWidget(self.phase)
        layout.addWidget(self.cycle)
        layout.addWidget(self.currents)
        layout.addWidget(self.message)
        layout.addWidget(self.plot, 1)
        return box

    # -- the slot ---------------------------------------------------------------------------

    def _fill_slots(self) -> None:
        device = self._context.model.device
        count = device.identity.program_slots if device is not None else 4
        if self.slot_box.count() != count:
            self.slot_box.clear()
            self.slot_box.addItems([f"slot {slot}" for slot in range(count)])
        self.slot_box.setCurrentIndex(min(self._context.model.session.slot, count - 1))

    @property
    def slot(self) -> int:
        return max(0, self.slot_box.currentIndex())

    def read(self) -> None:
        """Read the chosen slot from the device and judge it, on the controller's thread."""
        if self._context.model.device is None or self._running or self._starting:
            return
        session = self._context.model.session
        engine, integrity, slot = session.engine, session.integrity, self.slot
        self.program_text.setText(f"Reading slot {slot} …")
        self.findings.setText("")
        self._context.controller.run(
            READ, lambda client: _read_or_why(client, engine, integrity, slot), self._read,
            on_failed=lambda message: self._read(f"slot {slot} could not be read: {message}"))

    def _read(self, outcome: SlotProgram | str) -> None:
        if isinstance(outcome, str):
            self._judged = None
            self.program_text.setText(_sentence(outcome))
            self.findings.setText("")
        else:
            self._show_program(outcome)
        self._refresh_controls()

    def _show_program(self, judged: SlotProgram) -> None:
        self._judged = judged
        self.program_text.setText("\n".join(program_lines(judged.program)))
        lines = [f"<p style='margin:3px 0; color:{_COLOUR_OF[finding.severity]}'>"
                 f"<b>{finding.severity.value.upper()}</b> {html.escape(finding.message)}</p>"
                 for finding in judged.assessment.findings]
        self.findings.setText("".join(lines) or "The safety engine finds nothing to note.")

    # -- start ------------------------------------------------------------------------------

    def start(self) -> None:
        if not self.start_button.isEnabled():
            return
        session = self._context.model.session
        trial = TherapyTrial(session.engine, self.slot, keeper_for(self._context))
        self._trial = trial
        self._starting = True
        self._early_end = None
        self._say(f"Starting slot {trial.slot} …", "findingInfo")
        self._refresh_controls()
        integrity = session.integrity
        self._context.controller.run(START, lambda client: trial.start(client, integrity),
                                     self._started, on_failed=self._start_failed)

    def _stop_sent(self, _at: float) -> None:
        """On the STOP thread itself, before STOP goes out: a start on its way yields."""
        trial = self._trial
        if trial is not None:
            trial.note_stop()

    def _started(self, outcome: StartResult) -> None:
        self._starting = False
        trial = self._trial
        if outcome.check is not None and outcome.check.measured:
            self._context.model.session.measured(outcome.check.records,
                                                 outcome.check.fault_flags)
            self._context.model.notify_impedance()
        if trial is not None and trial.judged is not None:
            self._show_program(trial.judged)
        if not outcome.started or trial is None:
            self._say(f"Not started: {_sentence(outcome.reason)}", "findingBlock")
            self._refresh_controls()
            return
        self._running = True
        self._tracker = trial.tracker()
        self._context.model.set_state(DeviceState.THERAPY)
        self.plot.start()
        self._show_running(trial)
        self._say(f"Therapy session running; {outcome.note()}. STOP, Esc or Space stops at "
                  f"once.", "findingInfo")
        if self._early_end is not None:
            self._end(self._early_end)

    def _start_failed(self, message: str) -> None:
        if self._starting:
            self._starting = False
            self._say(f"Not started: {message}", "findingBlock")
            self._refresh_controls()

    # -- while it runs ----------------------------------------------------------------------

    def _on_notice(self, notice: object) -> None:
        if isinstance(notice, StimTelemetry):
            if self._running and self._tracker is not None:
                self.plot.add(notice)
                change = self._tracker.add(notice)
                if change is not None:
                    self._show_phase(change)
        elif isinstance(notice, StimStopped) and (not self._starting or self._stop_noted()):
            self._ended_by_device(stop_reason_text(notice.reason))

    def _show_phase(self, change: PhaseChange) -> None:
        self.phase.setText(phase_text(change.phase))
        self.phase.setStyleSheet(_PHASE_STYLE.format(phase_colour(change.phase)))
        judged = self._trial.judged if self._trial is not None else None
        timing = f" of about {cycle_count(judged.program)}" if judged is not None else ""
        self.cycle.setText(f"cycle {change.cycle}{timing}, {change.at_s:.0f} s since the start")
        self.currents.setText("; ".join(sample.text() for sample in change.leads))

    def _on_stop_confirmed(self, previous: int) -> None:
        if previous == DeviceState.THERAPY and self._stop_noted():
            self._ended_by_device(stop_reason_text(StopReason.STOP_REQUEST))

    def _stop_noted(self) -> bool:
        return self._trial is not None and self._trial.stop_noted

    def _on_device_changed(self) -> None:
        model = self._context.model
        if not self._running and not self._starting:
            self._fill_slots()
        # STIM_STOPPED normally says why first; events may be lost, the status not.
        if self._running and not self._starting and model.device is not None \
                and model.state_name != "THERAPY":
            why = "the device reports it is no longer stimulating"
            if model.device.status.last_stop_reason in StopReason._value2member_map_:
                why += f" (last stop: {stop_reason_text(model.device.status.last_stop_reason)})"
            self._end(why)
        self._refresh_controls()

    def _on_disconnected(self, reason: str) -> None:
        self._ended_by_device(f"link lost ({reason or 'disconnected'}); the device goes on "
                              f"with the session until it ends: reconnect and STOP")

    def _ended_by_device(self, why: str) -> None:
        if self._starting:
            self._early_end = why
        elif self._running:
            self._end(why)

    def _end(self, why: str) -> None:
        trial = self._trial
        self._running = False
        self.plot.stop()
        self._show_idle()
        self._say(f"Therapy session ended: {why}.", "findingConfirm")

        def not_noted(problem: str | None) -> None:
            if problem:
                self._say(f"Therapy session ended: {why}. The end could NOT be noted in the "
                          f"clinical record: {problem}", "findingBlock")

        if trial is not None:
            self._records.run(lambda: trial.record_end(why), on_done=not_noted,
                              on_error=not_noted)

    # -- showing ----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._running and not self._starting:
            self._fill_slots()
            self.read()

    def _show_running(self, trial: TherapyTrial) -> None:
        show_stimulating(self.banner, f"THERAPY SESSION RUNNING — slot {trial.slot}")
        self.phase.setText("starting …")
        self.phase.setStyleSheet(_PHASE_STYLE.format(INFO_GREY))
        self._refresh_controls()

    def _show_idle(self) -> None:
        show_not_stimulating(self.banner)
        self.phase.setText("—")
        self.phase.setStyleSheet(_PHASE_STYLE.format(INFO_GREY))
        self.cycle.setText("")
        self.currents.setText("")
        self._refresh_controls()

    def _on_busy(self, operation: str) -> None:
        self._device_busy = operation not in ("", "status")
        self._refresh_controls()

    def _refresh_controls(self) -> None:
        model = self._context.model
        allowed = self._context.may(Action.PROGRAM_DEVICE)
        connected = model.device is not None
        idle = model.state_name == "IDLE"
        quiet = not self._running and not self._starting
        self.slot_box.setEnabled(quiet)
        self.read_button.setEnabled(connected and quiet and not self._device_busy)
        judged = self._judged
        drawn = self._drawing_shows_the_slot()
        self.start_button.setEnabled(allowed and connected and idle and quiet and drawn
                                     and not self._device_busy
                                     and judged is not None and not judged.blocked)
        if not allowed:
            hint = "Your role may not start a therapy session (clinicians only)."
        elif not connected:
            hint = "Connect a device to try a program."
        elif quiet and not idle:
            state = model.state_name.replace("_", " ").lower()
            hint = f"The device is busy ({state}): start when it is idle."
        elif judged is not None and judged.blocked:
            hint = "The safety engine blocks this program: it is not started."
        elif judged is None:
            hint = "Read a slot that holds a program."
        elif not drawn:
            shown = model.session.slot
            hint = (f"The leads drawing shows slot {shown} as on the Program tab. To try slot "
                    f"{self.slot}, show it on the Program tab; to try slot {shown}, write or "
                    "discard its changes there first, so the drawing shows what runs.")
        else:
            hint = "Starts one session of this slot, as the patient's activator would."
        self.hint.setText(hint)

    def _drawing_shows_the_slot(self) -> bool:
        """The leads drawing shows the Program tab's slot as on screen: a session may run only
        when that is what the device runs, so the drawing never shows other electrodes."""
        session = self._context.model.session
        return session.slot == self.slot and session.state is ScreenState.IN_SYNC

    def _say(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setObjectName(style)
        self._repolish(self.message)

    @staticmethod
    def _repolish(label: QLabel) -> None:
        label.style().unpolish(label)
        label.style().polish(label)


def _read_or_why(client: DeviceClient, engine: SafetyEngine, integrity: LeadIntegrity,
                 slot: int) -> SlotProgram | str:
    """On the device thread: the judged slot, or why it holds nothing to start."""
    try:
        return read_slot(client, engine, integrity, slot)
    except SlotUnusable as exc:
        return str(exc)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
