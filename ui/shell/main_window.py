"""The main window: menus, header with STOP, connection, link-loss banner, the leads and the
panels.

Leaving (the title bar's close button, Ctrl+W, Sign out beside the connection) asks first
when something would be lost or left open; a program closing the window (the benchmark,
a test) has decided already and is not asked. Leaving ends the visit in the record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.accounts import AccessError
from console.programming.screen_state import DeviceFacts
from console.stimulation.stopping import WATCHDOG, stop_reason_text
from console.storage import RecordError
from device_link.keystore import KeyStore
from device_link.messages import FaultEvent, StimStopped
from device_link.protocol import DeviceState
from ui.clinic import panel as clinic_panel
from ui.common.panel_tabs import PanelTabs, scrolling
from ui.engineering import panel as engineering_panel
from ui.history import panel as history_panel
from ui.impedance import panel as impedance_panel
from ui.leads import view as leads_view
from ui.outcomes import panel as outcomes_panel
from ui.placement import tab as placement_tab
from ui.program import panel as program_panel
from ui.setup.no_key import KeyWatch
from ui.setup.pairing_dialog import open_pairing_dialog
from ui.setup.users_dialog import open_users_dialog
from ui.shell.connection_panel import ConnectionPanel
from ui.shell.context import WindowContext
from ui.shell.header import DeviceHeader
from ui.shell.help_dialogs import TextWindow, about_window, guide_window
from ui.shell.leaving import LeaveQuestion, leaving_reasons
from ui.shell.menus import MenuHandlers, VisitState, WindowMenus
from ui.shell.stop_control import StopKeyFilter
from ui.shell.visit_report import VisitReports
from ui.shell.visits import Visits
from ui.stimulation import panel as stimulation_panel
from ui.stimulation import therapy_panel
from ui.usage import panel as usage_panel

PanelFactory = Callable[[WindowContext], QWidget]
_log = logging.getLogger(__name__)
FRAME_ROOM = 60  # px a window manager's title bar, borders and a panel may take
DESIGN_SIZE = (1280, 800)
"""The size the window is laid out for; on a screen with less room it opens maximised."""
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
    Panel(therapy_panel.PANEL_TITLE, therapy_panel.create),
    Panel(impedance_panel.PANEL_TITLE, impedance_panel.create),
    Panel(history_panel.PANEL_TITLE, history_panel.create),
    Panel(usage_panel.PANEL_TITLE, usage_panel.create),
    Panel(outcomes_panel.PANEL_TITLE, outcomes_panel.create),
    Panel(placement_tab.PANEL_TITLE, placement_tab.create, placement_tab.shown),
    Panel(clinic_panel.PANEL_TITLE, clinic_panel.create, clinic_panel.shown),
    Panel(engineering_panel.PANEL_TITLE, engineering_panel.create, engineering_panel.shown),
)
"""The tabs, in order. Imported, not looked up by name: a broken panel fails loudly."""


class MainWindow(QMainWindow):
    def __init__(self, context: WindowContext, key_store: KeyStore) -> None:
        super().__init__()
        self.context = context
        self._key_store = KeyWatch(key_store)
        title = "Multifidus Console"
        if context.demo:
            title += " — DEMO (emulator, demonstration data)"
        self.setWindowTitle(title)
        self.resize(*DESIGN_SIZE)

        central = QWidget()
        layout = QVBoxLayout(central)
        self.header = DeviceHeader(context)
        layout.addWidget(self.header)
        self.connection = ConnectionPanel(context, self.connect_to, self.sign_out)
        # beside the menus, in their row: the window keeps its height for the tabs
        corner = QWidget(self.menuBar())
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(12, 3, 6, 3)
        corner_layout.addWidget(self.connection)
        self.menuBar().setCornerWidget(corner)
        self.link_banner = QLabel()
        self.link_banner.setObjectName("linkLost")
        self.link_banner.setWordWrap(True)
        self.link_banner.hide()
        layout.addWidget(self.link_banner)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scrolling(leads_view.create(context)))
        self.tabs = PanelTabs()
        for panel in PANELS:
            if panel.shown(context):
                self.tabs.add_panel(panel.create(context), panel.title)
        splitter.addWidget(self.tabs)
        warnings = self.header.warnings
        warnings.measure_impedance_requested.connect(self._measure_impedance)
        warnings.clock_set.connect(lambda: self._say("Device clock set to this computer's time."))
        warnings.clock_failed.connect(lambda why: self._say(f"The clock was not set: {why}"))
        splitter.setStretchFactor(splitter.count() - 1, 1)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.leave_question = LeaveQuestion(self)
        self.signed_out = False  # left by Sign out: the start-up signs in again
        self._leaving = False  # the question was answered (or never needed)
        self._ended = False
        self._add_close_key()
        self.visits = Visits(self, context, self.leave_question, self._say)
        self.visits.changed.connect(self._visit_changed)
        self.visit_reports = VisitReports(self, context, self._say)
        self.guide: TextWindow | None = None
        self.about: TextWindow | None = None
        self.menus = WindowMenus(self, context, MenuHandlers(
            users=lambda: open_users_dialog(self, context),
            pair_device=lambda: open_pairing_dialog(self, context),
            sign_out=self.sign_out, close_window=self.leave,
            toggle_connection=self.connection.toggle, read_program=self._read_program,
            measure_impedance=self._measure_impedance, set_clock=self.header.warnings.set_clock,
            stop=context.controller.stop, start_visit=self.visits.start,
            switch_patient=self.visits.switch_patient, end_visit=self.visits.end,
            visit_details=self.visits.details, visit_report=self.visit_reports.start,
            user_guide=self.show_guide,
            keyboard_keys=lambda: self.show_guide("keys"), about=self.show_about),
            VisitState(self.visits.may_start, self.visits.may_switch, self.visits.may_end))
        self.header.device_match.patient_changed.connect(self.menus.reflect)

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
        panel = self.tabs.show_panel(impedance_panel.ImpedancePanel)
        if panel is not None:
            panel.measure()

    def _say(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    # -- menu entries ----------------------------------------------------------------------

    def _read_program(self) -> None:
        panel = self.tabs.show_panel(program_panel.ProgramPanel)
        if panel is not None:
            panel.read(panel.session.slot)

    def _visit_changed(self) -> None:
        """Another visit or patient: the header, the menus, History and Outcomes follow."""
        self.header.show_patient()
        self.menus.reflect()
        for panel in self.findChildren(history_panel.HistoryPanel):
            panel.rescope()
        for outcomes in self.findChildren(outcomes_panel.OutcomesPanel):
            outcomes.rescope()

    def show_guide(self, anchor: str | None = None) -> None:
        """The user guide, non-modal: STOP keeps working while it is open."""
        if self.guide is None:
            self.guide = guide_window(self)
        self.guide.show_at(anchor)

    def show_about(self) -> None:
        if self.about is not None:
            self.about.close()
            self.about.deleteLater()
        self.about = about_window(self.context, self)  # read afresh: the device may differ
        self.about.show_at()

    def _add_close_key(self) -> None:
        """Ctrl+W (the platform's Close key) leaves as the title bar's button does."""
        close = QAction("Close window…", self)
        close.setShortcut(QKeySequence.StandardKey.Close)
        close.triggered.connect(self.leave)
        self.addAction(close)

    def show_on_screen(self) -> None:
        """Open at the design size where the screen has room for it and its frame, else
        maximised: the status bar, where STOP confirmations appear, is never cut off."""
        available = self.screen().availableGeometry()
        width, height = DESIGN_SIZE
        if available.width() < width + FRAME_ROOM or available.height() < height + FRAME_ROOM:
            self.showMaximized()
        else:
            self.show()

    def connect_to(self, port: str, baud: int) -> None:
        if not port:
            self.statusBar().showMessage("Choose a port first.")
            return
        self.link_banner.hide()
        self.connection.clear_failure()
        self._key_store.missing = None
        self.statusBar().showMessage(f"Connecting to {port} …")
        self.context.controller.connect_device(
            port, baud, self._key_store,
            on_failed=lambda message: self._connect_failed(port, message))

    def _connect_failed(self, port: str, message: str) -> None:
        self.statusBar().showMessage(f"Could not connect to {port}: {message}")
        self.connection.show_failure(self._key_store.missing)  # explained there

    def _on_connected(self, facts: DeviceFacts) -> None:
        self.link_banner.hide()
        self.context.model.attach(facts)
        self.statusBar().showMessage(f"Connected to {facts.identity.serial}: authenticated, "
                                     f"limits read.", 8000)

    def _on_disconnected(self, reason: str) -> None:
        """``reason`` is empty for the Disconnect the user chose: no alarm for that."""
        self.context.model.detach(lost=bool(reason))
        if reason:
            self.link_banner.setText(f"LINK LOST — {reason}. Nothing shown is confirmed on the "
                                     f"device. {_WATCHDOG_SENTENCE} Reconnect to continue.")
            self.link_banner.show()
        else:
            self.link_banner.hide()
            self.statusBar().showMessage("Disconnected: no device is connected.", 8000)

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
        self.context.model.stop_confirmed()
        self.statusBar().showMessage("STOP confirmed by the device.")

    def _on_stop_failed(self, message: str) -> None:
        self.context.model.stop_unconfirmed(f"STOP not confirmed: {message}")
        self.statusBar().showMessage(f"STOP NOT CONFIRMED: {message}. {_WATCHDOG_SENTENCE}")

    # -- leaving ---------------------------------------------------------------------------

    def may_leave(self, title: str) -> bool:
        """Ask first when something would be lost or left open; True to leave."""
        reasons = leaving_reasons(self.context)
        return not reasons or self.leave_question.ask(title, reasons)

    def leave(self) -> bool:
        """Close the window, after the question if one is needed. True if it closed."""
        if not self.may_leave("Close the window?"):
            return False
        self._leaving = True
        return self.close()

    def sign_out(self) -> bool:
        """End the visit and the session as closing does; the start-up signs in again."""
        if not self.may_leave("Sign out?"):
            return False
        self.signed_out = True
        self._leaving = True
        return self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The person closing the window from the title bar is asked; code has decided.
        if event.spontaneous() and not self._leaving and not self.may_leave("Close the window?"):
            event.ignore()
            return
        self._end()
        super().closeEvent(event)

    def _end(self) -> None:
        """Once: STOP keys off, the link closed, the visit ended in the record."""
        if self._ended:
            return
        self._ended = True
        QApplication.instance().removeEventFilter(self._stop_keys)
        self.context.controller.shutdown()
        context = self.context
        if context.visit is None or context.record is None or context.user is None:
            return
        try:
            context.record.end_visit(context.user, context.visit.id,
                                     expected_revision=context.visit.revision)
        except (RecordError, AccessError) as exc:  # ended elsewhere, or the record is gone
            _log.warning("visit %s was not ended: %s", context.visit.id, exc)
