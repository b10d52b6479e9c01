"""Storing a device's pairing key from a key file (engineers and administrators).

A new implant cannot connect before its key is stored, so it can be added here too: an
administrator, with the patient's record open, adds the serial to that patient (as
``mfconsole devices add`` does) and stores its key in one step.

The file is read and checked by ``console.device.key_file`` (as ``mfconsole devices key``
does) and the key stored encrypted by the record, which audits it without the key. The
key itself is never shown: only the file, the device and whether the file is usable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.accounts import AccessError, Action, User
from console.accounts.roles import allowed
from console.device.key_file import read_key_file
from console.storage import ClinicalRecord, NotFound, RecordError
from console.storage.pairing_targets import PairingTarget, pairing_targets
from device_link.keystore import KeyStoreError
from ui.shell.context import WindowContext

Confirm = Callable[[str, str], bool]
NEW_DEVICE = "\x00new"  # the device list's "a new device" entry: its serial is typed


def _ask(parent: QWidget) -> Confirm:
    def confirm(title: str, question: str) -> bool:
        answer = QMessageBox.question(parent, title, question)
        return answer == QMessageBox.StandardButton.Yes
    return confirm


def _describe(target: PairingTarget) -> str:
    owner = f"patient {target.patient_clinic_id}" if target.patient_clinic_id else "no patient"
    key = (f"key stored {target.key_stored_at:%Y-%m-%d}" if target.key_stored_at
           else "no key stored")
    return f"{target.serial} — {owner}, {key}"


class PairingDialog(QDialog):
    """Choose the device and its key file; Store keeps the key in the record."""

    def __init__(self, record: ClinicalRecord, actor: User, serial: str | None = None,
                 parent: QWidget | None = None, *, patient_clinic_id: str | None = None
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pair a device — Multifidus Console")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 90)
        self._record = record
        self._actor = actor
        self.confirm: Confirm = _ask(self)
        self.stored_serial: str | None = None
        self.adds_to = patient_clinic_id if patient_clinic_id is not None and allowed(
            actor, Action.MANAGE_PATIENTS) else None  # the patient a new device joins
        layout = QVBoxLayout(self)
        intro = QLabel("A device answers only a console holding its pairing key. The key "
                       "comes from the manufacturer as a key file of 64 hexadecimal "
                       "characters, readable only by you (mode 0600). It is stored "
                       "encrypted in the clinical record and never shown.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.device = QComboBox()
        self.targets = self._targets()
        for target in self.targets:
            self.device.addItem(_describe(target), target.serial)
        joins = f": added to patient {self.adds_to}" if self.adds_to else ""
        if serial is not None and self.device.findData(serial) < 0:
            self.device.addItem(f"{serial} — not in the clinical record{joins}", serial)
        if self.adds_to is not None:
            self.device.addItem(f"A new device for patient {self.adds_to}…", NEW_DEVICE)
        if serial is not None:
            self.device.setCurrentIndex(self.device.findData(serial))
        form.addRow("Device", self.device)
        self.new_serial = QLineEdit()
        self.new_serial.setPlaceholderText("the serial printed on the implant's label")
        self.new_serial.editingFinished.connect(self.check_key_file)
        form.addRow("New device's serial", self.new_serial)
        self._new_serial_row = form.rowCount() - 1
        form.setRowVisible(self._new_serial_row, False)
        self._form = form
        self.key_path = QLineEdit()
        self.key_path.setPlaceholderText("the device's key file")
        self.key_path.editingFinished.connect(self.check_key_file)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_file)
        row = QHBoxLayout()
        row.addWidget(self.key_path, 1)
        row.addWidget(choose)
        form.addRow("Key file", row)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.store_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.store_button.setText("Store key")
        self.store_button.setEnabled(False)
        buttons.accepted.connect(self.store)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.device.currentIndexChanged.connect(self._device_chosen)

    def _device_chosen(self) -> None:
        self._form.setRowVisible(self._new_serial_row,
                                 self.device.currentData() == NEW_DEVICE)
        self.check_key_file()

    def _targets(self) -> list[PairingTarget]:
        try:
            return pairing_targets(self._record, self._actor)
        except (RecordError, AccessError) as exc:
            self._say(f"The devices could not be read: {exc}.", "findingBlock")
            return []

    @property
    def serial(self) -> str | None:
        data = self.device.currentData()
        if data == NEW_DEVICE:
            return self.new_serial.text().strip() or None
        return str(data) if data else None

    def set_key_file(self, path: Path) -> None:
        self.key_path.setText(str(path))
        self.check_key_file()

    def _choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "The device's key file",
                                                self.key_path.text(),
                                                "Key files (*.key);;All files (*)")
        if chosen:
            self.set_key_file(Path(chosen))

    def check_key_file(self) -> bool:
        """Read the file now (never showing the key): say whether it can be stored."""
        path = self.key_path.text().strip()
        self.store_button.setEnabled(False)
        if not path:
            self._say("", "findingInfo")
            return False
        try:
            read_key_file(path)
        except KeyStoreError as exc:
            reason = str(exc)
            self._say(f"{reason[:1].upper()}{reason[1:]}.", "findingBlock")
            return False
        if self.serial is None:
            self._say("Choose the device this key belongs to.", "findingInfo")
            return False
        self._say(f"Key file {path} holds a pairing key, kept private. Store it for device "
                  f"{self.serial}?", "findingInfo")
        self.store_button.setEnabled(True)
        return True

    def store(self) -> None:
        """Store the key for the chosen device (read again now: what is stored is what
        was checked), asking first when it replaces a stored key."""
        serial, path = self.serial, self.key_path.text().strip()
        if serial is None or not self.check_key_file():
            return
        stored = next((t.key_stored_at for t in self.targets if t.serial == serial), None)
        if stored is not None and not self.confirm(
                "Replace the pairing key?",
                f"Device {serial} has a pairing key stored on {stored:%Y-%m-%d}. Replace it? "
                "The old key is no longer kept, and the device answers only its own key."):
            return
        known = any(target.serial == serial for target in self.targets)
        if not known and self.adds_to is not None and not self._add(serial):
            return
        try:
            self._record.store_pairing_key(self._actor, serial, read_key_file(path))
        except NotFound:
            self._say(f"Device {serial} is not in the clinical record, so its key cannot be "
                      f"stored yet: add the device to its patient first (mfconsole devices "
                      f"add {serial} --patient CLINIC_ID), then store its key.", "findingBlock")
            return
        except (RecordError, AccessError, KeyStoreError) as exc:
            self._say(f"The key was not stored: {exc}.", "findingBlock")
            return
        self.stored_serial = serial
        self.accept()

    def _add(self, serial: str) -> bool:
        """Add a device not yet in the record to the open patient, before its key."""
        try:
            self._record.add_device(self._actor, serial, self.adds_to)
        except (RecordError, AccessError) as exc:
            self._say(f"Device {serial} was not added to patient {self.adds_to}: {exc}. "
                      "Nothing was stored.", "findingBlock")
            return False
        return True

    def _say(self, text: str, style: str) -> None:
        self.message.setObjectName(style)
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)


def pair_device(parent: QWidget, context: WindowContext, serial: str | None = None) -> bool:
    """The pairing dialog; True once a key was stored."""
    if context.record is None or context.user is None:
        return False
    if not context.may(Action.MANAGE_PAIRING_KEYS):
        QMessageBox.information(parent, "Pair a device",
                                "Only an engineer or an administrator stores pairing keys.")
        return False
    patient = context.patient.clinic_id if context.patient is not None else None
    dialog = PairingDialog(context.record, context.user, serial, parent,
                           patient_clinic_id=patient)
    return dialog.exec() == QDialog.DialogCode.Accepted and dialog.stored_serial is not None


def open_pairing_dialog(parent: QWidget, context: WindowContext,
                        serial: str | None = None) -> None:
    """Pair device…: store a device's pairing key from its key file."""
    pair_device(parent, context, serial)
