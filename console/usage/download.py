"""Downloading the device log entries the record does not hold yet.

Pages start after the newest stored index, so an unchanged device answers one request
with no entry and nothing already stored crosses the link again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

from device_link.errors import ProtocolViolation
from device_link.messages import LogEntry, LogPage
from device_link.protocol import MAX_LOG_PAGE

Progress = Callable[[int, int], None]
"""Called after each page with (entries received, entries expected)."""


class LogSource(Protocol):
    def get_log(self, first_index: int, max_count: int = MAX_LOG_PAGE) -> LogPage: ...


@dataclass(frozen=True, slots=True)
class LogDownload:
    """What one download fetched."""

    first_index: int  # the index asked for first
    entries: tuple[LogEntry, ...]
    requests: int  # GET_LOG requests sent
    overwritten: int  # entries the device dropped before they could be downloaded


def download_new_entries(device: LogSource, newest_stored: int | None,
                         progress: Progress | None = None) -> LogDownload:
    """Every entry after ``newest_stored`` (None: everything the device keeps).

    The device says how many entries it keeps, not the index of its oldest, so the
    expected count is exact for a first download and otherwise an estimate that grows
    if the device has more to give.
    """
    first = 0 if newest_stored is None else newest_stored + 1
    index = first
    entries: list[LogEntry] = []
    requests = 0
    overwritten = 0
    expected = 0
    while True:
        page = device.get_log(index, MAX_LOG_PAGE)
        requests += 1
        if not page.entries:
            break
        if page.entries[0].index < index or any(
                later.index <= earlier.index
                for earlier, later in pairwise(page.entries)):
            raise ProtocolViolation(f"GET_LOG from index {index} answered with entries out of "
                                    f"order (first {page.entries[0].index})")
        if not entries:
            oldest = page.entries[0].index
            if newest_stored is not None:
                overwritten = oldest - first
            expected = page.total if oldest > first or first == 0 else page.total - first
        entries.extend(page.entries)
        index = page.entries[-1].index + 1
        expected = max(expected, len(entries))
        if progress is not None:
            progress(len(entries), expected)
    return LogDownload(first, tuple(entries), requests, overwritten)


def undownloaded_count(device: LogSource, newest_stored: int | None) -> int:
    """How many entries the device holds after ``newest_stored``, in two one-entry requests:
    the oldest it keeps (from index 0) and, with it, how many it keeps."""
    oldest_page = device.get_log(0, 1)
    if not oldest_page.entries:
        return 0
    oldest = oldest_page.entries[0].index
    first_wanted = 0 if newest_stored is None else newest_stored + 1
    return max(0, oldest_page.total - max(0, first_wanted - oldest))
