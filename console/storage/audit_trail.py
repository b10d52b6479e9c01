"""Appending to the audit chain inside the caller's transaction.

The head row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write
transactions are already exclusive) before the next sequence number and hash
are computed, so two consoles appending at once queue up and the chain never
forks. The entry is committed, or rolled back, with the operation it records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.audit.chain import canonical_details, entry_hash, format_time
from console.storage.models import AuditEntryRow, AuditHeadRow
from console.storage.types import utc_now


def lock_head(session: Session) -> AuditHeadRow:
    """Take the chain head for this transaction; later appenders wait until it ends."""
    statement = select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()
    return session.execute(statement).scalar_one()


def append(session: Session, head: AuditHeadRow, event: str, actor: str | None,
           details: Mapping[str, Any]) -> AuditEntryRow:
    """Add one entry after ``head`` (locked by ``lock_head`` in this transaction)."""
    details_json = canonical_details(details)
    seq = head.last_seq + 1
    at = format_time(utc_now())
    digest = entry_hash(head.last_hash, seq, at, str(event), actor, details_json)
    row = AuditEntryRow(seq=seq, at=at, event=str(event), actor=actor, details=details_json,
                        prev_hash=head.last_hash, hash=digest)
    session.add(row)
    head.last_seq = seq
    head.last_hash = digest
    return row
