"""Runs a ``DeviceCore`` against real time: one lock, one timer thread, no busy loops.

Three kinds of thread touch the device: the port's reader (frames in), the timer
thread (measurement steps, watchdog, telemetry, therapy) and the control channel.
Each takes the device's lock only for the few microseconds the core needs, so a
STOP is never queued behind a measurement: the measurement is a timer, not a
blocking call. Output is handed to the port's writer while the lock is held, so
frames leave in the order the device produced them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from device_link.emulator.clock import Clock
from device_link.emulator.core import DeviceCore
from device_link.emulator.link import LinkShaper
from device_link.emulator.outgoing import Outgoing
from device_link.emulator.port import Port
from device_link.emulator.trace import ProtocolTrace
from device_link.frame import encode_wire
from device_link.framing import Discarded, FrameDecoder
from device_link.protocol import Kind, Opcode


class RealTimeDevice:
    def __init__(self, core: DeviceCore, clock: Clock, trace: ProtocolTrace,
                 link: LinkShaper) -> None:
        self.core = core
        self._clock = clock
        self._trace = trace
        self._link = link
        self._cond = threading.Condition()
        self._decoder = FrameDecoder()
        self._port: Port | None = None
        self._running = False
        self._timer = threading.Thread(target=self._timer_loop, name="emulator-timers",
                                       daemon=True)
        clock.subscribe(self._wake)

    def start(self) -> None:
        self._running = True
        self._timer.start()

    def stop(self) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()
        if self._timer.is_alive():
            self._timer.join(timeout=5)

    def attach(self, port: Port | None) -> None:
        """Send output to ``port`` from now on; a fresh connection starts a fresh receiver."""
        with self._cond:
            self._port = port
            self._decoder = FrameDecoder()

    def new_connection(self) -> None:
        with self._cond:
            self._decoder = FrameDecoder()

    @contextmanager
    def locked(self) -> Iterator[DeviceCore]:
        """Exclusive access to the core; afterwards the timer thread re-plans."""
        with self._cond:
            yield self.core
            self._cond.notify()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify()

    # -- input -------------------------------------------------------------------------------

    def on_bytes(self, data: bytes, t: float) -> None:
        """Bytes from the port's reader thread, ``t`` when they were read."""
        data, _ = self._link.corrupt(data, "rx")
        with self._cond:
            for item in self._decoder.feed_with_discards(data):
                if isinstance(item, Discarded):
                    self.core.count_link_error()
                    self._trace.discarded(item.reason, item.raw, t)
                elif self._link.drop("rx"):
                    self._trace.frame("rx", item, mac_valid=None,
                                      note="lost on the line (link fault)", t=t)
                else:
                    if item.kind == Kind.REQUEST and item.opcode == Opcode.HELLO \
                            and self._port is not None:
                        # A console (re)starts: output it never read is stale, drop it.
                        self._port.discard_unread()
                    received = self.core.receive(item)
                    self._trace.frame("rx", item, mac_valid=received.mac_valid,
                                      note=received.note, t=t)
                    self.emit(received.outputs)
            self._cond.notify()

    # -- output ------------------------------------------------------------------------------

    def emit(self, outputs: list[Outgoing]) -> None:
        """Hand frames to the port (call with the lock held, as ``locked()`` gives)."""
        for out in outputs:
            port = self._port
            mac_valid = True if out.frame.has_mac else None
            if port is None or not port.connected:
                self._trace.frame("tx", out.frame, mac_valid=mac_valid,
                                  note="not sent: port disconnected")
                continue
            if self._link.drop("tx"):
                self._trace.frame("tx", out.frame, mac_valid=mac_valid,
                                  note="lost on the line (link fault)")
                continue
            wire, corrupted = self._link.corrupt(encode_wire(out.body), "tx")
            note = "corrupted on the line (link fault)" if corrupted else ""
            port.send(wire, out.frame, note, out.urgent,
                      time.perf_counter() + self._link.delay_s)

    # -- timers ------------------------------------------------------------------------------

    def _timer_loop(self) -> None:
        with self._cond:
            while self._running:
                deadline = self.core.next_deadline()
                if deadline is not None and deadline <= self._clock.now():
                    self.emit(self.core.tick())
                    continue
                timeout = None if deadline is None else self._clock.timeout_until(deadline)
                self._cond.wait(timeout)
