"""What the console knows of the leads between measurements: measured now, earlier, and
what the device flags. No device here: the rules themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.leads.integrity import LeadIntegrity, age_text
from console.programming.screen_state import ProgrammingSession
from console.safety import load_profile
from device_link.messages import Identity, ImpedanceRecord, Limits, Status
from device_link.protocol import FaultFlag

PROFILE = load_profile()
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
PAIRS = {0: (1, 2)}


def status(flags: int = 0) -> Status:
    return Status(0, 90, 3900, 0, 0xFF, 0, 1, flags, 0, 0, 0)


def rules(integrity: LeadIntegrity) -> list[str]:
    return [f.rule for f in integrity.findings(PAIRS, PROFILE, lambda lead: "cathode", NOW)]


def measured(ohms: int | None) -> LeadIntegrity:
    return LeadIntegrity().measured([ImpedanceRecord(0, 1, 2, ohms)], NOW)


def test_an_unmeasured_pair_is_measured_first_and_never_given_to_the_engine():
    integrity = LeadIntegrity()
    assert integrity.to_measure(PAIRS) == {0}
    assert integrity.engine_impedances(PAIRS) == {}
    assert rules(integrity) == ["impedance_to_measure"]


def test_a_reading_of_this_connection_counts_and_needs_no_new_measurement():
    integrity = measured(650)
    assert integrity.to_measure(PAIRS) == frozenset()
    assert integrity.engine_impedances(PAIRS) == {0: 650}
    assert rules(integrity) == []


def test_after_reconnecting_an_open_pair_stays_blocked_with_its_date_and_age():
    integrity = measured(None).reconnected()
    assert integrity.to_measure(PAIRS) == {0}
    [finding] = integrity.findings(PAIRS, PROFILE, lambda lead: "cathode",
                                   NOW + timedelta(minutes=3))
    assert finding.rule == "impedance_last_bad" and finding.severity == "block"
    assert "open circuit on" in finding.message and "3 min ago" in finding.message
    assert "an earlier connection" in finding.message


def test_a_sound_earlier_reading_is_only_a_note():
    assert rules(measured(650).reconnected()) == ["impedance_to_measure"]


def test_a_device_flag_blocks_the_lead_until_a_fresh_measurement():
    integrity = measured(650).device_status(status()).device_status(
        status(FaultFlag.LEAD0_IMPEDANCE))
    assert rules(integrity) == ["impedance_flagged"]
    assert integrity.engine_impedances(PAIRS) == {}
    # the same flag seen again does not undo a fresh measurement …
    fresh = integrity.measured([ImpedanceRecord(0, 1, 2, 700)], NOW)
    assert rules(fresh.device_status(status(FaultFlag.LEAD0_IMPEDANCE))) == []
    # … but a flag raised anew does
    cleared = fresh.device_status(status())
    assert rules(cleared.device_status(status(FaultFlag.LEAD0_IMPEDANCE))) == \
        ["impedance_flagged"]


def test_a_flag_of_the_other_lead_does_not_block_this_one():
    baseline = measured(650).device_status(status())
    assert rules(baseline.device_status(status(FaultFlag.LEAD1_IMPEDANCE))) == []


def test_the_session_keeps_knowledge_per_device():
    session = ProgrammingSession(PROFILE)
    identity = Identity(1, "EMU-IPG", "EMU-000001", "1.0.0", bytes(16), 2, 4, 4)
    session.attach(identity, Limits(), status())
    session.measured([ImpedanceRecord(0, 1, 2, None)], at=NOW)
    session.detach()
    session.attach(identity, Limits(), status())
    assert "impedance_last_bad" in {f.rule for f in session.assessment().blocks}
    session.detach()
    other = Identity(1, "EMU-IPG", "EMU-000002", "1.0.0", bytes(16), 2, 4, 4)
    session.attach(other, Limits(), status())
    assert session.integrity == LeadIntegrity()


def test_ages_are_said_in_the_largest_unit():
    assert age_text(NOW - timedelta(seconds=40), NOW) == "40 s ago"
    assert age_text(NOW - timedelta(hours=5), NOW) == "5 h ago"
    assert age_text(NOW - timedelta(days=1), NOW) == "1 day ago"
    assert age_text(NOW - timedelta(days=9), NOW) == "9 days ago"


def test_the_flag_a_measurement_itself_raises_is_not_news():
    """The device flags the lead from the very measurement that found it open: the flags
    read right after the run are its baseline, so the lead is judged by the reading."""
    integrity = LeadIntegrity().measured([ImpedanceRecord(0, 1, 2, None)], NOW,
                                         FaultFlag.LEAD0_IMPEDANCE)
    integrity = integrity.device_status(status(FaultFlag.LEAD0_IMPEDANCE))
    assert rules(integrity) == []  # judged by the engine from the reading: open
    assert integrity.engine_impedances(PAIRS) == {0: None}
    later = integrity.device_status(status()).device_status(status(FaultFlag.LEAD0_IMPEDANCE))
    assert rules(later) == ["impedance_flagged"]


def test_a_flag_raised_after_a_sound_measurement_is_news():
    integrity = LeadIntegrity().measured([ImpedanceRecord(0, 1, 2, 650)], NOW, 0)
    assert rules(integrity.device_status(status(FaultFlag.LEAD0_IMPEDANCE))) == \
        ["impedance_flagged"]
