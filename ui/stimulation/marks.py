"""Titration marks on the Test stimulation tab: while stimulation runs, one key each records
the amplitude the device has confirmed it delivers on the running pair, now:

- T (or "Threshold (T)"): first visible contraction,
- C (or "Target (C)"): strong comfortable contraction,
- M (or "Maximum (M)"): maximum tolerated,

with the note typed for it. The keys reach this box through the tab's ``keyPressEvent``
(``handle_key``), so a letter typed into the note, or any text field, never marks. While
an amplitude change is on its way the device's amplitude is not known, so nothing is
marked then. Marks are stored off the GUI thread (``RecordTasks``), never in STOP's way;
one that cannot be stored is said here, in red, with what it was. The tables show each
pair's latest marks in this visit, or in earlier visits; a chosen mark goes into the
program on screen (``SessionModel.propose_lead``), where the safety engine judges it and
from where it is written and verified like any change.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.accounts import Action
from console.leads.naming import on_lead, polarised_pair_name
from console.programming.program import TestStimulus
from console.storage.titration import MAX_NOTE_CHARACTERS
from console.titration.marks import MarkKind, TitrationMark
from console.titration.table import this_and_earlier
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks, keeper_for
from ui.stimulation.marks_table import MARK_KEYS, MarksTable, plain_key
from ui.stimulation.titrated import show_program_tab

Live = Callable[[], tuple[TestStimulus | None, bool]]
"""What the device confirmed it delivers (None: not stimulating), and whether an amplitude
change is on its way (then the amplitude is not known)."""

BUTTONS = {MarkKind.THRESHOLD: "Threshold (T)", MarkKind.TARGET: "Target (C)",
           MarkKind.MAXIMUM: "Maximum (M)"}


def _where(mark: TitrationMark | TestStimulus) -> str:
    """``left E1+ E2−``, never broken across lines."""
    return on_lead(mark.lead, polarised_pair_name(mark.anode, mark.cathode)).replace(
        " ", "\u00a0")


def described(mark: TitrationMark) -> str:
    """``target 3.5 mA on left E1+ E2−``."""
    return f"{mark.kind.value} {mark.amplitude_ma} mA on {_where(mark)}"


def details(mark: TitrationMark) -> str:
    """Everything about a chosen mark, its whole note included."""
    at = f"{mark.marked_at.astimezone():%Y-%m-%d %H:%M}" if mark.marked_at else ""
    note = f": {mark.note}" if mark.note else "."
    return (f"{mark.kind.label.capitalize()}, {mark.amplitude_ma} mA on {_where(mark)} at "
            f"{mark.pulse_width_us} µs, {mark.frequency_hz} Hz; {at} by {mark.operator}{note}")


class TitrationMarks(QGroupBox):
    """The marks table, "Earlier visits", "Use in program" and what became of the last mark;
    ``keys`` (the mark buttons and the note) goes beside the amplitude controls."""

    def __init__(self, context: WindowContext, live: Live,
                 parent: QWidget | None = None) -> None:
        super().__init__("Titration marks — this visit", parent)
        self._context = context
        self._live = live
        self._records = RecordTasks(self)
        self._marks: list[TitrationMark] = []
        self._serial: str | None = None  # the device whose marks are shown
        self.buttons = {kind: QPushButton(text) for kind, text in BUTTONS.items()}
        for kind, button in self.buttons.items():
            button.setToolTip(f"Record {kind.label}: the amplitude the device confirmed it "
                              "delivers now on the pair being stimulated, with the note.")
            button.clicked.connect(lambda _checked=False, chosen=kind: self.mark(chosen))
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note for the next mark (optional)")
        self.note.setMaxLength(MAX_NOTE_CHARACTERS)
        self.note.setToolTip("Kept with the next mark, then cleared. Typing here never marks. "
                             "While the device stimulates Space is STOP, here too: type the "
                             "note before the start, or without spaces.")
        self.earlier = QCheckBox("Earlier visits")
        self.earlier.setToolTip("Show the marks of this device's earlier visits instead of "
                                "this visit's.")
        self.earlier.toggled.connect(self._show)
        self.table = MarksTable()
        self.table.selection_changed.connect(self._chosen)
        self.use_button = QPushButton("Use in program")
        self.use_button.setObjectName("useMarkInProgram")
        self.use_button.setToolTip(
            "Puts the chosen mark's pair and amplitude (a pair's target, where a row is "
            "chosen) into the program on the Program tab, on screen only: the safety engine "
            "checks it there, and it reaches the device only when you write the program. "
            "Once the test stimulation has ended.")
        self.use_button.clicked.connect(self.use_in_program)
        self.use_button.setMinimumWidth(  # the longest it says: choosing never moves it
            self.use_button.fontMetrics().horizontalAdvance("Use threshold 88.888 mA in program")
            + 32)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setFixedHeight(3 * self.status.fontMetrics().lineSpacing() + 6)
        self.keys = QWidget()
        keys = QGridLayout(self.keys)
        keys.setContentsMargins(0, 0, 0, 0)
        for column, button in enumerate(self.buttons.values()):
            keys.addWidget(button, 0, column)
        keys.addWidget(self.note, 1, 0, 1, len(self.buttons))
        below = QHBoxLayout()
        below.addWidget(self.earlier)
        below.addStretch(1)
        below.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(below)
        layout.addWidget(self.status)
        context.model.device_changed.connect(self._device_changed)
        self.refresh()

    # -- marking ---------------------------------------------------------------------------

    def handle_key(self, event: QKeyEvent) -> bool:
        """Mark on T, C or M pressed on the tab (a held key marks once); whether it was one."""
        kind = MARK_KEYS.get(event.key())
        if kind is None or not plain_key(event):
            return False
        if not event.isAutoRepeat():
            self.mark(kind)
        return True

    def mark(self, kind: MarkKind) -> None:
        """Record ``kind`` at the amplitude the device confirmed, off the GUI thread."""
        running, changing = self._live()
        if running is None:
            self._say("Not marked: marks are taken while test stimulation runs.",
                      "findingBlock")
            return
        if changing:
            self._say(f"Not marked: an amplitude change is on its way. Mark the {kind.value} "
                      "once the device has confirmed it.", "findingBlock")
            return
        keeper, device = keeper_for(self._context), self._context.model.device
        if keeper is None or device is None:
            self._say("Not marked: without a clinical record and a device a mark cannot be "
                      "kept.", "findingBlock")
            return
        serial = device.identity.serial
        mark = TitrationMark(kind, running.lead, running.anode, running.cathode,
                             running.amplitude_ma, running.pulse_width_us,
                             running.frequency_hz, self.note.text().strip() or None)
        self.note.clear()
        self._say(f"Recording {described(mark)} …", "findingInfo")
        self._records.run(lambda: keeper.record_titration_mark(serial, mark),
                          on_done=lambda stored: self._marked(serial, stored),
                          on_error=lambda problem: self._not_marked(mark, problem))

    def _marked(self, serial: str, stored: TitrationMark) -> None:
        if serial == self._serial:
            self._marks.append(stored)
            self.earlier.setChecked(False)
            self._show()
        self._say(f"Marked {described(stored)}: {stored.kind.label}.", "findingInfo")

    def _not_marked(self, mark: TitrationMark, problem: str) -> None:
        if mark.note and not self.note.text():
            self.note.setText(mark.note)  # typed for this mark: not lost
        self._say(f"NOT recorded: {described(mark)} — {problem}", "findingBlock")

    # -- showing ---------------------------------------------------------------------------

    def _chosen(self) -> None:
        """A chosen mark is described in full below the table (its note may be cut there)."""
        chosen = self.table.selected_mark()
        if chosen is not None:
            self._say(details(chosen), "findingInfo")
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload()

    def _device_changed(self) -> None:
        device = self._context.model.device
        if device is not None and device.identity.serial != self._serial:
            self.reload()
        self.refresh()

    def reload(self) -> None:
        """Read the connected device's marks from the record, off the GUI thread."""
        keeper, device = keeper_for(self._context), self._context.model.device
        if keeper is None or device is None:
            return
        serial = device.identity.serial
        self._records.run(lambda: keeper.record.titration_marks(keeper.actor, serial),
                          on_done=lambda marks: self._loaded(serial, marks),
                          on_error=lambda problem: self._say(
                              f"The marks in the record could not be read: {problem}",
                              "findingBlock"))

    def _loaded(self, serial: str, marks: list[TitrationMark]) -> None:
        self._serial, self._marks = serial, list(marks)
        self._show()

    def _show(self) -> None:
        this, earlier = this_and_earlier(self._marks, self._context.visit_id)
        dated = self.earlier.isChecked()
        self.setTitle(f"Titration marks — {'earlier visits' if dated else 'this visit'}")
        self.table.show_marks(earlier if dated else this, dated)
        self.refresh()

    def refresh(self) -> None:
        """Mark buttons only while stimulating; "Use in program" once a mark is chosen and
        stimulation has ended."""
        running, _changing = self._live()
        may = self._context.may(Action.TEST_STIMULATION)
        for button in self.buttons.values():
            button.setEnabled(may and running is not None)
        chosen = self.table.selected_mark()
        self.use_button.setEnabled(running is None and chosen is not None)
        self.use_button.setText("Use in program" if chosen is None else
                                f"Use {chosen.kind.value} {chosen.amplitude_ma} mA in program")

    def use_in_program(self) -> None:
        """The chosen mark's pair and amplitude into the program on screen, then the Program
        tab; the Program tab judges, writes and verifies it."""
        mark = self.table.selected_mark()
        if mark is None or self._live()[0] is not None:
            return
        model = self._context.model
        draft = model.session.draft
        program = draft.leads[mark.lead]
        differs = ""
        if program.enabled and program.pulse_width_us != mark.pulse_width_us:
            differs += (f" It was marked at {mark.pulse_width_us} µs; the program uses "
                        f"{program.pulse_width_us} µs.")
        if draft.frequency_hz != mark.frequency_hz:
            differs += (f" It was marked at {mark.frequency_hz} Hz; the program uses "
                        f"{draft.frequency_hz} Hz.")
        model.propose_lead(mark.lead, mark.anode, mark.cathode, mark.amplitude_ma,
                           f"From the titration mark ({mark.kind.label}): {mark.amplitude_ma} "
                           f"mA on {_where(mark)}, on screen only — not yet on the device. "
                           f"Check the findings, give a reason, then write.{differs}")
        self._say(f"{mark.amplitude_ma} mA on {_where(mark)} is now in the program on screen, "
                  f"not yet on the device: see the Program tab.{differs}", "findingInfo")
        show_program_tab(self)

    def _say(self, text: str, style: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        self.status.setObjectName(style)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
