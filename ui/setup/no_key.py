"""The connection row's notice for a device whose pairing key the record does not hold.

Connecting to such a device fails at authentication. ``KeyWatch`` notes which serial the
record had no key for (the failure's words reach the window only as text); the notice says
which device, what to do and who may do it, and offers engineers and administrators the
pairing dialog for that serial.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from console.accounts import Action
from console.storage.pairing_keys import NoPairingKey
from device_link.keystore import KeyStore, PairingKey
from ui.setup.pairing_dialog import pair_device
from ui.shell.context import WindowContext


class KeyWatch:
    """The window's key store, remembering the last device the record had no key for."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys
        self.missing: str | None = None  # cleared by the window before each connection

    def key_for(self, serial: str) -> PairingKey:
        try:
            return self._keys.key_for(serial)
        except NoPairingKey as exc:
            self.missing = exc.serial
            raise


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

    def show_failure(self, missing_key: str | None) -> None:
        """Show the notice for the device with no stored key; hide it for any other failure."""
        self.serial = missing_key
        if missing_key is None:
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
