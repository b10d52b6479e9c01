"""The one state the window words the device from, without Qt: each transition."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from console.programming.link_state import Link, ScreenState, device_sentence, screen_state
from console.programming.request import Consent, WriteRequest
from console.programming.screen_state import DEFAULT_PROGRAM, ProgrammingSession
from console.storage import Confirmation
from device_link.messages import Identity, Limits, Status
from device_link.protocol import DeviceState

IDENTITY = Identity(1, "EMU-IPG", "EMU-000001", "1.0.0", bytes(16), 2, 4, 4)
HELD = dataclasses.replace(DEFAULT_PROGRAM, session_min=40)


def status(state: DeviceState = DeviceState.IDLE) -> Status:
    return Status(int(state), 90, 3900, 0, 0xFF, 0, 1, 0, 0, 0, 0)


def connected_in_sync() -> ProgrammingSession:
    session = ProgrammingSession()
    session.attach(IDENTITY, Limits(), status())
    session.loaded_from_device(0, HELD)
    return session


def test_a_new_session_is_disconnected_with_nothing_unwritten():
    session = ProgrammingSession()
    assert session.state is ScreenState.DISCONNECTED
    assert not session.unwritten_changes


def test_a_read_back_equal_to_the_draft_is_in_sync_and_an_edit_is_not():
    session = connected_in_sync()
    assert session.state is ScreenState.IN_SYNC
    assert not session.unwritten_changes
    session.set_draft(dataclasses.replace(HELD, frequency_hz=25))
    assert session.state is ScreenState.EDITED
    assert session.unwritten_changes
    session.set_draft(HELD)
    assert session.state is ScreenState.IN_SYNC


def test_a_slot_whose_content_is_unknown_is_not_in_sync():
    session = connected_in_sync()
    session.forget_slot(2)
    assert session.slot == 2 and session.device_program is None
    assert session.state is ScreenState.EDITED


def test_a_chosen_disconnect_and_a_lost_link_are_told_apart():
    session = connected_in_sync()
    session.detach()
    assert session.state is ScreenState.DISCONNECTED and session.link is Link.DISCONNECTED
    session.attach(IDENTITY, Limits(), status())
    session.detach(lost=True)
    assert session.state is ScreenState.LINK_LOST
    session.attach(IDENTITY, Limits(), status())
    assert session.link is Link.CONNECTED


def test_edits_survive_a_disconnect_as_unwritten_changes():
    session = connected_in_sync()
    session.set_draft(dataclasses.replace(HELD, on_s=Decimal("12.0")))
    session.detach()
    assert session.unwritten_changes
    assert session.state is ScreenState.DISCONNECTED, "no claim of a difference offline"


def test_an_unconfirmed_write_outweighs_everything_until_its_slot_is_read():
    session = connected_in_sync()
    session.write_unconfirmed(0, "link lost mid-write")
    assert session.state is ScreenState.OUTCOME_UNKNOWN
    session.detach(lost=True)
    assert session.state is ScreenState.OUTCOME_UNKNOWN
    session.attach(IDENTITY, Limits(), status())
    session.loaded_from_device(1, HELD)
    assert session.state is ScreenState.OUTCOME_UNKNOWN, "another slot settles nothing"
    session.loaded_from_device(0, HELD)
    assert session.state is ScreenState.IN_SYNC


def test_a_verified_write_settles_an_unknown_outcome_of_its_slot():
    session = connected_in_sync()
    session.write_unconfirmed(0, "no answer")
    session.applied(0, HELD)
    assert session.state is ScreenState.IN_SYNC


def test_an_unconfirmed_stop_lasts_until_the_device_reports_idle():
    session = connected_in_sync()
    session.update_status(status(DeviceState.TEST_STIM))
    session.stop_unconfirmed("no answer to STOP")
    assert session.state is ScreenState.OUTCOME_UNKNOWN
    assert "STOP" in device_sentence(session.state, session.unconfirmed)
    session.update_status(status(DeviceState.TEST_STIM))
    assert session.state is ScreenState.OUTCOME_UNKNOWN
    session.update_status(status(DeviceState.IDLE))
    assert session.state is ScreenState.IN_SYNC


def test_precedence_of_the_states():
    assert screen_state(Link.CONNECTED, None, False) is ScreenState.IN_SYNC
    assert screen_state(Link.CONNECTED, None, True) is ScreenState.EDITED
    assert screen_state(Link.DISCONNECTED, None, True) is ScreenState.DISCONNECTED
    assert screen_state(Link.LOST, None, False) is ScreenState.LINK_LOST


def test_every_state_has_its_own_sentence():
    sentences = {device_sentence(state) for state in ScreenState}
    assert len(sentences) == len(ScreenState)
    assert "Disconnected" in device_sentence(ScreenState.DISCONNECTED)
    assert "Link lost" in device_sentence(ScreenState.LINK_LOST)


def test_a_restored_draft_offers_its_recorded_consent_only_while_unchanged():
    session = connected_in_sync()
    consent = Consent.to((), "agreed at restore")
    restored = dataclasses.replace(HELD, frequency_hz=30)
    session.restore(7, 0, restored, consent)
    assert session.version_to_write(0) == (7, None)
    assert session.restored_consent(0) is consent
    assert session.restored_consent(1) is None
    session.set_draft(dataclasses.replace(restored, frequency_hz=31))
    assert session.restored_consent(0) is None
    assert session.version_to_write(0) == (None, 7)


def test_a_restored_draft_written_with_its_recorded_confirmations_is_that_version():
    agreed = (Confirmation("soft_maximum", "10.5 mA is above the soft maximum", "tolerated"),)
    request = WriteRequest(HELD, 0, restored=(7, None), recorded=agreed)
    assert request.versions(agreed) == (7, None)
    assert request.versions(()) == (7, None)
    other = (Confirmation("soft_maximum", "10.5 mA is above the soft maximum", "new reason"),)
    assert request.versions(other) == (None, 7)


def test_a_restored_draft_outlives_a_lost_link_to_the_same_device_only():
    session = connected_in_sync()
    session.restore(7, 0, HELD)
    session.detach(lost=True)
    session.attach(IDENTITY, Limits(), status())
    assert session.version_to_write(0) == (7, None)
    session.detach()
    session.attach(dataclasses.replace(IDENTITY, serial="EMU-000002"), Limits(), status())
    assert session.version_to_write(0) == (None, None)
