"""The installation key: encrypts device pairing keys at rest, and never lives in the database.

It is a file of 64 hex characters in the user config directory (or where
``MFCONSOLE_INSTALLATION_KEY`` points), created with mode 0600 on first use.
Someone holding a copy of the database without this file cannot read a
pairing key. Consoles sharing one PostgreSQL database share the same file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from console.files.bounded import UnreadableFile, read_bounded_text
from console.paths import installation_key_file as installation_key_path
from console.storage.errors import RecordError

KEY_BYTES = 32
NONCE_BYTES = 12
_FILE_LIMIT = 4096  # 64 hex characters and a newline; far more is not a key file


class InstallationKeyError(RecordError):
    """The installation key file is missing, unreadable, exposed or the wrong one."""


class InstallationKey:
    """AES-256-GCM with the installation secret; the repr never shows it."""

    __slots__ = ("_aead", "key_id")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise InstallationKeyError(f"an installation key is {KEY_BYTES} bytes, "
                                       f"got {len(secret)}")
        self._aead = AESGCM(secret)
        # Identifies the key (not secret): tells "wrong key file" apart from "tampered".
        self.key_id = hashlib.sha256(b"mfconsole installation key id" + secret).digest()[:8]

    def __repr__(self) -> str:
        return f"InstallationKey(id={self.key_id.hex()})"

    def encrypt(self, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
        """(nonce, ciphertext); ``associated`` binds the ciphertext to, e.g., a serial."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, plaintext, associated)

    def decrypt(self, key_id: bytes, nonce: bytes, ciphertext: bytes, associated: bytes) -> bytes:
        if key_id != self.key_id:
            raise InstallationKeyError("the stored secret was encrypted with another "
                                       "installation key: copy the clinic's key file to this "
                                       f"console ({installation_key_path()})")
        try:
            return self._aead.decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            raise InstallationKeyError("a stored secret failed its integrity check "
                                       "(altered in the database)") from None

    @classmethod
    def load_or_create(cls, path: Path | None = None) -> InstallationKey:
        """Read the key file, creating it (0600, atomically) if there is none yet."""
        path = path or installation_key_path()
        if not path.exists():
            _create(path)
        return cls(_read(path))


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_bytes(KEY_BYTES).hex() + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link() fails if the name exists: of two consoles starting at once, one key wins.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    except OSError as exc:
        raise InstallationKeyError(f"cannot create installation key {path}: "
                                   f"{exc.strerror}") from None


def _read(path: Path) -> bytes:
    """The secret: from a regular, private file of bounded size (never a FIFO or device)."""
    try:
        text = read_bounded_text(path, _FILE_LIMIT, encoding="ascii", private=True).strip()
    except UnreadableFile as exc:
        raise InstallationKeyError(f"installation key {path} {exc.reason}") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise InstallationKeyError(f"installation key {path} is not hexadecimal") from None
    if len(secret) != KEY_BYTES:
        raise InstallationKeyError(f"installation key {path} holds {len(secret)} bytes, "
                                   f"expected {KEY_BYTES}")
    return secret
