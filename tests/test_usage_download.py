"""Downloading only the new log entries, page by page, against the emulator's own log store."""

from __future__ import annotations

import struct

import pytest

from console.usage.download import download_new_entries
from device_link.emulator.usage_log import UsageLog
from device_link.errors import ProtocolViolation
from device_link.messages import LogEntry, LogPage
from device_link.protocol import MAX_LOG_PAGE, LogCode


class Device:
    """GET_LOG served by the emulator's ``UsageLog``; every request is counted."""

    def __init__(self, entries: int, capacity: int = 10_000) -> None:
        self.log = UsageLog(capacity)
        for n in range(entries):
            self.log.append(1_700_000_000 + n, LogCode.BOOT)
        self.requests: list[tuple[int, int]] = []

    def get_log(self, first_index: int, max_count: int = MAX_LOG_PAGE) -> LogPage:
        self.requests.append((first_index, max_count))
        raw = self.log.page(first_index, max_count)
        return LogPage.decode(struct.pack("<IB", self.log.total, len(raw)) + b"".join(raw))


def test_without_a_record_everything_is_downloaded_in_pages_of_30():
    device = Device(95)
    seen: list[tuple[int, int]] = []
    download = download_new_entries(device, None, lambda done, total: seen.append((done, total)))
    assert [e.index for e in download.entries] == list(range(95))
    assert device.requests == [(0, 30), (30, 30), (60, 30), (90, 30), (95, 30)]
    assert seen == [(30, 95), (60, 95), (90, 95), (95, 95)]
    assert (download.requests, download.overwritten) == (5, 0)


def test_only_entries_after_the_newest_stored_are_asked_for():
    device = Device(100)
    download = download_new_entries(device, 89, None)
    assert [e.index for e in download.entries] == list(range(90, 100))
    assert device.requests[0] == (90, 30)


def test_an_unchanged_device_answers_one_request_with_no_entry():
    device = Device(100)
    download = download_new_entries(device, 99, None)
    assert (download.entries, download.requests, device.requests) == ((), 1, [(100, 30)])


def test_entries_the_device_overwrote_before_download_are_counted():
    device = Device(14_000)  # trimmed: the oldest kept is no longer index 0
    oldest = device.log.next_index - device.log.total
    assert oldest > 100
    download = download_new_entries(device, 99, None)
    assert download.overwritten == oldest - 100
    assert download.entries[0].index == oldest
    assert len(download.entries) == device.log.total


def test_a_device_answering_out_of_order_is_refused():
    class Backwards:
        def get_log(self, first_index: int, max_count: int = MAX_LOG_PAGE) -> LogPage:
            return LogPage(10, (LogEntry(3, 0, 1), LogEntry(2, 0, 1)))

    with pytest.raises(ProtocolViolation, match="out of order"):
        download_new_entries(Backwards(), None, None)


def test_the_count_not_yet_downloaded_takes_one_request_even_after_trimming():
    from console.usage.download import undownloaded_count

    device = Device(100)
    assert undownloaded_count(device, 89) == 10
    assert undownloaded_count(device, None) == 100
    assert undownloaded_count(device, 99) == 0
    assert device.requests == [(0, 1)] * 3

    trimmed = Device(13_000)  # the oldest quarter trimmed: the device keeps 10 000 or more
    oldest = trimmed.log.page(0, 1)
    assert LogEntry.decode(oldest[0]).index > 0
    assert undownloaded_count(trimmed, 12_899) == 100
    assert undownloaded_count(trimmed, 5) == trimmed.log.total  # some already overwritten
