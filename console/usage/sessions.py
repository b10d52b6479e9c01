"""Therapy sessions from the device log: each start paired with its end (docs/usage.md).

Pairing is one pass over the entries in device index order. The device runs one session
at a time, so a start is paired with the first following end of the same slot unless
another start or a reboot comes first: then its end was never logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from device_link.protocol import LogCode, StopReason

UNDATED = 0
"""Device time of an entry logged while the device clock was not set."""


class LogLine(Protocol):
    """What pairing reads of a log entry: the wire form and the stored form both have it."""

    @property
    def index(self) -> int: ...
    @property
    def time(self) -> int: ...
    @property
    def code(self) -> int: ...
    @property
    def a(self) -> int: ...
    @property
    def b(self) -> int: ...
    @property
    def c(self) -> int: ...


class Starter(IntEnum):
    """Who started a session: ``b`` of the start entry."""

    ACTIVATOR = 0
    CONSOLE = 1


@dataclass(frozen=True, slots=True)
class TherapySession:
    """One session as the log tells it. ``stop_reason`` is None when no end was logged."""

    index: int  # device index of the start entry
    start_time: int  # device time, Unix seconds; 0: the clock was not set
    slot: int
    started_by: int  # a Starter value, kept as logged
    stop_reason: int | None
    seconds: int  # delivered, from the end entry; 0 without one

    @property
    def ended(self) -> bool:
        return self.stop_reason is not None

    @property
    def completed(self) -> bool:
        return self.stop_reason == StopReason.SESSION_COMPLETE

    @property
    def stopped_early(self) -> bool:
        return self.ended and not self.completed

    @property
    def minutes(self) -> float:
        return self.seconds / 60

    @property
    def undated(self) -> bool:
        return self.start_time == UNDATED


@dataclass(frozen=True, slots=True)
class Pairing:
    """Every session of the log, oldest first, and the ends that matched no start."""

    sessions: tuple[TherapySession, ...]
    unmatched_ends: int


_START = int(LogCode.THERAPY_START)
_END = int(LogCode.THERAPY_END)
_BOOT = int(LogCode.BOOT)


def pair_sessions(entries: Iterable[LogLine]) -> Pairing:
    """Pair starts with ends; ``entries`` must be in device index order."""
    sessions: list[TherapySession] = []
    open_start: LogLine | None = None
    unmatched_ends = 0
    for entry in entries:
        code = entry.code
        if code == _START:
            if open_start is not None:
                sessions.append(_unended(open_start))
            open_start = entry
        elif code == _END:
            if open_start is not None and open_start.a == entry.a:
                sessions.append(TherapySession(open_start.index, open_start.time, open_start.a,
                                               open_start.b, entry.b, entry.c))
                open_start = None
            else:
                unmatched_ends += 1
        elif code == _BOOT and open_start is not None:
            sessions.append(_unended(open_start))
            open_start = None
    if open_start is not None:
        sessions.append(_unended(open_start))
    return Pairing(tuple(sessions), unmatched_ends)


def _unended(start: LogLine) -> TherapySession:
    return TherapySession(start.index, start.time, start.a, start.b, None, 0)
