"""Walk the audit chain from the first entry and name the first one that is wrong.

The walk streams the table in key order, one batch at a time, so memory stays
flat however long the chain is. It detects an entry whose content was changed
(its hash no longer matches), one that was removed (a gap in the sequence, or
fewer entries than the head row counts) and entries that were reordered (an
entry whose previous hash is not its predecessor's hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _quote  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from console.audit.chain import GENESIS_HASH

BATCH_SIZE = 20_000

# Read through the driver's own cursor: building SQLAlchemy rows would double the cost.
_BATCH = ("SELECT seq, at, event, actor, details, prev_hash, hash FROM audit_entries "
          "WHERE seq > {p} AND seq <= {p} ORDER BY seq LIMIT {p}")
_BEYOND = text("SELECT min(seq) FROM audit_entries WHERE seq > :last")
_HEAD = text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """``broken_at`` is the sequence number of the first bad entry (None when intact)."""

    entries: int
    head_hash: bytes
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def _walk(connection: Connection, progress: Callable[[int], None] | None) -> VerifyResult:
    last_seq, last_hash = connection.execute(_HEAD).one()
    batch_sql = _BATCH.format(p=_PLACEHOLDER[connection.dialect.paramstyle])
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        result = _walk_entries(cursor, batch_sql, last_seq, progress)
    finally:
        cursor.close()
    if not result.ok:
        return result
    count, prev = result.entries, result.head_hash
    if count < last_seq:
        return VerifyResult(count, prev, count + 1,
                            f"entries {count + 1} to {last_seq} were removed")
    if bytes(last_hash) != prev:
        return VerifyResult(count, prev, count, f"the chain head does not match entry {count}")
    extra = connection.execute(_BEYOND, {"last": last_seq}).scalar()
    if extra is not None:
        return VerifyResult(count, prev, extra,
                            f"entry {extra} lies outside the chain (after its head)")
    return VerifyResult(count, prev)


def _walk_entries(cursor: Any, batch_sql: str, last_seq: int,
                  progress: Callable[[int], None] | None) -> VerifyResult:
    """Check entries 1..last_seq in order; ``entries`` is how many were checked."""
    sha256 = hashlib.sha256
    expected_seq, prev = 1, GENESIS_HASH
    while True:
        cursor.execute(batch_sql, (expected_seq - 1, last_seq, BATCH_SIZE))
        rows = cursor.fetchall()
        if not rows:
            break
        for seq, at, event, actor, details, prev_hash, stored in rows:
            if seq != expected_seq:
                return VerifyResult(expected_seq - 1, prev, expected_seq,
                                    f"entry {expected_seq} is missing (the next entry is {seq})")
            if bytes(prev_hash) != prev:
                return VerifyResult(expected_seq - 1, prev, seq,
                                    f"entry {seq} does not follow entry {seq - 1}: "
                                    "entries were changed, removed or reordered")
            actor_json = "null" if actor is None else _quote(actor)
            try:
                content = (f'{{"actor":{actor_json},"at":{_quote(at)},"details":{details},'
                           f'"event":{_quote(event)},"seq":{seq}}}').encode("ascii")
            except UnicodeEncodeError:  # canonical details are ASCII: these were edited
                content = b""
            digest = sha256(prev + content).digest()
            if digest != bytes(stored):
                return VerifyResult(expected_seq - 1, prev, seq, f"entry {seq} was changed")
            prev = digest
            expected_seq += 1
        if progress is not None:
            progress(expected_seq - 1)
    return VerifyResult(expected_seq - 1, prev)


def verify_chain(engine: Engine,
                 progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Check every entry; ``progress`` hears the number checked so far after each batch."""
    # One snapshot for the whole walk, so entries appended meanwhile are simply not seen yet.
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection:
        return _walk(connection, progress)
