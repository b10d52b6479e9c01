"""Opening a device from the command line: port, baud, key file, and errors as one-liners.

With a database configured (``--db`` or ``MFCONSOLE_DB``) the device commands also
act as a logged-in user of the clinical record: ``recording`` logs in and checks the
permission before the device is contacted, and the record's pairing keys are used when
no ``--key-file`` is given. Without ``--key-file`` the local record counts as configured
too when it exists, since the key can only come from a record: a key taken from the
record always serves a signed-in user whose work is recorded. With ``--key-file`` and no
database named, nothing is opened, created or asked for.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from console.accounts import Action
from console.cli.devices_command import add_device_advice, store_key_advice
from console.cli.errors import CliError
from console.cli.records_commands import ENV_USER, acting
from console.device.record_keeper import RecordKeeper
from console.storage.config import ENV_DATABASE, default_database_path
from console.storage.pairing_keys import NoPairingKey
from device_link.client import DEFAULT_BAUD, DeviceClient
from device_link.errors import DeviceLinkError
from device_link.keystore import KeyFileStore, KeyStore, KeyStoreError, PairingKey

EXIT_USAGE = 2


def add_port_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--port", required=required,
                        help="serial port name or pyserial URL (/dev/ttyUSB0, /dev/pts/N, "
                             "socket://host:port, rfc2217://host:port)")
    parser.add_argument("--baud", type=baud_rate, default=DEFAULT_BAUD,
                        help=f"line rate in baud (default {DEFAULT_BAUD}); response "
                             "timeouts allow for it")
    parser.add_argument("--key-file",
                        help="pairing key file: 64 hexadecimal characters, mode 0600 "
                             "(default: the key the clinical record holds for the serial "
                             "the device announces)")


def baud_rate(text: str) -> int:
    """``--baud``: a positive whole number, refused as a usage error before any port opens."""
    rate = int(text) if text.isdigit() else 0
    if rate <= 0:
        raise argparse.ArgumentTypeError(f"baud rate must be a positive whole number, "
                                         f"got {text!r}")
    return rate


def add_record_options(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--user`` and ``--visit``: what the device commands record, and as whom."""
    parser.add_argument("--db", metavar="URL",
                        help=f"record what is done in this clinical record (SQLite file or "
                             f"postgresql+psycopg:// URL; default ${ENV_DATABASE}; without "
                             "either, nothing is recorded)")
    parser.add_argument("--user", metavar="NAME",
                        help=f"acting user when recording (default ${ENV_USER}); password "
                             "from $MFCONSOLE_PASSWORD or a prompt")
    parser.add_argument("--visit", type=int, metavar="ID",
                        help="link what is recorded to this visit of the device's patient")


def database_configured(args: argparse.Namespace) -> bool:
    """True when a database is named explicitly, or, without ``--key-file``, when the
    local record exists: the key then comes from it (a mistyped path is not looked for)."""
    if args.db or os.environ.get(ENV_DATABASE):
        return True
    return not getattr(args, "key_file", None) and default_database_path().is_file()


def refuse_recording_options(args: argparse.Namespace, *extra: tuple[str, object]) -> None:
    """Options that only make sense when recording are an error without a database."""
    given = [option for option, value in (("--user", args.user), ("--visit", args.visit),
                                          *extra) if value is not None]
    if given:
        verb = "records" if len(given) == 1 else "record"
        raise CliError(f"{' and '.join(given)} {verb} nothing without a database: give "
                       f"--db URL or set {ENV_DATABASE}", EXIT_USAGE)


@contextmanager
def recording(args: argparse.Namespace, action: Action) -> Iterator[RecordKeeper | None]:
    """The keeper of the logged-in user, or None when no database is configured.

    The login and the permission check for ``action`` happen here, before the device
    is contacted: a refusal is one line and nothing is sent.
    """
    if not database_configured(args):
        refuse_recording_options(args)
        yield None
        return
    with acting(args) as (record, actor):
        keeper = RecordKeeper(record, actor, visit_id=args.visit)
        keeper.require(action)
        yield keeper


def key_store_for(keeper: RecordKeeper | None, key_file: str | None) -> KeyStore | None:
    """The record's pairing keys when recording without ``--key-file``; else None."""
    return _RecordKeys(keeper.key_store()) if keeper is not None and not key_file else None


class _RecordKeys:
    """The record's keys; a device without one is refused with how to store it."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    def key_for(self, serial: str) -> PairingKey:
        try:
            return self._keys.key_for(serial)
        except NoPairingKey as exc:
            if exc.device_known:
                raise KeyStoreError(f"no pairing key is stored for device {serial}: "
                                    f"{store_key_advice(serial)}") from None
            raise KeyStoreError(f"device {serial} is not in the clinical record, so no "
                                f"pairing key is stored for it: {add_device_advice(serial)}, "
                                f"then {store_key_advice(serial)}") from None


def key_store_from(key_file: str | None) -> KeyStore:
    if not key_file:
        raise CliError(f"no pairing key: give --key-file (64 hexadecimal characters), or "
                       f"--db URL or {ENV_DATABASE} naming the clinical record that holds "
                       f"the device's key")
    try:
        return KeyFileStore(key_file)
    except KeyStoreError as exc:
        raise CliError(str(exc)) from None


@contextmanager
def open_device(port: str, key_file: str | None, baud: int = DEFAULT_BAUD,
                authenticate: bool = True, key_store: KeyStore | None = None,
                keeper: RecordKeeper | None = None) -> Iterator[DeviceClient]:
    """A connected client; every link failure inside becomes a one-line CliError.

    ``key_store`` (the record's keys) replaces ``key_file`` when given. With a
    ``keeper``, writes to this device whose outcome was unknown are settled first
    (the slot read back), and what was found is said on stderr.
    """
    if not authenticate:
        key_store = None
    elif key_store is None:
        key_store = key_store_from(key_file)
    client = DeviceClient(port, key_store, baud=baud)
    try:
        client.open(authenticate=authenticate)
        if keeper is not None:
            for sentence in keeper.settle_on_connect(client):
                print(f"mfconsole: {sentence}", file=sys.stderr, flush=True)
        yield client
    except DeviceLinkError as exc:
        raise CliError(str(exc)) from None
    finally:
        client.close()
