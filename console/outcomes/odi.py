"""The Oswestry Disability Index (ODI 2.1a), scored as Fairbank and Pynsent describe.

The questionnaire's wording is licensed, so the console keeps only what the patient
chose in each section (0–5, or missing) and shows the section titles.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from console.outcomes.refusal import EntryRefused

SECTION_TITLES: tuple[str, ...] = (
    "Pain intensity", "Personal care", "Lifting", "Walking", "Sitting", "Standing",
    "Sleeping", "Sex life", "Social life", "Travelling")
SECTIONS = len(SECTION_TITLES)
MOST_PER_SECTION = 5
MOST_MISSING = 2
"""Fairbank: with more than two sections unanswered the index is not scored."""

OdiItems = tuple[int | None, ...]


def checked_items(items: Sequence[object]) -> OdiItems:
    """The ten section scores as given; EntryRefused naming the first one out of range."""
    if len(items) != SECTIONS:
        raise EntryRefused("odi", ",".join("-" if i is None else str(i) for i in items),
                           f"needs {SECTIONS} sections, got {len(items)}")
    for number, item in enumerate(items, start=1):
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 5:
            raise EntryRefused(f"odi section {number} ({SECTION_TITLES[number - 1]})", item,
                               f"must be a whole number from 0 to {MOST_PER_SECTION}, or "
                               "missing")
    return tuple(items)  # type: ignore[arg-type] - every item was checked above


def odi_percent(items: OdiItems) -> Decimal | None:
    """Sum / (5 × sections answered) × 100 to one decimal; None with more than two missing."""
    answered = [item for item in items if item is not None]
    if SECTIONS - len(answered) > MOST_MISSING:
        return None
    ratio = Decimal(sum(answered) * 100) / Decimal(MOST_PER_SECTION * len(answered))
    return ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def parse_items(text: str) -> OdiItems:
    """``"3,2,-,1,0,4,2,1,2,3"`` (``-`` for a section not answered) as section scores."""
    parts = [part.strip() for part in text.split(",")]
    items: list[int | None] = []
    for number, part in enumerate(parts, start=1):
        if part == "-":
            items.append(None)
        elif part.isdigit() and len(part) == 1:
            items.append(int(part))
        else:
            raise EntryRefused(f"odi section {number}", part,
                               "must be a whole number from 0 to 5, or - when not answered")
    return checked_items(items)


def items_text(items: OdiItems) -> str:
    """The stored form: one character per section, ``-`` for missing (``"32-1042123"``)."""
    return "".join("-" if item is None else str(item) for item in items)


_STORED_ITEM: dict[str, int | None] = {"-": None, **{str(n): n for n in range(6)}}


def items_from_text(text: str) -> OdiItems:
    """The section scores of the stored form; KeyError on a character it cannot hold."""
    return tuple(map(_STORED_ITEM.__getitem__, text))
