"""The clinic profile: prescription, usage flags, handout words, outcome rules.

Shipped as ``resources/clinic_profile.toml``; an installation's own copy is found through
``MFCONSOLE_CLINIC_PROFILE`` or in the configuration folder. Strict like the safety
profile: every key required and checked, nothing unknown, so a typo never falls back to a
default the clinic did not choose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from console.files.strict_toml import (
    ProfileError,
    ProfileKind,
    parse_toml,
    positive_number,
    refuse_unknown,
    take_section,
)
from console.outcomes.eq5d_value_set import Eq5dValueSet, ValueSetError, load_value_set
from console.paths import CLINIC_PROFILE_FILENAME, ENV_CLINIC_PROFILE, clinic_profile_file

CLINIC_PROFILE = ProfileKind(CLINIC_PROFILE_FILENAME, "clinic profile")
MAX_TEXT = 1000
"""Longest text a profile may hold (the handout has one page)."""


@dataclass(frozen=True, slots=True)
class ClinicProfile:
    name: str
    clinic_name: str
    clinic_contact: str
    prescribed_sessions_per_day: int
    adherence_flag_below_pct: Decimal
    warn_undownloaded_entries: int
    contraction_feel: str
    show_patient_name: bool
    pain_responder_nrs_drop: int
    function_responder_odi_drop: int
    eq5d_value_set: Eq5dValueSet | None


def clinic_profile_path() -> Path | None:
    """The installation's own profile, if it has one; None: the one shipped. A file named
    by the environment is used even when missing, so a wrong name is an error, not a
    silent fall-back to the built-in profile."""
    if os.environ.get(ENV_CLINIC_PROFILE):
        return clinic_profile_file()
    local = clinic_profile_file()
    return local if local.is_file() else None


def load_clinic_profile(path: str | Path | None = None) -> ClinicProfile:
    """The profile at ``path``, else the installation's, else the one shipped."""
    chosen = path or clinic_profile_path()
    return parse_clinic_profile(*CLINIC_PROFILE.read(chosen),
                                folder=None if chosen is None else Path(chosen).parent)


def parse_clinic_profile(text: str, source: str, *, folder: Path | None = None,
                         ) -> ClinicProfile:
    """``folder``: where a relative value set path is found (the profile file's own)."""
    data = parse_toml(text, source)
    reader = _Reader(data, source)
    name = reader.text("", "name")
    clinic = reader.section("clinic")
    usage = reader.section("usage")
    handout = reader.section("handout")
    report = reader.section("report")
    outcomes = reader.section("outcomes")
    profile = ClinicProfile(
        name=name,
        clinic_name=reader.text("clinic", "name", clinic),
        clinic_contact=reader.text("clinic", "contact", clinic),
        prescribed_sessions_per_day=reader.number("usage", "prescribed_sessions_per_day",
                                                  usage, "int"),
        adherence_flag_below_pct=Decimal(reader.number("usage", "adherence_flag_below_pct",
                                                       usage, "decimal")),
        warn_undownloaded_entries=reader.number("usage", "warn_undownloaded_entries", usage,
                                                "int"),
        contraction_feel=reader.text("handout", "contraction_feel", handout),
        show_patient_name=reader.flag("report", "show_patient_name", report),
        pain_responder_nrs_drop=reader.number("outcomes", "pain_responder_nrs_drop",
                                              outcomes, "int"),
        function_responder_odi_drop=reader.number("outcomes", "function_responder_odi_drop",
                                                  outcomes, "int"),
        eq5d_value_set=_value_set(reader.path("outcomes", "eq5d_value_set", outcomes),
                                  folder, source),
    )
    for section, table in (("clinic", clinic), ("usage", usage), ("handout", handout),
                           ("report", report), ("outcomes", outcomes)):
        refuse_unknown(table, f"{section}.", source)
    refuse_unknown(data, "", source)
    _check_ranges(profile, source)
    return profile


def _check_ranges(profile: ClinicProfile, source: str) -> None:
    if profile.adherence_flag_below_pct > 100:
        raise ProfileError(f"{source}: usage.adherence_flag_below_pct: "
                           f"{profile.adherence_flag_below_pct} is above 100")
    limits = (("usage.prescribed_sessions_per_day", profile.prescribed_sessions_per_day, 24),
              ("usage.warn_undownloaded_entries", profile.warn_undownloaded_entries, 10000),
              ("outcomes.pain_responder_nrs_drop", profile.pain_responder_nrs_drop, 10),
              ("outcomes.function_responder_odi_drop", profile.function_responder_odi_drop,
               100))
    for where, value, most in limits:
        if value > most:
            raise ProfileError(f"{source}: {where}: {value} is above the limit {most}")


def _value_set(path: str | None, folder: Path | None, source: str) -> Eq5dValueSet | None:
    """The configured value set, read now so that a wrong file fails the profile's load."""
    if path is None:
        return None
    where = Path(path).expanduser()
    if not where.is_absolute():
        if folder is None:
            raise ProfileError(f"{source}: outcomes.eq5d_value_set: a relative path needs "
                               "the profile in a file of its own")
        where = folder / where
    try:
        return load_value_set(where)
    except ValueSetError as exc:
        raise ProfileError(f"{source}: outcomes.eq5d_value_set: {exc}") from None


class _Reader:
    """Takes each key out of its table, so whatever is left over is unknown."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self._data = data
        self._source = source

    def section(self, name: str) -> dict[str, Any]:
        return take_section(self._data, name, self._source)

    def _take(self, section: str, key: str, table: dict[str, Any] | None) -> object:
        table = self._data if table is None else table
        where = f"{section}.{key}" if section else key
        if key not in table:
            raise ProfileError(f"{self._source}: {where}: missing")
        return table.pop(key)

    def text(self, section: str, key: str, table: dict[str, Any] | None = None) -> str:
        value = self._take(section, key, table)
        where = f"{self._source}: {section + '.' if section else ''}{key}"
        if not isinstance(value, str) or not value.strip():
            raise ProfileError(f"{where}: missing or not a text")
        if len(value) > MAX_TEXT:
            raise ProfileError(f"{where}: {len(value)} characters, the limit is {MAX_TEXT}")
        return value.strip()

    def number(self, section: str, key: str, table: dict[str, Any], kind: str) -> Any:
        return positive_number(self._take(section, key, table), kind,
                               f"{self._source}: {section}.{key}")

    def path(self, section: str, key: str, table: dict[str, Any]) -> str | None:
        """A file name, or None where the clinic left it empty ("")."""
        value = self._take(section, key, table)
        if not isinstance(value, str):
            raise ProfileError(f"{self._source}: {section}.{key}: expected a file name in "
                               f"quotes, or \"\" for none")
        return value.strip() or None

    def flag(self, section: str, key: str, table: dict[str, Any]) -> bool:
        value = self._take(section, key, table)
        if not isinstance(value, bool):
            raise ProfileError(f"{self._source}: {section}.{key}: expected true or false, got "
                               f"{value!r:.40}")
        return value
