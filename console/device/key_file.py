"""Reading a device's pairing key from the file a user names, before it is stored.

The window's pairing dialog and ``mfconsole devices key`` both read key files here, so
both refuse the same files for the same reasons. A key file holds exactly 64 hexadecimal
characters (one trailing newline allowed) and is private to its owner (mode 0600): it is
the device's secret. Every refusal names the file and what is wrong, never the key.
"""

from __future__ import annotations

from pathlib import Path

from console.files.bounded import UnreadableFile, read_bounded
from device_link.auth import KEY_SIZE
from device_link.keystore import KeyStoreError, PairingKey

KEY_HEX_CHARACTERS = 2 * KEY_SIZE
_FILE_LIMIT = 4096  # a key file is 65 bytes; anything far larger is not one
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class KeyFileError(KeyStoreError):
    """A key file that was refused; the message names the file and the reason."""


def read_key_file(path: str | Path) -> PairingKey:
    """The pairing key in ``path``; KeyFileError if the file is not a private key file."""
    try:
        data = read_bounded(path, _FILE_LIMIT, private=True)
    except UnreadableFile as exc:
        raise KeyFileError(f"key file {exc}") from None
    body = data[:-1] if data.endswith(b"\n") else data
    if len(body) != KEY_HEX_CHARACTERS:
        raise KeyFileError(f"key file {path} holds {len(body)} characters, not the "
                           f"{KEY_HEX_CHARACTERS} hexadecimal characters of a pairing key (one "
                           "newline may follow them)")
    bad = next((i for i, byte in enumerate(body) if byte not in _HEX_DIGITS), None)
    if bad is not None:  # its position only: the file may be a real key with a typo
        raise KeyFileError(f"key file {path} has a character that is not hexadecimal "
                           f"(0-9, a-f) at position {bad + 1}")
    return PairingKey(bytes.fromhex(body.decode("ascii")))
