"""A licensed EQ-5D-5L value set a clinic may configure: profile → index value.

The console ships none (value sets are licensed by the EuroQol Group and chosen per
country); without one, no index value is shown anywhere. The file is a CSV with the header
``profile,index`` and one row for each of the 3 125 profiles (``11111`` … ``55555``),
each index a decimal from -1 to 1. Anything else is refused whole, naming the row: an
index silently missing or misread would be a wrong figure in an audit.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import product
from pathlib import Path
from types import MappingProxyType

from console.files.bounded import UnreadableFile, read_bounded_text

PROFILES = frozenset("".join(levels) for levels in product("12345", repeat=5))
HEADER = ["profile", "index"]
LOWEST, HIGHEST = Decimal(-1), Decimal(1)


class ValueSetError(ValueError):
    """A value set file that cannot be used: names the file, the row and the problem."""


@dataclass(frozen=True, slots=True)
class Eq5dValueSet:
    source: str
    values: MappingProxyType[str, Decimal]

    def index(self, profile: str) -> Decimal:
        return self.values[profile]


def load_value_set(path: str | Path) -> Eq5dValueSet:
    try:
        text = read_bounded_text(path)
    except UnreadableFile as exc:
        raise ValueSetError(f"{path}: cannot read the EQ-5D-5L value set: it {exc.reason}") \
            from None
    return parse_value_set(text, str(path))


def parse_value_set(text: str, source: str) -> Eq5dValueSet:
    rows = csv.reader(io.StringIO(text))
    if next(rows, None) != HEADER:
        raise ValueSetError(f"{source}: the first line must be exactly 'profile,index'")
    values: dict[str, Decimal] = {}
    for line, row in enumerate(rows, start=2):
        if len(row) != 2:
            raise ValueSetError(f"{source}: line {line}: expected profile,index")
        profile, index = row[0].strip(), _index(row[1], source, line)
        if profile not in PROFILES:
            raise ValueSetError(f"{source}: line {line}: {profile!r} is not an EQ-5D-5L "
                                "profile (five digits, each 1 to 5)")
        if profile in values:
            raise ValueSetError(f"{source}: line {line}: profile {profile} is given twice")
        values[profile] = index
    missing = len(PROFILES) - len(values)
    if missing:
        example = min(PROFILES - values.keys())
        raise ValueSetError(f"{source}: {missing} of the {len(PROFILES)} profiles have no "
                            f"index (e.g. {example})")
    return Eq5dValueSet(source, MappingProxyType(values))


def _index(text: str, source: str, line: int) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueSetError(f"{source}: line {line}: index {text!r} is not a number") from None
    if not value.is_finite() or not LOWEST <= value <= HIGHEST:
        raise ValueSetError(f"{source}: line {line}: index {text!r} must be from -1 to 1")
    return value
