"""Reading a file the user named without letting it hang or exhaust the console.

A path may lead anywhere: a FIFO (an ordinary open would wait for a writer forever),
/dev/zero behind a symlink (an ordinary read never ends until memory does), a
directory, a serial port. Program files, profiles and the installation key are read
here: only a regular file, at most ``limit`` bytes, and for a secret only one that no
other user can read. Every refusal is one sentence naming the path.

``device_link.keystore`` reads pairing key files the same way with its own few lines,
because ``device_link`` must not import the console.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

TEXT_FILE_LIMIT = 1 << 20
"""Program files and profiles are a few hundred bytes; a megabyte is surely not one."""
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class UnreadableFile(ValueError):
    """A file that was not read: ``reason`` says why ("is not a regular file (it is a
    FIFO)"), the message is the path followed by the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = str(path)
        self.reason = reason


def read_bounded(path: str | Path, limit: int, *, private: bool = False) -> bytes:
    """The bytes of the regular file at ``path``, refusing more than ``limit`` of them.

    Opened without blocking (a FIFO cannot stall the open) and checked with ``fstat`` on
    the open descriptor, so what is read is what was checked. ``private``: refuse a file
    with any group or other permission bit, as a secret must be kept.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be opened ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        _require_regular(path, mode)
        if private:
            _require_private(path, mode)
        data = _read_up_to(path, fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnreadableFile(path, f"is larger than {limit} bytes, more than such a file "
                                   f"can hold")
    return data


def read_bounded_text(path: str | Path, limit: int = TEXT_FILE_LIMIT, *,
                      encoding: str = "utf-8", private: bool = False) -> str:
    """``read_bounded`` decoded; text in another encoding is refused, not guessed."""
    data = read_bounded(path, limit, private=private)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFile(path, f"is not {encoding.upper()} text") from None


def _read_up_to(path: str | Path, fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    try:
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 16))):
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be read ({exc.strerror})") from None
    return b"".join(chunks)


def _require_regular(path: str | Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise UnreadableFile(path, f"is not a regular file (it is {_kind(mode)})")


def _require_private(path: str | Path, mode: int) -> None:
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UnreadableFile(path, f"is accessible to other users (mode "
                                   f"{stat.S_IMODE(mode):04o}): chmod 600 it")


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a file")
