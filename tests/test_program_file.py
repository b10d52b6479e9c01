"""Program files (JSON and TOML): exact numbers, strict shape, errors naming file and field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.programming.program import LeadProgram, Program
from console.programming.program_file import (
    ProgramFileError,
    load_program,
    program_text,
    save_program,
)

D = Decimal

SAMPLE = {
    "leads": [
        {"enabled": True, "anode": 1, "cathode": 2, "amplitude_ma": 8.0, "pulse_width_us": 214},
        {"enabled": False, "anode": 0, "cathode": 0, "amplitude_ma": 0.0, "pulse_width_us": 0},
    ],
    "frequency_hz": 20, "ramp_up_s": 1.0, "ramp_down_s": 1.0, "on_s": 10.0, "off_s": 20.0,
    "session_min": 30,
}


def write(tmp_path, data, name="program.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_the_documented_json_format_loads(tmp_path):
    program = load_program(write(tmp_path, SAMPLE))
    assert program == Program((LeadProgram(True, 1, 2, D("8.0"), 214), LeadProgram.off()), 20,
                              D("1.0"), D("1.0"), D("10.0"), D("20.0"), 30)


def test_numbers_are_read_exactly_never_as_binary_floats(tmp_path):
    text = json.dumps(SAMPLE).replace('"amplitude_ma": 8.0', '"amplitude_ma": 8.05')
    program = load_program(write(tmp_path, text))
    assert program.leads[0].amplitude_ma == D("8.05")
    assert program.leads[0].amplitude_ma.as_tuple() == D("8.05").as_tuple()


def test_whole_numbers_are_accepted_where_decimals_are_expected(tmp_path):
    text = json.dumps(SAMPLE).replace('"on_s": 10.0', '"on_s": 10')
    assert load_program(write(tmp_path, text)).on_s == D(10)


def with_change(path: str, value) -> dict:
    data = json.loads(json.dumps(SAMPLE))
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(("data", "field", "problem"), [
    (with_change(["leads", 1, "amplitude_ma"], KeyError), "leads[1].amplitude_ma", "missing"),
    (with_change(["session_min"], KeyError), "session_min", "missing"),
    (with_change(["leads", 0, "colour"], "red"), "leads[0].colour", "unknown field"),
    (with_change(["slot"], 1), "slot", "unknown field"),
    (with_change(["leads", 1, "amplitude_ma"], "8.0"), "leads[1].amplitude_ma",
     "expected a number, got \"8.0\""),
    (with_change(["leads", 0, "pulse_width_us"], 214.5), "leads[0].pulse_width_us",
     "expected a whole number, got 214.5"),
    (with_change(["frequency_hz"], True), "frequency_hz", "expected a number, got true"),
    (with_change(["leads", 0, "enabled"], 1), "leads[0].enabled", "expected true or false, got 1"),
    (with_change(["leads", 0, "anode"], None), "leads[0].anode",
     "expected a whole number, got null"),
    (with_change(["leads"], SAMPLE["leads"] * 2), "leads",
     "expected exactly two leads (left, right), got 4"),
    (with_change(["leads"], SAMPLE["leads"][:1]), "leads", "got 1"),
    (with_change(["leads"], {"left": 1}), "leads", "got dict"),
    (with_change(["leads", 1], [1, 2]), "leads[1]", "expected an object"),
])
def test_errors_name_the_file_the_field_and_the_problem(tmp_path, data, field, problem):
    path = write(tmp_path, data)
    with pytest.raises(ProgramFileError) as caught:
        load_program(path)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{path}: {field}: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize(("text", "problem"), [
    ('{"leads": [', "not valid JSON (line 1 column"),
    ('[1, 2]', "expected an object with leads, frequency_hz"),
    (json.dumps(SAMPLE).replace("30}", "NaN}"), "NaN is not a number a program can hold"),
    (json.dumps(SAMPLE).replace('"session_min": 30', '"session_min": 30, "session_min": 31'),
     "session_min: appears twice"),
])
def test_malformed_json(tmp_path, text, problem):
    with pytest.raises(ProgramFileError, match=r"program\.json: ") as caught:
        load_program(write(tmp_path, text))
    assert problem in str(caught.value)


def test_file_type_and_readability(tmp_path):
    with pytest.raises(ProgramFileError, match=r"unknown file type '\.txt': use \.json or"):
        load_program(write(tmp_path, SAMPLE, "program.txt"))
    with pytest.raises(ProgramFileError, match="cannot read the file"):
        load_program(tmp_path / "absent.json")
    with pytest.raises(ProgramFileError, match="unknown file type"):
        save_program(load_program(write(tmp_path, SAMPLE)), tmp_path / "out.yaml")


def test_toml_is_read_with_the_same_rules(tmp_path):
    program = load_program(write(tmp_path, SAMPLE))
    path = tmp_path / "program.toml"
    path.write_text(program_text(program, ".toml"))
    assert load_program(path) == program
    path.write_text(program_text(program, ".toml").replace("anode = 1", "anode = 1.5"))
    with pytest.raises(ProgramFileError, match=r"leads\[0\]\.anode: expected a whole number"):
        load_program(path)
    path.write_text("on_s = [")
    with pytest.raises(ProgramFileError, match="not valid TOML"):
        load_program(path)


def test_the_saved_json_is_the_documented_format(tmp_path):
    program = load_program(write(tmp_path, SAMPLE))
    save_program(program, tmp_path / "saved.json")
    assert json.loads((tmp_path / "saved.json").read_text()) == SAMPLE


decimals_ma = st.integers(0, 30000).map(lambda ua: D(ua).scaleb(-3))
decimals_s = st.integers(-20, 2000).map(lambda cs: D(cs).scaleb(-2))
lead_programs = st.builds(LeadProgram, st.booleans(), st.integers(-2, 9), st.integers(-2, 9),
                          decimals_ma, st.integers(0, 700))
programs = st.builds(Program, st.tuples(lead_programs, lead_programs), st.integers(0, 300),
                     decimals_s, decimals_s, decimals_s, decimals_s, st.integers(-5, 100))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs, st.sampled_from([".json", ".toml"]))
def test_save_then_load_round_trips(tmp_path, program, suffix):
    path = tmp_path / f"round{suffix}"
    save_program(program, path)
    assert load_program(path) == program
