"""Every program version the record holds for the connected device (or, with none connected,
for the patient's devices): compare, restore.

What a device arrived with at a visit is listed "as found on arrival", so what the
patient came in with and what they leave with can be compared. A version's details
name the safety findings confirmed when it was written, with the reason given.

Nothing here writes to the device. A restore records a NEW draft version (its parent
is the restored one) and puts it on screen; it reaches the device only when it is
written and verified again from the Program panel, like any other change. A restored
program that needs confirmation is confirmed when restored, so the draft carries the
confirmations and is written as that very version. Reading and restoring are record
work on ``RecordTasks``: they never queue behind a device operation.

A field that differs is marked by "≠" and bold as well as by its background, with a
tooltip saying so: colour alone is never the only sign.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from console.accounts.roles import Action
from console.programming.program import PROGRAM_FIELDS, Program
from console.programming.request import Consent
from console.storage import NotFound, ProgramVersion, VersionStatus, diff_programs
from ui.common.confirm_dialog import ConfirmDialog
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, INFO_GREY, OK_GREEN
from ui.history.cells import (
    Scope,
    cell,
    details_text,
    differing,
    slot_cell,
    status_cell,
    steps_text,
    title_text,
)
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks

PANEL_TITLE = "History"

COLUMNS = ("Version", "Slot", "Created", "Author", "Status", "CRC", "Parent", "Reason")
STATUS_COLUMN, REASON_COLUMN, PARENT_COLUMN = 4, 7, 6


def create(context: WindowContext) -> QWidget:
    return HistoryPanel(context)


class HistoryPanel(QWidget):
    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self._serial: str | None = None  # the connected device's, when one is
        self._shown: Scope | None = None
        self._versions: list[ProgramVersion] = []
        self._seen_program: Program | None = None
        self._known = True  # False: the device is not in the record
        self._loading = False
        self._reload_wanted = False

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setWordWrap(True)
        top.addWidget(self.title, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the device's program history from the record again")
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for column, width in enumerate((56, 36, 128, 104, 222, 60, 52)):
            self.table.setColumnWidth(column, width)
        self.table.setToolTip("Select one version to see it in full, two to compare them. "
                              "Ctrl+click selects a second row.")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        splitter.addWidget(self.table)

        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        self.diff_title = QLabel()
        self.diff_title.setWordWrap(True)
        details_layout.addWidget(self.diff_title)
        self.diff = QTableWidget(0, 3)
        self.diff.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.diff.verticalHeader().hide()
        self.diff.setColumnWidth(0, 260)
        self.diff.setColumnWidth(1, 200)
        self.diff.horizontalHeader().setStretchLastSection(True)
        details_layout.addWidget(self.diff, 1)
        details_layout.addWidget(self._restore_box())
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)

        context.model.device_changed.connect(self._device_changed)
        context.model.draft_changed.connect(self._draft_changed)
        context.controller.busy_changed.connect(self._busy_changed)
        self._program_operation = False
        self._last_restore: tuple[int, int | None] | None = None  # last restore: (id, parent)
        self.confirm_dialog: ConfirmDialog | None = None
        self._device_changed()

    def _restore_box(self) -> QGroupBox:
        box = QGroupBox("Restore an earlier version")
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Reason"))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why this version is brought back (recorded with it)")
        self.reason.setToolTip("Required: the record keeps the reason with the new version")
        self.reason.textChanged.connect(self._reflect)
        self.reason.returnPressed.connect(self.restore)
        row.addWidget(self.reason, 1)
        self.restore_button = QPushButton("Restore as new draft")
        self.restore_button.setToolTip("Records a NEW draft version with this program (the "
                                       "selected version as its parent) and puts it on screen. "
                                       "The device is not changed until the draft is written "
                                       "and verified from the Program panel.")
        self.restore_button.clicked.connect(self.restore)
        row.addWidget(self.restore_button)
        layout.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        if not self._context.may(Action.PROGRAM_DEVICE):
            role = self._context.user.role.value if self._context.user else "nobody signed in"
            box.setEnabled(False)
            box.setToolTip(f"Role {role} may not {Action.PROGRAM_DEVICE.value}")
        return box

    # -- loading ---------------------------------------------------------------------------

    def _scope(self) -> Scope | None:
        """Whose history is shown: the connected device's, else the patient's devices'."""
        device = self._context.model.device
        if device is not None:
            return Scope(device.identity.serial, None)
        patient = self._context.patient
        return Scope(None, patient.clinic_id) if patient is not None else None

    def rescope(self) -> None:
        """Follow the device connected, or the patient chosen, now."""
        self._device_changed()

    def _device_changed(self) -> None:
        scope = self._scope()
        if scope == self._shown:
            self._show_restore_state()
            return
        self._shown = scope
        self._serial = scope.serial if scope is not None else None
        self._versions = []
        self._known = True
        self._seen_program = self._context.model.session.device_program
        self._fill()
        if scope is not None:
            self.refresh()

    def _draft_changed(self) -> None:
        """A read or write changes what the device holds: the record may have a new version."""
        held = self._context.model.session.device_program
        if held is not self._seen_program:
            self._seen_program = held
            self._fill()  # which version the device holds, at once
            self.refresh()
        self._show_restore_state()

    def _busy_changed(self, operation: str) -> None:
        """After any program operation (a write that failed too) the record may have news."""
        if operation and "program" in operation:
            self._program_operation = True
        elif not operation and self._program_operation:
            self._program_operation = False
            self.refresh()

    def refresh(self) -> None:
        """Read the versions in scope from the record (off the GUI thread)."""
        context, scope = self._context, self._shown
        if scope is None or context.record is None or context.user is None:
            return
        if self._loading:
            self._reload_wanted = True
            return
        self._loading = True
        record, user = context.record, context.user

        def read() -> tuple[Scope, list[ProgramVersion] | None]:
            try:
                return scope, record.list_versions(user, device_serial=scope.serial,
                                                   patient_clinic_id=scope.patient)
            except NotFound:
                return scope, None

        self._records.run(read, self._loaded, self._not_loaded)

    def _not_loaded(self, message: str) -> None:
        self._loading = False
        self._reload_wanted = False
        self.title.setText(f"Program history could not be read: {message}")

    def _loaded(self, result: tuple[Scope, list[ProgramVersion] | None]) -> None:
        self._loading = False
        scope, versions = result
        if scope == self._shown:
            self._versions = versions or []
            self._known = versions is not None
            self._fill()
            self._show_restore_state()
        if self._reload_wanted:
            self._reload_wanted = False
            self.refresh()

    # -- showing ---------------------------------------------------------------------------

    def _fill(self) -> None:
        self.title.setText(title_text(self._shown, self._known, self._versions))
        selected = set(self.selected_ids())
        on_device = self._version_on_device()
        several = len({v.device_serial for v in self._versions}) > 1
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._versions))
        for row, version in enumerate(reversed(self._versions)):
            status_text, colour = status_cell(version, version.id == on_device)
            parent = (f"v{version.parent_id}" if version.parent_id is not None else "—")
            cells = (f"v{version.id}", slot_cell(version, several),
                     f"{version.created_at.astimezone():%Y-%m-%d %H:%M}", version.author,
                     status_text, f"{version.record_crc:#06x}", parent, version.reason)
            for column, text in enumerate(cells):
                item = cell(text, version.id)
                if column == STATUS_COLUMN:
                    item.setForeground(QColor(colour))
                    item.setToolTip(steps_text(version))
                    if version.id == on_device:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                elif column == REASON_COLUMN:
                    item.setToolTip(version.reason)
                elif column == PARENT_COLUMN and version.parent_id is not None:
                    item.setToolTip(f"Restored from version {version.parent_id}")
                self.table.setItem(row, column, item)
            if version.id in selected:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self._selection_changed()

    def _version_on_device(self) -> int | None:
        """The newest verified version of the session's slot equal to what was read back."""
        session = self._context.model.session
        held = session.device_program
        if held is None:
            return None
        matching = [v.id for v in self._versions if v.slot == session.slot
                    and v.status is VersionStatus.VERIFIED and v.program == held]
        return matching[-1] if matching else None

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) for row in rows]

    def selected_versions(self) -> list[ProgramVersion]:
        """The selected versions, oldest first."""
        chosen = set(self.selected_ids())
        return [v for v in self._versions if v.id in chosen]

    def select_versions(self, *version_ids: int) -> None:
        """Select these versions (and only these)."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QTableWidget.SelectionMode.MultiSelection)
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) in version_ids:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _selection_changed(self) -> None:
        versions = self.selected_versions()
        if len(versions) == 2:
            self._show_diff(*versions)
        elif len(versions) == 1:
            self._show_version(versions[0])
        else:
            self.diff.setRowCount(0)
            self.diff_title.setText("Select one version to see every field, or two to compare "
                                    "them field by field." if self._versions else "")
        self._reflect()

    def _show_diff(self, old: ProgramVersion, new: ProgramVersion) -> None:
        changes = diff_programs(old, new)
        self.diff.setHorizontalHeaderLabels(["Field", f"Version {old.id} (older)",
                                             f"Version {new.id} (newer)"])
        if changes:
            self.diff_title.setText(f"<b>Version {old.id} → version {new.id}</b>: "
                                    f"{len(changes)} field(s) differ.")
        else:
            self.diff_title.setText(f"<b>Version {old.id} and version {new.id}</b> hold the "
                                    "same program: no field differs.")
        self.diff.setRowCount(len(changes))
        for row, change in enumerate(changes):
            self.diff.setItem(row, 0, cell(change.label))
            self.diff.setItem(row, 1, cell(change.old_text))
            self.diff.setItem(row, 2, differing(
                change.new_text, f"Changed from {change.old_text} in version {old.id}"))

    def _show_version(self, version: ProgramVersion) -> None:
        held = self._context.model.session.device_program
        held_fields = held.as_fields() if held is not None else {}
        slot = self._context.model.session.slot
        compare = held is not None and slot == version.slot
        self.diff.setHorizontalHeaderLabels([
            "Field", f"Version {version.id}",
            f"Read back from slot {slot}" if compare else "Device (not read back)"])
        note = (" Fields that differ from what the device holds are marked ≠."
                if compare else "")
        self.diff_title.setText(f"{details_text(version)} Every field.{note}")
        fields = version.program.as_fields()
        self.diff.setRowCount(len(PROGRAM_FIELDS))
        for row, (name, info) in enumerate(PROGRAM_FIELDS.items()):
            held_text = info.format(held_fields[name]) if compare else "—"
            differs = compare and held_fields[name] != fields[name]
            tooltip = (f"Version {version.id} has {info.format(fields[name])}; slot {slot} "
                       f"holds {held_text}")
            for column, text in enumerate((info.label, info.format(fields[name]), held_text)):
                item = differing(text, tooltip) if differs and column > 0 else cell(text)
                self.diff.setItem(row, column, item)

    # -- restoring -------------------------------------------------------------------------

    def _reflect(self) -> None:
        one = len(self.selected_ids()) == 1
        self.restore_button.setEnabled(
            one and bool(self.reason.text().strip()) and self._context.controller.is_connected
            and self._context.may(Action.PROGRAM_DEVICE))

    def restore(self) -> None:
        """Record the selected version again as a new draft and load it into the draft."""
        versions = self.selected_versions()
        reason = self.reason.text().strip()
        context = self._context
        if len(versions) != 1 or not reason or context.record is None or context.user is None:
            return
        old = versions[0]
        findings = context.model.session.assess(old.program).confirmations
        if findings and context.may(Action.CONFIRM_SAFETY_FINDING) and context.user:
            dialog = ConfirmDialog(findings, context.user.username, old.slot, self)
            dialog.setWindowTitle("Confirm safety findings of the restored program")
            dialog.confirm_button.setText("Confirm and restore")
            dialog.cancel_button.setText("Cancel: restore nothing")
            self.confirm_dialog = dialog
            dialog.accepted.connect(lambda: self._record_restore(
                old, reason, Consent.to(dialog.findings, dialog.reason)))
            dialog.open()
            return
        self._record_restore(old, reason, None)

    def _record_restore(self, old: ProgramVersion, reason: str, consent: Consent | None) -> None:
        """Record the restore: with ``consent``, the draft keeps those confirmations."""
        context = self._context
        assert context.record is not None and context.user is not None
        seen_latest = max(v.id for v in self._versions if v.slot == old.slot)
        record, user, visit_id = context.record, context.user, context.visit_id
        confirmations = consent.confirmations(consent.findings or ()) if consent else []
        self.restore_button.setEnabled(False)
        self._records.run(lambda: record.restore_version(user, old.id, reason=reason,
                                                         expected_latest=seen_latest,
                                                         confirmations=confirmations,
                                                         visit_id=visit_id),
                          lambda version: self._restored(version, consent),
                          self._not_restored)

    def _not_restored(self, message: str) -> None:
        self.message.setText(f"Nothing was restored: {message}")
        self.message.setStyleSheet(f"color: {BLOCK_RED};")
        self._reflect()
        self.refresh()

    def _restored(self, version: ProgramVersion, consent: Consent | None) -> None:
        session = self._context.model.session
        self._last_restore = (version.id, version.parent_id)
        session.restore(version.id, version.slot, version.program, consent)
        self.reason.clear()
        self._context.model.notify_draft()
        self.refresh()

    def _show_restore_state(self) -> None:
        """What became of the last restore, in words from the session's one state."""
        if self._last_restore is None:
            return
        version_id, parent_id = self._last_restore
        session = self._context.model.session
        restored = session.restored
        if restored is not None and restored.version_id == version_id:
            where = ("The device still holds its previous program — write and verify it "
                     "from the Program panel." if session.connected else
                     "No device is connected: connect, then write and verify it from the "
                     "Program panel.")
            text = (f"<b>Version {version_id}</b> restores version {parent_id} to slot "
                    f"{restored.slot} as a <b>draft: on screen only</b>. {where}")
            colour = CONFIRM_AMBER
        elif self._version_on_device() == version_id:
            text = (f"<b>Version {version_id}</b> is on the device now: written and verified "
                    f"in slot {session.slot}.")
            colour = OK_GREEN
        else:
            text, colour = "", INFO_GREY
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")

