"""The keep-alive that feeds the device's watchdog while test stimulation runs.

Without a frame every watchdog period the device stops test stimulation; a PING
goes out only when the link has been idle, so it never delays a real request.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from device_link.errors import DeviceRefused, LinkLost, PortError
from device_link.protocol import Opcode

if TYPE_CHECKING:
    from device_link.exchange import RequestLink


class KeepAlive:
    """Feeds the device's watchdog with PING while test stimulation runs and the link is idle."""

    def __init__(self, link: RequestLink) -> None:
        self._link = link
        self._wake = threading.Condition()
        self._generation = 0

    def start(self, interval_s: float) -> None:
        with self._wake:
            self._generation += 1
            generation = self._generation
        threading.Thread(target=self._run, args=(generation, interval_s), daemon=True,
                         name="mfl1-keepalive").start()

    def cancel(self) -> None:
        """End the keep-alive without waking its thread: it exits, unsent, at its next tick.

        stop() cancels first, and a thread woken there would compete with the STOP
        frame for the interpreter and a CPU (about 0.1 ms of STOP latency, measured
        with ``mfconsole bench link``).
        """
        with self._wake:
            self._generation += 1

    def _run(self, generation: int, interval_s: float) -> None:
        link = self._link
        while True:
            with self._wake:
                self._wake.wait(interval_s)
                if generation != self._generation:
                    return
            if time.monotonic() - link._last_tx < interval_s:
                continue
            if not link._request_lock.acquire(timeout=interval_s):
                continue  # another request is in flight: its frames feed the watchdog
            try:
                link._exchange_locked(Opcode.PING, b"")
            except (LinkLost, DeviceRefused, PortError):
                return
            finally:
                link._request_lock.release()
