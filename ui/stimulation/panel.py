"""The Test stimulation tab: choose a pair, start low, titrate the amplitude, watch the current.

Before the start everything is on screen only and checked by the safety engine
(``TestStimSetup``). Once the device confirms the start only the amplitude moves
(buttons, or Up/Down while this tab has focus); every increase is checked first, by the
safety engine and by the titration pace (increases at least the clinic's interval apart,
counted from when each one really went out), and a refused step is explained, not sent.
A held key is one press: its auto-repeats never raise the amplitude. Whatever ends the
stimulation (STOP, the device's own duration, its watchdog, a fault, a lost link), the
tab says why and the clinical record notes it, off the GUI thread; it then shows the
highest amplitude the run reached, which one button carries into the program on screen
(for the Program tab to judge, write and verify). While the tab is shown or a test runs,
the drawing of the leads shows the test's pair (``SessionModel.test_pair``). The sequence itself
(measure first, record, start, titrate, note the end) is the command line's too:
``console.stimulation.session``; this tab shows it and runs its device steps on the
controller's thread.
"""

from __future__ import annotations

import dataclasses
import time
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.accounts import Action
from console.leads.integrity import stimulus_pairs, with_integrity
from console.leads.naming import on_lead, polarised_pair_name
from console.programming.program import TestStimulus
from console.safety import Assessment
from console.safety.titration_pace import Clock
from console.stimulation.compliance import compliance_limit
from console.stimulation.on_leads import TestPair
from console.stimulation.session import StimulationSession
from console.stimulation.start import StartResult
from console.stimulation.stopping import WATCHDOG, stop_reason_text
from device_link.messages import StimStopped, StimTelemetry
from device_link.protocol import DeviceState, StopReason
from ui.common.held_keys import HeldKeyGuard
from ui.common.theme import INFO_GREY, STOP_RED
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks, keeper_for
from ui.stimulation.banner import show_not_stimulating, show_stimulating
from ui.stimulation.marks import TitrationMarks
from ui.stimulation.marks_table import MARK_KEYS
from ui.stimulation.setup import TestStimSetup
from ui.stimulation.telemetry_plot import TelemetryPlot
from ui.stimulation.titrated import TitrationResult, show_program_tab

PANEL_TITLE = "Test stimulation"
START = "test stimulation"
ADJUST = "amplitude"
_BIG = "font-size: 34pt; font-weight: bold; color: {};"


def create(context: WindowContext) -> QWidget:
    return TestStimPanel(context)


class TestStimPanel(QWidget):

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self._running: TestStimulus | None = None  # what the device confirmed it delivers
        self._stimulation: StimulationSession | None = None  # the latest start's sequence
        self._starting = False
        self._early_stop: str | None = None  # a stop that overtook the start's reply
        self._adjusting = False
        self._attached = False  # whether the session holds a device's facts
        self._device_busy = False  # another operation holds the device (status polls aside)
        self.clock: Clock = time.monotonic  # of the pace; tests move their own by hand
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        draft = context.model.session.draft
        self.setup = TestStimSetup(draft.frequency_hz, draft.leads[0].pulse_width_us)
        self.setup.changed.connect(self.evaluate)
        self.setup.start_button.clicked.connect(self.start)
        self.setup.lead.currentIndexChanged.connect(self._lead_changed)
        self.marks = TitrationMarks(context, lambda: (self._running, self._adjusting))
        left = QVBoxLayout()
        left.addWidget(self.setup, 1)
        left.addWidget(self.marks, 0)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 0)
        layout.addWidget(self._build_live(), 1)

        self._raise_key = QShortcut(QKeySequence(Qt.Key.Key_Up), self, self.raise_amplitude,
                                    context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._lower_key = QShortcut(QKeySequence(Qt.Key.Key_Down), self, self.lower_amplitude,
                                    context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for key in (self._raise_key, self._lower_key):
            key.setAutoRepeat(False)  # auto-repeated presses (isAutoRepeat) never step
        self._held_keys = HeldKeyGuard(self, (Qt.Key.Key_Up, Qt.Key.Key_Down, *MARK_KEYS))

        model, controller = context.model, context.controller
        model.device_changed.connect(self._on_device_changed)
        model.impedance_changed.connect(self.evaluate)
        model.draft_changed.connect(self._follow_program)
        controller.notice.connect(self._on_notice)
        controller.stop_confirmed.connect(self._on_stop_confirmed)
        controller.disconnected.connect(self._on_disconnected)
        controller.busy_changed.connect(self._on_busy)
        controller.stop_sent.connect(self._stop_sent, Qt.ConnectionType.DirectConnection)
        self.reset_start_values()
        self._show_idle("")

    def _build_live(self) -> QWidget:
        box = QGroupBox("On the device")
        self.banner = QLabel()
        self.banner.setObjectName("stateLabel")
        self.banner.setWordWrap(True)
        # room for two lines either way: a longer banner never moves the buttons below
        self.banner.setFixedHeight(2 * self.banner.fontMetrics().lineSpacing() + 30)
        self.amplitude_now = QLabel("—")
        self.amplitude_now.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.amplitude_now.setToolTip("The amplitude the device confirmed it is set to now.")
        self.delivered = QLabel()
        self.delivered.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.delivered.setToolTip("From the device's telemetry: delivered current falls below "
                                  "the set current when the compliance limit is reached.")
        self.delivered.setFixedHeight(self.delivered.fontMetrics().lineSpacing() + 6)
        self.lower_button = QPushButton("▼ Lower")
        self.raise_button = QPushButton("▲ Raise")
        self.lower_button.setToolTip("Lower the amplitude by one step (Down key). Always "
                                     "allowed.")
        self.raise_button.setToolTip("Raise the amplitude by one step (Up key), after the "
                                     "safety engine has checked the new amplitude.")
        self.raise_button.clicked.connect(self.raise_amplitude)
        self.lower_button.clicked.connect(self.lower_amplitude)
        for button in (self.raise_button, self.lower_button):
            button.setMinimumHeight(40)
        self.titrated = TitrationResult()
        self.titrated.button.clicked.connect(self.use_in_program)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setMinimumHeight(6 * self.message.fontMetrics().lineSpacing() + 6)
        self.compliance = QLabel()
        self.compliance.setWordWrap(True)
        self.compliance.setObjectName("findingInfo")
        self.plot = TelemetryPlot()
        self.plot.setMinimumHeight(110)
        buttons = QHBoxLayout()
        buttons.addWidget(self.lower_button)
        buttons.addWidget(self.raise_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.banner)
        layout.addWidget(self.amplitude_now)
        layout.addWidget(self.delivered)
        layout.addLayout(buttons)
        layout.addWidget(self.marks.keys)
        layout.addWidget(self.titrated)
        layout.addWidget(self.message)
        layout.addWidget(self.compliance)
        layout.addWidget(self.plot, 1)
        return box

    # -- before the start ------------------------------------------------------------------

    def reset_start_values(self) -> None:
        titration = self._context.model.session.engine.titration
        self.setup.set_titration(titration.start_max_ma, titration.step_max_ma)
        self.evaluate()

    def _lead_changed(self) -> None:
        """Another lead: its program's pair is the starting point again."""
        self.setup.pair_chosen = False
        self._follow_program()

    def _follow_program(self) -> None:
        """The set-up pair follows the program's on the chosen lead until chosen by hand."""
        if self._running is None and not self._starting:
            self.setup.follow_program(
                self._context.model.session.draft.leads[self.setup.lead.currentIndex()])

    def _impedances(self, stimulus: TestStimulus) -> dict[int, int | None]:
        """The pair's impedance measured on this connection, for the engine."""
        return self._context.model.session.integrity.engine_impedances(
            stimulus_pairs(stimulus))

    def _judge(self, stimulus: TestStimulus) -> Assessment:
        """The engine's assessment, with what is known of a pair not measured now: a pair last
        seen open, or a lead the device flags, blocks; any other is measured at the start."""
        session = self._context.model.session
        assessment = session.engine.check_test_start(stimulus, self._impedances(stimulus))
        return with_integrity(assessment, session.integrity, stimulus_pairs(stimulus),
                              session.profile, lambda _lead: "cathode")

    def evaluate(self) -> None:
        """The engine's word on the stimulus on screen (nothing to do while it runs)."""
        if self._running is None:
            stimulus = self.setup.evaluate(self._judge,
                                           self._context.may(Action.CONFIRM_SAFETY_FINDING))
            if stimulus is not None:
                self.compliance.setText(self._compliance(stimulus)[1])
        self._refresh_controls()

    def _compliance(self, stimulus: TestStimulus) -> tuple[float | None, str]:
        device = self._context.model.device
        if device is None:
            return None, ""
        return compliance_limit(device.limits, self._context.model.session.impedances,
                                stimulus)

    # -- start -----------------------------------------------------------------------------

    def start(self) -> None:
        """Judge what is on screen, then the console's start sequence on the device thread."""
        if not self.setup.start_button.isEnabled():
            return
        stimulus = self.setup.stimulus()
        confirmations = self.setup.confirmations()
        if isinstance(stimulus, str) or confirmations is None:
            return
        session = self._context.model.session
        stimulation = StimulationSession(
            session.engine, stimulus, keeper_for(self._context),
            acknowledged=[row.finding for row in self.setup.confirm_rows],
            confirmations=confirmations, clock=self.clock)
        refused = stimulation.judge(self._impedances(stimulus))
        if refused is not None:
            self._say(f"Not started: {refused.reason}", "findingBlock")
            return
        self._stimulation = stimulation
        self._starting = True
        self._early_stop = None
        self.titrated.clear()
        self.setup.take_note()
        self._say("Starting …", "findingInfo")
        self._refresh_controls()
        integrity = session.integrity
        self._context.controller.run(
            START, lambda client: stimulation.start(client, integrity), self._started,
            on_failed=self._start_failed)

    def _stop_sent(self, _at: float) -> None:
        """On the STOP thread itself, before STOP goes out: a start on its way yields."""
        stimulation = self._stimulation
        if stimulation is not None:
            stimulation.note_stop()

    def _started(self, outcome: StartResult) -> None:
        self._starting = False
        if outcome.check is not None and outcome.check.measured:
            self._context.model.session.measured(outcome.check.records,
                                                 outcome.check.fault_flags)
            self._context.model.notify_impedance()
        stimulation = self._stimulation
        if not outcome.started or stimulation is None:
            self._say(f"Not started: {outcome.reason}", "findingBlock")
            self.evaluate()
            return
        self._running = stimulation.current
        self._context.model.set_state(DeviceState.TEST_STIM)
        limit_ma, text = self._compliance(stimulation.current)
        self.compliance.setText(text)
        self.plot.start(limit_ma)
        self._show_running()
        self._say(f"Stimulating; {outcome.note()}. Raise with ▲ or the Up key (increases at "
                  f"least {stimulation.pace.min_interval_s} s apart), lower with ▼ or Down. "
                  "STOP, Esc or Space stops at once.", "findingInfo")
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        if self._early_stop is not None:
            self._end(self._early_stop)

    # -- titration -------------------------------------------------------------------------

    def raise_amplitude(self) -> None:
        self._adjust(+1)

    def lower_amplitude(self) -> None:
        self._adjust(-1)

    def _adjust(self, direction: int) -> None:
        current, stimulation = self._running, self._stimulation
        if current is None or stimulation is None:
            return
        if self._adjusting:
            self._say("The previous change is still being sent.", "findingInfo")
            return
        step = self.setup.step_ma()
        if isinstance(step, str):
            self._say(f"Not sent: {step}", "findingBlock")
            return
        target = current.amplitude_ma + direction * step
        if direction < 0:
            target = max(target, Decimal("0.0"))  # lowering stops at nothing
            if target == current.amplitude_ma:
                return
        change = stimulation.adjustment(target, self._impedances(current))
        if not change.allowed:
            self._say(f"Not sent — amplitude stays at {current.amplitude_ma} mA. {change.why}"
                      if change.refused else f"Not sent: {change.why}", "findingBlock")
            return
        self._adjusting = True
        self._context.controller.run(
            ADJUST, lambda client: stimulation.adjust(client, change), self._adjusted,
            on_failed=self._adjust_failed)

    def _adjusted(self, now: Decimal) -> None:
        self._adjusting = False
        if self._running is None:
            return
        self._running = dataclasses.replace(self._running, amplitude_ma=now)
        self._show_running()
        self._say(f"Amplitude now {now} mA (confirmed by the device).", "findingInfo")

    # -- the end ---------------------------------------------------------------------------

    def use_in_program(self) -> None:
        """Carry the last run into the program on screen, then show the Program tab."""
        if self._running is None and not self._starting:
            said = self.titrated.carry(self._context.model)
            if said:
                self._say(said, "findingInfo")
                show_program_tab(self)

    def _on_notice(self, notice: object) -> None:
        if isinstance(notice, StimTelemetry):
            if self._running is not None and notice.lead == self._running.lead:
                self.plot.add(notice)
                self.delivered.setText(f"delivered {notice.amp_delivered_ua / 1000:.2f} mA "
                                       f"(set {notice.amp_set_ua / 1000:.2f} mA)")
        elif isinstance(notice, StimStopped) and (not self._starting or self._stop_noted()):
            # Events come in the device's order, so one seen before this start is answered
            # is an earlier run's late word; a device-side end of this run in that gap shows
            # in the next status read (the screen errs towards "stimulating", never away).
            self._ended_by_device(stop_reason_text(notice.reason))

    def _on_stop_confirmed(self, previous: int) -> None:
        # A confirmation for a STOP sent before this run began is an earlier run's.
        if previous == DeviceState.TEST_STIM and self._stop_noted():
            self._ended_by_device(stop_reason_text(StopReason.STOP_REQUEST))

    def _stop_noted(self) -> bool:
        stimulation = self._stimulation
        return stimulation is not None and stimulation.stop_noted

    def _on_device_changed(self) -> None:
        model = self._context.model
        device = model.device
        if (device is not None) != self._attached:  # a device's limits came or went
            self._attached = device is not None
            self.reset_start_values()
        if self._running is None and not self._starting:
            self.setup.set_electrodes(model.electrodes_per_lead)
            self._follow_program()
        # The STIM_STOPPED event normally says why first; events may be lost, the status not.
        if (self._running is not None and not self._starting and device is not None
                and model.state_name != "TEST_STIM"):
            why = "the device reports it is no longer stimulating"
            if device.status.last_stop_reason in StopReason._value2member_map_:
                why += f" (last stop: {stop_reason_text(device.status.last_stop_reason)})"
            self._end(why)
        self._refresh_controls()

    def _on_disconnected(self, reason: str) -> None:
        self._ended_by_device(f"link lost ({reason or 'disconnected'}); {WATCHDOG}")

    def _ended_by_device(self, why: str) -> None:
        if self._starting:
            self._early_stop = why
        elif self._running is not None:
            self._end(why)

    def _end(self, why: str) -> None:
        stimulation = self._stimulation
        self._running = None
        self._adjusting = False
        self.plot.stop()
        self._show_idle(why)
        self.setup.clear_confirmations()
        if stimulation is not None:  # the highest reached, offered to the program
            run = stimulation.current
            self.titrated.show_run(run, stimulation.highest_ma,
                                   self._context.model.session.draft.leads[run.lead])

        def not_noted(problem: str | None) -> None:
            if problem:
                self._say(f"Test stimulation ended: {why}. The end could NOT be noted in the "
                          f"clinical record: {problem}", "findingBlock")

        if stimulation is not None:
            self._records.run(lambda: stimulation.record_end(why), on_done=not_noted,
                              on_error=not_noted)
        self.evaluate()

    def _adjust_failed(self, message: str) -> None:
        self._adjusting = False
        if self._running is not None:
            self._say(f"Not applied — amplitude stays at {self._running.amplitude_ma} mA: "
                      f"{message}.", "findingBlock")

    def _start_failed(self, message: str) -> None:
        if self._starting:
            self._starting = False
            self._say(f"Not started: {message}", "findingBlock")
            self.evaluate()

    # -- showing ---------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """T, C and M mark; a focused text field keeps its letters, so they never reach here."""
        if not self.marks.handle_key(event):
            super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._publish()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._publish()

    def _publish(self) -> None:
        """What the drawing of the leads shows: the test's pair while a test starts or runs,
        the set-up pair while this tab is shown, else the program's."""
        stimulation = self._stimulation
        pair: TestPair | None = None
        if stimulation is not None and (self._running is not None or self._starting):
            pair = TestPair.of(self._running or stimulation.current, live=True)
        elif self.isVisible():
            pair = self.setup.pair_on_screen()
        self._context.model.show_test_pair(pair)

    def _show_running(self) -> None:
        stimulus = self._running
        assert stimulus is not None
        where = on_lead(stimulus.lead, polarised_pair_name(stimulus.anode, stimulus.cathode))
        show_stimulating(self.banner, f"STIMULATING {where}, {stimulus.frequency_hz}\u00a0Hz, "
                         f"{stimulus.pulse_width_us}\u00a0µs; stops by itself after "
                         f"{stimulus.duration_s}\u00a0s")
        self.amplitude_now.setText(f"{stimulus.amplitude_ma} mA")
        self.amplitude_now.setStyleSheet(_BIG.format(STOP_RED))
        self._refresh_controls()

    def _show_idle(self, why: str) -> None:
        show_not_stimulating(self.banner)
        self.amplitude_now.setText("0 mA")
        self.amplitude_now.setStyleSheet(_BIG.format(INFO_GREY))
        self.delivered.setText("")
        if why:
            self._say(f"Test stimulation ended: {why}.", "findingConfirm")
        self._refresh_controls()

    def _on_busy(self, operation: str) -> None:
        self._device_busy = operation not in ("", "status", ADJUST)
        self._refresh_controls()

    def _refresh_controls(self) -> None:
        model = self._context.model
        running = self._running is not None
        allowed = self._context.may(Action.TEST_STIMULATION)
        connected = model.device is not None
        self.setup.lock(not allowed or running or self._starting)
        self._raise_key.setEnabled(running)
        self._lower_key.setEnabled(running)
        step = self.setup.step_ma()
        step_text = f" {step} mA" if not isinstance(step, str) else ""
        self.raise_button.setText(f"▲ Raise{step_text}  (Up)")
        self.lower_button.setText(f"▼ Lower{step_text}  (Down)")
        self.raise_button.setEnabled(running)
        self.lower_button.setEnabled(self._running is not None
                                     and self._running.amplitude_ma > 0)
        idle = model.state_name == "IDLE"
        self.setup.start_button.setEnabled(allowed and connected and idle and not running
                                           and not self._starting and not self._device_busy
                                           and self.setup.ready())
        if not allowed:
            hint = "Your role may not deliver test stimulation."
        elif not connected:
            hint = "Connect a device to start test stimulation."
        elif not running and not self._starting and not idle:
            state = model.state_name.replace("_", " ").lower()
            hint = f"The device is busy ({state}): start when it is idle."
        elif self._device_busy and not running and not self._starting:
            hint = "The device is busy with another operation: start when it is done."
        else:
            hint = self.setup.note
        self.setup.hint.setText(hint)
        self.marks.refresh()
        self._publish()

    def _say(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setObjectName(style)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
