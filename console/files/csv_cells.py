"""CSV cells a spreadsheet will not run: every export that writes free text goes through here."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(text: str) -> str:
    """``text`` with a leading quote where a spreadsheet would take it for a formula
    (CSV injection)."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text
