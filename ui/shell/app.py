"""Start the window: sign in, choose the patient and visit (or the demo), then the main window.

``mfconsole`` opens it on the clinic's record (setting one up first where there is none,
see ``ui.setup.start``); ``mfconsole --demo`` on a built-in emulator behind a real
pseudo-terminal, a throwaway record and a demo clinician, with the demo patient and
visit already chosen. ``--demo-role engineer`` signs the demo in
as an engineer instead, to show the engineering view. Signing out of the clinic's window
brings the sign-in back; signing out of the demo ends it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy.engine import make_url

from console.accounts.roles import Role
from console.emulation.demo import DemoEnvironment
from console.paths import ICON_PNG, shipped
from console.programming.screen_state import ProgrammingSession
from console.storage import ClinicalRecord, RecordError, database_url
from console.storage.database import describe
from device_link.keystore import KeyStore, PairingKey
from ui.common.theme import STYLE_SHEET
from ui.device.controller import DeviceController
from ui.device.session_model import SessionModel
from ui.setup.start import clinic_record
from ui.shell.context import WindowContext
from ui.shell.main_window import MainWindow
from ui.shell.patient_dialog import PatientDialog
from ui.shell.signin_dialog import SignInDialog
from ui.shell.zoom import Zoom, user_settings


def window_options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mfconsole", description="Open the console window.")
    parser.add_argument("--demo", action="store_true",
                        help="built-in emulator, demonstration record, demo clinician")
    parser.add_argument("--demo-role", choices=[role.value for role in Role],
                        default=Role.CLINICIAN.value,
                        help="with --demo: whom the demo is signed in as (engineer shows "
                             "the engineering view)")
    parser.add_argument("--db", help="clinical record URL (default: MFCONSOLE_DB or the local "
                                     "SQLite file)")
    return parser.parse_args(argv)


class WindowKeyStore:
    """The record's pairing keys, and the key of an emulator running inside this window.

    An emulator an engineer starts here is not in the record; its own configuration
    holds its key. Any other serial is looked up in the record as usual.
    """

    def __init__(self, keys: KeyStore, context: WindowContext) -> None:
        self._keys = keys
        self._context = context

    def key_for(self, serial: str) -> PairingKey:
        emulator = self._context.emulator
        if emulator is not None and emulator.config.serial == serial:
            return emulator.config.key
        return self._keys.key_for(serial)


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Multifidus Console")
    app.setDesktopFileName("mfconsole")  # ties the window to its menu entry and icon
    app.setWindowIcon(QIcon(str(shipped(ICON_PNG))))
    app.setStyleSheet(STYLE_SHEET)
    return app


def demo_window(demo: DemoEnvironment, port: str | None = None) -> MainWindow:
    """The window on the demo environment, connecting to its emulator at once (or to
    ``port``: another device holding the demo key, such as an emulator process)."""
    controller = DeviceController()
    patient = demo.record.patient(demo.user, demo.patient_clinic_id)
    visit = next(v for v in demo.record.timeline(demo.user, demo.patient_clinic_id).visits
                 if v.id == demo.visit_id)
    context = WindowContext(controller, SessionModel(ProgrammingSession()), demo.record,
                            demo.user, emulator=demo.emulator, demo=True, patient=patient,
                            visit=visit)
    window = MainWindow(context, demo.record.key_store())
    port = port or demo.emulator.port
    window.connection.port.setCurrentText(port)
    QTimer.singleShot(0, lambda: window.connect_to(port, 115200))
    return window


def clinic_window(record: ClinicalRecord) -> MainWindow | None:
    dialog = SignInDialog(record)
    if dialog.exec() != SignInDialog.DialogCode.Accepted or dialog.user is None:
        return None
    chooser = PatientDialog(record, dialog.user)
    if chooser.exec() != PatientDialog.DialogCode.Accepted:
        return None
    context = WindowContext(DeviceController(), SessionModel(ProgrammingSession()), record,
                            dialog.user, patient=chooser.patient, visit=chooser.visit)
    return MainWindow(context, WindowKeyStore(record.key_store(), context))


def signed_in_sessions(record: ClinicalRecord, app: QApplication, zoom: Zoom | None = None,
                       open_window: Callable[[ClinicalRecord], MainWindow | None] = clinic_window
                       ) -> int:
    """Sign in and work until the window is closed; after a sign-out, sign in again."""
    while (window := open_window(record)) is not None:
        if zoom is not None:
            zoom.install(window)
        window.show_on_screen()
        try:
            code = app.exec()
        finally:
            window.connection.stop_emulator()
        if not window.signed_out:
            return code
    return 0


def run(argv: Sequence[str]) -> int:
    options = window_options(argv)
    app = application()
    if options.demo:
        demo = DemoEnvironment.start(role=Role(options.demo_role))
        try:
            zoom = Zoom(user_settings())  # the saved zoom, before the window is laid out
            window = demo_window(demo)
            zoom.install(window)
            window.show_on_screen()
            return app.exec()
        finally:
            demo.close()
    try:
        record = clinic_record(options.db)  # set up first where there is none
    except RecordError as exc:  # not ours, damaged, unreachable
        print(f"mfconsole: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "Clinical record", str(exc))
        return 1
    if record is None:
        where = describe(make_url(database_url(options.db)))
        print(f"mfconsole: no clinical record was set up in {where}; nothing was created",
              file=sys.stderr)
        return 1
    try:
        return signed_in_sessions(record, app, Zoom(user_settings()))
    finally:
        record.close()
