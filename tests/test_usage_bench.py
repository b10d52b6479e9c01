"""``mfconsole bench usage``: it measures what it says (never how fast: no wall time here)."""

from __future__ import annotations

import json

from console.bench.usage import stored_history
from console.cli.main import main
from console.usage.sessions import pair_sessions
from device_link.protocol import LogCode


def test_the_history_is_the_stored_form_of_the_emulators_log():
    log = stored_history(1000)
    assert [e.index for e in log] == list(range(1000))
    starts = sum(e.code == LogCode.THERAPY_START for e in log)
    assert starts > 400 and len(pair_sessions(log).sessions) == starts


def test_bench_usage_reports_its_figures_as_json(capsys):
    assert main(["bench", "usage", "--entries", "600", "--runs", "3", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert list(figures) == ["entries", "sessions", "runs", "period", "report_median_ms",
                             "report_p99_ms", "pairing_median_ms", "ratio", "target", "pass"]
    assert (figures["entries"], figures["runs"], figures["target"]) == (600, 3, "≤ 50 ms median")
    assert figures["sessions"] == len(pair_sessions(stored_history(600)).sessions)
    ratio = figures["report_median_ms"] / figures["pairing_median_ms"]
    assert abs(figures["ratio"] - ratio) < 0.01


def test_bench_usage_refuses_a_count_below_one(capsys):
    assert main(["bench", "usage", "--runs", "0"]) == 2
    assert capsys.readouterr().err == "mfconsole: every count must be at least 1\n"
