"""Reading a device's pairing key from the file a user names, before it is stored.

The window's pairing dialog and ``mfconsole devices key`` both read key files here, so
both refuse the same files for the same reasons. A key file holds exactly 64 hexadecimal
characters (one trailing newline allowed) and is private to its owner (mode 0600): it is
the device's secret. Every refusal names the file and what is wrong, never the key.
"""

from __future__ import annotations

from pathlib import Path

from console.files.bounded import UnreadableFile, read_bounded_text
from device_link.auth import KEY_SIZE
from device_link.keystore import KeyStoreError, PairingKey

KEY_HEX_CHARACTERS = 2 * KEY_SIZE
_FILE_LIMIT = 4096  # far more than 64 characters and a newline: not a key file
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class KeyFileError(KeyStoreError):
    """A key file that was refused; the message names the file and the reason."""


def read_key_file(path: str | Path) -> PairingKey:
    """The pairing key in ``path``; KeyFileError if the file is not a private key file."""
    try:
        text = read_bounded_text(path, _FILE_LIMIT, encoding="ascii", private=True)
    except UnreadableFile as exc:
        raise KeyFileError(f"key file {exc.path} {exc.reason}") from None
    body = text.removesuffix("\n").removesuffix("\r")
    if len(body) != KEY_HEX_CHARACTERS:
        raise KeyFileError(f"key file {path} holds {len(body)} characters, expected exactly "
                           f"{KEY_HEX_CHARACTERS} hexadecimal characters (and at most a "
                           "trailing newline)")
    if not set(body) <= _HEX_DIGITS:
        raise KeyFileError(f"key file {path} holds characters that are not hexadecimal "
                           "(0-9, a-f)")
    return PairingKey(bytes.fromhex(body))

