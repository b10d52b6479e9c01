"""Pairing keys and where the client finds them. A key never appears in a repr, log or error."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Protocol

from device_link.auth import KEY_SIZE


class KeyStoreError(Exception):
    """No usable key for a device (the message names the serial, never the key)."""


class PairingKey:
    """32 secret bytes with a redacted repr, so a stray print or traceback shows nothing."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_SIZE:
            raise KeyStoreError(f"a pairing key is {KEY_SIZE} bytes, got {len(secret)}")
        self._secret = bytes(secret)

    @classmethod
    def from_hex(cls, text: str) -> PairingKey:
        cleaned = text.strip()
        if len(cleaned) != 2 * KEY_SIZE:
            raise KeyStoreError(f"a pairing key is {2 * KEY_SIZE} hex characters, "
                                f"got {len(cleaned)}")
        try:
            return cls(bytes.fromhex(cleaned))
        except ValueError:
            raise KeyStoreError("a pairing key must be hexadecimal") from None

    def reveal(self) -> bytes:
        """The raw key, for the HMAC computations only."""
        return self._secret

    def __repr__(self) -> str:
        return "PairingKey(<redacted>)"

    __str__ = __repr__


class KeyStore(Protocol):
    """Where the client looks up the key of the device it has just met."""

    def key_for(self, serial: str) -> PairingKey: ...


KEY_FILE_LIMIT = 4096
"""A key file is 64 hex characters and a newline; anything much larger is not one."""


class KeyFileStore:
    """One key file (64 hex characters) used for whatever device answers, as the CLI needs.

    The file must be a regular file only its owner can use (mode 0600: no group or
    other bits), like the console's installation key: it is the device's secret. This
    holds for every key file a user names (``--key-file``). The demo emulator's key,
    shipped in the package, is not read here but by ``device_link.emulator.config``:
    packaging cannot keep a 0600 mode, and that key is public anyway.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        text = _read_key_file(self._path)
        try:
            self._key = PairingKey.from_hex(text)
        except KeyStoreError as exc:
            raise KeyStoreError(f"key file {self._path}: {exc}") from None

    def key_for(self, serial: str) -> PairingKey:
        return self._key


def _read_key_file(path: Path) -> str:
    """The text of a private regular file, read without blocking and within a bound.

    The few lines ``console.files.bounded`` has for the console (``device_link`` must not
    import it): a FIFO cannot stall the open, /dev/zero cannot fill memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise _refused(path, f"cannot be opened ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refused(path, "is not a regular file")
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise _refused(path, f"is accessible to other users (mode "
                                 f"{stat.S_IMODE(mode):04o}): chmod 600 it")
        data = os.read(fd, KEY_FILE_LIMIT + 1)
    except OSError as exc:
        raise _refused(path, f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > KEY_FILE_LIMIT:
        raise _refused(path, f"is larger than {KEY_FILE_LIMIT} bytes, so not a key file")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise _refused(path, "is not ASCII text") from None


def _refused(path: Path, reason: str) -> KeyStoreError:
    return KeyStoreError(f"key file {path} {reason}")


class StaticKeyStore:
    """Keys held in memory by serial (tests, the demo and the clinical record's adapter)."""

    def __init__(self, keys: dict[str, PairingKey]) -> None:
        self._keys = dict(keys)

    def key_for(self, serial: str) -> PairingKey:
        try:
            return self._keys[serial]
        except KeyError:
            raise KeyStoreError(f"no pairing key for device {serial}") from None
