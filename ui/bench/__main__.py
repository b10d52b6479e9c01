"""``python -m ui.bench``: the window benchmark's program, run by ``mfconsole bench window``.

It takes the options of ``bench window`` (one definition, in the console's bench
command) and prints the rows as text or JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence

from console.bench.stats import summarize
from console.cli.bench_command import WINDOW_DESCRIPTION, add_window_options
from ui.bench.window import measure_escape_to_stop, measure_startup


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="mfconsole bench window",
                                     description=WINDOW_DESCRIPTION)
    add_window_options(parser)
    args = parser.parse_args(argv)
    stops = summarize(measure_escape_to_stop(args.rounds))
    startups = measure_startup(args.startups)
    rows = [
        {"name": "Esc to STOP decoded, live telemetry plotting", "n": stops.n,
         "median": stops.median, "p99": stops.p99, "unit": "ms",
         "target": "p99 <= 30 ms", "met": stops.p99 <= 30},
        {"name": "mfconsole --demo start to window shown", "n": len(startups),
         "median": statistics.median(startups), "p99": max(startups), "unit": "s",
         "target": "<= 2 s", "met": statistics.median(startups) <= 2},
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<48} n={row['n']:<4} median {row['median']:8.2f} "
                  f"{row['unit']:<3} p99/max {row['p99']:8.2f} {row['unit']:<3} "
                  f"target {row['target']:<14} {'met' if row['met'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
