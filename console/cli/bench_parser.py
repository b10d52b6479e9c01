"""The one ``mfconsole bench`` parser that every benchmark module joins, in any order."""

from __future__ import annotations

import argparse


def bench_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """``bench`` itself, created by whichever benchmark module registers first."""
    bench = subparsers.choices.get("bench")
    if bench is None:
        bench = subparsers.add_parser("bench", help="benchmarks: medians, never timed tests")
    return bench


def bench_kinds(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Where a benchmark adds its ``bench KIND``; optional: ``bench`` alone may run one."""
    bench = bench_parser(subparsers)
    for action in bench._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return bench.add_subparsers(dest="bench_kind", metavar="KIND")
