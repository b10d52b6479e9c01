"""Reading the emulator's protocol trace forward, for the device's own timestamps.

Every entry's ``t`` is the emulator's ``time.perf_counter()`` (CLOCK_MONOTONIC on
Linux), so it can be compared with this process's ``perf_counter()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from console.bench.errors import BenchError
from device_link.emulator.control import ControlClient

Entry = dict[str, Any]
PAGE = 1000


class TraceReader:
    """Hands out each trace entry recorded after its creation once, oldest first."""

    def __init__(self, control: ControlClient) -> None:
        self._control = control
        self._since = 0
        while self._page(0.0):  # skip what happened before the measurement
            pass

    def _page(self, wait_s: float) -> list[Entry]:
        page = self._control.trace(since=self._since, limit=PAGE, wait_s=wait_s)
        self._since = page["next"]
        return page["entries"]

    def new_entries(self) -> list[Entry]:
        """Everything recorded since the last call (or since creation)."""
        entries: list[Entry] = []
        while page := self._page(0.0):
            entries += page
        return entries

    def next_matching(self, wanted: Callable[[Entry], bool], what: str,
                      timeout_s: float) -> Entry:
        """The next entry that satisfies ``wanted``, waiting for it in the emulator."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            page = self._control.trace(since=self._since, limit=PAGE, wait_s=left)
            for entry in page["entries"]:
                self._since = entry["n"] + 1
                if wanted(entry):
                    return entry
            self._since = max(self._since, page["next"])
        raise BenchError(f"the emulator's trace shows no {what} within {timeout_s:.0f} s")


def reply_spans(entries: list[Entry], opcode: str) -> list[float]:
    """Seconds from each ``opcode`` request read to its reply starting onto the line."""
    read_at = {e["seq"]: e["t"] for e in entries if e["dir"] == "rx" and e["opcode"] == opcode}
    return [e["t"] - read_at[e["seq"]] for e in entries
            if e["dir"] == "tx" and e["opcode"] == opcode and e["seq"] in read_at]
