"""Writing a file the user names that must not exist yet: whole or not at all.

The data goes into a hidden file beside the target, which is then hard-linked to the
target's name: the link fails if the name exists (so nothing is ever overwritten, even
a file created a moment ago), and the target never holds half the data.
"""

from __future__ import annotations

import os
from pathlib import Path


class NotWritten(OSError):
    """The file was not written; the message names it and says why in one line."""


def write_new(target: Path, data: bytes) -> None:
    """``data`` as the new file ``target``; NotWritten if it exists or cannot be made."""
    if target.exists():
        raise NotWritten(f"{target} exists already: choose another file")
    partial = target.with_name(f".{target.name}.partial")
    created = False
    try:
        with partial.open("xb") as out:
            created = True
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(partial, target)
    except FileExistsError:
        if not created:
            raise NotWritten(f"{target}: another export is being written beside it "
                             f"({partial.name}); try again when it has finished") from None
        raise NotWritten(f"{target} exists already: choose another file") from None
    except OSError as exc:
        raise NotWritten(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if created:  # the target, once linked, keeps the data under its own name
            partial.unlink(missing_ok=True)
