"""The console side of MFL/1: one request at a time, STOP at any moment, mutual authentication.

Threads: the transport's reader thread decodes frames and completes waiting
requests; a dispatcher thread hands events to subscribers (so a slow subscriber
never delays a reply); a keep-alive thread feeds the device's watchdog while test
stimulation runs. Callers may use the client from any thread.

This module holds what each request means; sending it, retransmitting it and
receiving its reply is ``exchange.RequestLink``'s job.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from device_link import auth
from device_link.crc import crc16_ccitt_false
from device_link.errors import (
    AuthenticationError,
    DeviceRefused,
    LockedOut,
    ProtocolViolation,
    ReadBackMismatch,
)
from device_link.exchange import FLUSH, RequestLink
from device_link.keystore import KeyStore, KeyStoreError
from device_link.messages import (
    Amplitude,
    AuthRequest,
    AuthResponse,
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
    StopResponse,
    TestStimStart,
    TherapyStartResponse,
    WriteProgramRequest,
    WriteProgramResponse,
)
from device_link.protocol import (
    BIPOLAR_PAIRS,
    MAX_LOG_PAGE,
    PROTOCOL_VERSION,
    SEQ_MAX,
    ErrorCode,
    ImpedanceMode,
    Opcode,
)
from device_link.timeouts import DEFAULT_TIMEOUTS, Timeouts, longest_reply_wire_size
from device_link.trace import TraceRecord
from device_link.transport import SerialTransport

__all__ = ["DEFAULT_BAUD", "AppliedProgram", "DeviceClient", "Timeouts",
           "longest_reply_wire_size"]

DEFAULT_BAUD = 115200
# Re-authenticate while this many sequence numbers remain, so a STOP sent meanwhile
# from another thread can never push a request past 65535.
SEQ_HEADROOM = 16


@dataclass(frozen=True, slots=True)
class AppliedProgram:
    """A program the device holds, proven by a byte-for-byte read-back."""

    slot: int
    program: bytes
    crc: int


class DeviceClient(RequestLink):
    """An authenticated MFL/1 connection. Create with ``DeviceClient.connect(...)``."""

    def __init__(self, port: str, key_store: KeyStore | None, *, baud: int = DEFAULT_BAUD,
                 timeouts: Timeouts = DEFAULT_TIMEOUTS,
                 trace: Callable[[TraceRecord], None] | None = None,
                 transport_factory: Callable[..., SerialTransport] = SerialTransport) -> None:
        super().__init__(port, baud=baud, timeouts=timeouts, trace=trace,
                         transport_factory=transport_factory)
        self._key_store = key_store
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

    def __enter__(self) -> DeviceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return not self._closed and self._lost is None and self._ks is not None

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

    def _request(self, opcode: Opcode, payload: bytes = b"", measurements: int = 0) -> bytes:
        """One request of the session; a fresh session first when seq nears its end."""
        with self._request_lock:
            if self._seq >= SEQ_MAX - SEQ_HEADROOM:
                self._handshake()  # a fresh session before seq would wrap (ends test stim)
            return self._exchange_locked(opcode, payload, measurements)
