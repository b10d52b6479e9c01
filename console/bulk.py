"""Work that builds many small objects at once, none of them in a reference cycle.

The clinic's audit and the registry export each build tens of thousands of values (rows,
entries, resources) in one go. Python's cycle collector would rescan all of them again
and again while they are made, for nothing: reference counting frees every one. The
collector is paused for the build and resumes after, collecting whatever is due then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
