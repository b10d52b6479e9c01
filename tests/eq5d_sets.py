"""A made-up EQ-5D-5L value set for the tests (not a real one: those are licensed)."""

from __future__ import annotations

from itertools import product
from pathlib import Path

PROFILES = ["".join(levels) for levels in product("12345", repeat=5)]


def made_up_index(profile: str) -> str:
    """1 minus 0.01 for each level above 1: ``23321`` → 0.94."""
    return f"{1 - 0.01 * sum(int(level) - 1 for level in profile):.2f}"


def write_made_up_value_set(path: Path) -> Path:
    path.write_text("profile,index\n" + "".join(f"{p},{made_up_index(p)}\n" for p in PROFILES),
                    encoding="utf-8")
    return path
