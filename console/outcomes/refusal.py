"""The one error an outcome or adverse event entry is refused with."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

Code = TypeVar("Code", bound=StrEnum)


class EntryRefused(ValueError):
    """A value of an outcome or adverse event entry is not acceptable; ``field`` names it.

    The message names the field, the value given and the limit, so the person entering it
    can correct it; nothing of a refused entry is stored.
    """

    def __init__(self, field: str, value: object, limit: str) -> None:
        super().__init__(f"{field} = {value!r}: {limit}")
        self.field = field


def coded(field: str, value: object, codes: type[Code]) -> Code:
    """``value`` as one of ``codes``; EntryRefused listing them all otherwise."""
    try:
        return codes(value)
    except ValueError:
        raise EntryRefused(field, value, "must be one of "
                           + ", ".join(code.value for code in codes)) from None
