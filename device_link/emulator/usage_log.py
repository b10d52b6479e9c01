"""The device's usage log: a bounded store of 16-byte entries and a realistic history.

Entries are kept packed, so serving a GET_LOG page is a slice and a join.
"""

from __future__ import annotations

import random

from device_link.messages import LogEntry
from device_link.protocol import LogCode, StopReason

MIN_CAPACITY = 10_000
DAY_S = 86_400
SESSION_TIMES_S = (7 * 3600 + 30 * 60, 19 * 3600 + 30 * 60)  # twice daily, UTC
JITTER_S = 40 * 60
MISSED_SESSION_P = 0.12
STOPPED_EARLY_P = 0.05


class UsageLog:
    """Entries with never-repeating indexes; keeps at least the newest ``capacity``.

    The oldest entries are trimmed in batches (a quarter of the capacity at a time),
    so appending stays cheap and a page is a plain list slice.
    """

    def __init__(self, capacity: int = MIN_CAPACITY) -> None:
        self.capacity = max(MIN_CAPACITY, capacity)
        self._entries: list[bytes] = []
        self._first_index = 0

    @property
    def total(self) -> int:
        return len(self._entries)

    @property
    def next_index(self) -> int:
        return self._first_index + len(self._entries)

    def append(self, time: int, code: int, a: int = 0, b: int = 0, c: int = 0) -> LogEntry:
        entry = LogEntry(self.next_index, time & 0xFFFFFFFF, code, a & 0xFF, b & 0xFFFF,
                         c & 0xFFFFFFFF)
        self._entries.append(entry.encode())
        excess = len(self._entries) - self.capacity
        if excess > self.capacity // 4:
            del self._entries[:excess]
            self._first_index += excess
        return entry

    def page(self, first_index: int, max_count: int) -> list[bytes]:
        """Packed entries from ``first_index`` on (or the oldest kept), at most ``max_count``."""
        start = max(first_index, self._first_index) - self._first_index
        return self._entries[start:start + max_count]

    def entries(self) -> list[LogEntry]:
        return [LogEntry.decode(raw) for raw in self._entries]


def generate_history(count: int, end_time: int, seed: int, program_crc: int,
                     session_s: int) -> list[tuple[int, int, int, int, int]]:
    """``count`` entries (time, code, a, b, c) from the implant up to ``end_time``.

    The implant starts with a boot and the program written to slot 0 (and, to make
    the count come out exactly, the clock being set); then two activator sessions a
    day with some missed and a few stopped early, the newest ending before
    ``end_time``. Deterministic for a given seed and end time.
    """
    if count <= 0:
        return []
    header_count = min(count, 2 if (count - 2) % 2 == 0 else 3)
    sessions = _sessions_backwards(count - header_count, end_time, seed, session_s)
    implant = (sessions[0][0] if sessions else end_time) - DAY_S
    header = [(implant, LogCode.BOOT, 0, 0, 0)]
    if header_count == 3:
        header.append((implant + 60, LogCode.CLOCK_SET, 0, 0, 0))
    header.append((implant + 1800, LogCode.PROGRAM_WRITTEN, 0, program_crc, 0))
    return header[:header_count] + sessions


def _sessions_backwards(count: int, end_time: int, seed: int, session_s: int
                        ) -> list[tuple[int, int, int, int, int]]:
    rng = random.Random(f"usage-{seed}")
    day_start = end_time - end_time % DAY_S
    pairs: list[list[tuple[int, int, int, int, int]]] = []
    produced = 0
    while produced < count:
        for at in reversed(SESSION_TIMES_S):
            if produced >= count:
                break
            start = day_start + at + rng.randint(-JITTER_S, JITTER_S)
            missed = rng.random() < MISSED_SESSION_P
            early = rng.random() < STOPPED_EARLY_P
            delivered = rng.randint(60, session_s - 60) if early else session_s
            if missed or start + delivered >= end_time:
                continue
            reason = StopReason.STOP_REQUEST if early else StopReason.SESSION_COMPLETE
            pairs.append([(start, LogCode.THERAPY_START, 0, 0, 0),
                          (start + delivered, LogCode.THERAPY_END, 0, reason, delivered)])
            produced += 2
        day_start -= DAY_S
    return [entry for pair in reversed(pairs) for entry in pair]
