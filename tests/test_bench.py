"""``mfconsole bench link``: every row present with sane numbers (timings are never asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.bench.report import LinkReport, Row, Skipped, Target
from console.bench.stats import percentile, summarize
from console.cli import bench_command
from console.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
LATENCY_ROWS = ("rtt_ping", "rtt_ping_raw", "rtt_ping_echo", "rtt_status", "rtt_status_raw",
                "rtt_status_echo", "stop_test_stim", "stop_test_stim_confirmed", "stop_impedance",
                "stop_impedance_confirmed")
RATIO_ROWS = ("rtt_ping_ratio", "rtt_status_ratio")
STOP_ROWS = ("stop_test_stim", "stop_test_stim_confirmed", "stop_impedance",
             "stop_impedance_confirmed")


def _mfconsole(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "console.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _rows(report: dict) -> dict[str, dict]:
    return {row["name"]: row for row in report["rows"]}


def _assert_verdict_matches_figures(row: dict) -> None:
    """``pass`` agrees with the row's own figure and target, whatever the figure is."""
    if row["target"] is None:
        assert row["pass"] is None
    elif row["unit"] == "ms":
        assert row["pass"] == (row["p99"] <= 3.0)
    elif row["unit"] == "×":
        assert row["pass"] == (row["value"] <= 2.0)
    else:
        assert row["pass"] == (row["value"] >= 0.85)


def _assert_round_trips_sane(rows: dict[str, dict], rounds: int) -> None:
    for name in ("rtt_ping", "rtt_ping_echo", "rtt_status", "rtt_status_echo"):
        assert rows[name]["n"] == rounds
    for name in RATIO_ROWS:
        stem = name.removesuffix("_ratio")
        assert rows[name]["value"] == pytest.approx(
            rows[stem]["median"] / rows[f"{stem}_echo"]["median"], rel=1e-2)
    # PING: 18-byte body + COBS + delimiter out; 4-byte payload back. GET_STATUS: 20 back.
    assert (rows["rtt_ping"]["detail"]["request_bytes"],
            rows["rtt_ping"]["detail"]["response_bytes"]) == (20, 24)
    assert (rows["rtt_status"]["detail"]["request_bytes"],
            rows["rtt_status"]["detail"]["response_bytes"]) == (20, 40)
    assert rows["rtt_ping_echo"]["detail"]["bytes_each_way"] == 24
    assert rows["rtt_status_echo"]["detail"]["bytes_each_way"] == 40


@pytest.mark.slow
def test_bench_link_against_emulators_reports_every_row():
    result = _mfconsole("bench", "link", "--rounds", "20", "--log-entries", "300", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = _rows(report)
    assert set(rows) == {*LATENCY_ROWS, *RATIO_ROWS, "log_paced", "log_unpaced"}
    assert report["skipped"] == []
    for name in LATENCY_ROWS:
        row = rows[name]
        assert row["unit"] == "ms"
        assert 0 < row["median"] <= row["p99"], row
    for name in STOP_ROWS:
        assert rows[name]["n"] == 4  # a fifth of --rounds
    _assert_round_trips_sane(rows, 20)
    for name in ("rtt_ping_raw", "rtt_status_raw"):
        assert rows[name]["n"] == rows[name]["detail"]["emulator_n"] == 20
    assert rows["rtt_ping_ratio"]["detail"]["client_over_raw_frames"] == pytest.approx(
        rows["rtt_ping"]["median"] / rows["rtt_ping_raw"]["median"], rel=1e-2)
    for name in ("stop_test_stim", "stop_impedance"):
        detail = rows[name]["detail"]
        assert 0 < detail["written_median_ms"] <= detail["written_p99_ms"]
    assert rows["rtt_ping"]["detail"]["emulator_n"] == 20
    assert 0 < rows["rtt_ping"]["detail"]["emulator_median_ms"] < rows["rtt_ping"]["p99"]
    paced, unpaced = rows["log_paced"], rows["log_unpaced"]
    for row in (paced, unpaced):
        assert row["n"] == 300 == row["detail"]["device_total"]
        assert row["value"] > 0 and row["detail"]["bytes_received"] > 300 * 16
    assert paced["unit"] == "of line rate" and unpaced["unit"] == "entries/s"
    # Both emulators held the same history, so the same bytes crossed the line.
    assert paced["detail"]["bytes_received"] == unpaced["detail"]["bytes_received"]
    for row in report["rows"]:
        _assert_verdict_matches_figures(row)
    assert report["machine"]["cpus"] >= 1
    assert "round trips" in result.stderr


def test_bench_with_port_sends_only_requests_that_change_nothing(emulator, key_file):
    result = _mfconsole("bench", "--port", emulator.port, "--key-file", str(key_file),
                        "--rounds", "20", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = _rows(report)
    assert set(rows) == {"rtt_ping", "rtt_ping_echo", "rtt_ping_ratio", "rtt_status",
                         "rtt_status_echo", "rtt_status_ratio", "log_device"}
    assert {s["name"] for s in report["skipped"]} == {*STOP_ROWS, "rtt_ping_raw",
                                                      "rtt_status_raw"}
    _assert_round_trips_sane(rows, 20)
    assert "emulator_n" not in rows["rtt_ping"]["detail"]  # no control channel used
    assert rows["log_device"]["n"] == rows["log_device"]["detail"]["device_total"] > 0
    state = emulator.control.state()
    assert state["state"] == "IDLE" and state["last_stop_t"] is None  # never stimulated


def test_bench_reports_a_port_that_cannot_be_opened(tmp_path, key_file):
    result = _mfconsole("bench", "--port", str(tmp_path / "no-such-port"), "--key-file",
                        str(key_file), "--rounds", "1")
    assert result.returncode == 1
    assert result.stderr.startswith("mfconsole: ") and "no-such-port" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_bench_refuses_a_port_without_key_and_counts_below_one(capsys):
    assert main(["bench", "--port", "/dev/ttyUSB0"]) == 2
    assert "pairing key" in capsys.readouterr().err
    assert main(["bench", "link", "--rounds", "0"]) == 2
    assert "rounds 0 must be at least 1" in capsys.readouterr().err


def test_bench_alone_is_bench_link_and_records_keeps_its_own_handler():
    parser = build_parser()
    bare = parser.parse_args(["bench", "--port", "/dev/x", "--key-file", "k", "--rounds", "7"])
    assert bare.handler is bench_command.run_link
    options = bench_command._options(bare)
    assert (options.port, options.key_file, options.rounds, options.stops) == \
        ("/dev/x", "k", 7, 1)
    before = parser.parse_args(["bench", "--rounds", "30", "link", "--stops", "2"])
    assert before.handler is bench_command.run_link
    assert (bench_command._options(before).rounds, bench_command._options(before).stops) == \
        (30, 2)
    defaults = bench_command._options(parser.parse_args(["bench", "link"]))
    assert (defaults.port, defaults.rounds, defaults.stops, defaults.log_entries) == \
        (None, 1000, 200, 10_000)
    records = parser.parse_args(["bench", "records", "--audit", "5"])
    assert records.handler is bench_command.run_records and records.audit == 5


def test_bench_records_help_still_works():
    result = _mfconsole("bench", "records", "--help", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--audit" in result.stdout and "--verify-runs" in result.stdout


def test_table_shows_figures_targets_verdicts_and_skipped_rows(capsys):
    ratio = Target("value", 2.0, at_most=True, text="≤ 2× echo")
    report = LinkReport("/dev/ttyUSB0", {}, {"cpus": 2, "cpu_model": "Test CPU",
                                             "python": "3.11", "load_average": [0.5, 0, 0],
                                             "load_average_after": [0.7, 0, 0]})
    report.rows += [
        Row("rtt_ping", "PING round trip", 10, "ms", 0.25, 0.5),
        Row("rtt_ping_ratio", "PING ÷ echo", 10, "×", value=2.5, target=ratio),
        Row("log_device", "log download", 300, "of line rate", value=0.9,
            target=Target("value", 0.85, at_most=False, text="≥ 85 % of line rate"),
            detail={"entries_per_s": 612.4}),
    ]
    report.skipped.append(Skipped("stop_test_stim", "needs the emulator"))
    bench_command._print_link_report(report)
    out = capsys.readouterr().out
    assert "2 CPUs (Test CPU)" in out
    lines = out.splitlines()
    assert any("PING round trip" in line and "0.250 ms" in line and "0.500 ms" in line
               for line in lines)
    assert any("2.50×" in line and "MISSED" in line for line in lines)
    assert any("90.0 % of line rate, 612 entries/s" in line and "pass" in line
               for line in lines)
    assert "skipped stop_test_stim: needs the emulator" in out


def test_percentile_is_the_nearest_rank_so_it_was_observed():
    samples = [float(x) for x in range(100, 0, -1)]
    assert percentile(samples, 0.99) == 99.0
    assert percentile(samples, 0.5) == 50.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.99) == 4.0  # few samples: the largest
    summary = summarize([0.2, 0.1, 0.4])
    assert (summary.n, summary.median, summary.p99) == (3, 0.2, 0.4)
    with pytest.raises(ValueError):
        percentile([], 0.99)


def test_targets_compare_in_their_own_direction():
    at_most = Target("p99", 3.0, at_most=True, text="p99 ≤ 3 ms")
    at_least = Target("value", 0.85, at_most=False, text="≥ 85 %")
    assert Row("a", "a", 1, "ms", 1.0, 3.0, target=at_most).passed is True
    assert Row("a", "a", 1, "ms", 1.0, 3.01, target=at_most).passed is False
    assert Row("b", "b", 1, "of line rate", value=0.85, target=at_least).passed is True
    assert Row("b", "b", 1, "of line rate", value=0.84, target=at_least).passed is False
    assert Row("c", "c", 1, "ms", 1.0, 9.0).passed is None


def test_bench_window_is_a_kind_of_bench_that_refuses_counts_below_one(capsys):
    args = build_parser().parse_args(["bench", "window", "--rounds", "3", "--json"])
    assert args.handler is bench_command.run_window
    assert (args.rounds, args.startups, args.json) == (3, 5, True)
    assert main(["bench", "window", "--startups", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
