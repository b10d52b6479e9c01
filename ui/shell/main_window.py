"""The main window: header with STOP, connection, link-loss banner, the leads and the panels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.programming.screen_state import DeviceFacts
from console.stimulation.stopping import WATCHDOG, stop_reason_text
from device_link.keystore import KeyStore
from device_link.messages import FaultEvent, StimStopped
from device_link.protocol import DeviceState
from ui.engineering import panel as engineering_panel
from ui.history import panel as history_panel
from ui.impedance import panel as impedance_panel
from ui.leads import view as leads_view
from ui.placement import tab as placement_tab
from ui.program import panel as program_panel
from ui.shell.connection_panel import ConnectionPanel
from ui.shell.context import WindowContext
from ui.shell.header import DeviceHeader
from ui.shell.stop_control import StopKeyFilter
from ui.stimulation import panel as stimulation_panel

PanelFactory = Callable[[WindowContext], QWidget]
_WATCHDOG_SENTENCE = f"{WATCHDOG[0].upper()}{WATCHDOG[1:]}."


def _for_everyone(_context: WindowContext) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Panel:
    """One tab: its title, how to make it, and whom it is shown to."""

    title: str
    create: PanelFactory
    shown: Callable[[WindowContext], bool] = _for_everyone


PANELS: tuple[Panel, ...] = (
    Panel(program_panel.PANEL_TITLE, program_panel.create),
    Panel(stimulation_panel.PANEL_TITLE, stimulation_panel.create),
    Panel(impedance_panel.PANEL_TITLE, impedance_panel.create),
    Panel(history_panel.PANEL_TITLE, history_panel.create),
    Panel(placement_tab.PANEL_TITLE, placement_tab.create, placement_tab.shown),
    Panel(engineering_panel.PANEL_TITLE, engineering_panel.create, engineering_panel.shown),
)
"""The tabs, in order. Imported, not looked up by name: a broken panel fails loudly."""


class MainWindow(QMainWindow):
    def __init__(self, context: WindowContext, key_store: KeyStore) -> None:
        super().__init__()
        self.context = context
        self._key_store = key_store
        title = "Multifidus Console"
        if context.demo:
            title += " — DEMO (emulator, demonstration data)"
        self.setWindowTitle(title)
        self.resize(1280, 800)

        central = QWidget()
        layout = QVBoxLayout(central)
        self.header = DeviceHeader(context)
        layout.addWidget(self.header)
        self.connection = ConnectionPanel(context, self.connect_to)
        layout.addWidget(self.connection)
        self.link_banner = QLabel()
        self.link_banner.setObjectName("linkLost")
        self.link_banner.setWordWrap(True)
        self.link_banner.hide()
        layout.addWidget(self.link_banner)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(leads_view.create(context))
        self.tabs = QTabWidget()
        for panel in PANELS:
            if panel.shown(context):
                self.tabs.addTab(panel.create(context), panel.title)
        splitter.addWidget(self.tabs)
        self.header.warnings.measure_impedance_requested.connect(self._measure_impedance)
        splitter.setStretchFactor(splitter.count() - 1, 1)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)

        controller = context.controller
        self._stop_keys = StopKeyFilter(controller.stop, lambda: context.model.stimulating, self)
        QApplication.instance().installEventFilter(self._stop_keys)
        controller.connected.connect(self._on_connected)
        controller.disconnected.connect(self._on_disconnected)
        controller.status_changed.connect(context.model.update_status)
        controller.notice.connect(self._on_notice)
        controller.status_failed.connect(self._on_status_failed)
        controller.busy_changed.connect(self._on_busy)
        controller.stop_confirmed.connect(self._on_stop_confirmed)
        controller.stop_failed.connect(self._on_stop_failed)

    def _measure_impedance(self) -> None:
        panel = self.tabs.findChild(impedance_panel.ImpedancePanel)
        self.tabs.setCurrentWidget(panel)
        panel.measure()

    def connect_to(self, port: str, baud: int) -> None:
        if not port:
            self.statusBar().showMessage("Choose a port first.")
            return
        self.link_banner.hide()
        self.statusBar().showMessage(f"Connecting to {port} …")
        self.context.controller.connect_device(
            port, baud, self._key_store,
            on_failed=lambda message: self.statusBar().showMessage(
                f"Could not connect to {port}: {message}"))

    def _on_connected(self, facts: DeviceFacts) -> None:
        self.link_banner.hide()
        self.context.model.attach(facts)
        self.statusBar().showMessage(f"Connected to {facts.identity.serial}: authenticated, "
                                     f"limits read.", 8000)

    def _on_disconnected(self, reason: str) -> None:
        self.context.model.detach()
        if reason:
            self.link_banner.setText(f"LINK LOST — {reason}. Nothing shown is confirmed on the "
                                     f"device. {_WATCHDOG_SENTENCE} Reconnect to continue.")
            self.link_banner.show()
        else:
            self.statusBar().showMessage("Disconnected.", 5000)

    def _on_notice(self, notice: object) -> None:
        if isinstance(notice, FaultEvent):  # a lead flag blocks that lead at once
            self.context.model.set_fault_flags(notice.fault_flags)
        elif isinstance(notice, StimStopped):
            self.context.model.set_state(DeviceState.IDLE)
            self.statusBar().showMessage(f"Stimulation stopped: "
                                         f"{stop_reason_text(notice.reason)}.")

    def _on_status_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"The device's status could not be read: {message}", 5000)

    def _on_busy(self, operation: str) -> None:
        self.busy.setVisible(bool(operation) and operation != "status")
        self.busy.setToolTip(operation)

    def _on_stop_confirmed(self, previous: int) -> None:
        self.context.model.set_state(DeviceState.IDLE)
        self.statusBar().showMessage("STOP confirmed by the device.")

    def _on_stop_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"STOP NOT CONFIRMED: {message}. {_WATCHDOG_SENTENCE}")

    def closeEvent(self, event: QCloseEvent) -> None:
        QApplication.instance().removeEventFilter(self._stop_keys)
        self.context.controller.shutdown()
        super().closeEvent(event)
