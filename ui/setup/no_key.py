"""The connection row's notice for a device whose pairing key the record does not hold.

Connecting to such a device fails at authentication with the record's words, "no pairing
key for device SERIAL in the record". The notice says which device, what to do and who
may do it, and offers engineers and administrators the pairing dialog for that serial.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from console.accounts import Action
from ui.setup.pairing_dialog import pair_device
from ui.shell.context import WindowContext

_MISSING_KEY = re.compile(r"no pairing key for device (\S+) in the record")


def missing_key_serial(message: str) -> str | None:
    """The serial a connection failure names as having no stored key; else None."""
    found = _MISSING_KEY.search(message)
    return found.group(1) if found else None


class NoKeyNotice(QFrame):
    """Shown under the connection row after a connection failed for want of a key."""

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.serial: str | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel()
        self.message.setObjectName("findingConfirm")
        self.message.setWordWrap(True)
        layout.addWidget(self.message, 1)
        self.pair_button = QPushButton("Pair this device…")
        self.pair_button.setToolTip("Store this device's pairing key from its key file")
        self.pair_button.clicked.connect(self.pair)
        layout.addWidget(self.pair_button)
        self.hide()

    @property
    def may_pair(self) -> bool:
        return self._context.may(Action.MANAGE_PAIRING_KEYS)

    def show_failure(self, message: str) -> None:
        """Show the notice if ``message`` is a missing key's; hide it for anything else."""
        self.serial = missing_key_serial(message)
        if self.serial is None:
            self.hide()
            return
        what = (f"Device {self.serial} cannot be connected: the clinical record holds no "
                "pairing key for it. ")
        if self.may_pair:
            todo = ("Store the key from the device's key file (Pair this device…), then "
                    "connect again.")
        else:
            todo = ("Ask an engineer or an administrator to store the device's pairing key "
                    "from its key file, then connect again.")
        self.message.setText(what + todo)
        self.pair_button.setVisible(self.may_pair)
        self.show()

    def pair(self) -> None:
        if self.serial is None or not pair_device(self.window(), self._context, self.serial):
            return
        self.message.setText(f"Pairing key stored for device {self.serial}: connect again.")
        self.pair_button.hide()
