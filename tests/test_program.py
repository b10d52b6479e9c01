"""The clinical program model and its exact conversion to and from the MFL/1 record."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.programming.program import (
    PROGRAM_FIELDS,
    TEST_STIMULUS_FIELDS,
    LeadProgram,
    NotRepresentable,
    Program,
    TestStimulus,
    field_info,
    scaled_integer,
)
from device_link.messages import Limits, TestStimStart
from device_link.program_record import LeadRecord, ProgramRecord, validate_program

LIMITS = Limits()
u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)


def sample_program(**changes) -> Program:
    left = LeadProgram(True, 1, 2, Decimal("8.0"), 214)
    right = LeadProgram(True, 0, 3, Decimal("6.5"), 300)
    base = Program((left, right), 20, Decimal("1.0"), Decimal("1.5"), Decimal("10.0"),
                   Decimal("20.0"), 30)
    return dataclasses.replace(base, **changes)


@st.composite
def lead_records(draw) -> LeadRecord:
    if not draw(st.booleans()):
        return LeadRecord()
    anode, cathode = draw(st.lists(st.integers(0, 3), min_size=2, max_size=2, unique=True))
    pw = draw(st.integers(LIMITS.pw_min_us, LIMITS.pw_max_us))
    max_amp_steps = min(LIMITS.amp_max_ua, LIMITS.max_charge_nc * 1000 // pw) // 100
    amp = draw(st.integers(0, max_amp_steps)) * LIMITS.amp_step_ua
    return LeadRecord(1, anode, cathode, amp, pw)


@st.composite
def valid_records(draw) -> ProgramRecord:
    leads = (draw(lead_records()), draw(lead_records()))
    if not any(lead.enabled for lead in leads):
        leads = (LeadRecord(1, 0, 1, 1000, 100), leads[1])
    up = draw(st.integers(0, LIMITS.ramp_max_ds))
    down = draw(st.integers(0, LIMITS.ramp_max_ds))
    on = draw(st.integers(max(LIMITS.on_min_ds, up + down), LIMITS.on_max_ds))
    return ProgramRecord(leads, draw(st.integers(LIMITS.freq_min_hz, LIMITS.freq_max_hz)),
                         up, down, on, draw(st.integers(LIMITS.off_min_ds, LIMITS.off_max_ds)),
                         draw(st.integers(LIMITS.session_min_min, LIMITS.session_max_min)))


@given(valid_records())
def test_every_valid_record_round_trips_byte_for_byte(record):
    raw = record.encode()
    validate_program(raw, LIMITS)  # the generator really produces device-valid records
    assert Program.from_record(ProgramRecord.decode(raw)).to_record().encode() == raw


@given(st.builds(LeadRecord, st.integers(0, 1), u8, u8, u16, u16), u8, u16, u16, u16, u16, u16)
def test_any_encodable_record_round_trips(lead, freq, up, down, on, off, session):
    leads = (lead if lead.enabled else LeadRecord(), LeadRecord(1, 0, 1, 0xFFFF, 0xFFFF))
    record = ProgramRecord(leads, freq, up, down, on, off, session)
    assert Program.from_record(record).to_record() == record


def test_clinical_units_of_a_record():
    record = ProgramRecord((LeadRecord(1, 1, 2, 8050, 214), LeadRecord()), 20, 10, 15, 100,
                           200, 30)
    program = Program.from_record(record)
    assert program.leads[0].amplitude_ma == Decimal("8.05")
    assert program.ramp_down_s == Decimal("1.5")
    assert program.on_s == Decimal("10")
    assert str(program.leads[0].amplitude_ma) == "8.05"
    assert str(program.on_s) == "10.0"
    assert program.leads[1] == LeadProgram.off()


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"on_s": Decimal("10.05")}, "on_s", "0.1 s"),
    ({"ramp_up_s": Decimal("0.01")}, "ramp_up_s", "0.1 s"),
    ({"off_s": Decimal("-1")}, "off_s", "range"),
    ({"session_min": 70000}, "session_min", "range"),
    ({"frequency_hz": 256}, "frequency_hz", "range"),
])
def test_unencodable_timing_raises_naming_the_field(changes, field, reason):
    with pytest.raises(NotRepresentable) as caught:
        sample_program(**changes).to_record()
    assert caught.value.field == field
    assert reason in str(caught.value)
    assert str(changes[field]) in str(caught.value)


@pytest.mark.parametrize(("amplitude", "message"), [
    (Decimal("8.0505"), "left.amplitude_ma = 8.0505: not a whole number of µA"),
    (Decimal("8.0001"), "left.amplitude_ma = 8.0001: not a whole number of µA"),
    (Decimal("65.536"), "left.amplitude_ma = 65.536: outside the encodable range 0..65535 µA"),
    (Decimal("-0.1"), "left.amplitude_ma = -0.1: outside the encodable range"),
])
def test_unencodable_amplitude_raises_never_rounds(amplitude, message):
    left = LeadProgram(True, 1, 2, amplitude, 214)
    with pytest.raises(NotRepresentable, match="^" + message):
        sample_program(leads=(left, LeadProgram.off())).to_record()


def test_an_off_step_but_whole_microamp_amplitude_still_encodes_exactly():
    left = LeadProgram(True, 1, 2, Decimal("8.05"), 214)
    assert sample_program(leads=(left, LeadProgram.off())).to_record().leads[0].amp_ua == 8050


def test_a_disabled_lead_is_zero_in_the_record():
    parked = LeadProgram(False, 2, 3, Decimal("9.0"), 250)
    record = sample_program(leads=(parked, LeadProgram(True, 0, 1, Decimal(1), 100))).to_record()
    assert record.leads[0] == LeadRecord()
    assert record.encode()[:8] == bytes(8)


@pytest.mark.parametrize("record", [
    ProgramRecord((LeadRecord(2, 0, 1, 0, 100), LeadRecord()), 20, 0, 0, 10, 10, 1),
    ProgramRecord((LeadRecord(0, 0, 1, 0, 0), LeadRecord()), 20, 0, 0, 10, 10, 1),
    ProgramRecord((LeadRecord(1, 0, 1, 0, 100, reserved=1), LeadRecord()), 20, 0, 0, 10, 10, 1),
    ProgramRecord((LeadRecord(1, 0, 1, 0, 100), LeadRecord()), 20, 0, 0, 10, 10, 1, reserved=3),
])
def test_records_no_device_would_store_are_refused(record):
    with pytest.raises(NotRepresentable):
        Program.from_record(record)


def test_float_and_bool_values_are_refused_as_inexact_or_mistyped():
    with pytest.raises(TypeError, match="amplitude_ma"):
        LeadProgram(True, 1, 2, 8.05, 214)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pulse_width_us"):
        LeadProgram(True, 1, 2, Decimal(8), True)
    with pytest.raises(TypeError, match="enabled"):
        LeadProgram(1, 1, 2, Decimal(8), 214)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        sample_program(on_s=Decimal("NaN"))
    with pytest.raises(TypeError, match="two LeadProgram"):
        sample_program(leads=(LeadProgram.off(),))


def test_ints_and_strings_become_exact_decimals():
    lead = LeadProgram(True, 1, 2, "8.05", 214)  # type: ignore[arg-type]
    assert lead.amplitude_ma == Decimal("8.05")
    assert isinstance(sample_program(on_s=10).on_s, Decimal)  # type: ignore[arg-type]


def test_fields_have_stable_names_labels_and_units():
    program = sample_program()
    values = program.as_fields()
    assert list(values) == list(PROGRAM_FIELDS)
    assert values["left.amplitude_ma"] == Decimal("8.0")
    assert values["right.pulse_width_us"] == 300
    assert values["ramp_down_s"] == Decimal("1.5")
    assert field_info("left.amplitude_ma").unit == "mA"
    assert field_info("left.amplitude_ma").format(Decimal("8.0")) == "8.0 mA"
    assert field_info("right.enabled").format(False) == "off"
    assert field_info("session_min").label == "Session length"
    assert field_info("duration_s").unit == "s"
    with pytest.raises(KeyError):
        field_info("left.charge")


def test_from_fields_inverts_as_fields_and_refuses_incomplete_input():
    program = sample_program()
    assert Program.from_fields(program.as_fields()) == program
    partial = program.as_fields()
    del partial["off_s"]
    with pytest.raises(KeyError, match="off_s"):
        Program.from_fields(partial)
    with pytest.raises(KeyError, match="colour"):
        Program.from_fields({**program.as_fields(), "colour": "red"})


@given(st.builds(TestStimStart, st.integers(0, 1), st.integers(0, 3), st.integers(0, 3), u8,
                 u16, u16, u16))
def test_test_stimulus_round_trips_through_the_request(request):
    stimulus = TestStimulus.from_request(request)
    assert stimulus.to_request() == request
    assert list(stimulus.as_fields()) == list(TEST_STIMULUS_FIELDS)


def test_test_stimulus_refuses_unencodable_amplitude():
    stimulus = TestStimulus(0, 1, 2, 20, 214, Decimal("0.5005"), 30)
    with pytest.raises(NotRepresentable, match="amplitude_ma"):
        stimulus.to_request()
    assert TestStimulus(0, 1, 2, 20, 214, Decimal("0.5"), 30).amplitude_record() == 500


@pytest.mark.parametrize(("value", "power", "expected"), [
    (Decimal("8.05"), 3, 8050),
    (Decimal("8.0505"), 3, None),
    (Decimal("1E+2"), 1, 1000),
    (Decimal("-0.3"), 1, -3),
    (Decimal("8.000000000000000000000000000001"), 3, None),
    (Decimal("0"), 3, 0),
])
def test_scaled_integer_is_exact(value, power, expected):
    assert scaled_integer(value, power) == expected
