"""Engineering: break the emulated device on purpose, watch its simulated patient, read the link.

Only engineers see this tab. It drives the in-process emulator (the demo's,
or one started from the connection bar) or an emulator process through its control
address, and shows the console's own decoded protocol trace.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui.common.theme import BLOCK_RED, INFO_GREY, OK_GREEN
from ui.engineering.faults import FaultControls
from ui.engineering.link import Call, EmulatorLink
from ui.engineering.observation import ObservationView
from ui.engineering.trace import TraceView
from ui.shell.context import WindowContext

PANEL_TITLE = "Engineering"
POLL_MS = 250


def shown(context: WindowContext) -> bool:
    """Hidden from clinical roles: fault injection is not a clinical tool."""
    return context.engineering


def create(context: WindowContext) -> QWidget:
    return EngineeringPanel(context)


def _snapshot(target: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return target.state(), target.observe(), target.impedances()


class EngineeringPanel(QWidget):
    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.link = EmulatorLink(self)
        self._polling = False

        layout = QVBoxLayout(self)
        source = QHBoxLayout()
        self.source = QLabel()
        self.source.setWordWrap(True)
        source.addWidget(self.source, 1)
        source.addWidget(QLabel("Control address"))
        self.address = QLineEdit()
        self.address.setPlaceholderText("HOST:PORT")
        self.address.setToolTip("The control channel of an emulator process (mfconsole "
                                "emulator --control HOST:PORT)")
        self.address.setMaximumWidth(160)
        self.address.returnPressed.connect(self.attach_address)
        source.addWidget(self.address)
        attach = QPushButton("Attach")
        attach.setToolTip("Control the emulator process at this address")
        attach.clicked.connect(self.attach_address)
        source.addWidget(attach)
        self.in_process = QPushButton("In-process")
        self.in_process.setToolTip("Control the emulator running inside the console")
        self.in_process.clicked.connect(lambda: self.link.use_server(context.emulator))
        source.addWidget(self.in_process)
        layout.addLayout(source)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        splitter = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.faults = FaultControls(self.act, context.model)
        self.faults.reconnected.connect(self._reconnected)
        top_layout.addWidget(self.faults)
        self.observation = ObservationView()
        top_layout.addWidget(self.observation, 1)
        splitter.addWidget(top)
        self.trace = TraceView(context.controller)
        splitter.addWidget(self.trace)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

        self.link.attached.connect(self._attached)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self._poll.start()
        self.link.use_server(context.emulator)

    # -- which emulator --------------------------------------------------------------------

    def attach_address(self) -> None:
        address = self.address.text().strip()
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            self._say(f"Control address {address!r} is not HOST:PORT.", BLOCK_RED)
            return
        self._say(f"Attaching to {address} …", INFO_GREY)
        self.link.use_address(address, on_failed=lambda message: self._say(
            f"Could not attach to {address}: {message}", BLOCK_RED))

    def _attached(self, description: str) -> None:
        if description:
            self.source.setText(f"Controlling the <b>{description}</b>.")
            self._say("", INFO_GREY)
        else:
            self.source.setText("No emulator attached: start one from the connection bar, "
                                "or enter the control address of an emulator process.")
            self.observation.detached("No emulator attached.")
        self.in_process.setEnabled(self._context.emulator is not None)

    # -- acting and watching ---------------------------------------------------------------

    def act(self, name: str, call: Call, on_done: Any = None) -> None:
        """Run one fault-injection call; say what happened; refresh the observation."""
        def done(result: Any) -> None:
            self._say(f"Done: {name}.", OK_GREEN)
            if on_done is not None:
                on_done(result)
            self.poll()

        self._say(f"{name} …", INFO_GREY)
        self.link.call(call, done,
                       on_failed=lambda message: self._say(f"{name} failed: {message}",
                                                           BLOCK_RED))

    def poll(self) -> None:
        """Read the emulator's state and simulated observation (one call in flight at most)."""
        context = self._context
        if self.link.address is None and self.link.server is not context.emulator:
            self.link.use_server(context.emulator)  # started or stopped from the connection bar
        if self._polling or self.link.target is None or not self.isVisible():
            return
        self._polling = True
        self.link.call(_snapshot, self._polled, on_failed=self._not_polled)

    def _polled(self, snapshot: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
        self._polling = False
        self.observation.show_state(*snapshot)

    def _not_polled(self, message: str) -> None:
        self._polling = False
        self.observation.detached(f"The emulator does not answer: {message}")

    def _reconnected(self, port: str) -> None:
        connection = getattr(self.window(), "connection", None)
        if port and connection is not None:
            connection.refresh_ports()
            connection.port.setCurrentText(port)
        self._say(f"Cable plugged back in: the emulator is on {port}. Connect to it there.",
                  OK_GREEN)

    def _say(self, text: str, colour: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")
