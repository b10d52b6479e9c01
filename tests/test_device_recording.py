"""The device commands record what they do when a database is configured.

Every test runs the real ``mfconsole device`` command against an emulator process and
a clinical record on SQLite and on PostgreSQL, then checks the record and, at the end,
that the audit chain still verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from console.accounts import User
from console.cli.main import main
from console.device.record_keeper import RecordKeeper
from console.programming.program import LeadProgram, Program
from console.programming.program_file import save_program
from console.storage import (
    ClinicalRecord,
    ConflictError,
    DatabaseUnavailable,
    InstallationKey,
    VersionStatus,
)
from console.storage.config import default_database_path
from console.storage.models import AuditEntryRow, DeviceLogRow, ImpedanceRow
from device_link.client import DeviceClient
from device_link.keystore import KeyFileStore, PairingKey
from tests.emulator_harness import ROOT, STOP_TIMEOUT_S, EmulatorProcess
from tests.record_fixtures import FAST_HASHER

SERIAL = "EMU-000001"
PASSWORDS = {"admin": "admin password 1", "doc": "doctor password 1",
             "th": "theatre password 1", "eng": "engineer password 1"}
ROLES = {"admin": "admin", "doc": "clinician", "th": "theatre", "eng": "engineer"}


def program(amplitude: str) -> Program:
    return Program((LeadProgram(True, 0, 1, Decimal(amplitude), 100), LeadProgram.off()),
                   20, Decimal("0.5"), Decimal("0.5"), Decimal(5), Decimal(10), 30)


@dataclass
class Clinic:
    """A clinical record with one user per role, and the emulator it is used with."""

    url: str
    users: dict[str, User]
    emulator: EmulatorProcess
    key_file: Path
    tmp: Path

    def open(self) -> ClinicalRecord:
        return ClinicalRecord.open(self.url, password_hasher=FAST_HASHER)

    def device(self, user: str, *argv: str, key: bool = True, db: bool = True) -> list[str]:
        """``mfconsole device`` argv acting as ``user`` (env), with the key file if ``key``."""
        os.environ["MFCONSOLE_USER"] = user
        os.environ["MFCONSOLE_PASSWORD"] = PASSWORDS[user]
        options = ["--port", self.emulator.port]
        options += ["--key-file", str(self.key_file)] if key else []
        options += ["--db", self.url] if db else []
        return ["device", *options, *argv]

    def program_file(self, name: str, amplitude: str) -> str:
        path = self.tmp / f"{name}.json"
        save_program(program(amplitude), path)
        return str(path)

    def audit(self) -> list[tuple[str, str | None, dict]]:
        record = self.open()
        try:
            with record.engine.connect() as connection:
                rows = connection.execute(select(
                    AuditEntryRow.event, AuditEntryRow.actor, AuditEntryRow.details).order_by(
                    AuditEntryRow.seq)).all()
        finally:
            record.close()
        return [(event, actor, json.loads(details)) for event, actor, details in rows]

    def rx_since(self, mark: int) -> list[str]:
        return [e["opcode"] for e in self.emulator.control.trace(since=mark)["entries"]
                if e["dir"] == "rx" and e["opcode"]]


@pytest.fixture
def clinic(backend_url: str, emulator: EmulatorProcess, key_file: Path, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Clinic]:
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(tmp_path / "installation.key"))
    monkeypatch.delenv("MFCONSOLE_DB", raising=False)
    monkeypatch.setenv("MFCONSOLE_USER", "")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", "")
    record = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create())
    admin = record.add_user(None, "admin", "admin", PASSWORDS["admin"])
    users = {"admin": admin}
    for name in ("doc", "th", "eng"):
        users[name] = record.add_user(admin, name, ROLES[name], PASSWORDS[name])
    record.close()
    yield Clinic(backend_url, users, emulator, key_file, tmp_path)


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_chain_intact(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["MFCONSOLE_USER"] = "admin"
    os.environ["MFCONSOLE_PASSWORD"] = PASSWORDS["admin"]
    code, out, err = run(capsys, ["audit", "verify", "--db", clinic.url])
    assert (code, err) == (0, ""), err
    assert out.startswith("audit chain intact:")


def versions(clinic: Clinic) -> list:
    record = clinic.open()
    try:
        return record.list_versions(clinic.users["doc"], device_serial=SERIAL)
    finally:
        record.close()


def statuses(version) -> list[str]:
    return [step.status.value for step in version.history]


def test_program_write_records_draft_written_verified_with_the_device_crc(clinic, capsys):
    path = clinic.program_file("strong", "10.5")  # above the soft maximum: needs --confirm
    code, out, err = run(capsys, clinic.device(
        "doc", "--json", "program", "write", "0", path, "--reason", "stronger contraction",
        "--confirm", "tolerated at the last visit"))
    assert code == 0, err
    assert "measured impedance first: left E0–E1:" in err  # JSON keeps stdout clean
    written = json.loads(out)
    [version] = versions(clinic)
    assert written["version"] == version.id and written["status"] == "verified"
    crc = int(written["crc"], 16)
    assert statuses(version) == ["draft", "written", "verified"]
    assert [step.device_crc for step in version.history] == [None, crc, crc]
    assert version.record_crc == crc
    assert version.reason == "stronger contraction" and version.author == "doc"
    assert [(c.finding, c.reason) for c in version.confirmations] == [
        ("soft_maximum", "tolerated at the last visit")]

    code, out, _ = run(capsys, clinic.device("doc", "--json", "program", "read", "0"))
    assert code == 0 and json.loads(out)["crc"] == written["crc"]
    events = [(event, actor) for event, actor, _ in clinic.audit()]
    assert events[-8:] == [("login", "doc"), ("device_registered", "doc"),
                           ("impedance_recorded", "doc"), ("version_created", "doc"),
                           ("safety_finding_confirmed", "doc"),
                           ("program_written", "doc"), ("program_verified", "doc"),
                           ("login", "doc")]
    registered = next(d for e, _, d in clinic.audit() if e == "device_registered")
    assert (registered["serial"], registered["model"]) == (SERIAL, "EMU-IPG")
    assert_chain_intact(clinic, capsys)


def test_a_write_without_a_reason_is_refused_before_anything_happens(clinic, capsys):
    mark = clinic.emulator.control.trace()["next"]
    code, _, err = run(capsys, clinic.device("doc", "program", "write", "0",
                                             clinic.program_file("p", "2.5")))
    assert (code, err) == (2, "mfconsole: a database is configured: give --reason, kept "
                              "with the new program version\n")
    assert "login" not in [event for event, _, _ in clinic.audit()]  # asked before logging in
    assert_nothing_sent_since(clinic, capsys, mark)


def assert_nothing_sent_since(clinic: Clinic, capsys, mark: int) -> None:
    """A later STOP is the first thing the device received since ``mark``."""
    code, _, _ = run(capsys, ["device", "--port", clinic.emulator.port, "stop"])
    assert code == 0
    clinic.emulator.control.await_trace(lambda e: e["opcode"] == "STOP", since=mark)
    assert clinic.rx_since(mark) == ["HELLO", "STOP"]


@pytest.mark.parametrize(("user", "argv", "refusal"), [
    ("th", ["program", "write", "0", "PROGRAM", "--reason", "r"],
     "user th (role theatre) may not create, write or restore a program"),
    ("eng", ["test-stim", "--lead", "0", "--anode", "0", "--cathode", "1", "--amp", "0.5",
             "--pw", "200", "--freq", "20", "--seconds", "2"],
     "user eng (role engineer) may not deliver test stimulation"),
    ("th", ["log"], "user th (role theatre) may not download the device log"),
    ("admin", ["impedance"], "user admin (role admin) may not measure impedance"),
])
def test_a_refused_permission_is_one_line_and_nothing_is_sent(clinic, capsys, user, argv,
                                                              refusal):
    argv = [clinic.program_file("p", "2.5") if a == "PROGRAM" else a for a in argv]
    mark = clinic.emulator.control.trace()["next"]
    code, out, err = run(capsys, clinic.device(user, *argv))
    assert (code, out, err) == (1, "", f"mfconsole: {refusal}\n")
    assert_nothing_sent_since(clinic, capsys, mark)
    assert clinic.audit()[-1][:2] == ("login", user)  # and nothing after the login
    assert_chain_intact(clinic, capsys)


def test_a_write_the_device_refuses_is_failed_never_written(clinic, capsys, monkeypatch):
    path = clinic.program_file("p", "2.5")
    assert run(capsys, clinic.device("doc", "program", "write", "0", path,
                                     "--reason", "first"))[0] == 0
    original = DeviceClient.write_program

    def therapy_started_first(self, slot, program):
        """A session of slot 0 starts (as from the activator) after the impedance check:
        the device refuses to rewrite the slot in use (BUSY)."""
        self.start_therapy(0)
        return original(self, slot, program)

    monkeypatch.setattr(DeviceClient, "write_program", therapy_started_first)
    code, _, err = run(capsys, clinic.device("doc", "program", "write", "0",
                                             clinic.program_file("q", "3.0"),
                                             "--reason", "second"))
    first, second = versions(clinic)
    assert code == 1
    assert err == (f"mfconsole: program NOT applied to slot 0: device is busy (THERAPY); "
                   f"version {second.id} recorded as failed\n")
    assert statuses(first) == ["draft", "written", "verified"]
    assert statuses(second) == ["draft", "failed"]
    assert "busy" in second.history[-1].detail
    assert [e for e, _, _ in clinic.audit()][-1] == "program_failed"
    assert_chain_intact(clinic, capsys)


@pytest.mark.parametrize(("fault_after", "direction", "device_holds", "steps"), [
    ("create_program_version", "tx", True, ["draft", "unconfirmed", "verified"]),
    ("create_program_version", "both", False, ["draft", "unconfirmed", "failed"]),
    ("mark_written", "both", True, ["draft", "written", "unconfirmed", "verified"]),
])
def test_a_link_lost_mid_write_is_unconfirmed_then_settled_on_the_next_connection(
        clinic, capsys, monkeypatch, fault_after, direction, device_holds, steps):
    """The link goes silent after the draft (the device's reply lost, or nothing reaching
    it) or after ``written``: the outcome is unknown, never "NOT applied"; the next
    connection reads the slot and settles the version."""
    original = getattr(ClinicalRecord, fault_after)

    def then_silence(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        clinic.emulator.control.set_link_faults(drop_rate=1.0, direction=direction)
        return result

    monkeypatch.setattr(ClinicalRecord, fault_after, then_silence)
    code, _, err = run(capsys, clinic.device("doc", "program", "write", "0",
                                             clinic.program_file("p", "2.5"),
                                             "--reason", "initial"))
    monkeypatch.undo()
    [version] = versions(clinic)
    assert code == 5
    assert "NOT applied" not in err
    assert "outcome unknown, the device may hold the new program: reconnect and read slot 0" \
        in err
    assert f"version {version.id} recorded as unconfirmed" in err
    assert statuses(version) == steps[:-1]
    held = {s["slot"]: bytes.fromhex(s["program"])
            for s in clinic.emulator.control.programs()["slots"]}
    assert (held.get(0) == version.record.encode()) == device_holds

    clinic.emulator.control.set_link_faults()
    code, _, err = run(capsys, clinic.device("doc", "interrogate"))
    [version] = versions(clinic)
    assert code == 0
    assert statuses(version) == steps
    settled = "now verified" if device_holds else "recorded as failed"
    assert f"version {version.id} of slot 0, whose write was unconfirmed" in err
    assert settled in err
    assert_chain_intact(clinic, capsys)


def test_a_device_killed_mid_write_leaves_an_unconfirmed_version(clinic, capsys, monkeypatch):
    original = ClinicalRecord.create_program_version

    def then_kill(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        clinic.emulator.kill()
        return result

    monkeypatch.setattr(ClinicalRecord, "create_program_version", then_kill)
    code, _, err = run(capsys, clinic.device("doc", "program", "write", "0",
                                             clinic.program_file("p", "2.5"),
                                             "--reason", "initial"))
    [version] = versions(clinic)
    assert code == 5 and "outcome unknown" in err and "NOT applied" not in err
    assert statuses(version) == ["draft", "unconfirmed"]
    assert_chain_intact(clinic, capsys)


def test_a_user_who_may_not_program_is_told_an_unconfirmed_write_waits(clinic, capsys,
                                                                        monkeypatch):
    original = ClinicalRecord.create_program_version

    def then_silence(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        clinic.emulator.control.set_link_faults(drop_rate=1.0, direction="tx")
        return result

    monkeypatch.setattr(ClinicalRecord, "create_program_version", then_silence)
    assert run(capsys, clinic.device("doc", "program", "write", "0",
                                     clinic.program_file("p", "2.5"),
                                     "--reason", "initial"))[0] == 5
    clinic.emulator.control.set_link_faults()
    code, _, err = run(capsys, clinic.device("th", "interrogate"))
    assert code == 0
    assert "unconfirmed and could not be settled now" in err
    [version] = versions(clinic)
    assert statuses(version) == ["draft", "unconfirmed"]


def test_a_record_that_cannot_note_the_write_says_what_the_device_holds(clinic, capsys,
                                                                         monkeypatch):
    def unreachable(self, *args, **kwargs):
        raise DatabaseUnavailable("database server went away")

    monkeypatch.setattr(ClinicalRecord, "mark_written", unreachable)
    mark = clinic.emulator.control.trace()["next"]
    code, _, err = run(capsys, clinic.device("doc", "program", "write", "0",
                                             clinic.program_file("p", "2.5"),
                                             "--reason", "initial"))
    [version] = versions(clinic)
    assert code == 1
    assert err.startswith("mfconsole: the device acknowledged the program in slot 0 (CRC ")
    assert err.endswith(f"), but the clinical record could not note it (database server went "
                        f"away): version {version.id} stays draft; it was not read back: read "
                        "the slot before relying on it\n")
    assert statuses(version) == ["draft"]
    assert "READ_PROGRAM" not in clinic.rx_since(mark)  # nothing more done after that


def test_a_slot_changed_at_another_console_is_a_conflict_and_nothing_is_written(
        clinic, capsys, monkeypatch):
    path = clinic.program_file("p", "2.5")
    assert run(capsys, clinic.device("doc", "program", "write", "0", path,
                                     "--reason", "first"))[0] == 0
    original = ClinicalRecord.latest_version

    def another_console_writes_meanwhile(self, actor, serial, slot):
        seen = original(self, actor, serial, slot)
        other = clinic.open()
        other.create_program_version(clinic.users["doc"], serial, slot, program("3.0"),
                                     reason="at the other console", expected_latest=seen.id)
        other.close()
        return seen

    monkeypatch.setattr(ClinicalRecord, "latest_version", another_console_writes_meanwhile)
    mark = clinic.emulator.control.trace()["next"]
    code, _, err = run(capsys, clinic.device("doc", "program", "write", "0", path,
                                             "--reason", "second"))
    assert code == 1
    assert "now holds version 2 by doc" in err and "reload and decide again" in err
    assert "WRITE_PROGRAM" not in clinic.rx_since(mark)
    assert [v.reason for v in versions(clinic)] == ["first", "at the other console"]


def test_impedance_is_stored_with_the_serial_and_the_visit(clinic, capsys):
    record = clinic.open()
    doc = clinic.users["doc"]
    record.add_patient(doc, "P001")
    record.register_device(doc, SERIAL, "EMU-IPG", "1.0.0", patient_clinic_id="P001")
    visit = record.start_visit(doc, "P001", "follow-up", device_serial=SERIAL)
    record.close()
    code, out, err = run(capsys, clinic.device("th", "--json", "--visit", str(visit.id),
                                               "impedance"))
    assert code == 0
    measured = json.loads(out)
    assert err == f"recorded 8 measurements of device {SERIAL}\n"
    record = clinic.open()
    stored = record.timeline(doc, "P001").impedance
    record.close()
    assert [(m.device_serial, m.visit_id, m.lead, m.electrode_a, m.electrode_b, m.ohms)
            for m in stored] == [(SERIAL, visit.id, r["lead"], r["a"], r["b"], r["ohms"])
                                 for r in measured]
    assert_chain_intact(clinic, capsys)


def test_an_engineer_cannot_measure_a_device_the_record_does_not_know(clinic, capsys):
    mark = clinic.emulator.control.trace()["next"]
    code, _, err = run(capsys, clinic.device("eng", "impedance"))
    assert code == 1
    assert err == (f"mfconsole: device {SERIAL} (EMU-IPG) is not in the clinical record and "
                   "user eng may not add devices: a user with role admin, clinician or "
                   "theatre must connect it first\n")
    assert "MEASURE_IMPEDANCE" not in clinic.rx_since(mark)
    record = clinic.open()
    with record.engine.connect() as connection:
        assert connection.execute(select(ImpedanceRow.id)).all() == []
    record.close()


def test_log_entries_are_stored_once_and_the_new_ones_counted(clinic, capsys):
    record = clinic.open()
    record.register_device(clinic.users["admin"], SERIAL, "EMU-IPG", "1.0.0")
    record.store_pairing_key(clinic.users["eng"], SERIAL,
                             PairingKey.from_hex(clinic.key_file.read_text()))
    record.close()
    # No --key-file: the pairing key comes from the record.
    code, out, err = run(capsys, clinic.device("eng", "--json", "log", key=False))
    total = len(json.loads(out))
    assert code == 0 and total > 0
    assert err == f"recorded {total} new log entries of device {SERIAL} (0 already in the record)\n"
    code, out, _ = run(capsys, clinic.device("eng", "log", key=False))
    assert out.splitlines()[-1] == (f"recorded 0 new log entries of device {SERIAL} "
                                    f"({total} already in the record)")
    code, _, _ = run(capsys, clinic.device("doc", "program", "write", "0",
                                           clinic.program_file("p", "2.5"), "--reason", "r",
                                           key=False))
    assert code == 0  # the device logs the write: one new entry
    code, out, err = run(capsys, clinic.device("doc", "--json", "log", key=False))
    assert err == (f"recorded 1 new log entries of device {SERIAL} "
                   f"({total} already in the record)\n")
    downloaded = json.loads(out)
    record = clinic.open()
    with record.engine.connect() as connection:
        stored = connection.execute(select(DeviceLogRow.device_index, DeviceLogRow.code).order_by(
            DeviceLogRow.device_index)).all()
    record.close()
    assert stored == [(e["index"], e["code"]) for e in downloaded]
    assert_chain_intact(clinic, capsys)


def test_no_pairing_key_in_the_record_is_one_line(clinic, capsys):
    code, _, err = run(capsys, clinic.device("doc", "interrogate", key=False))
    assert (code, err) == (1, f"mfconsole: device {SERIAL} is not in the clinical record, so no "
                              f"pairing key is stored for it: add it with 'mfconsole devices "
                              f"add {SERIAL} --patient CLINIC_ID' (admin, clinician or theatre), "
                              f"then store its key with 'mfconsole devices key {SERIAL} "
                              f"--key-file F' (admin or engineer)\n")


def test_test_stimulation_start_and_end_are_audited(clinic, capsys):
    code, out, _ = run(capsys, clinic.device(
        "th", "test-stim", "--lead", "0", "--anode", "0", "--cathode", "1", "--amp", "0.5",
        "--pw", "200", "--freq", "20", "--seconds", "1"))
    assert code == 0 and out.splitlines()[-1] == "stimulation ended: test duration elapsed"
    audit = clinic.audit()
    started = next(i for i, (e, _, _) in enumerate(audit) if e == "test_stimulation")
    assert audit[started][1] == "th"
    assert audit[started][2]["amplitude_ma"] == "0.5" and audit[started][2]["device"] == SERIAL
    assert audit[started + 1] == ("stop", "th", {
        "device": SERIAL, "reason": "test stimulation ended: test duration elapsed"})
    assert_chain_intact(clinic, capsys)


def test_an_operator_stop_of_test_stimulation_is_audited(clinic, capsys):
    env = dict(os.environ, PYTHONPATH=str(ROOT), MFCONSOLE_USER="doc",
               MFCONSOLE_PASSWORD=PASSWORDS["doc"])
    argv = clinic.device("doc", "test-stim", "--lead", "0", "--anode", "0", "--cathode", "1",
                         "--amp", "0.5", "--pw", "200", "--freq", "20", "--seconds", "60")
    with subprocess.Popen([sys.executable, "-m", "console.cli.main", *argv], cwd=ROOT,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("measuring impedance of the pairs in use")
        assert process.stdout.readline().startswith("measured impedance first: left E0–E1")
        assert process.stdout.readline().startswith("stimulating lead 0")
        process.send_signal(2)
        out, err = process.communicate(timeout=STOP_TIMEOUT_S)
    assert process.returncode == 130, err
    assert "STOP sent" in out
    assert clinic.audit()[-1] == ("stop", "doc", {
        "device": SERIAL, "reason": "test stimulation ended: STOP sent: stopped by the "
                                    "operator (SIGINT)"})
    assert_chain_intact(clinic, capsys)


def test_stop_is_sent_before_the_record_is_opened_and_needs_no_login(clinic, capsys,
                                                                       monkeypatch):
    opened_at: list[float] = []
    original = ClinicalRecord.open.__func__

    def timed_open(cls, *args, **kwargs):
        opened_at.append(time.perf_counter())
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(ClinicalRecord, "open", classmethod(timed_open))
    monkeypatch.delenv("MFCONSOLE_USER")
    monkeypatch.delenv("MFCONSOLE_PASSWORD")
    mark = clinic.emulator.control.trace()["next"]
    code, out, err = run(capsys, ["device", "--port", clinic.emulator.port, "--db", clinic.url,
                                  "stop"])
    assert (code, out, err) == (0, "stopped (device was IDLE)\n", "")
    stop = clinic.emulator.control.await_trace(
        lambda e: e["dir"] == "rx" and e["opcode"] == "STOP", since=mark)
    assert len(opened_at) == 1 and stop["t"] < opened_at[0]
    assert clinic.audit()[-1] == ("stop", None, {
        "device": SERIAL, "reason": "STOP from the command line; the device was IDLE"})
    assert_chain_intact(clinic, capsys)


def test_stop_works_with_the_database_unreachable(clinic, capsys, tmp_path):
    with DeviceClient.connect(clinic.emulator.port, KeyFileStore(clinic.key_file)) as client:
        client.apply_program(0, program("2.5").to_record().encode())
        client.start_therapy(0)
    if clinic.url.startswith("sqlite"):
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("x")
        unreachable = str(blocker / "record.sqlite3")
    else:
        unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/record"
    code, out, err = run(capsys, ["device", "--port", clinic.emulator.port,
                                  "--db", unreachable, "stop"])
    assert code == 0 and out == "stopped (device was THERAPY)\n"
    assert err.startswith("mfconsole: the stop was not recorded: ")
    assert clinic.emulator.control.state()["state"] == "IDLE"


def test_without_a_database_nothing_is_opened_created_or_asked(emulator, key_file, tmp_path,
                                                                capsys, monkeypatch):
    monkeypatch.delenv("MFCONSOLE_DB", raising=False)
    monkeypatch.delenv("MFCONSOLE_INSTALLATION_KEY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert str(default_database_path()).startswith(str(tmp_path / "data"))
    base = ["device", "--port", emulator.port, "--key-file", str(key_file)]
    path = tmp_path / "p.json"
    save_program(program("2.5"), path)
    for argv in (["interrogate"], ["impedance"], ["log"], ["program", "read", "0"],
                 ["program", "write", "0", str(path)], ["stop"],
                 ["test-stim", "--lead", "0", "--anode", "0", "--cathode", "1", "--amp", "0.5",
                  "--pw", "200", "--freq", "20", "--seconds", "1"]):
        code, _, err = run(capsys, base + argv)
        assert (code, err) == (0, ""), (argv, err)
    assert not (tmp_path / "data").exists() and not (tmp_path / "config").exists()


def test_recording_options_without_a_database_are_refused(emulator, key_file, capsys,
                                                          monkeypatch, tmp_path):
    monkeypatch.delenv("MFCONSOLE_DB", raising=False)
    base = ["device", "--port", emulator.port, "--key-file", str(key_file)]
    code, _, err = run(capsys, [*base, "--user", "doc", "--visit", "3", "impedance"])
    assert (code, err) == (2, "mfconsole: --user and --visit record nothing without a "
                              "database: give --db URL or set MFCONSOLE_DB\n")
    path = tmp_path / "p.json"
    save_program(program("2.5"), path)
    code, _, err = run(capsys, [*base, "program", "write", "0", str(path), "--reason", "r"])
    assert (code, err) == (2, "mfconsole: --reason records nothing without a database: give "
                              "--db URL or set MFCONSOLE_DB\n")
    code, out, _ = run(capsys, [*base, "--user", "doc", "stop"])  # a stop is never refused
    assert (code, out) == (0, "stopped (device was IDLE)\n")


def test_the_keeper_refuses_a_stale_slot_before_sending_anything(clinic):
    """The window passes the version the clinician looked at as ``expected_latest``."""
    record = clinic.open()
    doc = clinic.users["doc"]
    keeper = RecordKeeper(record, doc)
    try:
        with DeviceClient.connect(clinic.emulator.port, KeyFileStore(clinic.key_file)) as client:
            assert client.identity is not None
            keeper.known_device(client.identity)
            first = keeper.write_program(client, 1, program("2.5").to_record(),
                                           reason="first", expected_latest=None)
            assert first.version.status is VersionStatus.VERIFIED
            assert first.applied.crc == first.version.record_crc
            mark = clinic.emulator.control.trace()["next"]
            with pytest.raises(ConflictError, match="now holds version"):
                keeper.write_program(client, 1, program("3.0").to_record(),
                                       reason="based on an empty slot", expected_latest=None)
            assert "WRITE_PROGRAM" not in clinic.rx_since(mark)
            assert client.read_program(1).program == program("2.5").to_record().encode()
        assert [v.reason for v in record.list_versions(doc)] == ["first"]
    finally:
        record.close()
