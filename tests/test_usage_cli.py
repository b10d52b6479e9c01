"""``mfconsole device usage`` and ``mfconsole usage SERIAL`` as real processes.

The device is the emulator process with its usage history (two sessions a day, some
missed, a few stopped early). What the device was asked is read from its trace; the
figures are checked against a plain count of the same log made here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from console.storage import ClinicalRecord, InstallationKey
from device_link.client import DeviceClient
from device_link.keystore import KeyFileStore
from device_link.messages import LogEntry
from device_link.protocol import LogCode, StopReason
from tests.emulator_harness import ROOT, EmulatorProcess
from tests.record_fixtures import FAST_HASHER

SERIAL = "EMU-000001"
JSON_KEYS = ["from", "to", "days", "prescribed_per_day", "sessions_started",
             "sessions_completed", "minutes_delivered", "adherence_pct", "undated", "daily"]
TIMEOUT_S = 120.0


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A process environment of its own: no record unless named, the shipped profile."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("MFCONSOLE_DB", "MFCONSOLE_CLINIC_PROFILE")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                              os.environ.get("PYTHONPATH")]))
    environment["MFCONSOLE_INSTALLATION_KEY"] = str(tmp_path / "installation.key")
    environment["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    environment["XDG_DATA_HOME"] = str(tmp_path / "data")
    environment["MFCONSOLE_USER"] = "doc"
    environment["MFCONSOLE_PASSWORD"] = "doctor password 1"
    return environment


def mfconsole(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console.cli.main", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def device_usage(env: dict[str, str], emulator: EmulatorProcess, key_file: Path,
                 *argv: str, db: str | None = None) -> subprocess.CompletedProcess[str]:
    options = ["--port", emulator.port, "--key-file", str(key_file)]
    options += ["--db", db] if db else []
    return mfconsole(env, "device", *options, *argv)


@pytest.fixture
def clinic(backend_url: str, env: dict[str, str]) -> str:
    """A record with a clinician (who may add the device on first contact)."""
    record = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create(
                                     Path(env["MFCONSOLE_INSTALLATION_KEY"])))
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.add_user(admin, "th", "theatre", "theatre password 1")
    record.close()
    return backend_url


def whole_log(emulator: EmulatorProcess, key_file: Path) -> list[LogEntry]:
    with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as client:
        return [entry for entry, _total in client.iter_log(0)]


def expected(entries: list[LogEntry], start: date, end: date, prescribed: int = 2) -> dict:
    """A plain count: in the emulator's history each start is followed by its end."""
    started: Counter[date] = Counter()
    completed: Counter[date] = Counter()
    seconds: Counter[date] = Counter()
    for first, second in pairwise(entries):
        if first.code != LogCode.THERAPY_START:
            continue
        day = datetime.fromtimestamp(first.time).date()
        if start <= day <= end:
            started[day] += 1
            assert second.code == LogCode.THERAPY_END
            seconds[day] += second.c
            completed[day] += second.b == StopReason.SESSION_COMPLETE
    days = (end - start).days + 1
    capped = sum(min(n, prescribed) for n in completed.values())
    return {"sessions_started": sum(started.values()),
            "sessions_completed": sum(completed.values()),
            "minutes_delivered": round(sum(seconds.values()) / 60, 1),
            "adherence_pct": round(100 * capped / (prescribed * days), 1)}


def get_log_requests(emulator: EmulatorProcess) -> list[tuple[int, int]]:
    """(first index asked, entries answered) of every GET_LOG in the trace."""
    entries = emulator.control.trace(since=0)["entries"]
    asked = {e["seq"]: int.from_bytes(bytes.fromhex(e["payload"])[:4], "little")
             for e in entries if e["dir"] == "rx" and e["opcode"] == "GET_LOG"}
    return [(asked[e["seq"]], bytes.fromhex(e["payload"])[4])
            for e in entries if e["dir"] == "tx" and e["opcode"] == "GET_LOG"
            and e["kind"] == "RESPONSE"]


def test_without_a_record_the_whole_log_is_downloaded_and_reported(emulator, key_file, env):
    done = device_usage(env, emulator, key_file, "--json", "usage")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report) == JSON_KEYS
    yesterday = date.today() - timedelta(days=1)
    assert (report["from"], report["to"], report["days"], report["prescribed_per_day"]) == (
        (yesterday - timedelta(days=27)).isoformat(), yesterday.isoformat(), 28, 2)
    assert [list(day) for day in report["daily"]] == [["date", "started", "completed",
                                                       "minutes"]] * 28
    entries = whole_log(emulator, key_file)
    assert {key: report[key] for key in expected(entries, yesterday - timedelta(days=27),
                                                 yesterday)} == expected(
        entries, yesterday - timedelta(days=27), yesterday)
    assert report["sessions_started"] > 40  # the history has about two a day
    assert sum(day["started"] for day in report["daily"]) == report["sessions_started"]
    assert report["undated"] == 0
    assert f"{SERIAL}: 1000 of 1000 entries" in done.stderr
    assert f"downloaded 1000 new log entries of device {SERIAL}" in done.stderr


def test_the_human_report_has_a_summary_then_a_table_per_day(emulator, key_file, env):
    done = device_usage(env, emulator, key_file, "usage", "--from", "2020-01-01", "--to",
                        "2020-01-03")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:7] == [
        f"Usage of device {SERIAL}", "Period: 2020-01-01 to 2020-01-03 (3 days)",
        "Sessions started: 0 (0 with the activator, 0 from the console)",
        "Sessions completed: 0", "Therapy delivered: 0.0 minutes",
        "Adherence: 0.0 % of the prescribed 2 a day",
        "Undated: 0 sessions (none was logged while the device clock was not set)"]
    assert lines[lines.index("date        started  completed  minutes") + 2:] == [
        "2020-01-01  0        0          0.0", "2020-01-02  0        0          0.0",
        "2020-01-03  0        0          0.0"]


def test_early_stops_are_listed_with_who_started_them(emulator, key_file, env):
    entries = whole_log(emulator, key_file)
    early = [e for e in entries if e.code == LogCode.THERAPY_END
             and e.b != StopReason.SESSION_COMPLETE]
    assert early, "the seeded history has sessions stopped early"
    day = datetime.fromtimestamp(early[0].time).date()
    done = device_usage(env, emulator, key_file, "usage", "--from", day.isoformat(), "--to",
                        day.isoformat())
    assert done.returncode == 0, done.stderr
    assert "Stopped early: 1" in done.stdout.splitlines()
    assert (f"started with the activator, stopped by a STOP (activator or console) after "
            f"{early[0].c / 60:.1f} minutes") in done.stdout


def test_with_a_record_a_second_download_fetches_no_old_entry(clinic, emulator, key_file, env):
    first = device_usage(env, emulator, key_file, "--json", "usage", db=clinic)
    assert first.returncode == 0, first.stderr
    assert f"recorded 1000 new log entries of device {SERIAL}" in first.stderr
    fetched = get_log_requests(emulator)
    assert fetched[0] == (0, 30) and fetched[-1] == (1000, 0)
    assert sum(count for _, count in fetched) == 1000

    emulator.control.clear_trace()
    second = device_usage(env, emulator, key_file, "--json", "usage", db=clinic)
    assert second.returncode == 0, second.stderr
    assert get_log_requests(emulator) == [(1000, 0)]  # one request, nothing old in it
    assert f"downloaded 0 new log entries of device {SERIAL}" in second.stderr
    assert json.loads(second.stdout) == json.loads(first.stdout)

    from_record = mfconsole(env, "usage", SERIAL, "--db", clinic, "--json")
    assert from_record.returncode == 0, from_record.stderr
    assert json.loads(from_record.stdout) == json.loads(first.stdout)


def test_new_entries_alone_are_downloaded_and_an_undated_session_reported(
        clinic, emulator, key_file, env):
    """The emulator's clock starts unset: a session started now is logged at time 0."""
    assert device_usage(env, emulator, key_file, "usage", db=clinic).returncode == 0
    with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as client:
        client.start_therapy(0)
        client.stop()
    emulator.control.clear_trace()
    done = device_usage(env, emulator, key_file, "usage", db=clinic)
    assert done.returncode == 0, done.stderr
    assert sum(count for _, count in get_log_requests(emulator)) == 2  # start and end
    assert get_log_requests(emulator)[0][0] == 1000
    assert ("Undated: 1 session logged while the device clock was not set, so not placed on "
            "any day; set the device clock to date the next ones") in done.stdout.splitlines()
    from_record = mfconsole(env, "usage", SERIAL, "--db", clinic, "--json")
    assert json.loads(from_record.stdout)["undated"] == 1


def test_the_prescription_comes_from_the_clinic_profile(emulator, key_file, env, tmp_path):
    shipped = (ROOT / "resources" / "clinic_profile.toml").read_text(encoding="utf-8")
    profile = tmp_path / "clinic_profile.toml"
    profile.write_text(shipped.replace("prescribed_sessions_per_day = 2",
                                       "prescribed_sessions_per_day = 3"), encoding="utf-8")
    env["MFCONSOLE_CLINIC_PROFILE"] = str(profile)
    done = device_usage(env, emulator, key_file, "--json", "usage")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["prescribed_per_day"] == 3
    yesterday = date.today() - timedelta(days=1)
    assert report["adherence_pct"] == expected(
        whole_log(emulator, key_file), yesterday - timedelta(days=27), yesterday,
        prescribed=3)["adherence_pct"]


def test_days_follow_the_consoles_time_zone(backend_url, env, tmp_path):
    """One session at 20:00 UTC on 2 March: 3 March in Auckland, 2 March in New York."""
    record = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create(
                                     Path(env["MFCONSOLE_INSTALLATION_KEY"])))
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.register_device(doc, SERIAL, "EMU-IPG", "1.0.0")
    start = int(datetime.fromisoformat("2026-03-02T20:00:00+00:00").timestamp())
    record.record_log_entries(doc, SERIAL, [
        LogEntry(0, start, LogCode.THERAPY_START, 0, 0, 0),
        LogEntry(1, start + 1800, LogCode.THERAPY_END, 0, StopReason.SESSION_COMPLETE, 1800)])
    record.close()
    days = {}
    for zone in ("Pacific/Auckland", "America/New_York"):
        done = mfconsole({**env, "TZ": zone}, "usage", SERIAL, "--db", backend_url, "--json",
                         "--from", "2026-03-02", "--to", "2026-03-03")
        assert done.returncode == 0, done.stderr
        days[zone] = [(d["date"], d["completed"]) for d in json.loads(done.stdout)["daily"]]
    assert days == {"Pacific/Auckland": [("2026-03-02", 0), ("2026-03-03", 1)],
                    "America/New_York": [("2026-03-02", 1), ("2026-03-03", 0)]}


def test_a_bad_period_is_refused_before_the_device_is_contacted(emulator, key_file, env):
    emulator.control.clear_trace()
    done = device_usage(env, emulator, key_file, "usage", "--from", "2026-13-01")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "mfconsole: --from 2026-13-01: not a date (YYYY-MM-DD)\n"
    later = device_usage(env, emulator, key_file, "usage", "--from", "2026-03-10", "--to",
                         "2026-03-01")
    assert later.stderr == "mfconsole: --from 2026-03-10 is after --to 2026-03-01\n"
    assert emulator.control.trace(since=0)["entries"] == []


def test_usage_from_the_record_refuses_a_device_with_nothing_downloaded(clinic, env):
    unknown = mfconsole(env, "usage", SERIAL, "--db", clinic)
    assert (unknown.returncode, unknown.stderr) == (1, f"mfconsole: no device with serial "
                                                       f"'{SERIAL}'\n")
    record = ClinicalRecord.open(clinic, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create(
                                     Path(env["MFCONSOLE_INSTALLATION_KEY"])))
    doc = record.authenticate("doc", "doctor password 1")
    record.register_device(doc, SERIAL, "EMU-IPG", "1.0.0")
    record.close()
    done = mfconsole(env, "usage", SERIAL, "--db", clinic)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"mfconsole: the record holds no log entries of device {SERIAL}: "
                           "download them with 'mfconsole device --port PORT usage' first\n")


def test_a_role_that_may_not_download_the_log_is_refused_before_contact(
        clinic, emulator, key_file, env):
    emulator.control.clear_trace()
    done = device_usage({**env, "MFCONSOLE_USER": "th", "MFCONSOLE_PASSWORD":
                         "theatre password 1"}, emulator, key_file, "usage", db=clinic)
    assert done.returncode != 0
    assert "may not download the device log" in done.stderr
    assert emulator.control.trace(since=0)["entries"] == []
