"""What the Outcomes tab shows for one patient, read from the record in one go.

Runs on ``RecordTasks`` (never on the GUI thread): the patient's entries and events, the
follow-up schedule from the first implant, the clinic's responder rules, and the therapy
minutes per week from the device log the record holds (``console/usage``, the same
definitions as the Usage tab). No rules are made here, only gathered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from console.accounts import User
from console.clinic.profile import load_clinic_profile
from console.outcomes.entries import AdverseEvent, Amendment, OutcomeEntry
from console.outcomes.eq5d_value_set import Eq5dValueSet
from console.outcomes.responders import NO_PROGRESS, Progress, ResponderRules, with_progress
from console.outcomes.timepoints import (
    SCHEDULED,
    FollowUpState,
    Timepoint,
    due_date,
    follow_up_state,
)
from console.storage import ClinicalRecord
from console.usage.log_report import usage_from_log
from console.usage.period import MAX_DAYS, Period
from ui.usage.weekly_chart import weekly_minutes

USAGE_BEFORE_FIRST = timedelta(days=14)
"""Usage is drawn from a little before the first date the tab shows (implant, entry)."""


class Amendable(Protocol):
    id: int
    amendment: Amendment | None


@dataclass(frozen=True, slots=True)
class Standing:
    """Where one entry stands among its corrections, in words for the table."""

    current: bool
    mark: str  # "" for an entry never corrected; "corrected", "replaced", "withdrawn"
    note: str  # the reason, for the tooltip


@dataclass(frozen=True, slots=True)
class EntryRow:
    entry: OutcomeEntry
    progress: Progress
    standing: Standing


@dataclass(frozen=True, slots=True)
class EventRow:
    event: AdverseEvent
    standing: Standing


@dataclass(frozen=True, slots=True)
class TimepointStanding:
    point: Timepoint
    due: date | None
    state: FollowUpState
    collected_on: date | None


@dataclass(frozen=True, slots=True)
class OutcomesView:
    clinic_id: str
    today: date
    implant: date | None
    rules: ResponderRules
    current: tuple[tuple[OutcomeEntry, Progress], ...]  # by date
    entry_rows: tuple[EntryRow, ...]  # what the table lists (corrections too when asked)
    events: tuple[AdverseEvent, ...]  # current, by onset
    event_rows: tuple[EventRow, ...]
    devices: tuple[str, ...]  # the patient's device serials, oldest first
    weeks: OrderedDict[date, float]  # therapy minutes per week, keyed by Monday
    eq5d_values: Eq5dValueSet | None = None  # the clinic's licensed value set, if any

    def schedule(self) -> tuple[TimepointStanding, ...]:
        """Each scheduled timepoint with its due date and state on ``today``."""
        found = {entry.timepoint: entry for entry, _ in self.current}
        return tuple(TimepointStanding(
            point, None if self.implant is None else due_date(self.implant, point),
            follow_up_state(self.implant, point, point in found, self.today),
            found[point].collected_on if point in found else None) for point in SCHEDULED)

    def baseline(self) -> OutcomeEntry | None:
        return next((e for e, _ in self.current if e.timepoint is Timepoint.BASELINE), None)


def standings(every: Sequence[Amendable], current_ids: set[int]) -> dict[int, Standing]:
    """Each entry's standing; the rows that only withdraw another are left out."""
    later = {e.amendment.amends: e for e in every if e.amendment is not None}
    found: dict[int, Standing] = {}
    for entry in every:
        amendment = entry.amendment
        if amendment is not None and amendment.withdrawn:
            continue
        after = later.get(entry.id)
        if after is not None and after.amendment is not None and after.amendment.withdrawn:
            found[entry.id] = Standing(False, "withdrawn", f"withdrawn: "
                                       f"{after.amendment.reason}")
        elif after is not None and after.amendment is not None:
            found[entry.id] = Standing(False, "replaced", f"replaced by entry {after.id}: "
                                       f"{after.amendment.reason}")
        elif amendment is not None:
            found[entry.id] = Standing(entry.id in current_ids, "corrected",
                                       f"corrected: {amendment.reason}")
        else:
            found[entry.id] = Standing(entry.id in current_ids, "", "")
    return found


def read_view(record: ClinicalRecord, user: User, clinic_id: str, *,
              with_corrections: bool, today: date) -> OutcomesView:
    """Everything the tab shows for ``clinic_id``, as ``user`` may see it."""
    profile = load_clinic_profile()
    rules = ResponderRules.of(profile)
    entries = record.outcomes(user, clinic_id)
    events = record.adverse_events(user, clinic_id)
    current = tuple(with_progress(entries, rules))
    progress = {entry.id: change for entry, change in current}
    every = record.outcomes(user, clinic_id, with_corrections=True) if with_corrections \
        else entries
    every_event = record.adverse_events(user, clinic_id, with_corrections=True) \
        if with_corrections else events
    entry_standing = standings(every, set(progress))
    event_standing = standings(every_event, {e.id for e in events})
    entry_rows = tuple(EntryRow(e, progress.get(e.id, NO_PROGRESS), entry_standing[e.id])
                       for e in sorted(every, key=lambda e: (e.collected_on, e.id))
                       if e.id in entry_standing)
    event_rows = tuple(EventRow(e, event_standing[e.id])
                       for e in sorted(every_event, key=lambda e: (e.details.onset, e.id))
                       if e.id in event_standing)
    implant = record.implant_date(user, clinic_id)
    devices = tuple(d.serial for d in record.timeline(user, clinic_id).devices)
    firsts = [d for d in (implant, *(e.collected_on for e in entries),
                          *(e.details.onset for e in events)) if d is not None]
    weeks = _weekly(record, user, devices, min(firsts, default=today) - USAGE_BEFORE_FIRST,
                    today, profile.prescribed_sessions_per_day)
    return OutcomesView(clinic_id, today, implant, rules, current, entry_rows, tuple(events),
                        event_rows, devices, weeks, profile.eq5d_value_set)


def _weekly(record: ClinicalRecord, user: User, devices: Sequence[str], start: date,
            today: date, prescribed: int) -> OrderedDict[date, float]:
    """Therapy minutes per week over every device of the patient, up to yesterday."""
    end = today - timedelta(days=1)
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    weeks: OrderedDict[date, float] = OrderedDict()
    if start > end:
        return weeks
    for serial in devices:
        entries = record.device_log(user, serial)
        if not entries:
            continue
        days = usage_from_log(entries, Period(start, end), prescribed).report.daily
        for monday, minutes in weekly_minutes(days).items():
            weeks[monday] = weeks.get(monday, 0.0) + minutes
    return OrderedDict(sorted(weeks.items()))
