"""The Program tab: every parameter with its limits and the safety assessment as you type,
what differs from the device, and write (verified byte for byte) or read a slot.

The screen keeps two things apart: the draft (what is on screen) and what the device
proved it holds (read back). Every word about the device comes from the session's one
state (``console/programming/link_state.py``, marks in ``marks.py``). The rows above the
fields keep their height whatever they say, and the result of a read or write is shown
under the fields, so nothing moves under the pointer.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.accounts import Action
from console.programming.program import LEAD_NAMES, Program, field_info
from console.programming.request import Consent
from console.programming.screen_state import DeviceFacts
from console.safety import Assessment, Finding
from ui.common.confirm_dialog import STIMULATING_REFUSAL, ConfirmDialog
from ui.common.parameter_field import ParameterField, field_limits, findings_label, render_findings
from ui.common.theme import CONFIRM_AMBER, INFO_GREY
from ui.program.device_write import Outcome, settle_and_read, write_slot
from ui.program.figures import headline_state, lead_figures, strong, summary
from ui.program.marks import electrodes_text, fixed_lines, mark_field, show_message
from ui.program.preview_plots import PreviewPlots
from ui.shell.context import WindowContext
from ui.shell.record_tasks import keeper_for

PANEL_TITLE = "Program"
READ = "read program"
WRITE = "write program"

LEAD_FIELDS = ("amplitude_ma", "pulse_width_us")
SHARED_FIELDS = ("frequency_hz", "ramp_up_s", "ramp_down_s", "on_s", "off_s", "session_min")
ELECTRODE_FIELDS = ("enabled", "anode", "cathode")
SAID_IN_FIGURES = frozenset({"impedance_unknown"})
"""Information the figures under each lead already give, not repeated beside a field."""
DEFAULT_SLOTS = 4  # MFL/1 emulator; a device says how many it has (HELLO program_slots)


class ProgramPanel(QWidget):
    """Parameters, assessment, changed markers, previews, and Read/Write of the chosen slot."""

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.session = context.model.session
        self.fields: dict[str, ParameterField] = {}
        self.electrodes: dict[int, QLabel] = {}
        self.electrode_findings: dict[int, QLabel] = {}
        self.figures: dict[int, QLabel] = {}
        self.confirm_dialog: ConfirmDialog | None = None
        self._acknowledged: tuple[Finding, ...] = ()  # agreed to for the write under way
        self._operation: str | None = None
        self._shown_values: dict[str, object] = {}
        self.summary_state = ""  # "On the device", "Writable", "Blocked (n)" …
        self._was_connected = False
        self._held_slot = self.session.slot  # the slot device_program was read from
        self._serial: str | None = None
        self._keep_draft = False  # reconnected with unsaved changes: read, but keep them
        self._settle_on_read = False  # the next read is the first of a connection

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)
        outer.addLayout(self._build_actions())
        self.write_blocker = QLabel()  # under the row: the Write button never moves
        self.write_blocker.setObjectName("findingInfo")
        fixed_lines(self.write_blocker, 1)
        outer.addWidget(self.write_blocker)
        self.summary = QLabel()
        self.summary.setObjectName("programSummary")
        self.summary.setWordWrap(True)
        fixed_lines(self.summary, 3)
        outer.addWidget(self.summary)
        self.result = QLabel()
        self.result.setObjectName("writeResult")
        self.result.setWordWrap(True)
        self.result.hide()

        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(self._build_leads(), 3)
        columns.addWidget(self._build_cycle(), 2)
        content = QWidget()
        stack = QVBoxLayout(content)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.addWidget(body)
        stack.addWidget(self.result)  # under the fields: appearing, it moves none of them
        self.previews = PreviewPlots()
        stack.addWidget(self.previews)
        stack.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)

        for field in self.fields.values():
            field.value_edited.connect(self._edited)
            field.error_changed.connect(lambda _name: self.refresh())
        model, controller = context.model, context.controller
        model.draft_changed.connect(self.refresh)
        model.draft_proposed.connect(lambda where_from: self._show_result(None, where_from))
        model.impedance_changed.connect(self.refresh)
        model.device_changed.connect(self._device_changed)
        self._shown_state = self.session.state
        controller.connected.connect(self._connected)
        self._fill_slots(DEFAULT_SLOTS)
        self.refresh()

    # -- building --------------------------------------------------------------------------

    def _build_actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Slot"))
        self.slot_box = QComboBox()
        self.slot_box.setToolTip("The device's program slot to read or write. The patient's "
                                 "activator starts the active slot.")
        self.slot_box.activated.connect(self._slot_chosen)
        row.addWidget(self.slot_box)
        self.read_button = QPushButton("Read from device")
        self.read_button.setToolTip("Load the chosen slot from the device: the screen then "
                                    "shows exactly what the device holds.")
        self.read_button.clicked.connect(lambda: self.read(self.session.slot))
        row.addWidget(self.read_button)
        row.addWidget(QLabel("Reason"))
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("why this program (kept in the record)")
        self.reason_edit.setAccessibleName("Reason for this program version")
        self.reason_edit.setToolTip("Required for every write: kept in the clinical record "
                                    "with the program version, your name and the time.")
        self.reason_edit.textChanged.connect(lambda _text: self._reflect_actions())
        row.addWidget(self.reason_edit, 1)
        self.write_button = QPushButton("Write to device")
        self.write_button.setToolTip("Check, record, write, read back and compare every byte.")
        self.write_button.clicked.connect(self.write)
        row.addWidget(self.write_button)
        return row

    def _build_leads(self) -> QGroupBox:
        box = QGroupBox("Leads")
        grid = QGridLayout(box)
        grid.setVerticalSpacing(4)
        for lead, name in enumerate(LEAD_NAMES):
            title = QLabel(f"<b>{name.capitalize()} lead ({lead})</b>")
            grid.addWidget(title, 0, lead + 1)
        grid.addWidget(QLabel("Electrodes"), 1, 0, Qt.AlignmentFlag.AlignTop)
        for row, kind in enumerate(LEAD_FIELDS, start=2):
            grid.addWidget(QLabel(field_info(f"left.{kind}").label.removeprefix("Left ")
                                  .capitalize()), row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(QLabel("Figures"), 4, 0, Qt.AlignmentFlag.AlignTop)
        for lead, name in enumerate(LEAD_NAMES):
            cell = QVBoxLayout()
            cell.setSpacing(1)
            self.electrodes[lead] = QLabel()
            self.electrodes[lead].setWordWrap(True)  # a lead off must not widen its column
            self.electrodes[lead].setAlignment(Qt.AlignmentFlag.AlignLeft
                                               | Qt.AlignmentFlag.AlignTop)
            self.electrodes[lead].setToolTip("Chosen on the drawing of the leads: click an "
                                             "electrode to make it cathode (−) or anode (+).")
            self.electrode_findings[lead] = findings_label()
            cell.addWidget(self.electrodes[lead])
            cell.addWidget(self.electrode_findings[lead])
            grid.addLayout(cell, 1, lead + 1)
            for row, kind in enumerate(LEAD_FIELDS, start=2):
                field = ParameterField(f"{name}.{kind}")
                self.fields[field.name] = field
                grid.addWidget(field, row, lead + 1, Qt.AlignmentFlag.AlignTop)
            figures = QLabel()
            figures.setObjectName("findingInfo")
            figures.setWordWrap(True)
            figures.setToolTip("Charge per phase Q = amplitude × pulse width; density D = Q "
                               "divided by the contact area; Shannon's k = log10(Q) + "
                               "log10(D). Compliance: the voltage the pair's impedance needs.")
            self.figures[lead] = figures
            grid.addWidget(figures, 4, lead + 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setRowStretch(5, 1)
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        return box

    def _build_cycle(self) -> QGroupBox:
        box = QGroupBox("Cycle and session (both leads)")
        form = QFormLayout(box)
        form.setVerticalSpacing(6)
        for name in SHARED_FIELDS:
            field = ParameterField(name)
            self.fields[name] = field
            label = QLabel(field.info.label)
            label.setBuddy(field.edit)
            form.addRow(label, field)
        return box

    # -- editing ---------------------------------------------------------------------------

    def _edited(self, name: str, value: object) -> None:
        values = self.session.draft.as_fields()
        values[name] = value  # type: ignore[assignment]
        self.session.set_draft(Program.from_fields(values))
        self.context.model.notify_draft()

    # -- showing ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A read or write of this panel is on its way to or from the device."""
        return self._operation is not None

    def field_errors(self) -> dict[str, str]:
        return {name: field.error for name, field in self.fields.items()
                if field.error is not None}

    def assessment(self) -> Assessment:
        return self.session.assessment()

    @staticmethod
    def _beside(assessment: Assessment, name: str) -> tuple[Finding, ...]:
        return tuple(f for f in assessment.for_field(name) if f.rule not in SAID_IN_FIGURES)

    def refresh(self) -> None:
        if self.session.device_program is not None and self.session.slot != self._held_slot:
            # another view chose a slot (a restore): what the device holds there is unknown
            self.session.forget_slot(self.session.slot)
            self.context.model.notify_draft()
            return
        self._select_slot(self.session.slot)
        assessment = self.assessment()
        values = self.session.draft.as_fields()
        differing = self.session.differing_fields()
        source = "Device limits" if self.session.connected else \
            "MFL/1 default limits (no device connected)"
        state = self.session.state
        self._shown_state = state
        for name, field in self.fields.items():
            unchanged = self._shown_values.get(name, values[name]) == values[name]
            field.show_value(values[name], keep_error=unchanged)
            self._shown_values[name] = values[name]
            field.set_limits(field_limits(name, self.session.engine.limits), source)
            mark_field(field, state, name in differing)
            field.show_findings(self._beside(assessment, name))
        for lead, name in enumerate(LEAD_NAMES):
            self._show_electrodes(lead, name, assessment, differing)
            self.figures[lead].setText(lead_figures(self.session, lead))
        errors = self.field_errors()
        self.previews.show_program(self.session.draft,
                                   {f.field for f in assessment.blocks if f.rule.endswith("range")}
                                   | set(errors))
        self._show_summary(assessment, errors, differing)
        self._reflect_actions()

    def _show_electrodes(self, lead: int, name: str, assessment: Assessment,
                         differing: set[str]) -> None:
        changed = any(f"{name}.{kind}" in differing for kind in ELECTRODE_FIELDS)
        text, amber = electrodes_text(self.session.draft.leads[lead], self.session.state,
                                      changed)
        label = self.electrodes[lead]
        label.setText(text)
        label.setStyleSheet(strong(CONFIRM_AMBER) if amber else "")
        findings = tuple(f for kind in ELECTRODE_FIELDS
                         for f in self._beside(assessment, f"{name}.{kind}"))
        render_findings(self.electrode_findings[lead], findings)

    def _show_summary(self, assessment: Assessment, errors: dict[str, str],
                      differing: set[str]) -> None:
        text, colour, held = summary(self.session, assessment, errors, differing)
        self.summary_state = headline_state(text)
        self.summary.setText(f"<span style='{strong(colour)} font-size: 12pt;'>{text}"
                             f"</span><br><span style='color:{INFO_GREY}'>{held}</span>")

    def _write_refusal(self) -> str | None:
        """Why Write is not possible now, or None."""
        assessment = self.assessment()
        if not self.context.may(Action.PROGRAM_DEVICE):
            return "your role may not write programs"
        if not self.session.connected:
            return "no device is connected"
        if self.context.model.state_name != "IDLE":
            return "device not idle: stop first"
        if self._operation is not None:
            return f"{self._operation} in progress"
        if self.field_errors() or assessment.blocked:
            return "blocked"
        if not self.reason_edit.text().strip():
            return "give a reason"
        return None

    def _reflect_actions(self) -> None:
        refusal = self._write_refusal()
        self.write_button.setEnabled(refusal is None)
        self.write_blocker.setText(f"Write is not possible now: {refusal}." if refusal else "")
        self.read_button.setEnabled(self.session.connected and self._operation is None)
        self.slot_box.setEnabled(self._operation is None)

    def _show_result(self, ok: bool | None, message: str) -> None:
        """Shown under the fields; ``ok`` None for news that is neither success nor failure."""
        show_message(self.result, ok, message)

    # -- slots -----------------------------------------------------------------------------

    def _fill_slots(self, count: int) -> None:
        self.slot_box.clear()
        for slot in range(count):
            self.slot_box.addItem(f"Slot {slot}", slot)
        self.slot_box.setCurrentIndex(min(self.session.slot, count - 1))

    def _slot_chosen(self, index: int) -> None:
        slot = int(self.slot_box.itemData(index))
        if slot == self.session.slot:
            return
        unsaved = self.session.device_program is None or bool(self.session.differing_fields())
        self.session.forget_slot(slot)  # what this slot holds is not known yet
        self.context.model.notify_draft()
        if self.session.connected and not unsaved:
            self.read(slot)
        else:
            self._show_result(True, f"Slot {slot} chosen: Read from device to load it, or "
                                    "write the program on screen to it.")

    # -- the device ------------------------------------------------------------------------

    def _connected(self, facts: DeviceFacts) -> None:
        """Start from what the device holds: its active slot, or slot 0.

        Reconnecting to the same device after a link loss keeps changes made on screen
        (they stay marked "not on device"); another device always starts from its own.
        """
        slots = facts.identity.program_slots or DEFAULT_SLOTS
        active = facts.status.active_slot
        slot = active if active < slots else 0
        same_device = facts.identity.serial == self._serial
        self._keep_draft = same_device and self.session.unwritten_changes
        self._serial = facts.identity.serial
        self.session.slot = slot
        self._fill_slots(slots)
        self._settle_on_read = True  # writes left unconfirmed are settled on this first read
        self.read(slot)

    def _device_changed(self) -> None:
        connected = self.session.connected
        if self._was_connected and not connected:
            self._show_result(False if self.context.model.link_lost else None,
                              self.context.model.device_sentence)
            self._operation = None
        self._was_connected = connected
        if self.session.state is not self._shown_state:  # e.g. a STOP settled: re-word
            self.refresh()
        if self.context.model.stimulating and self.confirm_dialog is not None \
                and self.confirm_dialog.isVisible():
            self.confirm_dialog.reject()
            self._show_result(False, "Confirmation closed: the device began stimulating. "
                                     "Nothing was written.")
        self._reflect_actions()

    def _failed(self, operation: str, message: str) -> None:
        """A read or write that came back with no outcome (a link loss has said so already)."""
        if operation == self._operation:
            self._operation = None
            self._show_result(False, f"NOT done ({operation}): {message}")
            self._reflect_actions()

    def _start(self, name: str) -> None:
        self._operation = name
        self._reflect_actions()

    def read(self, slot: int) -> None:
        if self._operation is not None or not self.context.controller.is_connected:
            return
        self._start(READ)
        keeper = keeper_for(self.context) if self._settle_on_read else None
        self._settle_on_read = False
        self.context.controller.run(
            READ, lambda client: settle_and_read(client, keeper, slot), self._read_done,
            on_failed=partial(self._failed, READ))

    def _read_done(self, outcome: Outcome) -> None:
        self._operation = None
        kept = self.session.draft if self._keep_draft else None
        self._keep_draft = False
        message = outcome.message
        if outcome.ok:
            self.session.loaded_from_device(outcome.slot, outcome.program)
            self._held_slot = outcome.slot
        elif outcome.device_unknown:
            self.session.forget_slot(outcome.slot)
            self._held_slot = outcome.slot
        if kept is not None and kept != self.session.draft:
            self.session.set_draft(kept)
            message += (" Your changes made before the link was lost are kept on screen, "
                        "marked • not on device.")
        self._select_slot(outcome.slot)
        self._show_result(outcome.ok, message)
        self.context.model.notify_draft()

    def _select_slot(self, slot: int) -> None:
        index = self.slot_box.findData(slot)
        if index >= 0:
            self.slot_box.setCurrentIndex(index)

    def write(self) -> None:
        """Write the draft: confirmations first (never while stimulating), then the worker."""
        if self.context.model.stimulating:
            self._show_result(False, STIMULATING_REFUSAL)
            return
        refusal = self._write_refusal()
        if refusal is not None:
            self._show_result(False, f"NOT written: {refusal}.")
            return
        assessment = self.assessment()
        program = self.session.draft
        confirmations = assessment.confirmations
        recorded = self.session.restored_consent(self.session.slot)
        if recorded is not None and recorded.findings is not None \
                and all(f in recorded.findings for f in confirmations):
            self._write(program, recorded.findings, recorded.reason)  # agreed at the restore
            return
        if not confirmations:
            self._write(program, (), "")
            return
        if not self.context.may(Action.CONFIRM_SAFETY_FINDING):
            self._show_result(False, "NOT written: this program needs a confirmation that "
                                     "your role may not give.")
            return
        user = self.context.user
        assert user is not None
        dialog = ConfirmDialog(confirmations, user.username, self.session.slot, self)
        self.confirm_dialog = dialog
        dialog.accepted.connect(lambda: self._confirmed(dialog, program))
        dialog.rejected.connect(lambda: self._show_result(
            False, "Cancelled: nothing was written to the device or the record."))
        dialog.open()

    def _confirmed(self, dialog: ConfirmDialog, program: Program) -> None:
        if self.session.draft != program or self.context.model.stimulating:
            self._show_result(False, "NOT written: the program or the device changed while "
                                     "you confirmed. Check it and write again.")
            return
        self._write(program, dialog.findings, dialog.reason)

    def _write(self, program: Program, acknowledged: Sequence[Finding],
               confirm_reason: str) -> None:
        keeper = keeper_for(self.context)
        if keeper is None:
            self._show_result(False, "NOT written: no clinical record is open.")
            return
        engine = self.session.engine
        integrity = self.session.integrity
        slot = self.session.slot
        request = self.session.write_request(program, Consent.to(acknowledged, confirm_reason),
                                             self.reason_edit.text().strip())
        self._acknowledged = tuple(acknowledged)
        self._start(WRITE)
        first = ("Measuring the impedance of the pairs in use (Esc stops), then writing"
                 if integrity.to_measure(self.session.pairs_in_use()) else "Writing")
        self._show_result(True, f"{first} slot {slot} and reading it back …")
        self.context.controller.run(
            WRITE, lambda client: write_slot(client, keeper, engine, request, integrity),
            self._write_done, on_failed=partial(self._failed, WRITE))

    def _write_done(self, outcome: Outcome) -> None:
        self._operation = None
        if outcome.check is not None and outcome.check.measured:
            self.session.measured(outcome.check.records, outcome.check.fault_flags)
            self.context.model.notify_impedance()
        if outcome.ok and outcome.program is not None:
            self.session.applied(outcome.slot, outcome.program, self._acknowledged)
            self._held_slot = outcome.slot
            self.reason_edit.clear()
        elif outcome.device_unknown:
            self.session.write_unconfirmed(outcome.slot, outcome.message)
        self._show_result(outcome.ok, outcome.message)
        self.context.model.notify_draft()


def create(context: WindowContext) -> QWidget:
    return ProgramPanel(context)

