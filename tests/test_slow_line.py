"""A slow line is not a wrong key: MFL/1 rev 1.1 response timeouts and HELLO nonces.

At 2400 baud a HELLO exchange takes about 0.4 s on the line. A console that waited only
250 ms sent HELLO again, the device answered each copy with a fresh nonce and kept the
last, and the console authenticated with the first: "rejected the pairing key", one
more strike toward the device's AUTH lockout.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cli.main import main
from device_link import auth
from device_link.client import DeviceClient, Timeouts
from device_link.errors import AuthenticationError, LinkLost
from device_link.frame import Frame, build_wire
from device_link.keystore import KeyFileStore, PairingKey, StaticKeyStore
from device_link.messages import AuthRequest, AuthResponse, ErrorPayload, Identity, Limits
from device_link.protocol import MAX_LOG_PAGE, ErrorCode, Kind, LogCode, Opcode, StopReason

from .emulator_harness import EmulatorProcess, RawLink
from .raw_device import RawDevice, reply

SLOW = 2400
FAST = 115_200

# -- (a) response timeouts: the formula by hand, and the client keeping to it ---------------

# Bytes on the line, counted by hand: the request as sent (header 8 + payload + MAC 8 in a
# session + CRC 2; COBS adds 1 to a body under 254 bytes; 1 delimiter) and the longest reply
# (its largest payload, or the 4-byte ERROR if larger, framed the same way, plus the extra
# 0x00 a sender may put before a frame). HELLO and AUTH never carry a MAC.
LINE_BYTES = {
    # opcode: (MAC, request bytes, longest-reply bytes)
    Opcode.HELLO: (False, 13, 82),  # payload 1; identity 69
    Opcode.AUTH: (False, 44, 29),  # nonce_c + tag_c 32; tag_d 16
    Opcode.PING: (True, 20, 25),  # empty; uptime 4
    Opcode.GET_STATUS: (True, 20, 41),  # empty; status 20
    Opcode.GET_LIMITS: (True, 20, 61),  # empty; limits 40
    Opcode.MEASURE_IMPEDANCE: (True, 22, 82),  # 2; count + 12 records of 5 = 61
    Opcode.READ_PROGRAM: (True, 21, 52),  # slot 1; slot + program + crc 31
    Opcode.WRITE_PROGRAM: (True, 49, 25),  # 29; ERROR 4 beats slot + crc 3
    Opcode.TEST_STIM_START: (True, 30, 25),  # 10; ERROR 4 beats empty
    Opcode.TEST_STIM_ADJUST: (True, 22, 25),  # 2; ERROR 4 beats 2
    Opcode.STOP: (True, 21, 25),  # a flush 0x00 + empty request; ERROR 4 beats 1
    Opcode.THERAPY_START: (True, 21, 25),  # 1; ERROR 4 beats 2
    Opcode.GET_LOG: (True, 25, 507),  # 5; 5 + 30 entries of 16 = 485, body 503, COBS + 2
    Opcode.SET_TIME: (True, 24, 25),  # 4; ERROR 4 beats empty
}


@pytest.mark.parametrize("baud", [FAST, SLOW])
@pytest.mark.parametrize("opcode", list(LINE_BYTES), ids=lambda op: op.name)
def test_response_timeout_is_250_ms_plus_line_time(opcode, baud):
    mac, request, longest_reply = LINE_BYTES[opcode]
    expected = 0.250 + (request + longest_reply) * 10 / baud
    assert Timeouts().response_s(opcode, request, baud, mac) == pytest.approx(expected)


@pytest.mark.parametrize(("opcode", "baud", "measurements", "seconds"), [
    (Opcode.HELLO, SLOW, 0, 0.645833),  # 95 bytes: "about 0.4 s" of line time
    (Opcode.HELLO, FAST, 0, 0.258247),
    (Opcode.GET_LOG, SLOW, 0, 2.466667),  # 532 bytes
    (Opcode.GET_LOG, FAST, 0, 0.296181),
    (Opcode.MEASURE_IMPEDANCE, SLOW, 12, 1.403333),  # 104 bytes + 12 × 60 ms
    (Opcode.MEASURE_IMPEDANCE, FAST, 8, 0.739028),
    (Opcode.STOP, SLOW, 0, 0.441667),  # 46 bytes
])
def test_response_timeouts_in_seconds(opcode, baud, measurements, seconds):
    mac, request, _ = LINE_BYTES[opcode]
    timeout = Timeouts().response_s(opcode, request, baud, mac, measurements)
    assert timeout == pytest.approx(seconds, abs=1e-6)


def test_tests_may_lengthen_timeouts_but_never_shorten_them():
    spec = Timeouts().response_s(Opcode.MEASURE_IMPEDANCE, 22, SLOW, True, 4)
    shorter = Timeouts(ordinary_s=0.01, per_measurement_s=0.001)
    longer = Timeouts(ordinary_s=1.25, per_measurement_s=0.1)
    assert shorter.response_s(Opcode.MEASURE_IMPEDANCE, 22, SLOW, True, 4) == spec
    assert longer.response_s(Opcode.MEASURE_IMPEDANCE, 22, SLOW, True, 4) == pytest.approx(
        spec + 1.0 + 4 * 0.04)


SERIAL = "EMU-000042"
KEY = PairingKey(bytes(range(32, 64)))
NONCES = (bytes(range(0x10, 0x20)), bytes(range(0x20, 0x30)))


@pytest.fixture
def key_store() -> StaticKeyStore:
    return StaticKeyStore({SERIAL: KEY})


def _identity(nonce: bytes) -> bytes:
    return Identity(1, "EMU-IPG", SERIAL, "1.0.0", nonce).encode()


class StampedDevice:
    """A raw device that notes when each request arrived; answers HELLO only if told to."""

    def __init__(self, answer_hello: bool) -> None:
        self.arrivals: list[tuple[int, float]] = []
        self._answer_hello = answer_hello
        self.raw = RawDevice(self._respond)

    def _respond(self, frame: Frame) -> list[bytes]:
        self.arrivals.append((frame.opcode, time.monotonic()))
        if self._answer_hello and frame.opcode == Opcode.HELLO:
            return [reply(frame, _identity(NONCES[0]))]
        return []

    def gaps(self, opcode: Opcode) -> list[float]:
        times = [t for op, t in self.arrivals if op == opcode]
        return [later - earlier for earlier, later in itertools.pairwise(times)]


@pytest.fixture
def silent_device() -> Iterator[StampedDevice]:
    device = StampedDevice(answer_hello=False)
    yield device
    device.raw.close()


@pytest.fixture
def stop_deaf_device() -> Iterator[StampedDevice]:
    device = StampedDevice(answer_hello=True)
    yield device
    device.raw.close()


JITTER_S = 0.02  # a frame read late and its copy on time look this much closer together


def test_client_waits_the_line_time_before_resending_hello(silent_device, key_store):
    with pytest.raises(LinkLost, match="after 3 retransmissions"):
        DeviceClient.connect(silent_device.raw.port, key_store, baud=SLOW)
    gaps = silent_device.gaps(Opcode.HELLO)
    assert len(gaps) == 3
    assert min(gaps) >= 0.645833 - JITTER_S


def test_stop_waits_the_line_time_before_it_is_resent(stop_deaf_device):
    with DeviceClient(stop_deaf_device.raw.port, None, baud=SLOW) as client:
        client.open(authenticate=False)
        with pytest.raises(LinkLost, match="no reply to STOP after 3 retransmissions"):
            client.stop()
    gaps = stop_deaf_device.gaps(Opcode.STOP)
    assert len(gaps) == 3
    # No session, so no MAC: flush + body 10 + COBS + delimiter = 13 bytes out, and at
    # most body 14 (ERROR) + COBS + 2 delimiters = 17 back: 0.25 + 30 × 10 / 2400 s.
    assert min(gaps) >= 0.375 - JITTER_S


# -- (c) after a retransmitted HELLO, the last answer's nonce ---------------------------------

class KeptNonceDevice:
    """Holds KEY and, like MFL/1 section 4, keeps the nonce of the last HELLO it executed.

    Its answer to the first HELLO is late: it leaves only once the console's copy has
    arrived, as on a line slower than the console allowed for. The copy's answer follows
    at once, or ``second_after_s`` later.
    """

    def __init__(self, second_after_s: float = 0.0) -> None:
        self.copy_answered_at = 0.0
        self.auth: AuthRequest | None = None
        self._second_after_s = second_after_s
        self._hellos = 0
        self._kept: bytes | None = None
        self._ks: bytes | None = None
        self._timers: list[threading.Timer] = []
        self.raw = RawDevice(self._respond)

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
            if timer.is_alive():
                timer.join()
        self.raw.close()

    def _respond(self, frame: Frame) -> list[bytes]:
        handlers = {Opcode.HELLO: self._hello, Opcode.AUTH: self._auth,
                    Opcode.GET_LIMITS: self._limits}
        handler = handlers.get(frame.opcode)
        return handler(frame) if handler else []

    def _hello(self, frame: Frame) -> list[bytes]:
        self._hellos += 1
        if self._hellos == 1:
            self._kept = NONCES[0]
            return []
        self._kept = NONCES[1]
        self.copy_answered_at = time.monotonic()
        first, second = (reply(frame, _identity(nonce)) for nonce in NONCES)
        if not self._second_after_s:
            return [first, second]
        timer = threading.Timer(self._second_after_s, os.write, (self.raw.master, second))
        self._timers.append(timer)
        timer.start()
        return [first]

    def _auth(self, frame: Frame) -> list[bytes]:
        self.auth = request = AuthRequest.decode(frame.payload)
        key = KEY.reveal()
        assert self._kept is not None
        if not auth.tags_equal(request.tag_c,
                               auth.console_tag(key, self._kept, request.nonce_c)):
            error = ErrorPayload(ErrorCode.AUTH_FAILED).encode()
            return [reply(frame, error, Kind.ERROR)]
        self._ks = auth.session_key(key, self._kept, request.nonce_c)
        tag_d = auth.device_tag(key, request.nonce_c, self._kept)
        return [reply(frame, AuthResponse(tag_d).encode())]

    def _limits(self, frame: Frame) -> list[bytes]:
        return [build_wire(Kind.RESPONSE, frame.seq, frame.opcode, Limits().encode(), self._ks)]


@pytest.mark.parametrize("second_after_s", [0.0, 0.2], ids=["together", "apart"])
def test_auth_uses_the_nonce_of_the_last_hello_answer(key_store, second_after_s):
    """0.2 s apart: well within one HELLO response time at 2400 baud (0.65 s)."""
    device = KeptNonceDevice(second_after_s)
    try:
        with DeviceClient.connect(device.raw.port, key_store, baud=SLOW) as client:
            assert client.authenticated and client.identity is not None
            assert client.identity.nonce_d == NONCES[1]
        assert device.auth is not None
        assert device.auth.tag_c == auth.console_tag(KEY.reveal(), NONCES[1],
                                                     device.auth.nonce_c)
    finally:
        device.close()


def test_a_console_that_only_stops_does_not_wait_for_later_hello_answers():
    """STOP needs no nonce: the answer to the HELLO copy never comes in time, and the
    console is ready to stop well within one HELLO response time of the first answer."""
    device = KeptNonceDevice(second_after_s=30.0)
    try:
        with DeviceClient(device.raw.port, None, baud=SLOW) as client:
            client.open(authenticate=False)
            ready_after_s = time.monotonic() - device.copy_answered_at
        assert ready_after_s < Timeouts().response_s(Opcode.HELLO, 13, SLOW, False)
    finally:
        device.close()


def test_hello_answered_first_time_is_followed_by_auth_at_once(key_store):
    """No copy of HELLO was sent, so no later answer can come: AUTH need not wait."""
    seen: dict[int, float] = {}

    def prompt_device(frame: Frame) -> list[bytes]:
        seen[frame.opcode] = time.monotonic()
        if frame.opcode == Opcode.HELLO:
            return [reply(frame, _identity(NONCES[0]))]
        return [reply(frame, ErrorPayload(ErrorCode.AUTH_FAILED).encode(), Kind.ERROR)]

    device = RawDevice(prompt_device)
    try:
        with pytest.raises(AuthenticationError, match="rejected the pairing key"):
            DeviceClient.connect(device.port, key_store, baud=SLOW)
    finally:
        device.close()
    hello_response_s = Timeouts().response_s(Opcode.HELLO, 13, SLOW, False)
    assert seen[Opcode.AUTH] - seen[Opcode.HELLO] < hello_response_s


# -- (b) end to end against the emulator process paced at 2400 baud --------------------------

@pytest.fixture
def slow_emulator(key_file: Path) -> Iterator[EmulatorProcess]:
    with EmulatorProcess("--pace-baud", str(SLOW), key_file=key_file) as process:
        yield process


def test_interrogation_at_2400_baud_authenticates_first_time(slow_emulator, key_file, capsys):
    log_total = slow_emulator.control.state()["log_total"]
    code = main(["device", "--port", slow_emulator.port, "--baud", str(SLOW),
                 "--key-file", str(key_file), "--json", "interrogate"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["identity"]["serial"] == "EMU-000001"
    assert slow_emulator.control.state()["auth_failures"] == 0
    with DeviceClient.connect(slow_emulator.port, KeyFileStore(key_file), baud=SLOW) as client:
        logged = client.get_log(log_total).entries
    codes = {entry.code for entry in logged}
    assert LogCode.AUTH_FAILED not in codes and LogCode.AUTH_LOCKED not in codes


def test_a_full_log_page_at_2400_baud_arrives(slow_emulator, key_file):
    """Its 507 bytes take 2.1 s on the line, far beyond the old fixed 250 ms."""
    with DeviceClient.connect(slow_emulator.port, KeyFileStore(key_file), baud=SLOW) as client:
        page = client.get_log(0, MAX_LOG_PAGE)
    assert len(page.entries) == MAX_LOG_PAGE


def test_test_stimulation_and_impedance_at_2400_baud_keep_the_link(slow_emulator, key_file,
                                                                   capsys):
    """Telemetry alone would fill the line (28 bytes, 10 a second): the device sends only
    the newest report, so replies and the keep-alive never wait behind a backlog."""
    code = main(["device", "--port", slow_emulator.port, "--baud", str(SLOW), "--key-file",
                 str(key_file), "test-stim", "--lead", "0", "--anode", "1", "--cathode", "2",
                 "--amp", "0.5", "--pw", "214", "--freq", "20", "--seconds", "10"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "measured impedance first: left E1–E2" in out  # 6 pairs measured at 2400
    assert out.strip().splitlines()[-1] == "stimulation ended: test duration elapsed"
    state = slow_emulator.control.state()
    assert state["last_stop_reason"] == StopReason.DURATION_ELAPSED
    superseded = [e for e in slow_emulator.control.trace()["entries"]
                  if e["note"] == "not sent: superseded by a newer report"]
    assert superseded  # the line really was too slow for every report


def test_paced_emulator_holds_both_directions_to_line_time(slow_emulator, pairing_key):
    with RawLink(slow_emulator.port, pairing_key.reveal()) as raw:
        raw.authenticate()
    entries = slow_emulator.control.trace()["entries"]
    hello_tx = next(e for e in entries if e["dir"] == "tx" and e["opcode"] == "HELLO")
    auth_rx = next(e for e in entries if e["dir"] == "rx" and e["opcode"] == "AUTH")
    # HELLO's answer (81 bytes) crosses to the console, then the console's AUTH (44 bytes)
    # crosses back: the device cannot have AUTH any sooner.
    assert auth_rx["t"] - hello_tx["t"] >= (81 + 44) * 10 / SLOW


@pytest.mark.parametrize("rate", ["0", "-2400", "fast"])
def test_baud_must_be_a_positive_whole_number(rate, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["device", "--port", str(tmp_path / "no-port"), "--baud", rate, "interrogate"])
    assert exited.value.code == 2
    assert "baud rate must be a positive whole number" in capsys.readouterr().err
