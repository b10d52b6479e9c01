"""Entries that are corrected by later entries, never changed: outcomes, adverse events.

A correction names the entry it amends and why; each entry is amended at most once (the
database holds it unique), so the corrections of one entry form a single line whose last
entry is the current one, unless it withdrew the entry as made in error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, false, select
from sqlalchemy.orm import Session, aliased

from console.outcomes.entries import Amendment
from console.storage.errors import ConflictError, InvalidRecord, NotFound

MAX_REASON = 500


def checked_reason(reason: str) -> str:
    """The reason for a correction: required (it is what a later reader needs), trimmed."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidRecord("reason: a correction needs its reason")
    if len(text) > MAX_REASON:
        raise InvalidRecord(f"reason is {len(text)} characters long: at most {MAX_REASON}")
    return text


def current(query: Select[Any], row_class: Any) -> Select[Any]:
    """``query`` narrowed to the entries no later entry amends, withdrawn ones left out."""
    later = aliased(row_class)
    return query.where(~exists().where(later.amends_id == row_class.id),
                       row_class.withdrawn == false())


def head_to_amend(session: Session, row_class: Any, entry_id: int, what: str) -> Any:
    """The entry ``entry_id`` when it is the current one of its line; otherwise NotFound or
    a ConflictError naming the entry that corrected it (the one to amend instead)."""
    row = session.get(row_class, entry_id)
    if row is None:
        raise NotFound(f"no {what} {entry_id}")
    if row.withdrawn:
        raise ConflictError(f"{what} {entry_id} withdrew an entry made in error: it cannot be "
                            "amended")
    later = session.execute(select(row_class.id).where(
        row_class.amends_id == entry_id)).scalar()
    if later is not None:
        raise ConflictError(f"{what} {entry_id} was corrected by {what} {later}: amend "
                            f"{later}, the current one")
    return row


def amendment_of(row: Any) -> Amendment | None:
    if row.amends_id is None:
        return None
    return Amendment(row.amends_id, row.amend_reason, row.withdrawn)
