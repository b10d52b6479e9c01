"""The set-up side of the Test stimulation tab: the stimulus on screen and what the engine
says about it, before anything is sent.

Values are typed into plain line edits, never spin boxes, so nothing is clamped: a value
out of range stays as typed and the safety engine's sentence names the field, the value
and the limit. A finding that needs confirmation gets a tick and a reason here, because
nothing can be confirmed once stimulation runs. The pair starts as the program's on the
chosen lead, anode and cathode as there, until the clinician chooses another.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.leads.naming import contact_name
from console.programming.program import LeadProgram, TestStimulus
from console.safety import Assessment
from console.safety.assessment import Finding, Severity
from console.stimulation.on_leads import TestPair
from console.storage import Confirmation

LEAD_CHOICES = ("Left lead", "Right lead")
DEFAULT_DURATION_S = 60
_FINDING_STYLE = {Severity.BLOCK: "findingBlock", Severity.CONFIRM: "findingConfirm",
                  Severity.INFO: "findingInfo"}


def milliamps(text: str, name: str) -> Decimal | str:
    """An exact number of mA, or a sentence saying why the text is not one."""
    text = text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"{name}: {text!r} is not a number of mA."
    if not value.is_finite():
        return f"{name}: {text!r} is not a number of mA."
    return value


class ConfirmRow(QWidget):
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
        self.tick.toggled.connect(lambda _checked: on_change())
        self.reason.textChanged.connect(lambda _text: on_change())
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(text, 0, 0)
        layout.addWidget(self.tick, 1, 0)
        layout.addWidget(self.reason, 2, 0)

    @property
    def confirmed(self) -> bool:
        return self.tick.isChecked() and bool(self.reason.text().strip())

    def confirmation(self) -> Confirmation:
        return Confirmation(self.finding.rule, self.finding.message, self.reason.text().strip())


class StartButton(QPushButton):
    """Return or Enter on the focused button starts, as Space does. Only an enabled button
    starts, and it is enabled only while the device is idle: while it stimulates, Space is
    STOP (the application's key filter) and Return starts nothing."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if not event.isAutoRepeat():
                self.click()  # does nothing while disabled
            event.accept()
            return
        super().keyPressEvent(event)


def _edit(text: str, tooltip: str) -> QLineEdit:
    edit = QLineEdit(text)
    edit.setToolTip(tooltip)
    edit.setMaximumWidth(110)
    return edit


class TestStimSetup(QGroupBox):
    """Lead, pair, frequency, pulse width, duration, start amplitude and step."""

    changed = Signal()  # the stimulus, the step or a confirmation changed

    def __init__(self, frequency_hz: int, pulse_width_us: int,
                 parent: QWidget | None = None) -> None:
        super().__init__("Set up — on screen only until you press Start", parent)
        self.setMaximumWidth(430)
        self.assessment = Assessment()
        self.confirm_rows: list[ConfirmRow] = []
        self._start_ma = Decimal("0.0")
        self._electrode_note = ""
        self._following = False  # the pair is being set from the program, not by hand
        self.pair_chosen = False  # the clinician chose the pair: the program's no longer applies

        self.lead = QComboBox()
        self.lead.addItems(LEAD_CHOICES)
        self.lead.setToolTip("The lead to test: left or right multifidus.")
        self.anode = QComboBox()
        self.cathode = QComboBox()
        self.set_electrodes(4)
        self.anode.setCurrentIndex(1)
        self.cathode.setCurrentIndex(2)
        self.anode.setToolTip("Anode (+): the contact the current returns through.")
        self.cathode.setToolTip("Cathode (−): the contact that stimulates the nerve. E0 is "
                                "the tip of the lead.")
        self.frequency = _edit(str(frequency_hz),
                               "Pulses per second. Around 20 Hz gives a smooth, fused "
                               "contraction of the multifidus.")
        self.pulse_width = _edit(str(pulse_width_us),
                                 "Duration of each pulse phase. Wider pulses recruit more "
                                 "fibres at the same amplitude and carry more charge.")
        self.duration = _edit(str(DEFAULT_DURATION_S),
                              "The device stops by itself after this many seconds, whatever "
                              "happens to the console.")
        self.amplitude = _edit("", "The amplitude the test starts at: never above the start "
                                   "limit. Raise it in small steps once stimulation runs.")
        self.step = _edit("", "How much one press of Raise (or the Up key) adds; Lower (Down) "
                              "takes the same off. Never more than the titration step limit.")
        self.hint = QLabel()
        self.hint.setObjectName("findingInfo")
        self.hint.setWordWrap(True)
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
        self._confirm_area = QVBoxLayout()
        self.start_button = StartButton("Start test stimulation")
        self.start_button.setToolTip("Checks everything once more, records the start in the "
                                     "clinical record, then starts the device (Return or "
                                     "Space on this button).")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addLayout(self.findings)
        layout.addLayout(self._confirm_area)
        layout.addStretch(1)
        layout.addWidget(self.start_button)

        for combo in (self.anode, self.cathode):
            combo.currentIndexChanged.connect(self._pair_changed)
        self.lead.currentIndexChanged.connect(self._electrodes_changed)
        for edit in (self.frequency, self.pulse_width, self.duration, self.amplitude,
                     self.step):
            edit.textChanged.connect(lambda _text: self.changed.emit())
        self.locked_while_running = (self.lead, self.anode, self.cathode, self.frequency,
                                     self.pulse_width, self.duration, self.amplitude)

    # -- values ----------------------------------------------------------------------------

    def set_titration(self, start_ma: Decimal, step_ma: Decimal) -> None:
        """Start amplitude and step back to the titration limits (device and clinic)."""
        self._start_ma = start_ma
        self.amplitude.setText(str(start_ma))
        self.step.setText(str(step_ma))

    def set_electrodes(self, count: int) -> None:
        """Offer ``count`` electrodes per lead (the device's), keeping the pair if it fits."""
        if self.anode.count() == count:
            return
        for combo in (self.anode, self.cathode):
            kept = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([contact_name(n) + (" (tip)" if n == 0 else "")
                            for n in range(count)])
            combo.setCurrentIndex(kept if 0 <= kept < count else -1)
            combo.blockSignals(False)
        self.changed.emit()

    def follow_program(self, lead: LeadProgram) -> None:
        """The pair of the program's lead, anode and cathode as there, unless the clinician
        chose one (or the program's lead is off, or not on this device)."""
        count = self.anode.count()
        if self.pair_chosen or not lead.enabled or not (
                0 <= lead.anode < count and 0 <= lead.cathode < count):
            return
        if (self.anode.currentIndex(), self.cathode.currentIndex()) == (lead.anode,
                                                                        lead.cathode):
            return
        self._following = True
        try:
            self.anode.setCurrentIndex(lead.anode)
            self.cathode.setCurrentIndex(lead.cathode)
        finally:
            self._following = False

    def _pair_changed(self) -> None:
        if not self._following:
            self.pair_chosen = True
        self._electrodes_changed()

    def _electrodes_changed(self) -> None:
        if self.amplitude.text().strip() != str(self._start_ma):
            self._electrode_note = (f"Other electrodes: the start amplitude is back to "
                                    f"{self._start_ma} mA.")
            self.amplitude.setText(str(self._start_ma))
        self.changed.emit()

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
        amplitude = milliamps(self.amplitude.text(), "Start amplitude")
        if isinstance(amplitude, str):
            return amplitude
        for name, combo in (("Anode", self.anode), ("Cathode", self.cathode)):
            if combo.currentIndex() < 0:
                return f"{name}: choose an electrode."
        return TestStimulus(self.lead.currentIndex(), self.anode.currentIndex(),
                            self.cathode.currentIndex(), values["Frequency"],
                            values["Pulse width"], amplitude, values["Duration"])

    def pair_on_screen(self) -> TestPair | None:
        """The lead and pair set up here (None while an electrode is not chosen), with the
        start amplitude if it is a number."""
        anode, cathode = self.anode.currentIndex(), self.cathode.currentIndex()
        if anode < 0 or cathode < 0:
            return None
        amplitude = milliamps(self.amplitude.text(), "Start amplitude")
        return TestPair(self.lead.currentIndex(), anode, cathode,
                        amplitude if isinstance(amplitude, Decimal) else None, live=False)

    def step_ma(self) -> Decimal | str:
        """The titration step, or a sentence saying why it cannot be one."""
        step = milliamps(self.step.text(), "Step")
        if isinstance(step, Decimal) and step <= 0:
            return f"Step: {step} mA must be more than 0 mA."
        return step

    def confirmations(self) -> list[Confirmation] | None:
        """What the clinician confirmed, with reasons; None while any is still open."""
        if not all(row.confirmed for row in self.confirm_rows):
            return None
        return [row.confirmation() for row in self.confirm_rows]

    def ready(self) -> bool:
        """Nothing blocks, every number parses, every confirmation is given."""
        return (not self.assessment.blocked and not isinstance(self.stimulus(), str)
                and not isinstance(self.step_ma(), str) and self.confirmations() is not None)

    def lock(self, locked: bool) -> None:
        """While stimulation runs (or may not be started) nothing here can change."""
        for widget in self.locked_while_running:
            widget.setEnabled(not locked)
        for row in self.confirm_rows:
            row.setEnabled(not locked)

    def clear_confirmations(self) -> None:
        """A confirmation is given for one start: the next start asks again."""
        for row in self.confirm_rows:
            row.tick.setChecked(False)

    def take_note(self) -> str:
        """The electrode note, once: it belongs to the set-up it was made for."""
        note, self._electrode_note = self._electrode_note, ""
        return note

    @property
    def note(self) -> str:
        return self._electrode_note

    # -- the engine's word -----------------------------------------------------------------

    def evaluate(self, judge: Callable[[TestStimulus], Assessment],
                 may_confirm: bool) -> TestStimulus | None:
        """Check the stimulus on screen with ``judge`` (the engine's assessment with what is
        known of the pair) and show the findings; the stimulus if it parses."""
        stimulus = self.stimulus()
        self._clear_findings()
        if isinstance(stimulus, str):
            self.assessment = Assessment()
            self._add_finding(stimulus, "findingBlock")
        else:
            self.assessment = judge(stimulus)
            for finding in self.assessment.findings:
                if finding.severity is not Severity.CONFIRM:  # those get their own rows
                    self._add_finding(finding.message, _FINDING_STYLE[finding.severity])
        step = self.step_ma()
        if isinstance(step, str):
            self._add_finding(step, "findingBlock")
        self._sync_confirmations(may_confirm)
        return None if isinstance(stimulus, str) else stimulus

    def _clear_findings(self) -> None:
        while self.findings.count():
            widget = self.findings.takeAt(0).widget()
            if widget is not None:
                widget.hide()  # gone from view now, whenever the event loop deletes it
                widget.deleteLater()

    def _add_finding(self, text: str, style: str) -> None:
        label = QLabel(text)
        label.setObjectName(style)
        label.setWordWrap(True)
        self.findings.addWidget(label)

    def finding_texts(self) -> list[str]:
        """The sentences shown now (blocks and information; confirmations have rows)."""
        return [self.findings.itemAt(i).widget().text() for i in range(self.findings.count())]

    def _sync_confirmations(self, may_confirm: bool) -> None:
        wanted = list(self.assessment.confirmations)
        if [row.finding for row in self.confirm_rows] == wanted:
            return
        for row in self.confirm_rows:
            row.hide()
            row.deleteLater()
        self.confirm_rows = [ConfirmRow(finding, may_confirm, lambda: self.changed.emit())
                             for finding in wanted]
        for row in self.confirm_rows:
            self._confirm_area.addWidget(row)
