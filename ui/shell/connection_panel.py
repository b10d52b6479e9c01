"""Choosing the port: serial ports (refreshable), any pyserial URL, baud rate, connect;
and, at the end of the row, Sign out.

Engineers can also start an emulator inside the window (a scenario of their choice);
it is stopped when the window closes. Under the row, a device the record holds no pairing
key for is named, with what to do (``ui.setup.no_key``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from serial.tools import list_ports

from device_link.emulator import SCENARIOS, EmulatorConfig, EmulatorServer
from ui.setup.no_key import NoKeyNotice
from ui.shell.context import WindowContext

BAUD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


class ConnectionPanel(QWidget):
    """Port, baud and Connect/Disconnect. ``connect_requested(port, baud)`` does the rest."""

    def __init__(self, context: WindowContext, connect_requested: Callable[[str, int], None],
                 sign_out: Callable[[], object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._connect_requested = connect_requested
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        layout = QHBoxLayout()
        rows.addLayout(layout)
        self.no_key = NoKeyNotice(context)
        rows.addWidget(self.no_key)
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
        self.connect_button.clicked.connect(self.toggle)
        layout.addWidget(self.connect_button)
        layout.addStretch(1)
        self.started_emulator: EmulatorServer | None = None
        self.scenario = QComboBox()
        for name, scenario in SCENARIOS.items():
            self.scenario.addItem(name)
            self.scenario.setItemData(self.scenario.count() - 1, scenario.description,
                                      Qt.ItemDataRole.ToolTipRole)
        self.scenario.setToolTip("The emulator's starting situation (see docs/emulator.md)")
        self.emulator_button = QPushButton("Start emulator")
        self.emulator_button.setToolTip("Start a device emulator inside the console and put "
                                        "its port in the port box (engineering only)")
        self.emulator_button.clicked.connect(self._toggle_emulator)
        for widget in (self.scenario, self.emulator_button):
            widget.setVisible(context.engineering and not context.demo)
            layout.addWidget(widget)
        self.sign_out_button = QPushButton("Sign out…")
        self.sign_out_button.setToolTip("End this visit and sign out (asks first if anything "
                                        "would be lost); the sign-in comes back")
        self.sign_out_button.setVisible(sign_out is not None)
        if sign_out is not None:
            self.sign_out_button.clicked.connect(sign_out)
        layout.addWidget(self.sign_out_button)
        self._watching_close = False
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

    def toggle(self) -> None:
        """Disconnect, or connect to the port chosen in this row (the button and the menu)."""
        if self._context.controller.is_connected:
            self._context.controller.disconnect_device()
        else:
            self._connect_requested(self.port.currentText().strip(), int(self.baud.currentData()))

    def show_failure(self, missing_key: str | None) -> None:
        """A connection failed: a device with no stored key is explained under the row."""
        self.no_key.show_failure(missing_key)

    def clear_failure(self) -> None:
        self.no_key.hide()

    def _reflect(self, *_: object) -> None:
        connected = self._context.model.device is not None
        if connected:
            self.no_key.hide()
        self.connect_button.setText("Disconnect" if connected else "Connect")
        self.port.setEnabled(not connected)
        self.baud.setEnabled(not connected)
        self.scenario.setEnabled(self.started_emulator is None)

    # -- an emulator inside the window (engineers) -----------------------------------------

    def start_emulator(self, scenario: str) -> str:
        """Start an in-process emulator in ``scenario``; returns its port (also in the box)."""
        self.stop_emulator()
        server = EmulatorServer(EmulatorConfig(scenario=scenario))
        port = server.start()
        self.started_emulator = server
        self._context.emulator = server
        self.refresh_ports()
        self.port.setCurrentText(port)
        self.emulator_button.setText("Stop emulator")
        self._reflect()
        return port

    def stop_emulator(self) -> None:
        """Stop the emulator started here (disconnecting first if it is the device)."""
        server = self.started_emulator
        if server is None:
            return
        if self._context.controller.is_connected and self.port.currentText() == server.port:
            self._context.controller.disconnect_device()
        self.started_emulator = None
        if self._context.emulator is server:
            self._context.emulator = None
        server.stop()
        self.emulator_button.setText("Start emulator")
        self.refresh_ports()
        self._reflect()

    def _toggle_emulator(self) -> None:
        if self.started_emulator is None:
            self.start_emulator(self.scenario.currentText())
        else:
            self.stop_emulator()

    def showEvent(self, event: QEvent) -> None:
        if not self._watching_close:
            self.window().installEventFilter(self)
            self._watching_close = True
        super().showEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window() and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self.stop_emulator)  # after the window has closed the port
        return False
