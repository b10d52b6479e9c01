"""Strict TOML profiles: every key required, every value checked, nothing unknown.

Shared by the clinic safety profile and the placement profile, because a silently
missing threshold in either would be a silently missing check. The file is read through
``bounded_file`` and every number is bounded before any arithmetic, as for program files.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from console.files.bounded import UnreadableFile, read_bounded_text
from console.programming.program import OutOfBounds, bounded_decimal, bounded_int, shortened

Schema = dict[str, dict[str, tuple[str, str]]]
"""TOML section → key → (profile attribute, kind: "int", "ohms" or "decimal")."""


class ProfileError(ValueError):
    """A profile file that cannot be used: names the file, the key and the problem."""


@dataclass(frozen=True, slots=True)
class ProfileKind:
    """A kind of profile: the file shipped in ``resources/`` and what errors call it."""

    resource: str
    what: str

    def shipped_text(self) -> str:
        """The profile shipped with the console (a starting point for a clinic's own)."""
        return resources.files("resources").joinpath(self.resource).read_text("utf-8")

    def read(self, path: str | Path | None) -> tuple[str, str]:
        """(text, source name) of the file at ``path``, or of the shipped one when None."""
        if path is None:
            return self.shipped_text(), f"{self.resource} (built in)"
        try:
            return read_bounded_text(path), str(path)
        except UnreadableFile as exc:
            raise ProfileError(f"{path}: cannot read the {self.what}: it {exc.reason}") from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML ({exc})") from exc
    except RecursionError:
        raise ProfileError(f"{source}: nested too deeply to be a profile") from None
    except ValueError:  # tomllib's own int(): a literal of thousands of digits
        raise ProfileError(f"{source}: holds a whole number too long to read") from None


def take_named_schema(data: dict[str, Any], schema: Schema, source: str) -> dict[str, Any]:
    """The profile's name and every value the schema names, checked."""
    name = data.pop("name", None)
    if not isinstance(name, str) or not name.strip():
        raise ProfileError(f"{source}: name: missing or not a text")
    return {"name": name, **take_schema(data, schema, source)}


def take_section(data: dict[str, Any], section: str, source: str) -> dict[str, Any]:
    table = data.pop(section, None)
    if not isinstance(table, dict):
        raise ProfileError(f"{source}: [{section}]: missing section")
    return table


def take_schema(data: dict[str, Any], schema: Schema, source: str) -> dict[str, Any]:
    """Every value the schema names, checked; a missing or unknown key is an error."""
    values: dict[str, Any] = {}
    for section, keys in schema.items():
        table = take_section(data, section, source)
        for key, (attribute, kind) in keys.items():
            if key not in table:
                raise ProfileError(f"{source}: {section}.{key}: missing")
            values[attribute] = positive_number(table.pop(key), kind,
                                                f"{source}: {section}.{key}")
        refuse_unknown(table, f"{section}.", source)
    return values


def refuse_unknown(table: dict[str, Any], prefix: str, source: str) -> None:
    if table:
        raise ProfileError(f"{source}: {prefix}{next(iter(table))}: unknown key")


def positive_number(value: object, kind: str, where: str) -> Decimal | int:
    """A whole number (kind "int", or "ohms") or an exact decimal, bounded, greater than 0."""
    if kind in ("int", "ohms"):
        if isinstance(value, bool) or not isinstance(value, int):
            unit = " of ohms" if kind == "ohms" else ""
            raise ProfileError(f"{where}: expected a whole number{unit}, got "
                               f"{shortened(repr(value))}")
    elif isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ProfileError(f"{where}: expected a number, got {shortened(repr(value))}")
    result = _bounded(value, kind, where)
    if result <= 0:
        raise ProfileError(f"{where}: must be greater than 0, got {result}")
    return result


def _bounded(value: int | Decimal, kind: str, where: str) -> Decimal | int:
    """Bounded before anything is computed with it (a huge int is never made a Decimal)."""
    try:
        if isinstance(value, int):
            number = bounded_int(value, where)
            return number if kind in ("int", "ohms") else Decimal(number)
        return bounded_decimal(value, where)
    except OutOfBounds as exc:
        raise ProfileError(str(exc)) from None
