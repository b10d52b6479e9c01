"""What the device arrived with, against the emulator: every slot read, each program the
record does not hold recorded once per visit as found on arrival, with its CRC."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from console.device.arrival import read_arrival
from console.device.record_keeper import RecordKeeper
from console.emulation.demo import DemoEnvironment
from console.storage import VersionStatus, VisitKind
from console.storage.programs import FOUND_REASON, found_on_arrival
from device_link.client import DeviceClient
from device_link.emulator.program_requests import IMPLANT_PROGRAM
from device_link.program_record import ProgramRecord

SLOT_2_PROGRAM = dataclasses.replace(IMPLANT_PROGRAM, freq_hz=25)


@pytest.fixture
def demo() -> Iterator[DemoEnvironment]:
    environment = DemoEnvironment.start()
    yield environment
    environment.close()


def connect(demo: DemoEnvironment) -> DeviceClient:
    return DeviceClient.connect(demo.emulator.port, demo.record.key_store())


def keeper(demo: DemoEnvironment, visit_id: int | None) -> RecordKeeper:
    return RecordKeeper(demo.record, demo.user, visit_id=visit_id)


def versions(demo: DemoEnvironment):
    return demo.record.list_versions(demo.user, device_serial=demo.emulator.config.serial)


def new_visit(demo: DemoEnvironment) -> int:
    return demo.record.start_visit(demo.user, demo.patient_clinic_id, VisitKind.FOLLOW_UP).id


def put_unrecorded(demo: DemoEnvironment, slot: int, program: ProgramRecord) -> None:
    """A program written without this record: another clinic, or the factory."""
    with connect(demo) as client:
        client.apply_program(slot, program.encode())


def test_every_slot_is_read_and_each_program_recorded_as_found_with_its_crc(demo):
    put_unrecorded(demo, 2, SLOT_2_PROGRAM)
    with connect(demo) as client:
        arrival = read_arrival(client, keeper(demo, demo.visit_id))
        slot_count = client.identity.program_slots
    assert [s.slot for s in arrival.slots] == list(range(slot_count))
    assert [s.crc for s in arrival.slots] == [IMPLANT_PROGRAM.crc, None, SLOT_2_PROGRAM.crc,
                                              None]
    found = versions(demo)
    assert [(v.slot, v.record, v.record_crc) for v in found] == [
        (0, IMPLANT_PROGRAM, IMPLANT_PROGRAM.crc), (2, SLOT_2_PROGRAM, SLOT_2_PROGRAM.crc)]
    for version in found:
        assert found_on_arrival(version)
        assert version.status is VersionStatus.VERIFIED
        assert [step.status for step in version.history] == [VersionStatus.VERIFIED]
        assert version.device_crc == version.record_crc
        assert version.reason == FOUND_REASON
        assert version.visit_id == demo.visit_id
    assert arrival.recorded == tuple(found)
    assert arrival.complete
    assert "slot 1 empty" in arrival.sentence()


def test_a_reconnection_in_the_same_visit_records_nothing_again(demo):
    with connect(demo) as client:
        first = read_arrival(client, keeper(demo, demo.visit_id))
    with connect(demo) as client:
        again = read_arrival(client, keeper(demo, demo.visit_id))
    assert len(first.recorded) == 1
    assert again.recorded == ()
    assert len(versions(demo)) == 1
    assert "as the record holds it" in again.sentence()


def test_a_program_this_record_wrote_and_verified_is_not_recorded_as_found(demo):
    written = dataclasses.replace(IMPLANT_PROGRAM, freq_hz=30)
    with connect(demo) as client:
        keeper(demo, demo.visit_id).write_program(client, 0, written, reason="titrated",
                                                  expected_latest=None)
    with connect(demo) as client:
        arrival = read_arrival(client, keeper(demo, new_visit(demo)))
    assert arrival.recorded == ()
    assert [found_on_arrival(v) for v in versions(demo)] == [False]


def test_a_program_changed_outside_the_record_is_found_at_the_next_visit(demo):
    with connect(demo) as client:
        read_arrival(client, keeper(demo, demo.visit_id))
    put_unrecorded(demo, 0, SLOT_2_PROGRAM)
    next_visit = new_visit(demo)
    with connect(demo) as client:
        arrival = read_arrival(client, keeper(demo, next_visit))
    assert [(v.slot, v.record, v.visit_id) for v in arrival.recorded] == [
        (0, SLOT_2_PROGRAM, next_visit)]
    assert [v.record for v in versions(demo)] == [IMPLANT_PROGRAM, SLOT_2_PROGRAM]


def test_without_a_visit_nothing_is_read_or_recorded(demo):
    with connect(demo) as client, pytest.raises(ValueError, match="within a visit"):
        read_arrival(client, keeper(demo, None))
    assert versions(demo) == []


def test_an_ended_visit_keeps_the_refusal_with_the_slot(demo):
    visit = next(v for v in demo.record.timeline(demo.user, demo.patient_clinic_id).visits
                 if v.id == demo.visit_id)
    demo.record.end_visit(demo.user, visit.id, expected_revision=visit.revision)
    with connect(demo) as client:
        arrival = read_arrival(client, keeper(demo, demo.visit_id))
    assert not arrival.complete
    assert "a closed visit takes no new entries" in (arrival.slots[0].problem or "")
    assert versions(demo) == []
