"""``mfconsole emulator`` as its own process: announcement, control channel, faults, signals."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import serial

from device_link.emulator import ControlClient, ControlError, load_demo_key
from device_link.messages import (
    Amplitude,
    GetLogRequest,
    LogPage,
    Status,
    TestStimStart,
)
from device_link.protocol import DeviceState, ErrorCode, FaultFlag, Kind, LogCode, Opcode
from tests.emulator_harness import ROOT, EmulatorProcess, RawLink, assert_error


def test_announces_port_then_control_and_exits_0_on_sigterm(emulator, pairing_key):
    assert emulator.port.startswith("/dev/")
    assert emulator.control.ping() == {"pong": True}
    with RawLink(emulator.port, pairing_key.reveal()) as raw:
        assert raw.authenticate().kind == Kind.RESPONSE
        assert emulator.control.state()["session"] is True
    assert emulator.terminate() == 0


def test_exits_0_on_sigint(key_file):
    with EmulatorProcess(key_file=key_file) as process:
        assert process.interrupt() == 0


def test_uses_the_packaged_demo_key_without_a_key_file():
    with EmulatorProcess() as process, RawLink(process.port, load_demo_key().reveal()) as raw:
        assert raw.authenticate().kind == Kind.RESPONSE


def test_refuses_a_bad_key_file_with_one_line(tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    bad.chmod(0o600)
    result = subprocess.run([sys.executable, "-m", "console.cli.main", "emulator",
                             "--key-file", str(bad)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "key file" in result.stderr


def test_serves_on_tcp(key_file, pairing_key):
    with EmulatorProcess("--socket", "127.0.0.1:0", "--serial", "EMU-000777",
                         key_file=key_file) as process:
        assert process.port.startswith("socket://127.0.0.1:")
        with RawLink(process.port, pairing_key.reveal()) as raw:
            assert raw.authenticate().kind == Kind.RESPONSE
            assert raw.identity is not None and raw.identity.serial == "EMU-000777"


def test_control_on_a_unix_socket(key_file, tmp_path):
    path = tmp_path / "control.sock"
    with EmulatorProcess("--control-unix", str(path), key_file=key_file), \
            ControlClient(f"unix:{path}") as client:
        assert client.state()["state"] == "IDLE"


def test_start_up_faults_from_flags(key_file, pairing_key):
    with EmulatorProcess("--open", "0:1", "--short", "1:0:3", "--battery", "9",
                         key_file=key_file) as process:
        impedances = process.control.impedances()
        assert impedances["leads"][0]["monopolar"][1] == 0xFFFF
        assert impedances["shorts"] == [{"lead": 1, "electrodes": [0, 3]}]
        with RawLink(process.port, pairing_key.reveal()) as raw:
            raw.authenticate()
            status = Status.decode(raw.request(Opcode.GET_STATUS).payload)
            assert status.battery_pct == 9 and status.fault_flags & FaultFlag.BATTERY_LOW


def test_unknown_control_command_is_refused_without_closing_the_channel(emulator):
    with pytest.raises(ControlError, match="unknown command"):
        emulator.control.call("format_disk")
    with pytest.raises(ControlError, match="no electrode"):
        emulator.control.inject_open(0, 9)
    assert emulator.control.ping() == {"pong": True}


def _start_at_1_ma(raw: RawLink, lead: int, anode: int, cathode: int) -> None:
    reply = raw.request(Opcode.TEST_STIM_START,
                        TestStimStart(lead, anode, cathode, 20, 214, 1000, 60).encode())
    assert reply.kind == Kind.RESPONSE, reply


def _raise_to(raw: RawLink, target_ua: int) -> None:
    """Titrate up in 1 mA steps (the largest the device allows) from 1 mA."""
    for amp in range(2000, target_ua + 1, 1000):
        reply = raw.request(Opcode.TEST_STIM_ADJUST, Amplitude(amp).encode())
        assert reply.kind == Kind.RESPONSE, reply


def test_simulated_observation_in_the_good_scenario(emulator, pairing_key):
    table = emulator.control.patient(pw_us=214)
    lead0 = {(p["anode"], p["cathode"]): p for p in table["leads"][0]["pairs"]}
    assert 2000 <= lead0[(2, 1)]["threshold_ua"] <= 5000
    with RawLink(emulator.port, pairing_key.reveal()) as raw:
        raw.authenticate()
        _start_at_1_ma(raw, 0, 2, 1)
        quiet = emulator.control.observe()["leads"][0]
        _raise_to(raw, 4000)
        seen = emulator.control.observe()
        raw.request(Opcode.STOP)
    assert quiet["active"] and quiet["contraction"] == 0.0
    lead = seen["leads"][0]
    assert (lead["amp_set_ua"], lead["amp_delivered_ua"], lead["phase"]) == (4000, 4000, "ON")
    assert 0.2 < lead["contraction"] <= 1.0 and lead["unwanted"] == []
    assert seen["leads"][1]["active"] is False


def test_unwanted_response_scenario_shows_a_leg_response(key_file, pairing_key):
    with EmulatorProcess("--scenario", "unwanted-response", key_file=key_file) as process, \
            RawLink(process.port, pairing_key.reveal()) as raw:
        raw.authenticate()
        _start_at_1_ma(raw, 0, 2, 1)
        _raise_to(raw, 4000)
        lead = process.control.observe()["leads"][0]
        raw.request(Opcode.STOP)
    assert lead["contraction"] > 0 and lead["unwanted"] == ["leg"]


def test_migrated_lead_scenario(key_file):
    with EmulatorProcess("--scenario", "migrated-lead", key_file=key_file) as process:
        table = process.control.patient(pw_us=214)
    assert min(p["threshold_ua"] for p in table["leads"][1]["pairs"]) > 8000
    assert min(p["threshold_ua"] for p in table["leads"][0]["pairs"]) < 5000


def test_trace_records_both_directions_with_comparable_timestamps(emulator, pairing_key):
    before = time.perf_counter()
    with RawLink(emulator.port, pairing_key.reveal()) as raw:
        raw.authenticate()
        raw.request(Opcode.GET_STATUS)
        raw.send(Opcode.GET_STATUS, sign=False)  # discarded: no MAC in session
        raw.request(Opcode.PING)
    after = time.perf_counter()
    entries = emulator.control.trace()["entries"]
    summary = [(e["dir"], e["kind"], e["opcode"]) for e in entries]
    assert summary[:4] == [("rx", "REQUEST", "HELLO"), ("tx", "RESPONSE", "HELLO"),
                           ("rx", "REQUEST", "AUTH"), ("tx", "RESPONSE", "AUTH")]
    status_tx = next(e for e in entries if e["dir"] == "tx" and e["opcode"] == "GET_STATUS")
    assert status_tx["mac_present"] and status_tx["mac_valid"] and status_tx["seq"] == 3
    discarded = [e for e in entries if e["note"].startswith("discarded")]
    assert len(discarded) == 1 and discarded[0]["mac_valid"] is False
    assert all(before <= e["t"] <= after for e in entries)
    assert [e["n"] for e in entries] == list(range(len(entries)))
    page = emulator.control.trace(since=entries[-2]["n"])
    assert [e["n"] for e in page["entries"]] == [entries[-2]["n"], entries[-1]["n"]]
    assert page["next"] == entries[-1]["n"] + 1


def test_the_key_never_appears_in_the_trace_or_output(emulator, pairing_key):
    with RawLink(emulator.port, pairing_key.reveal()) as raw:
        raw.authenticate()
        raw.request(Opcode.GET_STATUS)
        session_key = raw.ks
    text = json.dumps([emulator.control.trace(), emulator.control.state()])
    assert session_key is not None
    for secret in (pairing_key.reveal(), session_key):
        assert secret.hex() not in text
    emulator.terminate()
    assert pairing_key.reveal().hex() not in emulator.stderr_text()


def test_link_faults_drop_corrupt_and_delay(emulator, pairing_key):
    control = emulator.control
    with RawLink(emulator.port, pairing_key.reveal()) as raw:
        raw.authenticate()
        mark = control.trace()["next"]
        control.set_link_faults(drop_rate=1.0, direction="tx")
        lost = raw.send(Opcode.PING)
        control.await_trace(lambda e: e["dir"] == "tx" and e["seq"] == lost
                            and e["note"] == "lost on the line (link fault)", since=mark)
        control.set_link_faults(corrupt_rate=1.0, direction="rx")
        raw.send(Opcode.PING)
        control.await_trace(lambda e: e["note"].startswith("discarded"), since=mark)
        control.set_link_faults(delay_ms=50)
        raw.send_wire(b"\x00")  # the corrupted delimiter left a partial frame: flush it
        seq = raw.send(Opcode.PING)
        assert raw.reply(seq).kind == Kind.RESPONSE  # the lost and the corrupted got none
        control.set_link_faults()
        assert control.state()["link_errors"] >= 1
    entries = control.trace(since=mark)["entries"]
    rx = next(e for e in entries if e["dir"] == "rx" and e["seq"] == seq)
    tx = next(e for e in entries if e["dir"] == "tx" and e["seq"] == seq)
    assert tx["t"] - rx["t"] >= 0.050
    assert control.link_faults() == {"corrupt_rate": 0.0, "drop_rate": 0.0, "delay_ms": 0.0,
                                     "direction": "both"}


def test_disconnect_pulls_the_port_and_reconnect_brings_the_device_back(emulator, pairing_key):
    with RawLink(emulator.port, pairing_key.reveal()) as raw:
        raw.authenticate()
        raw.request(Opcode.WRITE_PROGRAM, bytes([3]) + _a_program())
        emulator.control.disconnect()
        with pytest.raises(serial.SerialException):  # the terminal has hung up
            raw.serial.timeout = 5
            raw.serial.read(1)
    assert emulator.control.state()["connected"] is False
    port = emulator.control.reconnect()["port"]
    assert port.startswith("/dev/")
    with RawLink(port, pairing_key.reveal()) as raw:
        raw.authenticate()
        assert raw.request(Opcode.READ_PROGRAM, b"\x03").kind == Kind.RESPONSE


def _a_program() -> bytes:
    from device_link.emulator.core import IMPLANT_PROGRAM
    return IMPLANT_PROGRAM.encode()


def test_reboot_ends_the_session_and_logs_a_boot(emulator, pairing_key):
    with RawLink(emulator.port, pairing_key.reveal()) as raw:
        raw.authenticate()
        emulator.control.reboot()
        assert_error(raw.request(Opcode.GET_STATUS), ErrorCode.NOT_AUTHENTICATED)
        raw.seq = 0
        raw.authenticate()
        page = LogPage.decode(raw.request(Opcode.GET_LOG, GetLogRequest(0, 1).encode()).payload)
        last = LogPage.decode(raw.request(
            Opcode.GET_LOG, GetLogRequest(page.total - 1, 1).encode()).payload).entries[0]
        assert last.code == LogCode.BOOT
        assert Status.decode(raw.request(Opcode.GET_STATUS).payload).state == DeviceState.IDLE


def test_paced_output_takes_line_time(key_file, pairing_key):
    baud = 115_200
    with EmulatorProcess("--pace-baud", str(baud), "--log-entries", "10000",
                         key_file=key_file) as process:
        with RawLink(process.port, pairing_key.reveal()) as raw:
            raw.authenticate()
            seq = raw.send(Opcode.GET_LOG, GetLogRequest(0, 30).encode())
            page = LogPage.decode(raw.reply(seq).payload)
            assert page.total == 10_000 and len(page.entries) == 30
            after = raw.send(Opcode.PING)  # sent only once the whole page has arrived
            raw.reply(after)
        entries = process.control.trace()["entries"]
    page_tx = next(e for e in entries if e["dir"] == "tx" and e["seq"] == seq)
    ping_rx = next(e for e in entries if e["dir"] == "rx" and e["seq"] == after)
    body_bytes = 8 + 485 + 8 + 2  # the page's body; COBS and the delimiter add more
    assert ping_rx["t"] - page_tx["t"] >= body_bytes * 10 / baud
