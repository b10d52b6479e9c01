"""The menu bar: File, Device, Patient, Help.

Every entry does what a button elsewhere in the window does, through the same code: the
menu adds a way in, never a rule. Whether an entry is enabled is derived from the one
state (``context.model``, the controller's work, the open visit) and the signed-in
user's role, and re-derived whenever any of them changes. STOP is never disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from console.accounts.roles import Action
from ui.shell.context import WindowContext

Handler = Callable[[], object]


@dataclass(frozen=True, slots=True)
class MenuHandlers:
    """What each entry calls; the window supplies them."""

    users: Handler
    pair_device: Handler
    sign_out: Handler
    close_window: Handler
    toggle_connection: Handler
    read_program: Handler
    measure_impedance: Handler
    set_clock: Handler
    stop: Handler
    start_visit: Handler
    switch_patient: Handler
    end_visit: Handler
    visit_details: Handler
    visit_report: Handler
    user_guide: Handler
    keyboard_keys: Handler
    about: Handler


@dataclass(frozen=True, slots=True)
class VisitState:
    """What the Patient menu may offer now (from ``ui/shell/visits.Visits``)."""

    may_start: Callable[[], bool]
    may_switch: Callable[[], bool]
    may_end: Callable[[], bool]


class WindowMenus:
    """Builds the window's menus; ``reflect()`` updates what is enabled."""

    def __init__(self, window: QMainWindow, context: WindowContext, handlers: MenuHandlers,
                 visits: VisitState) -> None:
        self._context = context
        self._visits = visits
        bar = window.menuBar()
        self.file = bar.addMenu("&File")
        self.users = self._add(self.file, "Users…", handlers.users,
                               "Add users, change roles, reset passwords, disable accounts "
                               "(administrators)")
        self.file.addSeparator()
        self.sign_out = self._add(self.file, "Sign out…", handlers.sign_out,
                                  "End this visit and sign out; the sign-in comes back")
        self.close_window = self._add(self.file, "Close window…", handlers.close_window,
                                      "End this visit and close the window (Ctrl+W)")

        self.device = bar.addMenu("&Device")
        self.connection = self._add(self.device, "Connect", handlers.toggle_connection,
                                    "Connect to the port chosen in the connection row, or "
                                    "disconnect")
        self.device.addSeparator()
        self.read_program = self._add(self.device, "Read program", handlers.read_program,
                                      "Read the Program tab's slot from the device")
        self.measure_impedance = self._add(self.device, "Measure impedance",
                                           handlers.measure_impedance,
                                           "Open the Impedance tab and measure both leads")
        self.set_clock = self._add(self.device, "Set clock", handlers.set_clock,
                                   "Set the device clock to this computer's time (UTC)")
        self.pair_device = self._add(self.device, "Pair device…", handlers.pair_device,
                                     "Store a device's pairing key from its key file "
                                     "(engineers and administrators)")
        self.device.addSeparator()
        self.stop = self._add(self.device, "STOP\tEsc", handlers.stop,
                              "Stop all stimulation and measurement now")

        self.patient = bar.addMenu("&Patient")
        self.start_visit = self._add(self.patient, "Start visit…", handlers.start_visit,
                                     "Start a new visit for this patient")
        self.switch_patient = self._add(self.patient, "Switch patient…",
                                        handlers.switch_patient,
                                        "End this visit and choose another patient "
                                        "(disconnect first)")
        self.end_visit = self._add(self.patient, "End visit", handlers.end_visit,
                                   "End the open visit in the record")
        self.visit_details = self._add(self.patient, "Visit details", handlers.visit_details,
                                       "The open visit: what the device arrived with, what "
                                       "was written")
        self.visit_report = self._add(self.patient, "Visit report…", handlers.visit_report,
                                      "Save the visit report and the patient handout as PDF, "
                                      "then open them to print")

        self.help = bar.addMenu("&Help")
        self.user_guide = self._add(self.help, "User guide", handlers.user_guide,
                                    "How to use the console (F1)")
        self.user_guide.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        window.addAction(self.user_guide)  # F1 from anywhere in the window
        self.keyboard_keys = self._add(self.help, "Keyboard keys", handlers.keyboard_keys,
                                       "Every key the console answers to")
        self.about = self._add(self.help, "About", handlers.about,
                               "Versions, the safety profile in force, the record's location")

        context.model.device_changed.connect(self.reflect)
        context.controller.busy_changed.connect(self.reflect)
        self.reflect()

    @staticmethod
    def _add(menu: QMenu, text: str, handler: Handler, tip: str) -> QAction:
        action = menu.addAction(text)
        action.setToolTip(tip)  # no status tip: hovering must never wipe a STOP message
        menu.setToolTipsVisible(True)
        action.triggered.connect(lambda _checked=False: handler())
        return action

    def reflect(self, *_: object) -> None:
        """Enable each entry only where it means something now, and the role allows it."""
        context, model = self._context, self._context.model
        connected = model.device is not None
        idle = connected and not model.stimulating
        signed_in = context.user is not None
        self.connection.setText("Disconnect" if connected else "Connect")
        self.read_program.setEnabled(idle)
        self.measure_impedance.setEnabled(idle and context.may(Action.MEASURE_IMPEDANCE))
        self.set_clock.setEnabled(connected)
        self.stop.setEnabled(True)
        has_record = context.record is not None
        self.users.setEnabled(has_record and context.may(Action.MANAGE_USERS))
        self.pair_device.setEnabled(has_record and context.may(Action.MANAGE_PAIRING_KEYS))
        self.sign_out.setEnabled(signed_in)
        self.start_visit.setEnabled(self._visits.may_start())
        self.switch_patient.setEnabled(self._visits.may_switch())
        self.end_visit.setEnabled(self._visits.may_end())
        self.visit_details.setEnabled(self._visits.may_end() and context.patient is not None)
        self.visit_report.setEnabled(has_record and signed_in and context.patient is not None)
