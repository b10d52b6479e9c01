"""Program files for the command line: JSON or TOML, chosen by the file's extension.

The shape is fixed and checked strictly — exactly two leads, every field present, no
unknown fields, numbers of the right kind — because a typo in a therapy file must be an
error, never a default. Numbers are read as exact decimals (no binary floats), so
"8.05" reaches the safety engine as 8.05 and is judged there, not rounded here.

The file may be hostile: it is read through ``bounded_file`` (no FIFO, device or
endless file), every number is bounded (``console.programming.program.bounded_decimal``) before any
arithmetic, a long integer literal is never turned into a huge ``int``, and nesting
deeper than the parser's recursion limit is one error, not a crash.

    {"leads": [{"enabled": true, "anode": 1, "cathode": 2, "amplitude_ma": 8.0,
                "pulse_width_us": 214}, {...}],
     "frequency_hz": 20, "ramp_up_s": 1.0, "ramp_down_s": 1.0, "on_s": 10.0,
     "off_s": 20.0, "session_min": 30}
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from console.files.bounded import UnreadableFile, read_bounded_text
from console.programming.program import (
    LeadProgram,
    OutOfBounds,
    Program,
    bounded_decimal,
    bounded_int,
    plain,
    shortened,
    tidy,
)

# Field → kind, in file order.
LEAD_KEYS = {"enabled": "bool", "anode": "int", "cathode": "int", "amplitude_ma": "decimal",
             "pulse_width_us": "int"}
PROGRAM_KEYS = {"leads": "leads", "frequency_hz": "int", "ramp_up_s": "decimal",
                "ramp_down_s": "decimal", "on_s": "decimal", "off_s": "decimal",
                "session_min": "int"}
FORMATS = (".json", ".toml")
_INT_DIGITS = 7
"""Integer literals longer than this are above ``MAX_MAGNITUDE`` anyway: kept as Decimal
so the bounds check refuses them by field, without building a huge int."""


class ProgramFileError(ValueError):
    """A program file that cannot be read: names the file, the field and the problem."""

    def __init__(self, path: str | Path, field: str | None, problem: str) -> None:
        where = f"{path}: {field}: " if field else f"{path}: "
        super().__init__(where + problem)
        self.path = str(path)
        self.field = field
        self.problem = problem


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ProgramFileError(path, None, f"unknown file type {suffix or '(none)'!r}: "
                                           f"use .json or .toml")
    return suffix


def load_program(path: str | Path) -> Program:
    """Read and check a program file; raises ``ProgramFileError``."""
    path = Path(path)
    kind = _format_of(path)
    try:
        text = read_bounded_text(path)
    except UnreadableFile as exc:
        raise ProgramFileError(path, None, f"cannot read the file: it {exc.reason}") from None
    data = _parse_json(text, path) if kind == ".json" else _parse_toml(text, path)
    return program_from_data(data, path)


def _no_duplicates(path: Path):
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ProgramFileError(path, key, "appears twice")
            result[key] = value
        return result
    return hook


def _json_integer(literal: str) -> int | Decimal:
    return int(literal) if len(literal.lstrip("-")) <= _INT_DIGITS else Decimal(literal)


def _too_deep(path: Path) -> ProgramFileError:
    return ProgramFileError(path, None, "nested too deeply to be a program file")


def _parse_json(text: str, path: Path) -> object:
    def refuse_constant(name: str) -> None:
        raise ProgramFileError(path, None, f"{name} is not a number a program can hold")

    try:
        return json.loads(text, parse_float=Decimal, parse_int=_json_integer,
                          parse_constant=refuse_constant,
                          object_pairs_hook=_no_duplicates(path))
    except json.JSONDecodeError as exc:
        raise ProgramFileError(path, None, f"not valid JSON (line {exc.lineno} column "
                                           f"{exc.colno}: {exc.msg})") from exc
    except RecursionError:
        raise _too_deep(path) from None


def _parse_toml(text: str, path: Path) -> object:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramFileError(path, None, f"not valid TOML ({exc})") from exc
    except RecursionError:
        raise _too_deep(path) from None
    except ValueError:  # tomllib's own int(): a literal of thousands of digits
        raise ProgramFileError(path, None, "holds a whole number too long to read") from None


def _shown(value: object) -> str:
    """A value as the file wrote it: 214.5, "8.0", true, null (shortened if long)."""
    if isinstance(value, Decimal | int):  # bool included
        return json.dumps(value) if isinstance(value, bool) else shortened(str(value))
    return shortened(json.dumps(value, default=str))


def _value(value: object, kind: str, path: Path, field: str) -> object:
    if kind == "bool":
        if not isinstance(value, bool):
            raise ProgramFileError(path, field, f"expected true or false, got {_shown(value)}")
        return value
    if isinstance(value, bool):
        raise ProgramFileError(path, field, f"expected a number, got {_shown(value)}")
    if not isinstance(value, int | Decimal):
        expected = "a whole number" if kind == "int" else "a number"
        raise ProgramFileError(path, field, f"expected {expected}, got {_shown(value)}")
    number = _bounded(value, path, field)
    if kind == "int" and not isinstance(number, int):
        raise ProgramFileError(path, field, f"expected a whole number, got {_shown(value)}")
    return number if kind == "int" else Decimal(number)


def _bounded(value: int | Decimal, path: Path, field: str) -> int | Decimal:
    """The bounds check, before any arithmetic; its message gains the file's name."""
    try:
        if isinstance(value, int):
            return bounded_int(value, field)
        return bounded_decimal(value, field)
    except OutOfBounds as exc:
        raise ProgramFileError(path, field, exc.detail) from None


def _fields(data: object, keys: dict[str, str], path: Path, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProgramFileError(path, where or None,
                               f"expected an object with {', '.join(keys)}")
    prefix = f"{where}." if where else ""
    for key in data:
        if key not in keys:
            raise ProgramFileError(path, prefix + key, "unknown field")
    for key in keys:
        if key not in data:
            raise ProgramFileError(path, prefix + key, "missing")
    return {key: data[key] if kind == "leads" else _value(data[key], kind, path, prefix + key)
            for key, kind in keys.items()}


def program_from_data(data: object, path: str | Path) -> Program:
    """A program from already-parsed file content; ``path`` names it in errors."""
    path = Path(path)
    values = _fields(data, PROGRAM_KEYS, path, "")
    leads = values.pop("leads")
    if not isinstance(leads, list) or len(leads) != 2:
        count = len(leads) if isinstance(leads, list) else type(leads).__name__
        raise ProgramFileError(path, "leads", f"expected exactly two leads (left, right), "
                                              f"got {count}")
    programs = tuple(LeadProgram(**_fields(lead, LEAD_KEYS, path, f"leads[{index}]"))
                     for index, lead in enumerate(leads))
    return Program(leads=programs, **values)  # type: ignore[arg-type]


def _number_text(value: Decimal | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return plain(tidy(value) if isinstance(value, Decimal) else value)


def program_text(program: Program, kind: str) -> str:
    """The file content for ``kind`` ".json" or ".toml"."""
    top = {key: getattr(program, key) for key in PROGRAM_KEYS if key != "leads"}
    leads = [{key: getattr(lead, key) for key in LEAD_KEYS} for lead in program.leads]
    if kind == ".toml":
        lines = [f"{key} = {_number_text(value)}" for key, value in top.items()]
        for lead in leads:
            lines += ["", "[[leads]]"]
            lines += [f"{key} = {_number_text(value)}" for key, value in lead.items()]
        return "\n".join(lines) + "\n"

    def members(mapping: dict[str, Any]) -> str:
        return ", ".join(f'"{key}": {_number_text(value)}' for key, value in mapping.items())

    lead_lines = ",\n".join(f"    {{{members(lead)}}}" for lead in leads)
    return f'{{\n  "leads": [\n{lead_lines}\n  ],\n  {members(top)}\n}}\n'


def save_program(program: Program, path: str | Path) -> None:
    """Write ``program`` to ``path`` in the format its extension names."""
    path = Path(path)
    text = program_text(program, _format_of(path))
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:
        raise ProgramFileError(path, None, f"cannot write the file ({exc})") from exc
