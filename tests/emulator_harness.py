"""Emulator process fixtures for tests, and a bare MFL/1 driver for raw-frame tests.

``EmulatorProcess`` is the console's own launcher (``console.emulation.process``)
with the control channel opened as a ``ControlClient``: it runs ``mfconsole
emulator`` as a child process exactly as an engineer would. ``RawLink`` speaks
MFL/1 frame by frame with the project's codec, so tests can send what a
well-behaved console never would (bad MACs, replays, wrong lengths).
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from console.emulation.process import STARTUP_TIMEOUT_S, STOP_TIMEOUT_S
from console.emulation.process import EmulatorProcess as ProductEmulatorProcess
from console.emulation.process import EmulatorStartError as EmulatorStartError
from device_link import auth
from device_link.emulator.control import ControlClient
from device_link.frame import Frame, build_wire
from device_link.framing import FrameDecoder
from device_link.keystore import KeyFileStore, PairingKey
from device_link.messages import (
    AuthRequest,
    AuthResponse,
    ErrorPayload,
    GetLogRequest,
    Identity,
    LogEntry,
    LogPage,
    Status,
)
from device_link.protocol import ErrorCode, Kind, Opcode

ROOT = Path(__file__).resolve().parent.parent


class EmulatorProcess(ProductEmulatorProcess):
    """``mfconsole emulator --control 127.0.0.1:0 ARGS`` as a child process.

    After ``start()`` (or entering the context): ``port``, ``control`` (a
    ``ControlClient``), ``control_address`` and ``pid``.
    """

    def __init__(self, *extra_args: str, key_file: str | os.PathLike[str] | None = None,
                 startup_timeout: float = STARTUP_TIMEOUT_S) -> None:
        super().__init__(*extra_args, key_file=key_file, startup_timeout=startup_timeout)
        self._control: ControlClient | None = None

    def start(self) -> EmulatorProcess:
        super().start()
        try:
            assert self.control_address is not None
            self._control = ControlClient(self.control_address)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def control(self) -> ControlClient:
        assert self._control is not None, "the emulator process is not running"
        return self._control

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and wait; returns the exit status."""
        return self.send_signal(signal.SIGTERM, timeout)

    def interrupt(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGINT (Ctrl-C) and wait; returns the exit status."""
        return self.send_signal(signal.SIGINT, timeout)

    def close(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        self.stop()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BareConsole:
    """What every bare console in these tests does over its own ``request``.

    ``RawLink`` sends frames over a real port and ``CoreDriver`` hands them straight
    to a ``DeviceCore``; the handshake and the reads built on requests are the same.
    """

    key: bytes | None = None
    ks: bytes | None = None
    identity: Identity | None = None

    def request(self, opcode: int, payload: bytes = b"") -> Frame:
        raise NotImplementedError

    def hello(self) -> Identity:
        self.ks = None
        reply = self.request(Opcode.HELLO, b"\x01")
        assert reply.kind == Kind.RESPONSE, reply
        self.identity = Identity.decode(reply.payload)
        return self.identity

    def authenticate(self, key: bytes | None = None) -> Frame:
        """HELLO then AUTH; on success the session key is set and ``tag_d`` verified."""
        key = key if key is not None else self.key
        assert key is not None, "no pairing key"
        identity = self.hello()
        nonce_c = secrets.token_bytes(16)
        tag_c = auth.console_tag(key, identity.nonce_d, nonce_c)
        reply = self.request(Opcode.AUTH, AuthRequest(nonce_c, tag_c).encode())
        if reply.kind == Kind.RESPONSE:
            tag_d = AuthResponse.decode(reply.payload).tag_d
            assert auth.tags_equal(tag_d, auth.device_tag(key, nonce_c, identity.nonce_d))
            self.ks = auth.session_key(key, identity.nonce_d, nonce_c)
        return reply

    def status(self) -> Status:
        return Status.decode(self.request(Opcode.GET_STATUS).payload)

    def log_entries(self) -> list[LogEntry]:
        """The newest page of the usage log (up to 30 entries), oldest first."""
        page = LogPage.decode(self.request(Opcode.GET_LOG, GetLogRequest(0, 30).encode()).payload)
        first = max(0, page.total - 30)
        return list(LogPage.decode(self.request(
            Opcode.GET_LOG, GetLogRequest(first, 30).encode()).payload).entries)


class RawLink(BareConsole):
    """A bare console: one frame at a time, built and parsed with the project's codec."""

    def __init__(self, port: str, key: bytes | None = None) -> None:
        self.serial = serial.serial_for_url(port, timeout=1.0)
        self.key = key
        self.ks: bytes | None = None
        self.seq = 0
        self.identity: Identity | None = None
        self.events: list[Frame] = []
        self._decoder = FrameDecoder()
        self._frames: list[Frame] = []

    def close(self) -> None:
        self.serial.close()

    def __enter__(self) -> RawLink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def send(self, opcode: int, payload: bytes = b"", *, seq: int | None = None,
             sign: bool | None = None, ks: bytes | None = None,
             kind: Kind = Kind.REQUEST) -> int:
        """Send a frame; signed with the session key unless ``sign=False`` (or ``ks`` given)."""
        seq = self.next_seq() if seq is None else seq
        key = ks if ks is not None else (self.ks if sign is not False else None)
        self.serial.write(build_wire(kind, seq, opcode, payload, key))
        return seq

    def send_wire(self, data: bytes) -> None:
        self.serial.write(data)

    def next_frame(self, timeout: float = 2.0) -> Frame | None:
        """The next frame from the device, or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self._frames:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.serial.timeout = left
            data = self.serial.read(1)
            if not data:
                return None
            data += self.serial.read(self.serial.in_waiting)
            self._frames += self._decoder.feed(data)
        return self._frames.pop(0)

    def reply(self, seq: int, timeout: float = 2.0) -> Frame:
        """The RESPONSE/ERROR for ``seq``; events met on the way are kept in ``events``."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                raise TimeoutError(f"no reply to seq {seq} within {timeout} s")
            if frame.kind == Kind.EVENT:
                self.events.append(frame)
            elif frame.seq == seq:
                return frame
            else:
                raise AssertionError(f"unexpected reply {frame} while waiting for seq {seq}")

    def request(self, opcode: int, payload: bytes = b"", *, timeout: float = 2.0,
                seq: int | None = None, sign: bool | None = None) -> Frame:
        return self.reply(self.send(opcode, payload, seq=seq, sign=sign), timeout)

    def event(self, code: int, timeout: float = 2.0) -> Frame:
        """The first event ``code`` (already received or arriving within ``timeout``)."""
        for index, frame in enumerate(self.events):
            if frame.opcode == code:
                return self.events.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                raise TimeoutError(f"no event 0x{code:02X} within {timeout} s")
            if frame.kind == Kind.EVENT and frame.opcode == code:
                return frame
            self.events.append(frame)


def error_of(frame: Frame) -> ErrorPayload:
    """The ERROR payload of ``frame`` (asserting it is an ERROR)."""
    assert frame.kind == Kind.ERROR, f"expected an ERROR, got {frame}"
    return ErrorPayload.decode(frame.payload)


def assert_error(frame: Frame, code: ErrorCode, detail: int | None = None,
                 extra: int | None = None) -> ErrorPayload:
    error = error_of(frame)
    assert error.code == code, f"expected {code.name}, got {ErrorCode(error.code).name}"
    if detail is not None:
        assert error.detail == detail, f"detail {error.detail}, expected {detail}"
    if extra is not None:
        assert error.extra == extra, f"extra {error.extra}, expected {extra}"
    return error


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A fresh random pairing key in a file (64 hex characters), mode 0600 as required."""
    path = tmp_path / "pairing.key"
    path.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    path.chmod(0o600)
    return path


@pytest.fixture
def pairing_key(key_file: Path) -> PairingKey:
    """The key held in ``key_file``."""
    return KeyFileStore(key_file).key_for("")


@pytest.fixture
def emulator(key_file: Path) -> Iterator[EmulatorProcess]:
    """A running emulator process (scenario ``good``) keyed with ``key_file``."""
    with EmulatorProcess(key_file=key_file) as process:
        yield process
