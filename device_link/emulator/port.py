"""Where the emulated device meets the wire: a pseudo-terminal or a TCP socket.

Input is read on its own thread and handed straight to the device, so a STOP is
acted on the moment its frame is decoded. Output goes through a writer thread; STOP's
reply is put at the head of its queue. Both directions can be paced at a baud rate
(10 bits per byte, as 8N1 on a UART) so line-rate timing can be measured: a byte is
handed on only once it would have crossed the line, whichever side sent it.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import termios
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from device_link.emulator.trace import ProtocolTrace
from device_link.frame import Frame
from device_link.protocol import EventCode, Kind

READ_SIZE = 4096
WRITE_STALL_S = 2.0  # output the far end does not take for this long is dropped
MAX_QUEUED = 1024
_LATEST_ONLY = frozenset({EventCode.IMPEDANCE_PROGRESS, EventCode.STIM_TELEMETRY})
"""Events that only report the latest figures: an unsent one is replaced by its successor."""


def _same_report(queued: Frame, newer: Frame) -> bool:
    """Same event code and, for telemetry, the same lead (its first payload byte)."""
    return (queued.kind == Kind.EVENT and queued.opcode == newer.opcode
            and (newer.opcode != EventCode.STIM_TELEMETRY
                 or queued.payload[:1] == newer.payload[:1]))
PACE_CHUNK_S = 0.002  # pacing granularity: about 2 ms of line time per write

OnBytes = Callable[[bytes, float], None]


class PacedLine:
    """One direction of a UART at ``baud``: when the bytes put on it cross.

    Times run from where the line really is, not from when a thread woke up, so late
    wake-ups do not add up into a line slower than its baud rate.
    """

    def __init__(self, baud: int | None) -> None:
        self.byte_s = 10.0 / baud if baud else 0.0
        self._free_at = 0.0

    def reserve(self, count: int, now: float) -> float:
        """Put ``count`` bytes on the line from ``now`` or once it is free; returns their start."""
        start = max(self._free_at, now)
        self._free_at = start + count * self.byte_s
        return start


def _wait_unless_woken(when: float, wake_fd: int) -> bool:
    """Wait until ``when`` (perf_counter); False if ``wake_fd`` turns readable (closing)."""
    while (left := when - time.perf_counter()) > 0:
        readable, _, _ = select.select([wake_fd], [], [], left)
        if readable:
            return False
    return True


def _through_delimiters(data: bytes) -> list[bytes]:
    """``data`` cut after each 0x00, so that each frame arrives at its own time."""
    *frames, rest = data.split(b"\x00")
    return [frame + b"\x00" for frame in frames] + ([rest] if rest else [])


class PacedInput:
    """Hands the console's bytes to the device as a line at ``pace_baud`` would.

    A pseudo-terminal or a socket delivers them at once however slow the line it
    stands for, so each frame is held until its last byte would have arrived.
    """

    def __init__(self, on_bytes: OnBytes, pace_baud: int | None, wake_fd: int) -> None:
        self._on_bytes = on_bytes
        self._line = PacedLine(pace_baud)
        self._wake_fd = wake_fd

    def feed(self, data: bytes, now: float) -> bool:
        """False if the port began closing while the bytes were still on the line."""
        if not self._line.byte_s:
            self._on_bytes(data, now)
            return True
        for piece in _through_delimiters(data):
            arrived = self._line.reserve(len(piece), now) + len(piece) * self._line.byte_s
            if not _wait_unless_woken(arrived, self._wake_fd):
                return False
            self._on_bytes(piece, arrived)
        return True


class Port(Protocol):
    """What the engine needs from a port."""

    @property
    def connected(self) -> bool: ...

    def send(self, wire: bytes, frame: Frame, note: str, urgent: bool,
             not_before: float) -> None: ...

    def discard_unread(self) -> None: ...

    def disconnect(self) -> None: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class _Item:
    wire: bytes
    frame: Frame
    note: str
    not_before: float


class Writer:
    """The output thread: queue, optional delay, optional pacing, trace at write time."""

    def __init__(self, write: Callable[[bytes], bool], trace: ProtocolTrace,
                 pace_baud: int | None, name: str) -> None:
        self._write = write
        self._trace = trace
        self._line = PacedLine(pace_baud)
        self._chunk = max(1, int(PACE_CHUNK_S / self._line.byte_s)) if pace_baud else 0
        self._queue: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, wire: bytes, frame: Frame, note: str, urgent: bool, not_before: float) -> None:
        item = _Item(wire, frame, note, not_before)
        with self._cond:
            self._drop_superseded(frame)
            if len(self._queue) >= MAX_QUEUED:
                self._drop_one()
            if urgent:
                self._queue.appendleft(item)
            else:
                self._queue.append(item)
            self._cond.notify()

    def _drop_superseded(self, frame: Frame) -> None:
        """A newer progress or telemetry report replaces one still waiting for the line.

        Events may be lost (MFL/1 section 3); on a slow line (telemetry alone fills 2400
        baud) a device that queued every report would hold replies behind a backlog
        without end. A device sends the newest figures it has, per lead for telemetry.
        """
        if frame.kind != Kind.EVENT or frame.opcode not in _LATEST_ONLY:
            return
        for index, queued in enumerate(self._queue):
            if _same_report(queued.frame, frame):
                del self._queue[index]
                self._trace.frame("tx", queued.frame,
                                  mac_valid=True if queued.frame.has_mac else None,
                                  note="not sent: superseded by a newer report")
                return

    def _drop_one(self) -> None:
        """Make room, losing an event rather than a reply when possible."""
        for index, queued in enumerate(self._queue):
            if queued.frame.kind == Kind.EVENT:
                del self._queue[index]
                break
        else:
            queued = self._queue.popleft()
        self._trace.frame("tx", queued.frame, mac_valid=True if queued.frame.has_mac else None,
                          note="not sent: output queue full")

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _wait_until(self, when: float) -> bool:
        """Wait for ``when`` (perf_counter); False if closing."""
        with self._cond:
            while not self._closing:
                left = when - time.perf_counter()
                if left <= 0:
                    return True
                self._cond.wait(left)
            return False

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                item = self._queue.popleft()
            if item.not_before > time.perf_counter() and not self._wait_until(item.not_before):
                return
            # Traced as the frame starts onto the line, so the entry precedes anything the
            # console sends in answer to it.
            self._trace.frame("tx", item.frame, mac_valid=True if item.frame.has_mac else None,
                              note=item.note)
            if not self._send(item.wire):
                self._trace.note(f"output stalled: {item.frame.kind.name} seq {item.frame.seq} "
                                 f"not delivered (port closed or not read)")

    def _send(self, wire: bytes) -> bool:
        if not self._line.byte_s:
            return self._write(wire)
        start = self._line.reserve(len(wire), time.perf_counter())
        for offset in range(0, len(wire), self._chunk):
            end = min(offset + self._chunk, len(wire))
            # Written once it has crossed the line, not as it starts: a receiver has a
            # byte only after its stop bit.
            if not self._wait_until(start + end * self._line.byte_s):
                return False
            if not self._write(wire[offset:end]):
                return False
        return True


class _Endpoint:
    """What both kinds of port share: paced input, the writer and a wake-up pipe.

    A byte written to the pipe wakes every thread of the port when it closes.
    """

    def __init__(self, on_bytes: OnBytes, trace: ProtocolTrace, pace_baud: int | None,
                 name: str) -> None:
        self._wake_r, self._wake_w = os.pipe()
        self._input = PacedInput(on_bytes, pace_baud, self._wake_r)
        self._closed = False
        self._writer = Writer(self._write, trace, pace_baud, f"emulator-writer {name}")

    def _start(self, listener: threading.Thread) -> None:
        """Start the writer and the thread that listens for the console."""
        self._writer.start()
        listener.start()

    def _write(self, data: bytes) -> bool:
        raise NotImplementedError

    def send(self, wire: bytes, frame: Frame, note: str, urgent: bool,
             not_before: float) -> None:
        self._writer.put(wire, frame, note, urgent, not_before)

    def _begin_close(self) -> bool:
        """Wake every thread of the port; False if it was closed already."""
        if self._closed:
            return False
        self._closed = True
        os.write(self._wake_w, b"x")
        return True


def _close_fds(*fds: int) -> None:
    """Close each descriptor; one that is closed already is no error."""
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


class PtyPort(_Endpoint):
    """A pseudo-terminal: the console opens the slave path as it would a serial adapter.

    The slave stays open here too (raw mode), so the master never sees EIO while no
    console holds the port, and the path stays valid until ``close``.
    """

    def __init__(self, on_bytes: OnBytes, trace: ProtocolTrace, pace_baud: int | None) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        super().__init__(on_bytes, trace, pace_baud, self.path)
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name=f"emulator-reader {self.path}")
        self._start(self._reader)

    @property
    def url(self) -> str:
        return self.path

    @property
    def connected(self) -> bool:
        return not self._closed

    def _read_loop(self) -> None:
        while True:
            readable, _, _ = select.select([self._master, self._wake_r], [], [])
            if self._wake_r in readable:
                return
            try:
                data = os.read(self._master, READ_SIZE)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not data or not self._input.feed(data, time.perf_counter()):
                return

    def _write(self, data: bytes) -> bool:
        view = memoryview(data)
        deadline = time.monotonic() + WRITE_STALL_S
        while view:
            try:
                view = view[os.write(self._master, view):]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                readable, _, _ = select.select([self._wake_r], [self._master], [], left)
                if readable:
                    return False
            except OSError:
                return False
        return True

    def discard_unread(self) -> None:
        """Forget output the console never read, as a line forgets bytes nobody received.

        The slave end is held open here, so what the device sent while no console had
        the port would otherwise wait in the terminal and greet the next console.
        """
        with contextlib.suppress(OSError, termios.error):
            termios.tcflush(self._slave, termios.TCIFLUSH)

    def disconnect(self) -> None:
        """The cable is pulled: the port goes away."""
        self.close()

    def close(self) -> None:
        if not self._begin_close():
            return
        self._writer.close()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=5)
        _close_fds(self._master, self._slave, self._wake_r, self._wake_w)


class TcpPort(_Endpoint):
    """A TCP listener (``socket://HOST:PORT``); one console connection at a time.

    A new connection replaces the previous one, as plugging the cable into another
    computer would; ``disconnect`` drops the present connection and keeps listening.
    """

    def __init__(self, host: str, port: int, on_bytes: OnBytes, on_connect: Callable[[], None],
                 trace: ProtocolTrace, pace_baud: int | None) -> None:
        self._on_connect = on_connect
        self._trace = trace
        self._listener = socket.create_server((host, port))
        self.host, self.port = self._listener.getsockname()[:2]
        self._conn: socket.socket | None = None
        self._conn_lock = threading.Lock()
        super().__init__(on_bytes, trace, pace_baud, self.url)
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True,
                                          name=f"emulator-accept {self.url}")
        self._start(self._acceptor)

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def _accept_loop(self) -> None:
        while True:
            readable, _, _ = select.select([self._listener, self._wake_r], [], [])
            if self._wake_r in readable:
                return
            try:
                conn, peer = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(WRITE_STALL_S)
            self.disconnect()
            self._on_connect()
            with self._conn_lock:
                self._conn = conn
            self._trace.note(f"console connected from {peer[0]}:{peer[1]}")
            threading.Thread(target=self._read_loop, args=(conn,), daemon=True,
                             name=f"emulator-reader {self.url}").start()

    def _read_loop(self, conn: socket.socket) -> None:
        while True:
            try:
                readable, _, _ = select.select([conn, self._wake_r], [], [])
                if self._wake_r in readable:
                    return
                data = conn.recv(READ_SIZE)
            except (OSError, ValueError):
                data = b""
            if not data:
                with self._conn_lock:
                    if self._conn is conn:
                        self._conn = None
                        self._trace.note("console closed the connection")
                with contextlib.suppress(OSError):
                    conn.close()
                return
            if not self._input.feed(data, time.perf_counter()):
                return

    def _write(self, data: bytes) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            conn.sendall(data)
        except OSError:
            return False
        return True

    def discard_unread(self) -> None:
        """Nothing to do: a new TCP connection starts with nothing unread."""

    def disconnect(self) -> None:
        with self._conn_lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if not self._begin_close():
            return
        self.disconnect()
        self._writer.close()
        self._acceptor.join(timeout=5)
        self._listener.close()
        _close_fds(self._wake_r, self._wake_w)
