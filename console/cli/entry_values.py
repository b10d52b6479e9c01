"""Reading an outcome's or adverse event's values from the command line.

A value the console cannot read is refused as the record refuses one it cannot accept:
one line naming the entry, the field, the value and the limit. argparse's own ``type=``
and ``choices=`` are not used for them, since their refusals print the whole usage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from console.cli.errors import CliError
from console.outcomes.refusal import EntryRefused

WHOLE = re.compile(r"[+-]?[0-9]{1,9}")
"""Plain ASCII digits: no spaces, underscores or other scripts' digits."""
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@contextmanager
def refused_as(what: str | None) -> Iterator[None]:
    """An ``EntryRefused`` raised inside as the one-line refusal of ``what`` (an entry)."""
    try:
        yield
    except EntryRefused as exc:
        raise CliError(str(exc) if what is None else f"{what} {exc}") from None


def optional_date(field: str, text: str | None) -> date | None:
    return None if text is None else date_value(field, text)


def date_value(field: str, text: str) -> date:
    """``text`` (YYYY-MM-DD) as a date; EntryRefused naming ``field`` otherwise."""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise EntryRefused(field, text, "must be a date (YYYY-MM-DD)") from None


def whole_value(field: str, text: str | None) -> int | None:
    """``text`` as a whole number (its range is the record's to check)."""
    if text is None:
        return None
    if not WHOLE.fullmatch(text):
        raise EntryRefused(field, text, "must be a whole number")
    return int(text)
