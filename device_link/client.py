"""The console side of MFL/1: one request at a time, STOP at any moment, mutual authentication.

Threads: the transport's reader thread decodes frames and completes waiting
requests; a dispatcher thread hands events to subscribers (so a slow subscriber
never delays a reply); a keep-alive thread feeds the device's watchdog while test
stimulation runs. Callers may use the client from any thread.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NoReturn

from . import auth
from .crc import crc16_ccitt_false
from .errors import (
    Aborted,
    AuthenticationError,
    DeviceRefused,
    LinkLost,
    LockedOut,
    PortError,
    ProtocolViolation,
    ReadBackMismatch,
    refusal_from,
)
from .events import LinkDown, Notice, decode_event
from .frame import Frame, build_wire
from .framing import FrameDecoder
from .keystore import KeyStore, KeyStoreError
from .messages import (
    Amplitude,
    AuthRequest,
    AuthResponse,
    ErrorPayload,
    GetLogRequest,
    HelloRequest,
    Identity,
    ImpedanceResult,
    Limits,
    LogEntry,
    LogPage,
    MeasureImpedanceRequest,
    PingResponse,
    ReadProgramResponse,
    SetTimeRequest,
    SlotRequest,
    Status,
    StimStopped,
    StopResponse,
    TestStimStart,
    TherapyStartResponse,
    WriteProgramRequest,
    WriteProgramResponse,
    max_reply_size,
)
from .protocol import (
    BIPOLAR_PAIRS,
    CRC_SIZE,
    HEADER_SIZE,
    IMPEDANCE_TIMEOUT_PER_MEASUREMENT_S,
    MAC_SIZE,
    MAX_LOG_PAGE,
    ORDINARY_TIMEOUT_S,
    PROTOCOL_VERSION,
    RETRANSMISSIONS,
    SEQ_MAX,
    ErrorCode,
    ImpedanceMode,
    Kind,
    Opcode,
)
from .trace import TraceRecord
from .transport import SerialTransport

DEFAULT_BAUD = 115200
# Re-authenticate while this many sequence numbers remain, so a STOP sent meanwhile
# from another thread can never push a request past 65535.
SEQ_HEADROOM = 16
_log = logging.getLogger(__name__)
FLUSH = b"\x00"
# Requests that start stimulation. STOP does not move the device's replay window (MFL/1
# section 3), so one of these retransmitted after a STOP would be executed and undo it.
_STARTS_STIMULATION = frozenset({Opcode.TEST_STIM_START, Opcode.THERAPY_START})
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit
COBS_BLOCK = 254  # data bytes one COBS code byte covers at most


def longest_reply_wire_size(opcode: Opcode, mac: bool) -> int:
    """Bytes the longest reply to ``opcode`` can take on the line.

    Its body with MAC (in a session) and CRC, COBS-encoded at worst, its delimiter and
    the extra 0x00 any sender may put before a frame (spec section 2).
    """
    body = HEADER_SIZE + max_reply_size(opcode) + (MAC_SIZE if mac else 0) + CRC_SIZE
    return body + -(-body // COBS_BLOCK) + 2


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Response timeouts of spec section 3 (rev 1.1): a base, line time, measurement time.

    Tests may lengthen the base and the per-measurement time; smaller values count as
    the spec's, so a device is never given less time than the spec allows it.
    """

    ordinary_s: float = ORDINARY_TIMEOUT_S
    per_measurement_s: float = IMPEDANCE_TIMEOUT_PER_MEASUREMENT_S
    retransmissions: int = RETRANSMISSIONS

    def response_s(self, opcode: Opcode, request_bytes: int, baud: int, mac: bool,
                   measurements: int = 0) -> float:
        """How long to wait for the reply to a request that took ``request_bytes`` to send.

        At a slow rate the line time dominates: a HELLO exchange is about 0.4 s at 2400
        baud, and a reply awaited only 250 ms would be asked for again.
        """
        line_bytes = request_bytes + longest_reply_wire_size(opcode, mac)
        per_measurement = max(self.per_measurement_s, IMPEDANCE_TIMEOUT_PER_MEASUREMENT_S)
        return (max(self.ordinary_s, ORDINARY_TIMEOUT_S) + line_bytes * BITS_PER_BYTE / baud
                + measurements * per_measurement)


@dataclass(frozen=True, slots=True)
class AppliedProgram:
    """A program the device holds, proven by a byte-for-byte read-back."""

    slot: int
    program: bytes
    crc: int


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


class DeviceClient:
    """An authenticated MFL/1 connection. Create with ``DeviceClient.connect(...)``."""

    def __init__(self, port: str, key_store: KeyStore | None, *, baud: int = DEFAULT_BAUD,
                 timeouts: Timeouts = Timeouts(),
                 trace: Callable[[TraceRecord], None] | None = None,
                 transport_factory: Callable[..., SerialTransport] = SerialTransport) -> None:
        if baud <= 0:
            raise ValueError(f"baud rate must be positive, got {baud}")
        self.port = port
        self.baud = baud
        self.timeouts = timeouts
        self._key_store = key_store
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
        self._keepalive = _KeepAlive(self)
        self.identity: Identity | None = None
        self.limits: Limits | None = None

    # -- connection -----------------------------------------------------------------------

    @classmethod
    def connect(cls, port: str, key_store: KeyStore, **options: object) -> DeviceClient:
        """Open the port, authenticate mutually and read the device's limits."""
        client = cls(port, key_store, **options)  # type: ignore[arg-type]
        client.open()
        return client

    @property
    def authenticated(self) -> bool:
        return self._ks is not None

    def open(self, authenticate: bool = True) -> None:
        """Open the port and say HELLO; authenticate unless only STOP/PING are wanted.

        STOP needs no key: stopping is the safe state, so it must work even when the
        key store cannot supply one.
        """
        self._transport.open()
        self._dispatcher.start()
        try:
            self._transport.write(FLUSH)
            if authenticate:
                self._handshake()
                self.limits = self.get_limits()
            else:
                self._hello(before_auth=False)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the port. Does not stop stimulation: call ``stop()`` first for that."""
        if self._closed:
            return
        self._closed = True
        self._keepalive.cancel()
        self._transport.close()
        self._fail_pending()
        self._notices.put(None)

    def __enter__(self) -> DeviceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return not self._closed and self._lost is None and self._ks is not None

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

    def _hello(self, before_auth: bool = True) -> Identity:
        """HELLO with seq 1: ends any earlier session and test stimulation on the device.

        Only AUTH needs the nonce the device kept; a console that just wants to STOP
        does not wait for the answers to retransmitted HELLOs.
        """
        self._keepalive.cancel()
        with self._state_lock:
            self._ks = None
            self._seq = 0
        identity = Identity.decode(self._exchange(self._take_seq(), Opcode.HELLO,
                                                  HelloRequest().encode(),
                                                  last_reply=before_auth))
        if identity.protocol != PROTOCOL_VERSION:
            raise ProtocolViolation(f"device speaks MFL/{identity.protocol}, not MFL/1")
        self.identity = identity
        return identity

    def _handshake(self) -> None:
        """HELLO then AUTH, verifying the device's tag: a rogue device is dropped."""
        identity = self._hello()
        if self._key_store is None:
            raise AuthenticationError(f"no key store to authenticate device {identity.serial}")
        try:
            key = self._key_store.key_for(identity.serial).reveal()
        except KeyStoreError as exc:
            raise AuthenticationError(str(exc)) from None
        nonce_c = os.urandom(auth.NONCE_SIZE)
        request = AuthRequest(nonce_c, auth.console_tag(key, identity.nonce_d, nonce_c))
        try:
            reply = AuthResponse.decode(self._exchange_locked(Opcode.AUTH, request.encode()))
        except LockedOut as exc:
            raise AuthenticationError(
                f"device {identity.serial} has locked authentication for {exc.extra} s "
                "after repeated failures") from None
        except DeviceRefused as exc:
            if exc.code == ErrorCode.AUTH_FAILED:
                raise AuthenticationError(
                    f"device {identity.serial} rejected the pairing key") from None
            raise
        expected = auth.device_tag(key, nonce_c, identity.nonce_d)
        if not auth.tags_equal(reply.tag_d, expected):
            raise AuthenticationError(
                f"device claiming serial {identity.serial} failed to prove it holds the "
                "pairing key; connection dropped")
        with self._state_lock:
            self._ks = auth.session_key(key, identity.nonce_d, nonce_c)

    # -- requests -------------------------------------------------------------------------

    def ping(self) -> int:
        return PingResponse.decode(self._request(Opcode.PING)).uptime_ms

    def get_status(self) -> Status:
        return Status.decode(self._request(Opcode.GET_STATUS))

    def get_limits(self) -> Limits:
        return Limits.decode(self._request(Opcode.GET_LIMITS))

    def measure_impedance(self, lead_mask: int = 0b11,
                          mode: ImpedanceMode = ImpedanceMode.MONOPOLAR) -> ImpedanceResult:
        if lead_mask not in (1, 2, 3):
            raise ValueError(f"lead mask {lead_mask} must select lead 0, lead 1 or both")
        per_lead = len(BIPOLAR_PAIRS) if mode == ImpedanceMode.BIPOLAR else 4
        count = per_lead * bin(lead_mask).count("1")
        payload = MeasureImpedanceRequest(lead_mask, mode).encode()
        return ImpedanceResult.decode(self._request(Opcode.MEASURE_IMPEDANCE, payload, count))

    def read_program(self, slot: int) -> ReadProgramResponse:
        reply = ReadProgramResponse.decode(self._request(Opcode.READ_PROGRAM,
                                                         SlotRequest(slot).encode()))
        if reply.slot != slot:
            raise ProtocolViolation(f"asked for slot {slot}, device answered slot {reply.slot}")
        return reply

    def write_program(self, slot: int, program: bytes) -> WriteProgramResponse:
        payload = WriteProgramRequest(slot, program).encode()
        return WriteProgramResponse.decode(self._request(Opcode.WRITE_PROGRAM, payload))

    def apply_program(self, slot: int, program: bytes,
                      on_written: Callable[[WriteProgramResponse], None] | None = None
                      ) -> AppliedProgram:
        """Write, read back and compare every byte; only a match counts as applied.

        ``on_written`` runs between the device's acknowledgement and the read-back, so
        a caller can note that the device took the program before it is verified.
        """
        written = self.write_program(slot, program)
        expected_crc = crc16_ccitt_false(program)
        if written.slot != slot or written.crc != expected_crc:
            raise ReadBackMismatch(
                f"device acknowledged slot {written.slot} with CRC {written.crc:#06x}, "
                f"expected slot {slot} with CRC {expected_crc:#06x}; program NOT applied",
                written.crc)
        if on_written is not None:
            on_written(written)
        stored = self.read_program(slot)
        if stored.program != program or stored.crc != expected_crc:
            differing = [i for i, (a, b) in enumerate(zip(stored.program, program, strict=True))
                         if a != b]
            raise ReadBackMismatch(
                f"read-back of slot {slot} differs from what was written at bytes "
                f"{differing} (CRC {stored.crc:#06x}); program NOT applied", stored.crc)
        return AppliedProgram(slot, program, expected_crc)

    def start_test_stim(self, stimulus: TestStimStart) -> None:
        """Start test stimulation; a keep-alive feeds the watchdog until it stops."""
        self._request(Opcode.TEST_STIM_START, stimulus.encode())
        watchdog_ms = self.limits.watchdog_ms if self.limits else 1000
        self._keepalive.start(watchdog_ms / 4000)

    def adjust_test_stim(self, amp_ua: int) -> int:
        reply = self._request(Opcode.TEST_STIM_ADJUST, Amplitude(amp_ua).encode())
        return Amplitude.decode(reply).amp_ua

    def stop(self) -> int:
        """Send STOP now, from any thread, even while another request waits.

        Returns the device's previous state. Raises LinkLost if no device confirms.
        """
        self._keepalive.cancel()
        with self._state_lock:
            self._stops += 1
        payload = self._exchange(self._take_seq(), Opcode.STOP, b"", flush_first=True)
        return StopResponse.decode(payload).previous_state

    def start_therapy(self, slot: int) -> int:
        reply = self._request(Opcode.THERAPY_START, SlotRequest(slot).encode())
        return TherapyStartResponse.decode(reply).session_s

    def get_log(self, first_index: int, max_count: int = MAX_LOG_PAGE) -> LogPage:
        payload = GetLogRequest(first_index, max_count).encode()
        return LogPage.decode(self._request(Opcode.GET_LOG, payload))

    def iter_log(self, first_index: int = 0) -> Iterator[tuple[LogEntry, int]]:
        """Every log entry from ``first_index`` on, with the device's total for progress."""
        index = first_index
        while True:
            page = self.get_log(index)
            for entry in page.entries:
                yield entry, page.total
            if not page.entries:
                return
            index = page.entries[-1].index + 1

    def set_time(self, unix_seconds: int | None = None) -> int:
        now = int(time.time()) if unix_seconds is None else unix_seconds
        self._request(Opcode.SET_TIME, SetTimeRequest(now).encode())
        return now

    # -- exchange machinery ---------------------------------------------------------------

    def _request(self, opcode: Opcode, payload: bytes = b"", measurements: int = 0) -> bytes:
        with self._request_lock:
            if self._seq >= SEQ_MAX - SEQ_HEADROOM:
                self._handshake()  # a fresh session before seq would wrap (ends test stim)
            return self._exchange_locked(opcode, payload, measurements)

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
            self._fail_pending()
            self._notices.put(LinkDown(reason))
            close = self._stop_then_close if last_stop else self._transport.close
            threading.Thread(target=close, daemon=True).start()
        raise LinkLost(self._lost or reason)

    def _stop_then_close(self) -> None:
        """The link is given up: one last STOP, unanswered, before the port is released.

        A device that still hears the console (a line that fails only one way, a noisy
        line) stops at once instead of waiting for its watchdog; the device executes STOP
        whatever its MAC or seq (section 4), and a STOP is never harmful.
        """
        with contextlib.suppress(PortError):
            self._transport.write(FLUSH + build_wire(Kind.REQUEST, self._take_seq(),
                                                     Opcode.STOP, b"", self._ks))
        self._transport.close()

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


class _KeepAlive:
    """Feeds the device's watchdog with PING while test stimulation runs and the link is idle."""

    def __init__(self, client: DeviceClient) -> None:
        self._client = client
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
        client = self._client
        while True:
            with self._wake:
                self._wake.wait(interval_s)
                if generation != self._generation:
                    return
            if time.monotonic() - client._last_tx < interval_s:
                continue
            if not client._request_lock.acquire(timeout=interval_s):
                continue  # another request is in flight: its frames feed the watchdog
            try:
                client._exchange_locked(Opcode.PING, b"")
            except (LinkLost, DeviceRefused, PortError):
                return
            finally:
                client._request_lock.release()
