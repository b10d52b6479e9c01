"""The audit chain: canonical content, the database's refusal to change it, and verification."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from console.audit import GENESIS_HASH, canonical_content, canonical_details, verify_chain
from console.audit import verify as verify_module
from console.storage import ClinicalRecord, ConflictError, InstallationKey
from console.storage.database import open_database
from tests.record_fixtures import FAST_HASHER

json_scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(
    allow_nan=False, allow_infinity=False)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


@given(seq=st.integers(1, 2**53), at=st.text(), event=st.text(), actor=st.none() | st.text(),
       details=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_canonical_content_is_sorted_compact_json_of_the_whole_entry(seq, at, event, actor,
                                                                    details):
    entry = {"seq": seq, "at": at, "event": event, "actor": actor, "details": details}
    expected = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert canonical_content(seq, at, event, actor, canonical_details(details)) == expected


def open_record(url: str) -> ClinicalRecord:
    return ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                               installation_key=InstallationKey(bytes(32)))


@pytest.fixture()
def record(backend_url):
    rec = open_record(backend_url)
    yield rec
    rec.close()


@pytest.fixture()
def filled(record):
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    for n in range(9):
        record.audit("note", admin, {"n": n, "text": f"entry {n}"})
    return record  # 10 entries: user_added and nine notes


def _tamper(record, *statements: str) -> None:
    """Bypass the append-only triggers, as someone with direct database access could."""
    with record.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
            connection.execute(text("DROP TRIGGER audit_entries_no_delete"))
        for statement in statements:
            connection.execute(text(statement))


def test_an_intact_chain_verifies_and_reports_its_head(filled):
    result = verify_chain(filled.engine)
    assert (result.ok, result.entries, result.broken_at) == (True, 10, None)
    with filled.engine.connect() as connection:
        assert result.head_hash == connection.execute(
            text("SELECT hash FROM audit_entries WHERE seq = 10")).scalar()


def test_the_first_hash_chains_from_genesis(filled):
    with filled.engine.connect() as connection:
        seq, at, event, actor, details, prev, digest = connection.execute(text(
            "SELECT seq, at, event, actor, details, prev_hash, hash FROM audit_entries "
            "WHERE seq = 1")).one()
    assert bytes(prev) == GENESIS_HASH
    assert bytes(digest) == hashlib.sha256(
        GENESIS_HASH + canonical_content(seq, at, event, actor, details)).digest()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET details = '{}' WHERE seq = 3",
    "DELETE FROM audit_entries WHERE seq = 3",
])
def test_the_database_refuses_to_change_the_audit_trail(filled, statement):
    with pytest.raises(Exception, match="append-only"), filled.engine.begin() as connection:
        connection.execute(text(statement))
    assert verify_chain(filled.engine).ok


def test_postgresql_refuses_truncate_too(postgres_url):
    engine = open_database(postgres_url)  # creates the record if the session has none yet
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("TRUNCATE audit_entries"))
    engine.dispose()


def test_a_changed_entry_is_named(filled):
    _tamper(filled, "UPDATE audit_entries SET details = '{\"text\":\"edited\"}' WHERE seq = 7")
    result = verify_chain(filled.engine)
    assert (result.ok, result.broken_at, result.problem) == (False, 7, "entry 7 was changed")


def test_a_non_ascii_edit_is_named_not_a_crash(filled):
    _tamper(filled, "UPDATE audit_entries SET details = '{\"text\":\"édité\"}' WHERE seq = 6")
    assert verify_chain(filled.engine).problem == "entry 6 was changed"


def test_a_changed_actor_is_named(filled):
    _tamper(filled, "UPDATE audit_entries SET actor = 'someone' WHERE seq = 2")
    assert verify_chain(filled.engine).broken_at == 2


def test_a_removed_entry_is_named(filled):
    _tamper(filled, "DELETE FROM audit_entries WHERE seq = 4")
    result = verify_chain(filled.engine)
    assert (result.broken_at, result.problem) == (4, "entry 4 is missing (the next entry is 5)")


def test_removed_last_entries_are_named(filled):
    _tamper(filled, "DELETE FROM audit_entries WHERE seq >= 9")
    result = verify_chain(filled.engine)
    assert (result.broken_at, result.problem) == (9, "entries 9 to 10 were removed")


def test_reordered_entries_are_named(filled):
    # Swap the contents of entries 5 and 6, keeping their sequence numbers.
    columns = "at, event, actor, details, prev_hash, hash"
    _tamper(filled,
            "CREATE TEMPORARY TABLE swap AS SELECT * FROM audit_entries WHERE seq IN (5, 6)",
            *(f"UPDATE audit_entries SET ({columns}) = (SELECT {columns} FROM swap "
              f"WHERE swap.seq = {other}) WHERE seq = {seq}" for seq, other in ((5, 6), (6, 5))))
    result = verify_chain(filled.engine)
    assert result.broken_at == 5 and "does not follow entry 4" in result.problem


def test_a_rewritten_chain_is_caught_at_the_head(filled):
    """Recomputing every hash after an edit still disagrees with the locked head row."""
    with filled.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT seq, at, event, actor, details FROM audit_entries ORDER BY seq")).all()
    prev, updates = GENESIS_HASH, []
    for seq, at, event, actor, details in rows:
        details = details.replace("entry 7", "entry 0") if seq == 9 else details
        digest = hashlib.sha256(prev + canonical_content(seq, at, event, actor,
                                                         details)).digest()
        updates.append((seq, details, prev, digest))
        prev = digest
    with filled.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
        for seq, details, prev_hash, digest in updates:
            connection.execute(text("UPDATE audit_entries SET details = :d, prev_hash = :p, "
                                    "hash = :h WHERE seq = :s"),
                               {"d": details, "p": prev_hash, "h": digest, "s": seq})
    result = verify_chain(filled.engine)
    assert result.problem == "the chain head does not match entry 10"


def test_verification_streams_in_batches(filled, monkeypatch):
    monkeypatch.setattr(verify_module, "BATCH_SIZE", 3)
    seen: list[int] = []
    assert verify_chain(filled.engine, progress=seen.append).ok
    assert seen == [3, 6, 9, 10]
    _tamper(filled, "UPDATE audit_entries SET event = 'x' WHERE seq = 8")
    assert verify_chain(filled.engine).broken_at == 8


def test_two_consoles_appending_at_once_never_fork_the_chain(backend_url):
    consoles = [open_record(backend_url) for _ in range(2)]
    admin = consoles[0].add_user(None, "admin", "admin", "admin password 1")
    start = threading.Barrier(4)

    def append_many(worker: int) -> None:
        console = consoles[worker % 2]
        start.wait(timeout=30)
        for n in range(25):
            console.audit("note", admin, {"worker": worker, "n": n})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(append_many, range(4)))
    result = verify_chain(consoles[1].engine)
    assert (result.ok, result.entries) == (True, 101)
    for console in consoles:
        console.close()


def test_two_consoles_recording_the_same_step_at_once_one_wins(backend_url):
    from decimal import Decimal

    from console.programming.program import LeadProgram, Program

    consoles = [open_record(backend_url) for _ in range(2)]
    admin = consoles[0].add_user(None, "admin", "admin", "admin password 1")
    doc = consoles[0].add_user(admin, "doc", "clinician", "doctor password 1")
    consoles[0].add_patient(doc, "P1")
    consoles[0].register_device(doc, "SN1", "MF-1", "1.0", patient_clinic_id="P1")
    prog = Program((LeadProgram(True, 0, 1, Decimal(2), 200), LeadProgram.off()), 20,
                   Decimal(0), Decimal(0), Decimal(5), Decimal(10), 30)
    draft = consoles[0].create_program_version(doc, "SN1", 0, prog, reason="a",
                                               expected_latest=None)
    start = threading.Barrier(2)

    def write(console: ClinicalRecord) -> str:
        start.wait(timeout=30)
        try:
            console.mark_written(doc, draft.id, draft.record_crc, expected_revision=1)
            return "won"
        except ConflictError:
            return "conflict"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(write, consoles))
    assert outcomes == ["conflict", "won"]
    assert consoles[1].version(doc, draft.id).revision == 2
    assert verify_chain(consoles[0].engine).ok
    for console in consoles:
        console.close()
