"""Lets the start-up benchmark see the demo window appear, then closes it at once."""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, QTimer

PROBE_VARIABLE = "MFCONSOLE_BENCH_QUIT_WHEN_SHOWN"
SHOWN_MARK = "WINDOW-SHOWN"


def quit_when_shown_requested() -> bool:
    return os.environ.get(PROBE_VARIABLE) == "1"


def announce_shown_and_quit() -> None:
    print(SHOWN_MARK, flush=True)
    QTimer.singleShot(0, QCoreApplication.quit)
