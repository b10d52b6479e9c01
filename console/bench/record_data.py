"""A synthetic clinic for the record benchmark, bulk-loaded fast.

Rows go in with explicit ids in one transaction: COPY on PostgreSQL, batched
executemany on SQLite. The audit entries form a real chain (hashed exactly as
the console hashes them), so ``audit verify`` has real work to do.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.engine import Connection, Engine

from console.audit.chain import GENESIS_HASH, canonical_details, entry_hash, format_time
from console.bench.errors import BenchError
from console.programming.program import LeadProgram, Program
from console.storage.models import AuditHeadRow, Base, PatientRow, UserRow
from console.storage.programs import clinical_columns

SLOTS = 4
CLINICIANS = 20
BATCH = 20_000
_T0 = datetime(2020, 1, 1, tzinfo=UTC)
_EVENTS = ("login", "version_created", "program_written", "program_verified",
           "impedance_recorded", "test_stimulation", "stop", "device_log_downloaded")


@dataclass(frozen=True, slots=True)
class Scale:
    patients: int
    versions: int
    audit: int


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _batches(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _copy(connection: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """PostgreSQL COPY: the fastest way in, row values adapted by psycopg."""
    columns = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    raw = connection.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Jsonb(row[c]) if c in json_columns else row.get(c)
                            for c in columns])


def bulk_insert(connection: Connection, name: str, rows: Iterable[dict[str, Any]]) -> None:
    table = _table(name)
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
        return
    for batch in _batches(rows):
        connection.execute(table.insert(), batch)


def _programs(rng: random.Random, count: int) -> list[tuple[bytes, int, dict[str, Any]]]:
    """A pool of valid programs: (record bytes, CRC, clinical columns)."""
    pool = []
    for _ in range(count):
        lead = LeadProgram(True, 0, rng.randint(1, 3), Decimal(rng.randint(5, 80)) / 10,
                           rng.choice((100, 150, 200, 250, 300)))
        program = Program((lead, LeadProgram.off() if rng.random() < 0.3 else lead),
                          rng.randint(10, 30), Decimal("0.5"), Decimal("0.5"),
                          Decimal(rng.randint(5, 10)), Decimal(rng.randint(10, 30)), 30)
        record = program.to_record()
        pool.append((record.encode(), record.crc, clinical_columns(program)))
    return pool


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _people(connection: Connection, scale: Scale) -> None:
    bulk_insert(connection, "users", ({
        "id": i, "username": "bench-admin" if i == 1 else f"bench-clinician-{i:02d}",
        "role": "admin" if i == 1 else "clinician", "password_hash": None, "disabled": False,
        "created_at": _T0, "revision": 1, "failed_sign_ins": 0, "locked_until": None}
        for i in range(1, CLINICIANS + 2)))
    bulk_insert(connection, "patients", ({
        "id": p, "clinic_id": f"B{p:06d}", "name": None, "date_of_birth": None,
        "created_at": _T0, "revision": 1} for p in range(1, scale.patients + 1)))
    bulk_insert(connection, "devices", ({
        "id": p, "serial": f"BS{p:07d}", "model": "MF-1", "firmware": "1.0.0",
        "implant_date": None, "patient_id": p, "created_at": _T0, "revision": 1}
        for p in range(1, scale.patients + 1)))


def _clinical(connection: Connection, scale: Scale, rng: random.Random) -> None:
    pool = _programs(rng, 256)
    versions: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    impedance: list[dict[str, Any]] = []
    version_id = 0
    for patient, count in enumerate(_spread(scale.versions, scale.patients), start=1):
        at = _T0 + timedelta(days=patient % 365)
        visit_id = len(visits) + 1
        visits.append({"id": visit_id, "patient_id": patient, "device_id": patient,
                       "kind": "implant", "operator_id": 2, "started_at": at,
                       "ended_at": at + timedelta(hours=2), "revision": 1})
        for lead in (0, 1):
            impedance.extend({"id": len(impedance) + 1, "device_id": patient,
                              "visit_id": visit_id, "measured_at": at, "lead": lead,
                              "electrode_a": e, "electrode_b": None,
                              "ohms": rng.randint(400, 900)} for e in range(4))
        latest: dict[int, int] = {}
        for n in range(count):
            version_id += 1
            at += timedelta(days=7)
            slot = n % SLOTS
            record, crc, columns = pool[rng.randrange(len(pool))]
            author = rng.randint(2, CLINICIANS + 1)
            versions.append({
                "id": version_id, "device_id": patient, "slot": slot,
                "slot_sequence": n // SLOTS + 1, "record": record, "record_crc": crc,
                "author_id": author, "created_at": at, "reason": "benchmark programming",
                "confirmations": [], "parent_id": latest.get(slot), "visit_id": None,
                **columns})
            latest[slot] = version_id
            for revision, status in enumerate(("draft", "written", "verified"), start=1):
                steps.append({"id": 3 * (version_id - 1) + revision, "version_id": version_id,
                              "revision": revision, "status": status,
                              "device_crc": None if revision == 1 else crc,
                              "at": at + timedelta(seconds=revision), "actor_id": author,
                              "detail": None})
    for name, rows in (("visits", visits), ("program_versions", versions),
                       ("program_status_events", steps),
                       ("impedance_measurements", impedance)):
        bulk_insert(connection, name, rows)


def _audit_rows(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    prev = GENESIS_HASH
    at = _T0
    for seq in range(1, count + 1):
        at += timedelta(milliseconds=rng.randint(1, 5000))
        stamp, event = format_time(at), _EVENTS[seq % len(_EVENTS)]
        actor = f"bench-clinician-{rng.randint(2, CLINICIANS + 1):02d}"
        details = canonical_details({"device": f"BS{rng.randint(1, 9999999):07d}",
                                     "version": seq // 3, "slot": seq % SLOTS})
        digest = entry_hash(prev, seq, stamp, event, actor, details)
        yield {"seq": seq, "at": stamp, "event": event, "actor": actor, "details": details,
               "prev_hash": prev, "hash": digest}
        prev = digest


def _audit(connection: Connection, count: int, rng: random.Random) -> None:
    last: dict[str, Any] = {"seq": 0, "hash": GENESIS_HASH}

    def remembering(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            last["seq"], last["hash"] = row["seq"], row["hash"]
            yield row

    bulk_insert(connection, "audit_entries", remembering(_audit_rows(count, rng)))
    connection.execute(AuditHeadRow.__table__.update().where(AuditHeadRow.id == 1).values(
        last_seq=last["seq"], last_hash=last["hash"]))


def _advance_sequences(connection: Connection) -> None:
    """After explicit ids, PostgreSQL's id sequences must continue past them."""
    if connection.dialect.name != "postgresql":
        return
    for name in ("users", "patients", "devices", "visits", "program_versions",
                 "program_status_events", "impedance_measurements"):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {name}))"))


def require_empty(engine: Engine) -> None:
    """The benchmark only fills a record with no patients, users or audit entries."""
    with engine.connect() as connection:
        used = (connection.execute(select(func.count()).select_from(UserRow)).scalar_one()
                or connection.execute(select(func.count()).select_from(PatientRow)).scalar_one()
                or connection.execute(select(AuditHeadRow.last_seq)).scalar_one())
    if used:
        raise BenchError("the benchmark needs an empty record: it would mix generated "
                         "patients with real ones")


def generate(engine: Engine, scale: Scale, *, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> None:
    """Fill an empty record with ``scale`` patients, versions and audit entries."""
    rng = random.Random(seed)
    steps: Sequence[tuple[str, Callable[[Connection], None]]] = (
        ("users, patients and devices", lambda c: _people(c, scale)),
        ("visits, program versions and impedance", lambda c: _clinical(c, scale, rng)),
        ("audit chain", lambda c: _audit(c, scale.audit, rng)),
        ("sequences", _advance_sequences),
    )
    with engine.begin() as connection:
        for label, step in steps:
            if progress is not None:
                progress(label)
            step(connection)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
