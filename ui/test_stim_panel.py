"""The Test stimulation tab: choose a pair, start low, titrate the amplitude, watch the current.

Before the start everything is on screen only and checked by the safety engine; a
finding that needs confirmation is confirmed here, with a reason, before anything is
sent, because nothing is confirmed while stimulating. Once the device confirms the
start only the amplitude moves (buttons, or Up/Down while this tab has focus); every
increase is checked first and a refused step is explained, not sent. Whatever ends the
stimulation (STOP, the device's own duration, its watchdog, a fault, a lost link), the
tab says why and the clinical record notes it, off the GUI thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.accounts import AccessError, Action
from console.audit.events import AuditEvent
from console.device_facts import STOP_REASON_TEXT
from console.device_recording import DeviceRecorder
from console.program import UA_PER_MA, NotRepresentable, TestStimulus, from_device_units
from console.safety import SafetyRefusal, Verdict
from console.safety.verdict import Finding, Severity
from console.storage import Confirmation, RecordError
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError
from device_link.messages import StimStopped, StimTelemetry, TestStimStart
from device_link.protocol import DeviceState, StopReason

from .context import WindowContext
from .record_tasks import RecordTasks, recorder_for
from .telemetry_plot import TelemetryPlot
from .theme import INFO_GREY, OK_GREEN, STOP_RED

PANEL_TITLE = "Test stimulation"
START = "test stimulation"
ADJUST = "amplitude"
DEFAULT_DURATION_S = 60
LEAD_CHOICES = ("Left lead", "Right lead")
_FINDING_STYLE = {Severity.BLOCK: "findingBlock", Severity.CONFIRM: "findingConfirm",
                  Severity.INFO: "findingInfo"}


def create(context: WindowContext) -> QWidget:
    return TestStimPanel(context)


def stop_reason_text(reason: int) -> str:
    try:
        return STOP_REASON_TEXT[StopReason(reason)]
    except (ValueError, KeyError):
        return f"stopped by the device (reason {reason})"


@dataclass(frozen=True, slots=True)
class _Started:
    stimulus: TestStimulus
    serial: str
    note: str  # how the record took it


@dataclass(frozen=True, slots=True)
class _NotStarted:
    reason: str


class _ConfirmRow(QWidget):
    """One finding to confirm before the start: the sentence, a tick and a reason."""

    def __init__(self, finding: Finding, may_confirm: bool,
                 on_change: Callable[[], None]) -> None:
        super().__init__()
        self.finding = finding
        text = QLabel(finding.message)
        text.setObjectName("findingConfirm")
        text.setWordWrap(True)
        self.tick = QCheckBox("I confirm this" if may_confirm
                              else "Needs a clinician's confirmation")
        self.tick.setEnabled(may_confirm)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("reason (kept in the clinical record)")
        self.reason.setEnabled(may_confirm)
        self.tick.toggled.connect(on_change)
        self.reason.textChanged.connect(on_change)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(text, 0, 0, 1, 2)
        layout.addWidget(self.tick, 1, 0)
        layout.addWidget(self.reason, 1, 1)

    @property
    def confirmed(self) -> bool:
        return self.tick.isChecked() and bool(self.reason.text().strip())

    def confirmation(self) -> Confirmation:
        return Confirmation(self.finding.rule, self.finding.message, self.reason.text().strip())


def _edit(text: str, tooltip: str) -> QLineEdit:
    edit = QLineEdit(text)
    edit.setToolTip(tooltip)
    edit.setMaximumWidth(110)
    return edit


class TestStimPanel(QWidget):
    __test__ = False  # not a pytest class

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self._running: TestStimulus | None = None  # what the device confirmed it delivers
        self._serial: str | None = None
        self._starting = False
        self._early_stop: str | None = None  # a stop that overtook the start's reply
        self._adjusting = False
        self._confirm_rows: list[_ConfirmRow] = []
        self._verdict = Verdict()
        self._electrode_note = ""
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        layout = QHBoxLayout(self)
        layout.addWidget(self._build_setup(), 0)
        layout.addWidget(self._build_live(), 1)

        self._raise_key = QShortcut(QKeySequence(Qt.Key.Key_Up), self, self.raise_amplitude,
                                    context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._lower_key = QShortcut(QKeySequence(Qt.Key.Key_Down), self, self.lower_amplitude,
                                    context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for key in (self._raise_key, self._lower_key):
            key.setAutoRepeat(False)  # one press, one step: holding a key never runs away

        model, controller = context.model, context.controller
        model.device_changed.connect(self._on_device_changed)
        model.impedance_changed.connect(self.evaluate)
        controller.connected.connect(lambda _facts: self.reset_start_values())
        controller.notice.connect(self._on_notice)
        controller.stop_confirmed.connect(self._on_stop_confirmed)
        controller.disconnected.connect(self._on_disconnected)
        controller.failed.connect(self._on_failed)
        self.reset_start_values()
        self._show_idle("")

    # -- building --------------------------------------------------------------------------

    def _build_setup(self) -> QWidget:
        box = QGroupBox("Set up — on screen only until you press Start")
        box.setMaximumWidth(430)
        self.lead = QComboBox()
        self.lead.addItems(LEAD_CHOICES)
        self.lead.setToolTip("The lead to test: left or right multifidus.")
        self.anode = QComboBox()
        self.cathode = QComboBox()
        for combo in (self.anode, self.cathode):
            combo.addItems([f"E{n}" + (" (tip)" if n == 0 else "") for n in range(4)])
        self.anode.setCurrentIndex(1)
        self.cathode.setCurrentIndex(2)
        self.anode.setToolTip("Anode (+): the contact the current returns through.")
        self.cathode.setToolTip("Cathode (−): the contact that stimulates the nerve. E0 is "
                                "the tip of the lead.")
        draft = self._context.model.session.draft
        self.frequency = _edit(str(draft.frequency_hz),
                               "Pulses per second. Around 20 Hz gives a smooth, fused "
                               "contraction of the multifidus.")
        self.pulse_width = _edit(str(draft.leads[0].pulse_width_us),
                                 "Duration of each pulse phase. Wider pulses recruit more "
                                 "fibres at the same amplitude and carry more charge.")
        self.duration = _edit(str(DEFAULT_DURATION_S),
                              "The device stops by itself after this many seconds, whatever "
                              "happens to the console.")
        self.amplitude = _edit("", "The amplitude the test starts at: never above the start "
                                   "limit. Raise it in small steps once stimulation runs.")
        self.step = _edit("", "How much one press of Raise (or the Up key) adds; Lower (Down) "
                              "takes the same off. Never more than the titration step limit.")
        self.start_hint = QLabel()
        self.start_hint.setObjectName("findingInfo")
        self.start_hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Lead", self.lead)
        form.addRow("Anode (+)", self.anode)
        form.addRow("Cathode (−)", self.cathode)
        form.addRow("Frequency (Hz)", self.frequency)
        form.addRow("Pulse width (µs)", self.pulse_width)
        form.addRow("Duration (s)", self.duration)
        form.addRow("Start amplitude (mA)", self.amplitude)
        form.addRow("Step (mA)", self.step)
        self.findings = QVBoxLayout()
        self.confirm_area = QVBoxLayout()
        self.start_button = QPushButton("Start test stimulation")
        self.start_button.setToolTip("Checks everything once more, records the start in the "
                                     "clinical record, then starts the device.")
        self.start_button.clicked.connect(self.start)
        layout = QVBoxLayout(box)
        layout.addLayout(form)
        layout.addWidget(self.start_hint)
        layout.addLayout(self.findings)
        layout.addLayout(self.confirm_area)
        layout.addStretch(1)
        layout.addWidget(self.start_button)

        for combo in (self.lead, self.anode, self.cathode):
            combo.currentIndexChanged.connect(self._electrodes_changed)
        for edit in (self.frequency, self.pulse_width, self.duration, self.amplitude,
                     self.step):
            edit.textChanged.connect(self.evaluate)
        self._setup_fields = (self.lead, self.anode, self.cathode, self.frequency,
                              self.pulse_width, self.duration, self.amplitude)
        return box

    def _build_live(self) -> QWidget:
        box = QGroupBox("On the device")
        self.banner = QLabel()
        self.banner.setObjectName("stateLabel")
        self.banner.setWordWrap(True)
        self.amplitude_now = QLabel("—")
        self.amplitude_now.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.amplitude_now.setStyleSheet("font-size: 34pt; font-weight: bold;")
        self.amplitude_now.setToolTip("The amplitude the device confirmed it is set to now.")
        self.delivered = QLabel()
        self.delivered.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.raise_button = QPushButton("▲ Raise")
        self.lower_button = QPushButton("▼ Lower")
        self.raise_button.clicked.connect(self.raise_amplitude)
        self.lower_button.clicked.connect(self.lower_amplitude)
        for button in (self.raise_button, self.lower_button):
            button.setMinimumHeight(40)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.compliance = QLabel()
        self.compliance.setWordWrap(True)
        self.compliance.setObjectName("findingInfo")
        self.plot = TelemetryPlot()
        self.plot.setMinimumHeight(180)
        buttons = QHBoxLayout()
        buttons.addWidget(self.lower_button)
        buttons.addWidget(self.raise_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.banner)
        layout.addWidget(self.amplitude_now)
        layout.addWidget(self.delivered)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.compliance)
        layout.addWidget(self.plot, 1)
        return box

    # -- the stimulus on screen ------------------------------------------------------------

    def reset_start_values(self) -> None:
        """Start amplitude and step back to the titration limits (device and clinic)."""
        titration = self._context.model.session.engine.titration
        self.amplitude.setText(str(titration.start_max_ma))
        self.step.setText(str(titration.step_max_ma))
        self.evaluate()

    def _electrodes_changed(self) -> None:
        if self._running is not None:
            return
        start = self._context.model.session.engine.titration.start_max_ma
        if self.amplitude.text().strip() != str(start):
            self._electrode_note = (f"Other electrodes: the start amplitude is back to "
                                    f"{start} mA.")
            self.amplitude.setText(str(start))
        self.evaluate()

    def stimulus(self) -> TestStimulus | str:
        """The stimulus on screen, or a sentence naming the field that is not a number."""
        whole = {"Frequency": (self.frequency, "Hz"), "Pulse width": (self.pulse_width, "µs"),
                 "Duration": (self.duration, "s")}
        values: dict[str, int] = {}
        for name, (edit, unit) in whole.items():
            text = edit.text().strip()
            try:
                values[name] = int(text)
            except ValueError:
                return f"{name}: {text!r} is not a whole number of {unit}."
        amplitude = _milliamps(self.amplitude.text(), "Start amplitude")
        if isinstance(amplitude, str):
            return amplitude
        return TestStimulus(self.lead.currentIndex(), self.anode.currentIndex(),
                            self.cathode.currentIndex(), values["Frequency"],
                            values["Pulse width"], amplitude, values["Duration"])

    def _impedances(self, stimulus: TestStimulus) -> dict[int, int | None]:
        return self._context.model.session.impedances.engine_impedances(
            {stimulus.lead: (stimulus.anode, stimulus.cathode)})

    def evaluate(self) -> None:
        """Check the stimulus on screen and show what the engine says, before any start."""
        if self._running is not None:
            return
        stimulus = self.stimulus()
        if isinstance(stimulus, str):
            self._verdict = Verdict()
            self._show_findings([], stimulus)
        else:
            engine = self._context.model.session.engine
            self._verdict = engine.check_test_start(stimulus, self._impedances(stimulus))
            self._show_findings(list(self._verdict.findings), "")
            self._show_compliance(stimulus)
        step_problem = self._step_problem()
        if step_problem:
            self._add_finding_label(step_problem, "findingBlock")
        self._sync_confirmations()
        self._refresh_controls()

    def _step_problem(self) -> str:
        step = _milliamps(self.step.text(), "Step")
        if isinstance(step, str):
            return step
        if step <= 0:
            return f"Step: {step} mA must be more than 0 mA."
        return ""

    def _show_findings(self, findings: list[Finding], problem: str) -> None:
        while self.findings.count():
            item = self.findings.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if problem:
            self._add_finding_label(problem, "findingBlock")
        for finding in findings:
            if finding.severity is not Severity.CONFIRM:  # those get their own rows
                self._add_finding_label(finding.message, _FINDING_STYLE[finding.severity])

    def _add_finding_label(self, text: str, style: str) -> None:
        label = QLabel(text)
        label.setObjectName(style)
        label.setWordWrap(True)
        self.findings.addWidget(label)

    def _sync_confirmations(self) -> None:
        wanted = list(self._verdict.confirmations)
        if [row.finding for row in self._confirm_rows] == wanted:
            return
        for row in self._confirm_rows:
            row.deleteLater()
        may_confirm = self._context.may(Action.CONFIRM_SAFETY_FINDING)
        self._confirm_rows = [_ConfirmRow(finding, may_confirm, self._refresh_controls)
                              for finding in wanted]
        for row in self._confirm_rows:
            self.confirm_area.addWidget(row)

    def _show_compliance(self, stimulus: TestStimulus) -> None:
        self.compliance.setText(self._compliance_text(stimulus)[1])

    def _compliance_text(self, stimulus: TestStimulus) -> tuple[float | None, str]:
        device = self._context.model.device
        pair = f"E{stimulus.anode}–E{stimulus.cathode}"
        measured, ohms = self._context.model.session.impedances.pair_ohms(
            stimulus.lead, stimulus.anode, stimulus.cathode)
        if device is None:
            return None, ""
        if not measured:
            return None, (f"Compliance limit unknown: pair {pair} has no impedance measurement "
                          "(Impedance tab).")
        if ohms is None or ohms == 0:
            return None, f"Pair {pair} measured open circuit: no current can flow."
        limit_ma = device.limits.compliance_mv / ohms
        return limit_ma, (f"Compliance limit {limit_ma:.1f} mA: the most the device can push "
                          f"through pair {pair} ({ohms} Ω) at "
                          f"{device.limits.compliance_mv / 1000:g} V.")

    # -- start -----------------------------------------------------------------------------

    def _confirmations(self) -> list[Confirmation] | None:
        if not all(row.confirmed for row in self._confirm_rows):
            return None
        return [row.confirmation() for row in self._confirm_rows]

    def start(self) -> None:
        if not self.start_button.isEnabled():
            return
        stimulus = self.stimulus()
        confirmations = self._confirmations()
        if isinstance(stimulus, str) or confirmations is None or self._step_problem():
            return
        engine = self._context.model.session.engine
        try:
            request = engine.approve_test_start(
                stimulus, impedances=self._impedances(stimulus),
                acknowledged=[row.finding for row in self._confirm_rows])
        except (SafetyRefusal, NotRepresentable) as exc:
            self._say(f"Not started: {exc}", "findingBlock")
            return
        self._starting = True
        self._early_stop = None
        self._electrode_note = ""
        self._say("Starting …", "findingInfo")
        self._refresh_controls()
        recorder = recorder_for(self._context)
        self._context.controller.run(
            START, lambda client: _start(client, recorder, stimulus, request, confirmations),
            self._started)

    def _started(self, outcome: _Started | _NotStarted) -> None:
        self._starting = False
        if isinstance(outcome, _NotStarted):
            self._say(f"Not started: {outcome.reason}", "findingBlock")
            self._refresh_controls()
            return
        self._running = outcome.stimulus
        self._serial = outcome.serial
        self._context.model.set_state(DeviceState.TEST_STIM)
        limit_ma, text = self._compliance_text(outcome.stimulus)
        self.compliance.setText(text)
        self.plot.start(limit_ma)
        self._show_running()
        self._say(f"Stimulating; {outcome.note}. Raise with ▲ or the Up key, lower with ▼ or "
                  "Down. STOP, Esc or Space stops at once.", "findingInfo")
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        if self._early_stop is not None:
            self._end(self._early_stop)

    # -- titration -------------------------------------------------------------------------

    def raise_amplitude(self) -> None:
        self._adjust(+1)

    def lower_amplitude(self) -> None:
        self._adjust(-1)

    def _adjust(self, direction: int) -> None:
        current = self._running
        if current is None:
            return
        if self._adjusting:
            self._say("The previous change is still being sent.", "findingInfo")
            return
        step = _milliamps(self.step.text(), "Step")
        if isinstance(step, str) or step <= 0:
            self._say(f"Not sent: {step if isinstance(step, str) else self._step_problem()}",
                      "findingBlock")
            return
        target = current.amplitude_ma + direction * step
        if direction < 0:
            target = max(target, Decimal("0.0"))  # lowering stops at nothing
            if target == current.amplitude_ma:
                return
        requested = dataclasses.replace(current, amplitude_ma=target)
        engine = self._context.model.session.engine
        verdict = engine.check_adjustment(current, requested,
                                          impedances=self._impedances(current))
        # Lowering is always allowed; an increase goes only when the engine is clear.
        refusal = verdict.blocks if direction < 0 else verdict.blocks + verdict.confirmations
        if refusal:
            why = " ".join(finding.message for finding in refusal)
            if direction > 0 and not verdict.blocked:
                why += " A confirmation is not taken while stimulating."
            self._say(f"Not sent — amplitude stays at {current.amplitude_ma} mA. {why}",
                      "findingBlock")
            return
        try:
            amp_ua = requested.amplitude_record()
        except NotRepresentable as exc:
            self._say(f"Not sent: {exc}", "findingBlock")
            return
        self._adjusting = True
        self._context.controller.run(ADJUST, lambda client: client.adjust_test_stim(amp_ua),
                                     self._adjusted)

    def _adjusted(self, amp_ua: int) -> None:
        self._adjusting = False
        if self._running is None:
            return
        now = from_device_units(amp_ua, UA_PER_MA)
        self._running = dataclasses.replace(self._running, amplitude_ma=now)
        self._show_running()
        self._say(f"Amplitude now {now} mA (confirmed by the device).", "findingInfo")

    # -- the end ---------------------------------------------------------------------------

    def _on_notice(self, notice: object) -> None:
        if isinstance(notice, StimTelemetry):
            if self._running is not None and notice.lead == self._running.lead:
                self.plot.add(notice)
                self.delivered.setText(f"delivered {notice.amp_delivered_ua / 1000:.2f} mA "
                                       f"(set {notice.amp_set_ua / 1000:.2f} mA)")
        elif isinstance(notice, StimStopped):
            self._ended_by_device(stop_reason_text(notice.reason))

    def _on_stop_confirmed(self, previous: int) -> None:
        if previous == DeviceState.TEST_STIM:
            self._ended_by_device(stop_reason_text(StopReason.STOP_REQUEST))

    def _on_device_changed(self) -> None:
        # The STIM_STOPPED event normally says why first; events may be lost, the status not.
        model = self._context.model
        device = model.device
        if (self._running is not None and not self._starting and device is not None
                and model.state_name != "TEST_STIM"):
            why = "the device reports it is no longer stimulating"
            if device.status.last_stop_reason in StopReason._value2member_map_:
                why += f" (last stop: {stop_reason_text(device.status.last_stop_reason)})"
            self._end(why)
        self._refresh_controls()

    def _on_disconnected(self, reason: str) -> None:
        if self._running is not None or self._starting:
            self._ended_by_device(f"link lost ({reason or 'disconnected'}); the device's "
                                  "watchdog stops test stimulation when the console falls "
                                  "silent")

    def _ended_by_device(self, why: str) -> None:
        if self._starting:
            self._early_stop = why
        elif self._running is not None:
            self._end(why)

    def _end(self, why: str) -> None:
        serial = self._serial
        self._running = None
        self._adjusting = False
        self.plot.stop()
        self._show_idle(why)
        recorder = recorder_for(self._context)
        if recorder is not None:
            self._records.run(
                lambda: recorder.record_stop(serial, f"test stimulation ended: {why}"),
                on_error=lambda message: self._say(
                    f"Test stimulation ended: {why}. The end could NOT be noted in the "
                    f"clinical record: {message}", "findingBlock"))
        self.evaluate()

    def _on_failed(self, operation: str, message: str) -> None:
        if operation == ADJUST:
            self._adjusting = False
            if self._running is not None:
                amplitude = self._running.amplitude_ma
                self._say(f"Not applied — amplitude stays at {amplitude} mA: {message}.",
                          "findingBlock")
        elif operation == START and self._starting:
            self._starting = False
            self._say(f"Not started: {message}", "findingBlock")
            self._refresh_controls()

    # -- showing ---------------------------------------------------------------------------

    def _show_running(self) -> None:
        stimulus = self._running
        assert stimulus is not None
        self.banner.setText(
            f"STIMULATING — {LEAD_CHOICES[stimulus.lead]}, anode E{stimulus.anode}, cathode "
            f"E{stimulus.cathode}, {stimulus.frequency_hz} Hz, {stimulus.pulse_width_us} µs; "
            f"stops by itself after {stimulus.duration_s} s")
        self.banner.setStyleSheet(f"background: #ffebee; color: {STOP_RED};")
        self.amplitude_now.setText(f"{stimulus.amplitude_ma} mA")
        self.amplitude_now.setStyleSheet(f"font-size: 34pt; font-weight: bold; color: "
                                         f"{STOP_RED};")
        self._refresh_controls()

    def _show_idle(self, why: str) -> None:
        self.banner.setText("NOT STIMULATING")
        self.banner.setStyleSheet(f"background: #e8f5e9; color: {OK_GREEN};")
        self.amplitude_now.setText("0 mA" if why else "—")
        self.amplitude_now.setStyleSheet(f"font-size: 34pt; font-weight: bold; color: "
                                         f"{INFO_GREY};")
        self.delivered.setText("")
        if why:
            self._say(f"Test stimulation ended: {why}.", "findingConfirm")
        self._refresh_controls()

    def _refresh_controls(self) -> None:
        model = self._context.model
        running = self._running is not None
        allowed = self._context.may(Action.TEST_STIMULATION)
        connected = model.device is not None
        for widget in self._setup_fields:
            widget.setEnabled(allowed and not running and not self._starting)
        self._raise_key.setEnabled(running)
        self._lower_key.setEnabled(running)
        step = _milliamps(self.step.text(), "Step")
        step_text = f" {step} mA" if not isinstance(step, str) else ""
        self.raise_button.setText(f"▲ Raise{step_text}  (Up)")
        self.lower_button.setText(f"▼ Lower{step_text}  (Down)")
        self.raise_button.setEnabled(running)
        self.lower_button.setEnabled(running and self._running is not None
                                     and self._running.amplitude_ma > 0)
        ready = (allowed and connected and not running and not self._starting
                 and model.state_name == "IDLE" and not self._verdict.blocked
                 and not isinstance(self.stimulus(), str) and not self._step_problem()
                 and self._confirmations() is not None)
        self.start_button.setEnabled(ready)
        if not allowed:
            hint = "Your role may not deliver test stimulation."
        elif not connected:
            hint = "Connect a device to start test stimulation."
        elif not running and not self._starting and model.state_name != "IDLE":
            state = model.state_name.replace("_", " ").lower()
            hint = f"The device is busy ({state}): start when it is idle."
        else:
            hint = self._electrode_note
        self.start_hint.setText(hint)

    def _say(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setObjectName(style)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)


def _milliamps(text: str, name: str) -> Decimal | str:
    """An exact number of mA, or a sentence saying why the text is not one."""
    text = text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"{name}: {text!r} is not a number of mA."
    if not value.is_finite():
        return f"{name}: {text!r} is not a number of mA."
    return value


def _start(client: DeviceClient, recorder: DeviceRecorder | None, stimulus: TestStimulus,
           request: TestStimStart, confirmations: list[Confirmation]) -> _Started | _NotStarted:
    """On the worker: note the start (and what was confirmed) in the record, then start.

    The record is written first so that nothing is delivered that the record does not
    show; if the device then does not start, the record says so.
    """
    assert client.identity is not None
    serial = client.identity.serial
    note = "NOT recorded: no clinical record is open"
    if recorder is not None:
        try:
            if confirmations:
                recorder.require(Action.CONFIRM_SAFETY_FINDING)
            for confirmation in confirmations:
                recorder.record.audit(AuditEvent.SAFETY_FINDING_CONFIRMED, recorder.actor, {
                    "device": serial, "visit": recorder.visit_id, "test_stimulation": True,
                    **confirmation.as_dict()})
            recorder.record_test_start(serial, stimulus)
        except (RecordError, AccessError) as exc:
            return _NotStarted(f"the clinical record refused the start ({exc}); nothing was "
                               "sent to the device")
        note = "start recorded in the clinical record"
    try:
        client.start_test_stim(request)
    except DeviceLinkError as exc:
        reason = str(exc)
        if recorder is not None:
            try:
                recorder.record_stop(serial, f"test stimulation did not start: {exc}")
            except RecordError as record_exc:
                reason += (f"; the clinical record shows the start but could not note that "
                           f"it failed ({record_exc})")
        return _NotStarted(reason)
    return _Started(stimulus, serial, note)
