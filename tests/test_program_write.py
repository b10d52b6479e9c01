"""The console's program write sequence, without Qt, against the emulator as its own process:
what it measures, what it refuses before sending, and what it says when the link fails."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from console.programming.program import LeadProgram, Program
from console.programming.request import Consent, WriteRequest
from console.programming.result import Ending
from console.programming.write import write_and_verify
from console.safety import SafetyEngine
from console.storage import ClinicalRecord, VersionStatus
from device_link.client import DeviceClient
from device_link.keystore import KeyFileStore
from tests.emulator_harness import EmulatorProcess


def program(amplitude: str) -> Program:
    """The left pair E0–E1 at ``amplitude`` mA, the right lead off."""
    return Program((LeadProgram(True, 0, 1, Decimal(amplitude), 100), LeadProgram.off()),
                   20, Decimal("0.5"), Decimal("0.5"), Decimal(5), Decimal(10), 30)


@pytest.fixture
def client(emulator: EmulatorProcess, key_file: Path) -> Iterator[DeviceClient]:
    with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as connected:
        yield connected


def engine_for(client: DeviceClient) -> SafetyEngine:
    assert client.limits is not None and client.identity is not None
    return SafetyEngine(client.limits, electrodes_per_lead=client.identity.electrodes_per_lead)


def received(emulator: EmulatorProcess, mark: int) -> list[str]:
    return [e["opcode"] for e in emulator.control.trace(since=mark)["entries"]
            if e["dir"] == "rx" and e["opcode"]]


def slots(emulator: EmulatorProcess) -> dict[int, str]:
    return {s["slot"]: s["program"] for s in emulator.control.programs()["slots"]}


def test_a_program_blocked_on_its_own_values_costs_no_measurement(emulator, client):
    before, mark = slots(emulator), emulator.control.trace()["next"]
    result = write_and_verify(client, engine_for(client), WriteRequest(program("30.0"), 0),
                              None)
    assert result.ending is Ending.BLOCKED and result.reasons
    assert result.check is None
    assert not {"MEASURE_IMPEDANCE", "WRITE_PROGRAM"} & set(received(emulator, mark))
    assert slots(emulator) == before


def test_a_finding_not_agreed_to_is_refused_before_measuring(emulator, client):
    mark = emulator.control.trace()["next"]
    request = WriteRequest(program("10.5"), 0, Consent.to_every_finding("  "))
    result = write_and_verify(client, engine_for(client), request, None)
    assert result.ending is Ending.NEEDS_CONFIRMATION
    assert any("soft maximum" in reason for reason in result.reasons)
    assert "MEASURE_IMPEDANCE" not in received(emulator, mark)


def test_an_open_pair_found_by_the_measurement_blocks_and_writes_nothing(
        emulator, client, keeper):
    emulator.control.inject_open(0, 1)
    before, mark = slots(emulator), emulator.control.trace()["next"]
    result = write_and_verify(client, engine_for(client),
                              WriteRequest(program("2.5"), 0, reason="first"), keeper)
    assert result.ending is Ending.BLOCKED
    assert any("open circuit" in reason for reason in result.reasons)
    assert result.check is not None and result.check.measured
    assert "open circuit (open)" in result.check.summary()
    opcodes = received(emulator, mark)
    assert "MEASURE_IMPEDANCE" in opcodes and "WRITE_PROGRAM" not in opcodes
    assert slots(emulator) == before
    assert client.identity is not None
    stored = keeper.record.impedance_history(keeper.actor, client.identity.serial)
    assert len(stored) == len(result.check.records)  # the finding is kept in the record
    assert keeper.record.list_versions(keeper.actor) == []


def test_a_recorded_write_measures_first_and_keeps_the_agreement_with_the_version(
        emulator, client, keeper):
    mark = emulator.control.trace()["next"]
    request = WriteRequest(program("10.5"), 0, Consent.to_every_finding("tolerated"),
                           reason="stronger contraction")
    result = write_and_verify(client, engine_for(client), request, keeper)
    assert result.ending is Ending.VERIFIED and not result.device_unknown
    assert result.held() == program("10.5")
    opcodes = received(emulator, mark)
    assert opcodes.index("MEASURE_IMPEDANCE") < opcodes.index("WRITE_PROGRAM")
    version = result.version
    assert version is not None and version.status is VersionStatus.VERIFIED
    assert result.applied is not None and version.record_crc == result.applied.crc
    assert [(c.finding, c.reason) for c in version.confirmations] == [
        ("soft_maximum", "tolerated")]


def test_pairs_measured_on_this_connection_are_not_measured_again(emulator, client):
    first = write_and_verify(client, engine_for(client), WriteRequest(program("2.5"), 0), None)
    assert first.ending is Ending.VERIFIED and first.check is not None
    assert first.version is None  # no record: proven by the read-back alone
    mark = emulator.control.trace()["next"]
    again = write_and_verify(client, engine_for(client), WriteRequest(program("3.0"), 1),
                             None, first.check.integrity)
    assert again.ending is Ending.VERIFIED
    assert again.check is not None and not again.check.measured
    assert "MEASURE_IMPEDANCE" not in received(emulator, mark)


def test_a_reply_lost_after_the_draft_is_an_unknown_outcome_recorded_unconfirmed(
        emulator, client, keeper, monkeypatch):
    original = ClinicalRecord.create_program_version

    def then_silence(self, *args, **kwargs):
        created = original(self, *args, **kwargs)
        emulator.control.set_link_faults(drop_rate=1.0, direction="tx")
        return created

    monkeypatch.setattr(ClinicalRecord, "create_program_version", then_silence)
    result = write_and_verify(client, engine_for(client),
                              WriteRequest(program("2.5"), 0, reason="first"), keeper)
    assert result.ending is Ending.OUTCOME_UNKNOWN and result.device_unknown
    assert "reconnect and read slot 0" in result.detail
    [version] = keeper.record.list_versions(keeper.actor)
    assert version.status is VersionStatus.UNCONFIRMED


def test_a_reply_lost_without_a_record_is_an_unknown_outcome(emulator, client, monkeypatch):
    original = DeviceClient.write_program

    def replies_lost(self, slot, data):
        emulator.control.set_link_faults(drop_rate=1.0, direction="tx")
        return original(self, slot, data)

    monkeypatch.setattr(DeviceClient, "write_program", replies_lost)
    result = write_and_verify(client, engine_for(client), WriteRequest(program("2.5"), 0),
                              None)
    assert result.ending is Ending.OUTCOME_UNKNOWN and result.device_unknown
    assert result.detail.startswith("the link failed before the device confirmed the program")
    assert result.detail.endswith("outcome unknown, the device may hold the new program: "
                                  "reconnect and read slot 0")
