"""Printing command results: JSON for machines, aligned text for people.

Decimals (clinical values) are written by ``console.programming.program.plain`` in both: 100000,
never 1E+5; 0.0, never -0.0.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from console.programming.program import plain


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False, default=_text)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True))
              .rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))


def print_pairs(title: str, pairs: Iterable[tuple[str, object]]) -> None:
    items = list(pairs)
    print(title)
    width = max((len(k) for k, _ in items), default=0)
    for key, value in items:
        print(f"  {key.ljust(width)}  {_cell(value)}")


def _cell(value: object) -> str:
    return "—" if value is None else _text(value)


def _text(value: object) -> str:
    return plain(value) if isinstance(value, Decimal) else str(value)
