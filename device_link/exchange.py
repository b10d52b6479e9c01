"""The link under ``DeviceClient``: one request and its reply, retransmitted until answered.

Sequence numbers, MACs, response timeouts and retransmission, the reader thread's
receive path, the event dispatcher, and what happens when the link is lost. What
the requests mean is left to ``DeviceClient``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import NoReturn

from device_link.errors import Aborted, LinkLost, PortError, refusal_from
from device_link.events import LinkDown, Notice, decode_event
from device_link.frame import Frame, build_wire
from device_link.framing import FrameDecoder
from device_link.keepalive import KeepAlive
from device_link.messages import ErrorPayload, StimStopped
from device_link.protocol import SEQ_MAX, ErrorCode, Kind, Opcode
from device_link.timeouts import Timeouts
from device_link.trace import TraceRecord
from device_link.transport import SerialTransport

_log = logging.getLogger(__name__)
FLUSH = b"\x00"
# Requests that start stimulation. STOP does not move the device's replay window (MFL/1
# section 3), so one of these retransmitted after a STOP would be executed and undo it.
_STARTS_STIMULATION = frozenset({Opcode.TEST_STIM_START, Opcode.THERAPY_START})


class _Pending:
    """A request awaiting its reply.

    With ``keep_all`` (HELLO before AUTH) every reply is kept: each retransmitted HELLO is
    answered with a fresh nonce and the device keeps the last one (section 4, step 1).
    Otherwise the first is kept: a retransmission gets the same remembered reply.
    """

    __slots__ = ("_arrived", "_ended", "_keep_all", "opcode", "replies")

    def __init__(self, opcode: int, keep_all: bool) -> None:
        self.opcode = opcode
        self.replies: list[Frame] = []
        self._keep_all = keep_all
        self._ended = False
        self._arrived = threading.Condition()

    @property
    def reply(self) -> Frame | None:
        return self.replies[-1] if self.replies else None

    def add(self, frame: Frame) -> None:
        with self._arrived:
            if not self.replies or self._keep_all:
                self.replies.append(frame)
                self._arrived.notify_all()

    def end(self) -> None:
        """Wake the waiter for good: the link went down or was closed."""
        with self._arrived:
            self._ended = True
            self._arrived.notify_all()

    def wait(self, count: int, timeout: float) -> bool:
        """Wait for ``count`` replies; True once they are in or the link has ended."""
        with self._arrived:
            return self._arrived.wait_for(
                lambda: len(self.replies) >= count or self._ended, timeout)


class RequestLink:
    """An MFL/1 link that sends requests and hands their replies and events back."""

    def __init__(self, port: str, *, baud: int, timeouts: Timeouts,
                 trace: Callable[[TraceRecord], None] | None,
                 transport_factory: Callable[..., SerialTransport]) -> None:
        if baud <= 0:
            raise ValueError(f"baud rate must be positive, got {baud}")
        self.port = port
        self.baud = baud
        self.timeouts = timeouts
        self._trace = trace
        self._transport = transport_factory(port, baud, self._on_bytes, self._on_port_lost)
        self._decoder = FrameDecoder()
        self._request_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._seq = 0
        self._stops = 0  # STOPs sent so far: a start outstanding meanwhile is not resent
        self._ks: bytes | None = None
        self._lost: str | None = None
        self._closed = False
        self._last_tx = 0.0
        self._subscribers: list[Callable[[Notice], None]] = []
        self._notices: queue.SimpleQueue[Notice | None] = queue.SimpleQueue()
        self._dispatcher = threading.Thread(target=self._dispatch_loop, daemon=True,
                                            name="mfl1-events")
        self._keepalive = KeepAlive(self)

    def close(self) -> None:
        """Close the port. Does not stop stimulation: call ``stop()`` first for that."""
        if self._closed:
            return
        self._closed = True
        self._keepalive.cancel()
        self._transport.close()
        self._fail_pending()
        self._notices.put(None)

    @property
    def wire_bytes(self) -> tuple[int, int]:
        """Bytes received and sent on the port so far, for throughput figures."""
        return self._transport.rx_bytes, self._transport.tx_bytes

    @property
    def link_errors(self) -> int:
        """Frames this side discarded (bad COBS, CRC, MAC)."""
        return self._decoder.errors

    def subscribe(self, callback: Callable[[Notice], None]) -> Callable[[], None]:
        """Receive device events and LinkDown notices; returns the unsubscribe function."""
        with self._state_lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._state_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    # -- exchange machinery ---------------------------------------------------------------

    def _exchange_locked(self, opcode: Opcode, payload: bytes, measurements: int = 0) -> bytes:
        return self._exchange(self._take_seq(), opcode, payload, measurements)

    def _take_seq(self) -> int:
        with self._state_lock:
            self._seq = self._seq % SEQ_MAX + 1
            return self._seq

    def _exchange(self, seq: int, opcode: Opcode, payload: bytes, measurements: int = 0, *,
                  flush_first: bool = False, last_reply: bool = False) -> bytes:
        """Send one request and wait for its reply, retransmitting the same bytes.

        ``measurements`` lengthens the timeout for MEASURE_IMPEDANCE. ``flush_first`` puts
        a delimiter before the frame, so that a frame another thread was interrupted in
        the middle of cannot swallow this one (STOP). ``last_reply`` (HELLO before AUTH):
        after retransmitting, wait one response time for the copies' answers and return
        the last, whose nonce the device kept (section 4, step 1).
        """
        self._raise_if_down()
        with self._state_lock:
            ks = self._ks
            stops = self._stops
            pending = self._pending[seq] = _Pending(opcode, keep_all=last_reply)
        wire = build_wire(Kind.REQUEST, seq, opcode, payload, ks)
        if flush_first:
            wire = FLUSH + wire
        timeout = self.timeouts.response_s(opcode, len(wire), self.baud, ks is not None,
                                           measurements)
        try:
            send = functools.partial(self._send, wire, seq, opcode, payload, ks is not None)
            sent = self._send_until_answered(send, opcode, pending, timeout, stops)
            if last_reply and sent > 1:
                pending.wait(sent, timeout)  # no more can come once every copy is answered
        finally:
            with self._state_lock:
                self._pending.pop(seq, None)
        reply = pending.reply
        if reply is None:
            self._raise_if_down()
            raise LinkLost("connection closed")
        if reply.kind == Kind.ERROR:
            raise refusal_from(opcode, ErrorPayload.decode(reply.payload))
        return reply.payload

    def _send_until_answered(self, send: Callable[[], None], opcode: Opcode,
                             pending: _Pending, timeout: float, stops: int) -> int:
        """Send, and resend after each timeout, until a reply; returns how often it was sent."""
        for attempt in range(1 + self.timeouts.retransmissions):
            if attempt and opcode in _STARTS_STIMULATION and self._stops != stops:
                # A STOP went out since: the device holds it, not this start.
                raise Aborted(opcode, ErrorPayload(ErrorCode.ABORTED))
            send()
            if pending.wait(1, timeout):
                return attempt + 1
        self._link_lost(f"no reply to {opcode.name} after "
                        f"{self.timeouts.retransmissions} retransmissions",
                        last_stop=opcode != Opcode.STOP)  # it has just been sent 4 times

    def _send(self, wire: bytes, seq: int, opcode: int, payload: bytes, mac: bool) -> None:
        try:
            self._transport.write(wire)
        except PortError as exc:
            self._link_lost(str(exc))
        self._last_tx = time.monotonic()
        if self._trace is not None:
            frame = Frame(Kind.REQUEST, seq, opcode, payload, b"" if mac else None)
            self._trace(TraceRecord("tx", frame))

    def _raise_if_down(self) -> None:
        if self._lost is not None:
            raise LinkLost(self._lost)
        if self._closed:
            raise LinkLost("connection closed")

    def _link_lost(self, reason: str, *, last_stop: bool = True) -> NoReturn:
        """Mark the link down, wake every waiter, tell subscribers, and raise."""
        first = False
        with self._state_lock:
            if self._lost is None:
                self._lost = reason
                first = True
        if first:
            self._keepalive.cancel()
            if last_stop:
                self._last_stop()
            self._fail_pending()
            self._notices.put(LinkDown(reason))
            # Closing joins the reader thread, which may be the one here: never inline.
            threading.Thread(target=self._transport.close, daemon=True).start()
        raise LinkLost(self._lost or reason)

    def _last_stop(self) -> None:
        """The link is given up: one last STOP, unanswered, before the port is released.

        A device that still hears the console (a line that fails only one way, a noisy
        line) stops at once instead of waiting for its watchdog; the device executes STOP
        whatever its MAC or seq (section 4), and a STOP is never harmful. Written here, on
        the thread that gave the link up, not on a new one: the last frame the device heard
        was a response time ago, and its watchdog runs from that frame, so a thread start
        on a loaded machine must not stand between the decision and the STOP.
        """
        with contextlib.suppress(PortError):
            self._transport.write(FLUSH + build_wire(Kind.REQUEST, self._take_seq(),
                                                     Opcode.STOP, b"", self._ks))

    def _fail_pending(self) -> None:
        with self._state_lock:
            waiting = list(self._pending.values())
        for pending in waiting:
            pending.end()

    # -- receive path (reader thread) -----------------------------------------------------

    def _on_bytes(self, data: bytes) -> None:
        for frame in self._decoder.feed(data):
            self._on_frame(frame)

    def _on_frame(self, frame: Frame) -> None:
        ks = self._ks
        if ks is not None and not frame.mac_valid(ks):
            self._decoder.errors += 1
            self._traced("rx", frame, "discarded: MAC missing or wrong")
            return
        if ks is None and frame.has_mac:
            self._decoder.errors += 1
            self._traced("rx", frame, "discarded: MAC before authentication")
            return
        self._traced("rx", frame)
        if frame.kind == Kind.EVENT:
            event = decode_event(frame)
            if event is not None:
                if isinstance(event, StimStopped):
                    self._keepalive.cancel()
                self._notices.put(event)
            return
        if frame.kind in (Kind.RESPONSE, Kind.ERROR):
            with self._state_lock:
                pending = self._pending.get(frame.seq)
            if pending is not None and pending.opcode == frame.opcode:
                pending.add(frame)

    def _traced(self, direction: str, frame: Frame, note: str = "") -> None:
        if self._trace is not None:
            self._trace(TraceRecord(direction, frame, note))

    def _on_port_lost(self, error: Exception) -> None:
        with contextlib.suppress(LinkLost):
            self._link_lost(str(error))

    def _dispatch_loop(self) -> None:
        while (notice := self._notices.get()) is not None:
            with self._state_lock:
                subscribers = list(self._subscribers)
            for callback in subscribers:
                try:
                    callback(notice)
                except Exception:  # a broken subscriber must not silence the others
                    _log.exception("event subscriber failed on %r", notice)
