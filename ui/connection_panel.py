"""Choosing the port: serial ports (refreshable), any pyserial URL, baud rate, connect."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)
from serial.tools import list_ports

from .context import WindowContext

BAUD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


class ConnectionPanel(QWidget):
    """Port, baud and Connect/Disconnect. ``connect_requested(port, baud)`` does the rest."""

    def __init__(self, context: WindowContext, connect_requested: Callable[[str, int], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._connect_requested = connect_requested
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Port"))
        self.port = QComboBox()
        self.port.setEditable(True)
        self.port.setMinimumWidth(220)
        self.port.setToolTip("Serial port, or a URL such as socket://host:port")
        layout.addWidget(self.port)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Look for serial ports again")
        self.refresh_button.clicked.connect(self.refresh_ports)
        layout.addWidget(self.refresh_button)
        layout.addWidget(QLabel("Baud"))
        self.baud = QComboBox()
        for rate in BAUD_RATES:
            self.baud.addItem(str(rate), rate)
        self.baud.setCurrentText("115200")
        layout.addWidget(self.baud)
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(self._toggle)
        layout.addWidget(self.connect_button)
        layout.addStretch(1)
        context.model.device_changed.connect(self._reflect)
        context.controller.busy_changed.connect(self._reflect)
        self.refresh_ports()

    def refresh_ports(self) -> None:
        current = self.port.currentText()
        self.port.clear()
        extra = [self._context.emulator.port] if self._context.emulator is not None else []
        for name in extra + [info.device for info in list_ports.comports()]:
            self.port.addItem(name)
        if current:
            self.port.setCurrentText(current)

    def _toggle(self) -> None:
        if self._context.controller.is_connected:
            self._context.controller.disconnect_device()
        else:
            self._connect_requested(self.port.currentText().strip(), int(self.baud.currentData()))

    def _reflect(self, *_: object) -> None:
        connected = self._context.model.device is not None
        self.connect_button.setText("Disconnect" if connected else "Connect")
        self.port.setEnabled(not connected)
        self.baud.setEnabled(not connected)
