"""Titration marks as a table: one row per pair and visit, the latest mark of each kind.

The Test stimulation tab and the visit report show marks the same way, from this module:
call ``pair_rows`` with the marks ``ClinicalRecord.titration_marks`` returns (oldest first;
pass only one visit's marks, or use ``this_and_earlier`` first, for a one-visit table).
A pair is a lead with its anode and cathode, polarity included: E1+ E2− and E1− E2+ are
two rows. Where a kind was marked more than once on a pair in a visit the latest counts
(the clinician marked again because the first was not the one to keep); the earlier marks
stay in the record, unchanged, and are simply not shown here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from console.leads.naming import on_lead, polarised_pair_name
from console.titration.marks import MarkKind, TitrationMark


@dataclass(frozen=True, slots=True)
class PairMarks:
    """One row: a pair in a visit and its latest threshold, target and maximum."""

    visit_id: int | None
    lead: int
    anode: int
    cathode: int
    latest: dict[MarkKind, TitrationMark] = field(default_factory=dict)

    def mark(self, kind: MarkKind) -> TitrationMark | None:
        """The latest mark of ``kind`` on this pair (None: not marked)."""
        return self.latest.get(kind)

    def amplitude_text(self, kind: MarkKind) -> str:
        """``2.5 mA``, or "" where ``kind`` was not marked."""
        mark = self.latest.get(kind)
        return "" if mark is None else f"{mark.amplitude_ma} mA"

    @property
    def pair(self) -> str:
        """``E1+ E2−``."""
        return polarised_pair_name(self.anode, self.cathode)

    @property
    def where(self) -> str:
        """``left E1+ E2−``."""
        return on_lead(self.lead, self.pair)

    @property
    def marks(self) -> tuple[TitrationMark, ...]:
        """The shown marks in kind order: threshold, target, maximum."""
        return tuple(self.latest[kind] for kind in MarkKind if kind in self.latest)

    @property
    def notes(self) -> str:
        """The shown marks' notes, each after its kind: ``threshold: slight twitch``."""
        return "; ".join(f"{mark.kind.value}: {mark.note}" for mark in self.marks
                         if mark.note)

    @property
    def last_marked_at(self) -> datetime | None:
        """When the latest of the shown marks was made."""
        times = [mark.marked_at for mark in self.marks if mark.marked_at is not None]
        return max(times) if times else None


def this_and_earlier(marks: Iterable[TitrationMark], visit_id: int | None,
                     ) -> tuple[list[TitrationMark], list[TitrationMark]]:
    """``marks`` split into those of ``visit_id`` and those of every other visit."""
    this: list[TitrationMark] = []
    earlier: list[TitrationMark] = []
    for mark in marks:
        (this if mark.visit_id == visit_id else earlier).append(mark)
    return this, earlier


def pair_rows(marks: Sequence[TitrationMark]) -> list[PairMarks]:
    """One row per (visit, pair): the latest mark of each kind there.

    ``marks`` oldest first, as the record returns them; between two marks of the same
    time the later in ``marks`` is the latest. Rows come newest visit first (by its latest
    mark), then by lead (left first), then by electrodes, lower first.
    """
    latest: dict[tuple[int | None, int, int, int], dict[MarkKind, TitrationMark]] = {}
    for mark in marks:
        kinds = latest.setdefault((mark.visit_id, mark.lead, mark.anode, mark.cathode), {})
        shown = kinds.get(mark.kind)
        if shown is None or _at(mark) >= _at(shown):
            kinds[mark.kind] = mark
    rows = [PairMarks(visit, lead, anode, cathode, kinds)
            for (visit, lead, anode, cathode), kinds in latest.items()]
    newest: dict[int | None, float] = {}
    for row in rows:
        stamp = _at(max(row.marks, key=_at))
        newest[row.visit_id] = max(newest.get(row.visit_id, stamp), stamp)
    return sorted(rows, key=lambda row: (-newest[row.visit_id], row.lead,
                                         sorted((row.anode, row.cathode)), row.anode))


def _at(mark: TitrationMark) -> float:
    """A mark's time as a number to compare (a mark not yet stored has none: earliest)."""
    return mark.marked_at.timestamp() if mark.marked_at is not None else float("-inf")
