"""A synthetic clinic with outcomes, adverse events and device logs, for the audit benchmark.

Rows go in with bulk core inserts, one transaction per kind of row, and each
transaction appends one audit entry through the record's own audit path (what was
generated and how many), so the chain stays intact and ``audit verify`` passes. The
values are realistic in shape, not in any clinical sense: baseline pain NRS 5–9 and ODI
around 30–70 %, improving in about two patients of three; one device each, implanted
over the last three years; every scheduled assessment that is due, some missed; adverse
events across every category, some serious, some explants; for one patient in four a
device log (the emulator's history: two sessions a day, some missed) downloaded today.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from console.accounts import User
from console.audit.events import AuditEvent
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    ExplantReason,
    Relatedness,
)
from console.outcomes.measures import AnalgesicUse, WorkStatus
from console.outcomes.timepoints import FOLLOW_UPS, WINDOW_DAYS, Timepoint, due_date
from console.storage import transactions
from console.storage.models import (
    AdverseEventRow,
    DeviceLogRow,
    DeviceRow,
    OutcomeEntryRow,
    PatientRow,
)
from console.storage.record import ClinicalRecord
from device_link.emulator.program_requests import IMPLANT_PROGRAM
from device_link.emulator.usage_log import generate_history

ID_PREFIX = "CLIN"
IMPLANT_SPREAD_DAYS = 3 * 365
COLLECTED_P = 0.85  # each due follow-up; baseline 0.95
LOGGED_EVERY = 4  # one patient in four has a downloaded device log
LOG_ENTRIES = 240  # about two months of twice-daily sessions
BATCH = 5000
GENERATED = "benchmark clinic"


@dataclass(frozen=True, slots=True)
class GeneratedClinic:
    """How many of each were made (what the audit entries say too)."""

    patients: int
    outcomes: int
    adverse_events: int
    logged_devices: int
    log_entries: int


@dataclass(frozen=True, slots=True)
class _Patient:
    id: int
    device_id: int
    implant: date
    severity: float  # 0 (mild) to 1 (severe) at baseline
    response: float  # share of the baseline to lose by 12 months; negative: worse


def populate_clinic(record: ClinicalRecord, actor: User, *, patients: int = 2000,
                    adverse_events: int = 1000, seed: int = 1, today: date | None = None,
                    progress: Callable[[str], None] | None = None) -> GeneratedClinic:
    """Add ``patients`` generated patients (clinic IDs CLIN00001…) with their devices,
    assessments, ``adverse_events`` events and some device logs. ``actor`` (a user of
    this record) is named in the audit entries. Deterministic for a seed and a day."""
    if patients < 1 or adverse_events < 0:
        raise ValueError("a generated clinic needs at least one patient and no fewer than "
                         "zero adverse events")
    today = today or date.today()
    rng = random.Random(seed)
    say = progress or (lambda _message: None)
    say(f"{patients} patients and their devices")
    people = _people(record, actor, patients, today, rng)
    say("outcome assessments")
    outcomes = _step(record, actor, OutcomeEntryRow, _outcomes(people, actor, today, rng),
                     AuditEvent.OUTCOME_RECORDED)
    say(f"{adverse_events} adverse events")
    events = _step(record, actor, AdverseEventRow,
                   _events(people, actor, adverse_events, today, rng),
                   AuditEvent.ADVERSE_EVENT_RECORDED)
    say("device logs")
    logged = [p for p in people[::LOGGED_EVERY] if p.implant <= today - timedelta(days=70)]
    entries = _step(record, actor, DeviceLogRow, _logs(logged, today),
                    AuditEvent.DEVICE_LOG_DOWNLOADED, devices=len(logged))
    return GeneratedClinic(patients, outcomes, events, len(logged), entries)


def _people(record: ClinicalRecord, actor: User, count: int, today: date,
            rng: random.Random) -> list[_Patient]:
    now = datetime.now(UTC)
    ids = [f"{ID_PREFIX}{n:05d}" for n in range(1, count + 1)]
    with transactions.write(record.engine) as tx:
        _insert(tx.session, PatientRow, ({"clinic_id": clinic_id, "created_at": now,
                                          "revision": 1} for clinic_id in ids))
        patient_ids = _ids(tx.session, PatientRow.id, PatientRow.clinic_id, ids)
        serials = [f"GEN{n:07d}" for n in range(1, count + 1)]
        implants = [today - timedelta(days=rng.randint(0, IMPLANT_SPREAD_DAYS))
                    for _ in ids]
        _insert(tx.session, DeviceRow, (
            {"serial": serial, "model": "MF-1", "firmware": "1.0.0", "implant_date": implant,
             "patient_id": patient_ids[clinic_id], "created_at": now, "revision": 1}
            for serial, implant, clinic_id in zip(serials, implants, ids, strict=True)))
        device_ids = _ids(tx.session, DeviceRow.id, DeviceRow.serial, serials)
        for event in (AuditEvent.PATIENT_ADDED, AuditEvent.DEVICE_REGISTERED):
            tx.audit(event, actor, {"generated": GENERATED, "count": count,
                                    "first": ids[0], "last": ids[-1]})
    return [_Patient(patient_ids[clinic_id], device_ids[serial], implant, rng.random(),
                     rng.uniform(-0.2, 0.8))
            for clinic_id, serial, implant in zip(ids, serials, implants, strict=True)]


def _ids(session: Session, id_column: Any, key_column: Any, keys: Sequence[str],
         ) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start:start + BATCH]
        found.update((key, row_id) for row_id, key in session.execute(
            select(id_column, key_column).where(key_column.in_(chunk))))
    return found


def _insert(session: Session, row_class: Any, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    while batch := list(islice(rows, BATCH)):
        session.execute(insert(row_class), batch)
        count += len(batch)
    return count


def _step(record: ClinicalRecord, actor: User, row_class: Any,
          rows: Iterator[dict[str, Any]], event: AuditEvent, **details: Any) -> int:
    """One kind of row in one transaction, with its one audit entry."""
    with transactions.write(record.engine) as tx:
        count = _insert(tx.session, row_class, rows)
        tx.audit(event, actor, {"generated": GENERATED, "count": count, **details})
    return count


def _outcomes(people: Sequence[_Patient], actor: User, today: date,
              rng: random.Random) -> Iterator[dict[str, Any]]:
    recorded = datetime.now(UTC)
    for patient in people:
        baseline_day = patient.implant - timedelta(days=rng.randint(7, 60))
        if rng.random() < 0.95:
            yield _assessment(patient, actor, Timepoint.BASELINE, baseline_day, 0.0,
                              recorded, rng)
        for point in FOLLOW_UPS:
            due = due_date(patient.implant, point)
            assert due is not None
            day = due + timedelta(days=rng.randint(0, WINDOW_DAYS[point]))
            if day <= today and rng.random() < COLLECTED_P:
                months = (day - patient.implant).days / 30.4
                relief = patient.response * min(1.0, months / 12)
                yield _assessment(patient, actor, point, day, relief, recorded, rng)


def _assessment(patient: _Patient, actor: User, point: Timepoint, day: date, relief: float,
                recorded: datetime, rng: random.Random) -> dict[str, Any]:
    """One entry's columns: pain and disability reduced by ``relief`` (0–1) of baseline."""
    level = (0.35 + 0.4 * patient.severity) * (1 - relief)  # 0–1 disability
    nrs = _within(round(10 * level + 1.5 + rng.gauss(0, 0.7)), 0, 10)
    items = [str(_within(round(5 * level + rng.gauss(0, 0.8)), 0, 5)) for _ in range(10)]
    for _ in range(rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 1, 3))):  # sections not answered
        items[rng.randrange(10)] = "-"
    eq5d = "".join(str(_within(round(1 + 4 * level + rng.gauss(0, 0.6)), 1, 5))
                   for _ in range(5))
    pgic = None if point is Timepoint.BASELINE else _within(
        round(4 - 4 * relief + rng.gauss(0, 0.8)), 1, 7)
    return {"patient_id": patient.id, "timepoint": point.value, "collected_on": day,
            "nrs": nrs, "odi_items": "".join(items), "eq5d": eq5d,
            "eq_vas": _within(round(100 * (1 - level) + rng.gauss(0, 8)), 0, 100),
            "pgic": pgic, "analgesics": rng.choice(list(AnalgesicUse)).value,
            "work_status": rng.choice(list(WorkStatus)).value, "recorded_at": recorded,
            "actor_id": actor.id, "visit_id": None, "amends_id": None, "amend_reason": None,
            "withdrawn": False}


def _within(value: int, low: int, high: int) -> int:
    """A generated value kept on its scale (generation only; entries are never clamped)."""
    return max(low, min(high, value))


_CATEGORY_WEIGHTS = {category: 1 for category in EventCategory} | {
    EventCategory.PROCEDURE_RELATED: 6, EventCategory.LEAD_MIGRATION: 5,
    EventCategory.WOUND_INFECTION: 4, EventCategory.UNDESIRED_SENSATION: 6,
    EventCategory.SURGICAL_SITE_PAIN: 6, EventCategory.INADEQUATE_STIMULATION: 4,
    EventCategory.MUSCLE_FATIGUE: 3, EventCategory.EXPLANT: 2}


def _events(people: Sequence[_Patient], actor: User, count: int, today: date,
            rng: random.Random) -> Iterator[dict[str, Any]]:
    recorded = datetime.now(UTC)
    categories = list(_CATEGORY_WEIGHTS)
    weights = list(_CATEGORY_WEIGHTS.values())
    for _ in range(count):
        patient = rng.choice(people)
        category = rng.choices(categories, weights)[0]
        action = (EventAction.EXPLANT if category is EventCategory.EXPLANT else
                  rng.choices(list(EventAction), (70, 15, 11, 4))[0])
        explant = action is EventAction.EXPLANT
        onset = patient.implant + timedelta(days=rng.randint(0, (today - patient.implant).days))
        resolved = onset + timedelta(days=rng.randint(1, 90)) if rng.random() < 0.6 else None
        serious = rng.random() < 0.15 or explant
        yield {"patient_id": patient.id, "device_id": patient.device_id,
               "category": category.value, "onset_on": onset, "serious": serious,
               "related": rng.choice(list(Relatedness)).value, "action": action.value,
               "explant_reason": rng.choice(list(ExplantReason)).value if explant else None,
               "resolved_on": resolved if resolved is not None and resolved <= today else None,
               "yellow_card": f"YC{rng.randint(100000, 999999)}" if serious else None,
               "notes": None, "recorded_at": recorded, "actor_id": actor.id, "visit_id": None,
               "amends_id": None, "amend_reason": None, "withdrawn": False}


def _logs(logged: Sequence[_Patient], today: date) -> Iterator[dict[str, Any]]:
    """Each logged device's history up to today's local midnight, downloaded now."""
    now = datetime.now(UTC)
    end = int(datetime.combine(today, time.min).timestamp())
    for patient in logged:
        history = generate_history(LOG_ENTRIES, end, patient.id, IMPLANT_PROGRAM.crc,
                                   IMPLANT_PROGRAM.session_min * 60)
        for index, (at, code, a, b, c) in enumerate(history):
            yield {"device_id": patient.device_id, "device_index": index,
                   "device_time": at, "code": int(code), "a": a, "b": b, "c": c,
                   "downloaded_at": now}
