"""The record benchmark's generator and report, at a tiny scale (no durations are asserted)."""

from __future__ import annotations

import json
from decimal import Decimal

from argon2 import PasswordHasher

from console.accounts import Role, User
from console.audit import verify_chain
from console.cli.main import main
from console.programming.program import LeadProgram, Program
from console.storage import ClinicalRecord, InstallationKey


def test_bench_fills_an_empty_record_that_stays_usable(backend_url, capsys):
    code = main(["bench", "records", "--db", backend_url, "--patients", "5", "--versions", "37",
                 "--audit", "250", "--samples", "3", "--verify-runs", "1", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    report = json.loads(out)
    assert (report["patients"], report["versions"], report["audit_entries"]) == (5, 37, 250)
    assert report["timeline_median_ms"] > 0 and report["verify_entries_per_s"] > 0

    record = ClinicalRecord.open(backend_url, installation_key=InstallationKey(bytes(32)),
                                 password_hasher=PasswordHasher(time_cost=1, memory_cost=1024,
                                                                parallelism=1))
    doc = User(2, "bench-clinician-02", Role.CLINICIAN)
    assert verify_chain(record.engine).entries == 250
    assert len(record.list_versions(doc)) == 37
    timeline = record.timeline(doc, "B000001")
    assert len(timeline.versions) == 8 and all(v.status == "verified" for v in timeline.versions)
    assert len(timeline.impedance) == 8
    # The console keeps working on a generated record: ids continue, the chain extends.
    record.add_patient(doc, "P-after-bench")
    latest = record.latest_version(doc, "BS0000001", 0)
    prog = Program((LeadProgram(True, 0, 1, Decimal(2), 200), LeadProgram.off()), 20,
                   Decimal(0), Decimal(0), Decimal(5), Decimal(10), 30)
    record.create_program_version(doc, "BS0000001", 0, prog, reason="after the benchmark",
                                  expected_latest=latest.id)
    assert verify_chain(record.engine).entries == 252
    record.close()


def test_bench_refuses_a_record_that_holds_data(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    record = ClinicalRecord.open(url, password_hasher=PasswordHasher(time_cost=1,
                                                                     memory_cost=1024,
                                                                     parallelism=1))
    record.add_user(None, "admin", "admin", "admin password 1")
    record.close()
    code = main(["bench", "records", "--db", url, "--patients", "2", "--versions", "2",
                 "--audit", "2", "--samples", "1", "--verify-runs", "1"])
    _, err = capsys.readouterr()
    assert code == 1 and "needs an empty record" in err

