"""The window's handle on the device: all I/O off the GUI thread, STOP on a thread of its own.

Ordinary operations run one at a time on a worker thread; each call names what to do
with its result and with its failure, both on the GUI thread, so whoever asked is the
one who hears how it went. STOP never queues behind them:
``console.stimulation.stopping.Stopper`` sends it the moment it is asked, even while the
worker waits on a slow measurement or a silent device.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from console.programming.screen_state import DeviceFacts
from console.stimulation.stopping import StopOutcome, Stopper
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError
from device_link.events import LinkDown, Notice
from device_link.keystore import KeyStore
from device_link.trace import TraceRecord

STATUS_POLL_MS = 1000

Operation = Callable[[DeviceClient], Any]
Done = Callable[[Any], None]
Failed = Callable[[str], None]  # the message for the user
NOT_CONNECTED = "not connected to a device"


def failure_text(error: BaseException) -> str:
    """What the user reads: the link's own words, or the kind of error with its text."""
    if isinstance(error, DeviceLinkError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class DeviceController(QObject):
    connected = Signal(object)  # DeviceFacts
    disconnected = Signal(str)  # "" when asked for; the reason when the link was lost
    """Once per connection: a Disconnect the user chose is never reported as a lost link."""
    status_changed = Signal(object)  # device_link.messages.Status
    notice = Signal(object)  # StimTelemetry, StimStopped, ImpedanceProgress, FaultEvent
    busy_changed = Signal(str)  # the running operation's name, "" when idle
    status_failed = Signal(str)  # the periodic status read failed: why
    stop_sent = Signal(float)  # perf_counter() when STOP was handed to the port
    stop_confirmed = Signal(int)  # the device's state before it stopped
    stop_failed = Signal(str)
    traced = Signal(object)  # TraceRecord, for the engineering view

    _finished = Signal(object, object, object, str)  # on_done, on_failed, future, name
    _link_down = Signal(object, str)  # the client whose link went down, why

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="device-io")
        self._client: DeviceClient | None = None
        self._busy: list[str] = []
        self._stopper = Stopper(lambda: self._client, on_sent=self.stop_sent.emit,
                                on_done=self._stop_done)
        # Queued even from the GUI thread: a future already done when its callback is
        # added calls back at once, and the result must never overtake the caller.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._link_down.connect(self._link_lost)
        self._poll = QTimer(self)
        self._poll.setInterval(STATUS_POLL_MS)
        self._poll.timeout.connect(self._poll_status)
        self.trace_enabled = False

    # -- connection ------------------------------------------------------------------------

    @property
    def client(self) -> DeviceClient | None:
        return self._client

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.connected

    def connect_device(self, port: str, baud: int, key_store: KeyStore, *,
                       on_failed: Failed) -> None:
        """Open, authenticate and read the device; ``connected`` when done."""
        def connect(_: None) -> DeviceFacts:
            client = DeviceClient(port, key_store, baud=baud, trace=self._on_trace)
            client.subscribe(lambda notice: self._on_notice(client, notice))
            client.open()
            self._client = client
            assert client.identity is not None and client.limits is not None
            return DeviceFacts(client.identity, client.limits, client.get_status())

        self._submit("connect", connect, self._connected, on_failed, needs_client=False)

    def _connected(self, facts: DeviceFacts) -> None:
        self._poll.start()
        self.connected.emit(facts)

    def disconnect_device(self) -> None:
        client = self._client
        self._client = None
        self._poll.stop()
        if client is not None:
            self._worker.submit(client.close)
            self.disconnected.emit("")

    def shutdown(self) -> None:
        """Window closing: close the port and let the threads end."""
        self._poll.stop()
        if self._client is not None:
            self._client.close()
            self._client = None
        self._stopper.close()
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- operations ------------------------------------------------------------------------

    def run(self, name: str, operation: Operation, on_done: Done | None = None, *,
            on_failed: Failed) -> None:
        """Run ``operation(client)`` on the worker; then, on the GUI thread, ``on_done(result)``
        or ``on_failed(message)`` (also when no device is connected; never re-entrantly)."""
        self._submit(name, operation, on_done, on_failed)

    def _submit(self, name: str, operation: Callable[[Any], Any], on_done: Done | None,
                on_failed: Failed, needs_client: bool = True) -> None:
        if needs_client and not self.is_connected:
            QTimer.singleShot(0, self, lambda: on_failed(NOT_CONNECTED))
            return
        self._busy.append(name)
        self.busy_changed.emit(name)

        def work() -> Any:
            client = self._client
            if needs_client and client is None:
                raise DeviceLinkError(NOT_CONNECTED)
            return operation(client)

        future = self._worker.submit(work)
        # Never send None through a signal: PySide6 on Python 3.11 can over-release it.
        callback = on_done if on_done is not None else _ignore
        future.add_done_callback(lambda f: self._finished.emit(callback, on_failed, f, name))

    @Slot(object, object, object, str)
    def _deliver(self, on_done: Done, on_failed: Failed, future: Future, name: str) -> None:
        self._busy.remove(name)
        self.busy_changed.emit(self._busy[-1] if self._busy else "")
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            on_done(future.result())
        else:
            on_failed(failure_text(error))

    def _poll_status(self) -> None:
        if self.is_connected and not self._busy:
            self._submit("status", lambda client: client.get_status(), self.status_changed.emit,
                         self.status_failed.emit)

    # -- STOP ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop everything now. Safe from any thread, cheap enough for a key handler."""
        self._stopper.press()

    def _stop_done(self, outcome: StopOutcome) -> None:
        """On the stop thread: the device's answer, or why there was none."""
        if outcome.error is not None:
            self.stop_failed.emit(str(outcome.error))
        else:
            self.stop_confirmed.emit(outcome.previous_state)

    # -- from the client's threads ---------------------------------------------------------

    def _on_notice(self, client: DeviceClient, notice: Notice) -> None:
        if isinstance(notice, LinkDown):
            self._link_down.emit(client, notice.reason)
            return
        self.notice.emit(notice)

    def _link_lost(self, client: DeviceClient, reason: str) -> None:
        """The link failed unasked; a client already let go (Disconnect) says nothing more."""
        if client is not self._client:
            return
        self._poll.stop()
        self._client = None
        self.disconnected.emit(reason)

    def _on_trace(self, record: TraceRecord) -> None:
        if self.trace_enabled:
            self.traced.emit(record)


def _ignore(_result: object) -> None:
    """The completion callback of an operation whose result nobody needs."""
