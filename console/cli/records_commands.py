"""What the clinical-record commands share: ``--db``, the acting user, errors and output.

A command that reads or changes the record acts as a user: ``--user NAME`` (or
``MFCONSOLE_USER``) with the password from ``MFCONSOLE_PASSWORD`` or, in a
terminal, a prompt. Every such login is audited. On a record with no users
yet, ``users add`` creates the first admin without a login; where there is no
record at all, that first admin's ``users add`` is what creates it, and every
other command refuses the place with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from getpass import getpass
from typing import Any

from console.accounts import AccessError, User
from console.cli.errors import CliError
from console.storage import ClinicalRecord, RecordError, database_url
from device_link.keystore import KeyStoreError

ENV_USER = "MFCONSOLE_USER"
ENV_PASSWORD = "MFCONSOLE_PASSWORD"
ENV_NEW_PASSWORD = "MFCONSOLE_NEW_PASSWORD"


def record_options(*, json_output: bool = False) -> argparse.ArgumentParser:
    """A parent parser with ``--db``, ``--user`` (and ``--json`` where output is data)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", metavar="URL",
                        help="database: an SQLite file or postgresql+psycopg:// URL "
                             "(default: $MFCONSOLE_DB, else the local record)")
    parent.add_argument("--user", metavar="NAME",
                        help=f"acting user (default: ${ENV_USER}); password from "
                             f"${ENV_PASSWORD} or a prompt")
    if json_output:
        parent.add_argument("--json", action="store_true", help="print JSON")
    return parent


@contextmanager
def expected_failures() -> Iterator[None]:
    """Turn the record's expected refusals into one-line CLI errors."""
    try:
        yield
    except (RecordError, AccessError, KeyStoreError) as exc:
        raise CliError(str(exc)) from None


def read_secret(env: str, prompt: str, *, confirm: bool = False) -> str:
    """A password from ``env``, else typed (twice if ``confirm``) at a terminal."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise CliError(f"no password: set {env} or run in a terminal")
    value = getpass(prompt)
    if confirm and getpass("Again: ") != value:
        raise CliError("the two passwords differ")
    return value


def login(record: ClinicalRecord, args: argparse.Namespace) -> User:
    username = args.user or os.environ.get(ENV_USER)
    if not username:
        raise CliError(f"who is acting? give --user NAME or set {ENV_USER}")
    return record.authenticate(username, read_secret(ENV_PASSWORD, f"Password for {username}: "))


def open_record(args: argparse.Namespace, *, create: bool = False,
                full_check: bool = False) -> ClinicalRecord:
    """The record named by ``--db``/``MFCONSOLE_DB``; raises RecordError.

    A place that holds no record (a mistyped path) is refused, unless ``create``: only
    the first administrator's ``users add`` may create a record there.
    """
    url = database_url(args.db)
    if create:
        return ClinicalRecord.open(url)
    return ClinicalRecord.open_existing(url, full_check=full_check)


@contextmanager
def opened(args: argparse.Namespace, *, create: bool = False) -> Iterator[ClinicalRecord]:
    """The record named by ``--db``/``MFCONSOLE_DB`` (see ``open_record``), closed afterwards."""
    with expected_failures():
        record = open_record(args, create=create)
        try:
            yield record
        finally:
            record.close()


@contextmanager
def acting(args: argparse.Namespace) -> Iterator[tuple[ClinicalRecord, User]]:
    """The open record and the logged-in user."""
    with opened(args) as record, expected_failures():
        yield record, login(record, args)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot print {type(value).__name__} as JSON")


def print_json(value: Any) -> None:
    print(json.dumps(value, default=_plain, indent=2, ensure_ascii=False))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Aligned columns, for people; scripts use --json."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row]
                                           for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
