"""Transactions of the clinical record: one per operation, audit entry included.

A write transaction first takes the audit chain's head (so writers queue up in
a fixed order and the chain cannot fork), then does its work, appends its
audit entries and commits once. Anything that fails rolls the whole operation
back: a half-done operation leaves no half-written record. Driver errors come
out as RecordError subclasses with one-line messages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from console.accounts import User
from console.storage.audit_trail import append, lock_head
from console.storage.database import WRITE_OPTION, damaged, describe, first_line
from console.storage.errors import ConflictError, DatabaseUnavailable, RecordError
from console.storage.models import AuditEntryRow, AuditHeadRow


class Tx:
    """A write transaction in progress: the session plus the audit appender."""

    def __init__(self, session: Session, head: AuditHeadRow) -> None:
        self.session = session
        self._head = head

    def audit(self, event: str, actor: User | None, details: Mapping[str, Any]) -> AuditEntryRow:
        return append(self.session, self._head, event,
                      None if actor is None else actor.username, details)


def _is_damage(exc: Exception) -> bool:
    """SQLite found the file damaged while reading or writing it (after it was opened)."""
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _translate(exc: Exception, engine: Engine) -> Exception:
    if _is_damage(exc):
        return damaged(describe(engine.url), first_line(exc))
    if isinstance(exc, StaleDataError):
        return ConflictError("another console changed this record first: reload and try again")
    if isinstance(exc, IntegrityError):
        return ConflictError(f"another console changed this record first ({first_line(exc)}): "
                             "reload and try again")
    if isinstance(exc, OperationalError | InterfaceError):
        return DatabaseUnavailable(f"{describe(engine.url)}: {first_line(exc)}")
    return RecordError(f"database error in {describe(engine.url)}: {first_line(exc)}")


@contextmanager
def write(engine: Engine) -> Iterator[Tx]:
    """One atomic write with its audit entries; commits on normal exit."""
    writer = engine.execution_options(**{WRITE_OPTION: True})
    try:
        with Session(writer, expire_on_commit=False) as session, session.begin():
            yield Tx(session, lock_head(session))
    except (StaleDataError, DBAPIError) as exc:
        raise _translate(exc, engine) from None


@contextmanager
def read(engine: Engine) -> Iterator[Session]:
    """A read-only session (one consistent snapshot on SQLite)."""
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    except DBAPIError as exc:
        raise _translate(exc, engine) from None
