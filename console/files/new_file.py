"""Writing a file the user names that must not exist yet: whole or not at all.

The data goes into a hidden file beside the target, which is then hard-linked to the
target's name: the link fails if the name exists (so nothing is ever overwritten, even
a file created a moment ago), and the target never holds half the data. Readable by its
owner only: what the console writes out is clinical data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

Result = TypeVar("Result")


class NotWritten(OSError):
    """The file was not written; the message names it and says why in one line."""


def write_new(target: Path, data: bytes) -> None:
    """``data`` as the new file ``target``; NotWritten if it exists or cannot be made."""
    fill_new(target, lambda out: out.write(data), binary=True)


def fill_new(target: Path, write: Callable[[IO[Any]], Result], *,
             binary: bool = False) -> Result:
    """What ``write`` writes into the open file (UTF-8 text, or bytes), as the new file
    ``target``; returns what ``write`` returns. NotWritten if the file exists or cannot
    be made; an error ``write`` raises leaves no file behind."""
    if target.exists():
        raise NotWritten(f"{target} exists already: choose another file")
    partial = target.with_name(f".{target.name}.partial")
    created = False
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
        with (open(descriptor, "wb") if binary
              else open(descriptor, "w", newline="", encoding="utf-8")) as out:
            result = write(out)
            out.flush()
            os.fsync(out.fileno())
        os.link(partial, target)
    except FileExistsError:
        if not created:
            raise NotWritten(f"{target}: {partial.name} beside it is in the way (another "
                             "export being written, or one a crash left: remove it if none "
                             "is running)") from None
        raise NotWritten(f"{target} exists already: choose another file") from None
    except OSError as exc:
        raise NotWritten(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if created:  # the target, once linked, keeps the data under its own name
            partial.unlink(missing_ok=True)
    return result
