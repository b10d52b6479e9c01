"""``mfconsole --demo`` that says when its window is shown, then quits: the start-up probe.

Run as ``python -m ui.bench.startup`` by the start-up measurement. It opens the window
through the very ``run`` that ``mfconsole --demo`` calls; an application-wide event
filter sees the main window's Show event, so the window carries no benchmark hook.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

from ui.shell.app import application, run
from ui.shell.main_window import MainWindow

SHOWN_MARK = "WINDOW-SHOWN"


class _ShownProbe(QObject):
    """Prints ``SHOWN_MARK`` when a main window is shown and quits once the loop runs."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, MainWindow):
            print(SHOWN_MARK, flush=True)
            QTimer.singleShot(0, QCoreApplication.quit)
        return False


def main() -> int:
    probe = _ShownProbe()
    application().installEventFilter(probe)
    return run(["--demo"])


if __name__ == "__main__":
    sys.exit(main())
