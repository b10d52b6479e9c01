"""Clinical-record work off the GUI thread and independent of the device.

Device operations go through ``DeviceController``; noting a stop in the record must not
wait for the device (the link may be gone) and must never hold up the GUI thread that
carries the STOP key, so it runs here, on a thread of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from console.device.record_keeper import RecordKeeper
from ui.shell.context import WindowContext


def keeper_for(context: WindowContext) -> RecordKeeper | None:
    """The keeper of the signed-in user's acts in the current visit (None: no record)."""
    if context.record is None or context.user is None:
        return None
    return RecordKeeper(context.record, context.user, visit_id=context.visit_id)


def _ignore(_value: object) -> None:
    """For work whose result nobody needs."""


class RecordTasks(QObject):
    """Runs record work one task at a time; results and errors come back on the GUI thread."""

    _finished = Signal(object, object, object)  # on_done, on_error, future

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record-io")
        # Queued even from the GUI thread: a future already done when its callback is
        # added calls back at once, and the result must never overtake the caller.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        pool = self._pool
        self.destroyed.connect(lambda *_: pool.shutdown(wait=False))

    def run(self, work: Callable[[], Any], on_done: Callable[[Any], None] = _ignore,
            on_error: Callable[[str], None] = _ignore) -> None:
        future = self._pool.submit(work)
        future.add_done_callback(lambda f: self._finished.emit(on_done, on_error, f))

    @Slot(object, object, object)
    def _deliver(self, on_done: Callable[[Any], None], on_error: Callable[[str], None],
                 future: Future) -> None:
        error = future.exception()
        if error is None:
            on_done(future.result())
        else:
            on_error(str(error))
