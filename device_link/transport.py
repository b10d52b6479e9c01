"""Serial transport: any pyserial port name or URL, a reader thread, serialized writes.

One code path for `/dev/ttyUSB0`, a pseudo-terminal, `socket://` and `rfc2217://`
(pyserial's ``serial_for_url``). The port is held by composition, never subclassed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import serial

from device_link.errors import PortError

READ_POLL_S = 0.2  # how often the reader re-checks for close; reads return as soon as data arrives


class SerialTransport:
    """Delivers received bytes to ``on_bytes`` from a reader thread.

    ``on_closed`` is called once, from the reader thread, when the port fails or
    vanishes (with the error), so a pulled cable is reported rather than hung on.
    It is not called for a ``close()`` we asked for.
    """

    def __init__(self, url: str, baud: int, on_bytes: Callable[[bytes], None],
                 on_closed: Callable[[Exception], None]) -> None:
        self.url = url
        self.baud = baud
        self._on_bytes = on_bytes
        self._on_closed = on_closed
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._closing = threading.Event()
        self._released = False
        self._port: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self.rx_bytes = 0
        self.tx_bytes = 0

    def open(self) -> None:
        try:
            port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=READ_POLL_S,
                                         write_timeout=2.0, exclusive=True)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise PortError(f"cannot open port {self.url}: {_reason(exc)}") from None
        with contextlib.suppress(serial.SerialException, OSError):
            port.reset_input_buffer()  # bytes a device sent before we opened are stale
        self._port = port
        self._reader = threading.Thread(target=self._read_loop, name=f"mfl1-reader {self.url}",
                                        daemon=True)
        self._reader.start()

    @property
    def is_open(self) -> bool:
        return self._port is not None and not self._closing.is_set()

    def write(self, data: bytes) -> None:
        port = self._port
        if port is None or self._closing.is_set():
            raise PortError(f"port {self.url} is closed")
        try:
            with self._write_lock:
                port.write(data)
                self.tx_bytes += len(data)
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # TypeError/AttributeError: pyserial internals when another thread closed the
            # port during the write (the fd is gone), as in the reader.
            raise PortError(f"write to {self.url} failed: {_reason(exc)}") from None

    def close(self) -> None:
        """Stop the reader and release the port; returns only once the port is closed.

        Any thread may call it, more than once: a second caller waits for the first, so
        a reconnect right after a lost link never finds the port still held (it is
        opened exclusively). A port that failed under the reader is released here too.
        """
        with self._close_lock:
            if self._released:
                return
            self._closing.set()
            port = self._port
            if port is not None and hasattr(port, "cancel_read"):
                with contextlib.suppress(serial.SerialException, OSError):
                    port.cancel_read()
            if self._reader is not None and self._reader is not threading.current_thread():
                self._reader.join(timeout=2.0)
            if port is not None:
                with contextlib.suppress(serial.SerialException, OSError):
                    port.close()
            self._released = True

    def _read_loop(self) -> None:
        port = self._port
        assert port is not None
        while not self._closing.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial internals after the fd vanished.
                if not self._closing.is_set():
                    self._closing.set()
                    self._on_closed(PortError(f"port {self.url} lost: {_reason(exc)}"))
                return
            if data:
                self.rx_bytes += len(data)
                self._on_bytes(data)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0]
