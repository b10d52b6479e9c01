"""The engineering view's handle on an emulator: in-process, or another process by address.

Control calls run on a thread of their own, never on the GUI thread: an in-process
emulator answers in microseconds, but an emulator process behind a control address
may be slow or gone, and the window (with its STOP button) must not wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from device_link.emulator import ControlClient, EmulatorServer

CONTROL_TIMEOUT_S = 5.0


class EmulatorControls(Protocol):
    """What both ``EmulatorServer`` and ``ControlClient`` offer (docs/emulator.md)."""

    def state(self) -> dict[str, Any]: ...
    def observe(self) -> dict[str, Any]: ...
    def impedances(self) -> dict[str, Any]: ...
    def inject_open(self, lead: int, electrode: int, is_open: bool = True) -> dict[str, Any]: ...
    def inject_short(self, lead: int, a: int, b: int) -> dict[str, Any]: ...
    def inject_rising(self, lead: int, electrode: int, ohm_per_s: float) -> dict[str, Any]: ...
    def set_battery(self, percent: float) -> dict[str, Any]: ...
    def clear_faults(self) -> dict[str, Any]: ...
    def set_link_faults(self, corrupt_rate: float = 0.0, drop_rate: float = 0.0,
                        delay_ms: float = 0.0, direction: str = "both") -> dict[str, Any]: ...
    def disconnect(self) -> dict[str, Any]: ...
    def reconnect(self) -> dict[str, Any]: ...
    def reboot(self) -> dict[str, Any]: ...


Call = Callable[[EmulatorControls], Any]
Failed = Callable[[str], None]  # why it failed, for the user


class EmulatorLink(QObject):
    """One emulator at a time; ``call`` runs a control call and reports to its caller on
    the GUI thread, as ``DeviceController.run`` does for the device."""

    attached = Signal(str)  # a description of the emulator now controlled ("" for none)

    _finished = Signal(object, object, object)  # on_done, on_failed, future

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-control")
        # Queued even from the GUI thread: a future already done when its callback is
        # added calls back at once, and the result must never overtake the caller.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.target: EmulatorControls | None = None
        self.server: EmulatorServer | None = None  # the in-process emulator, if that is the target
        self.address: str | None = None  # the control address, if that is the target
        self._client: ControlClient | None = None
        self.destroyed.connect(lambda *_: self.close())

    def use_server(self, server: EmulatorServer | None) -> None:
        """Control the emulator running inside the console (None: none)."""
        self._drop_client()
        self.server, self.address = server, None
        self.target = server
        if server is None:
            self.attached.emit("")
        else:
            self.attached.emit(f"in-process emulator {server.config.serial} (scenario "
                               f"{server.config.scenario}) on {server.port}")

    def use_address(self, address: str, *, on_failed: Failed) -> None:
        """Control an emulator process through its control channel at ``HOST:PORT``."""
        def connect() -> ControlClient:
            client = ControlClient(address, timeout=CONTROL_TIMEOUT_S)
            try:
                client.ping()
            except BaseException:
                client.close()
                raise
            return client

        def attached(client: ControlClient) -> None:
            self._drop_client()
            self._client, self.server, self.address = client, None, address
            self.target = client
            self.attached.emit(f"emulator process at {address} (control channel)")

        self._submit(connect, attached, on_failed)

    def call(self, operation: Call, on_done: Callable[[Any], None] | None = None, *,
             on_failed: Failed) -> None:
        """Run ``operation(target)`` on the control thread; then, on the GUI thread,
        ``on_done(result)`` or ``on_failed(message)`` (also with no emulator attached)."""
        target = self.target
        if target is None:
            QTimer.singleShot(0, self, lambda: on_failed("no emulator attached"))
            return
        self._submit(lambda: operation(target), on_done, on_failed)

    def close(self) -> None:
        """Release the control channel and the thread (plain Python: safe while destroyed)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            self._pool.submit(client.close)

    def _submit(self, work: Callable[[], Any], on_done: Callable[[Any], None] | None,
                on_failed: Failed) -> None:
        future = self._pool.submit(work)
        callback = on_done if on_done is not None else _ignore
        future.add_done_callback(lambda f: self._finished.emit(callback, on_failed, f))

    @Slot(object, object, object)
    def _deliver(self, on_done: Callable[[Any], None], on_failed: Failed,
                 future: Future) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            on_failed(str(error) or type(error).__name__)
        else:
            on_done(future.result())


def _ignore(_result: object) -> None:
    """The completion callback of a call whose result nobody needs."""
