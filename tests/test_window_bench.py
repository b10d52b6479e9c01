"""`mfconsole bench window` runs end to end and reports sane figures (never judged by time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_window_bench_reports_both_rows():
    result = subprocess.run(
        [sys.executable, "-m", "ui.shell.entry", "bench", "window", "--rounds", "3",
         "--startups", "1",
         "--json"], capture_output=True, text=True, timeout=300,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == ["Esc to STOP decoded, live telemetry plotting",
                                            "mfconsole --demo start to window shown"]
    assert [row["n"] for row in rows] == [3, 1]
    for row in rows:
        assert 0 < row["median"] <= row["p99"]
