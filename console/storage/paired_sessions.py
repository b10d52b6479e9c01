"""Each device's therapy sessions, paired from its stored log once and kept while the log
is unchanged.

A device's log is append-only in the record (an entry is stored once and never changed),
so the sessions paired from it stay true until entries are added. They are kept under
the count and the newest index of the device's entries: the clinic's audit asks for every
device's sessions each time it counts, and only a device whose log has grown since (a
download here or at another console) is read and paired again. Pairing runs over the
whole log, as ``mfconsole usage`` pairs it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Connection, func, select

from console.storage.models import DeviceLogRow
from console.usage.sessions import TherapySession, pair_sessions

Key = tuple[int, int]  # how many entries, the newest index


class PairedSessions:
    """Sessions by device, for one record; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[int, tuple[Key, tuple[TherapySession, ...]]] = {}

    def of(self, connection: Connection, device_ids: Collection[int],
           ) -> dict[int, tuple[TherapySession, ...]]:
        """The sessions of each device in ``device_ids`` that has log entries."""
        if not device_ids:
            return {}
        keys: dict[int, Key] = {device_id: (count, newest) for device_id, count, newest in
                                connection.execute(select(
                                    DeviceLogRow.device_id, func.count(),
                                    func.max(DeviceLogRow.device_index))
                                    .where(DeviceLogRow.device_id.in_(device_ids))
                                    .group_by(DeviceLogRow.device_id)).all()}
        with self._lock:
            grown = [device_id for device_id, key in keys.items()
                     if self._kept.get(device_id, (None,))[0] != key]
        if grown:
            paired = _paired(connection, grown)
            with self._lock:
                for device_id in grown:  # kept under the key read first: if the log grew
                    self._kept[device_id] = (keys[device_id],  # meanwhile, the next
                                             paired.get(device_id, ()))  # count re-reads it
        with self._lock:
            return {device_id: self._kept[device_id][1] for device_id in keys}


def _paired(connection: Connection, device_ids: list[int],
            ) -> dict[int, tuple[TherapySession, ...]]:
    rows = connection.execute(select(
        DeviceLogRow.device_id, DeviceLogRow.device_index, DeviceLogRow.device_time,
        DeviceLogRow.code, DeviceLogRow.a, DeviceLogRow.b, DeviceLogRow.c).where(
        DeviceLogRow.device_id.in_(device_ids)).order_by(
        DeviceLogRow.device_id, DeviceLogRow.device_index)).all()
    return {device_id: pair_sessions(_Line(row[1:7]) for row in device_rows).sessions
            for device_id, device_rows in groupby(rows, itemgetter(0))}


class _Line(tuple):
    """A stored log entry (index, time, code, a, b, c) as pairing reads it: a plain
    tuple with names, because tens of thousands are made at once."""

    __slots__ = ()

    index = property(itemgetter(0))  # type: ignore[assignment] - the entry's, not tuple's
    time = property(itemgetter(1))
    code = property(itemgetter(2))
    a = property(itemgetter(3))
    b = property(itemgetter(4))
    c = property(itemgetter(5))
