"""Opening a device from the command line: port, baud, key file, and errors as one-liners."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from device_link.client import DEFAULT_BAUD, DeviceClient
from device_link.errors import DeviceLinkError
from device_link.keystore import KeyFileStore, KeyStore, KeyStoreError

from .errors import CliError


def add_port_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--port", required=required,
                        help="serial port name or pyserial URL (/dev/ttyUSB0, /dev/pts/N, "
                             "socket://host:port, rfc2217://host:port)")
    parser.add_argument("--baud", type=int, default=DEFAULT_BAUD,
                        help=f"line rate (default {DEFAULT_BAUD})")
    parser.add_argument("--key-file", help="pairing key file: 64 hexadecimal characters")


def key_store_from(key_file: str | None) -> KeyStore:
    if not key_file:
        raise CliError("no pairing key: give --key-file (64 hexadecimal characters)")
    try:
        return KeyFileStore(key_file)
    except KeyStoreError as exc:
        raise CliError(str(exc)) from None


@contextmanager
def open_device(port: str, key_file: str | None, baud: int = DEFAULT_BAUD,
                authenticate: bool = True) -> Iterator[DeviceClient]:
    """A connected client; every link failure inside becomes a one-line CliError."""
    key_store = key_store_from(key_file) if authenticate else None
    client = DeviceClient(port, key_store, baud=baud)
    try:
        client.open(authenticate=authenticate)
        yield client
    except DeviceLinkError as exc:
        raise CliError(str(exc)) from None
    finally:
        client.close()

