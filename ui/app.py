"""Start the window: sign in (or the demo), then the main window.

``mfconsole`` opens it on the clinic's record; ``mfconsole --demo`` on a built-in
emulator behind a real pseudo-terminal, a throwaway record and a demo clinician.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from console.demo import DemoEnvironment
from console.programming_session import ProgrammingSession
from console.storage import ClinicalRecord, RecordError, database_url

from .context import WindowContext
from .device_controller import DeviceController
from .main_window import MainWindow
from .session_model import SessionModel
from .signin_dialog import SignInDialog
from .theme import STYLE_SHEET


def window_options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mfconsole", description="Open the console window.")
    parser.add_argument("--demo", action="store_true",
                        help="built-in emulator, demonstration record, demo clinician")
    parser.add_argument("--db", help="clinical record URL (default: MFCONSOLE_DB or the local "
                                     "SQLite file)")
    return parser.parse_args(argv)


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Multifidus Console")
    app.setStyleSheet(STYLE_SHEET)
    return app


def demo_window(demo: DemoEnvironment) -> MainWindow:
    """The window on the demo environment, connecting to its emulator at once."""
    controller = DeviceController()
    context = WindowContext(controller, SessionModel(ProgrammingSession()), demo.record,
                            demo.user, emulator=demo.emulator, demo=True)
    window = MainWindow(context, demo.record.key_store())
    window.connection.port.setCurrentText(demo.emulator.port)
    QTimer.singleShot(0, lambda: window.connect_to(demo.emulator.port, 115200))
    return window


def clinic_window(record: ClinicalRecord) -> MainWindow | None:
    dialog = SignInDialog(record)
    if dialog.exec() != SignInDialog.DialogCode.Accepted or dialog.user is None:
        return None
    context = WindowContext(DeviceController(), SessionModel(ProgrammingSession()), record,
                            dialog.user)
    return MainWindow(context, record.key_store())


def run(argv: Sequence[str]) -> int:
    options = window_options(argv)
    app = application()
    if options.demo:
        demo = DemoEnvironment.start()
        try:
            window = demo_window(demo)
            window.show()
            return app.exec()
        finally:
            demo.close()
    try:
        record = ClinicalRecord.open(database_url(options.db))
    except RecordError as exc:
        QMessageBox.critical(None, "Clinical record", str(exc))
        return 1
    try:
        window = clinic_window(record)
        if window is None:
            return 0
        window.show()
        return app.exec()
    finally:
        record.close()
