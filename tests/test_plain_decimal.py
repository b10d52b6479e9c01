"""Clinical values are written in plain decimal everywhere: 100000 mA, never 1E+5 mA;
0.0 mA, never -0.0 mA.

``console.programming.program.plain`` is the one formatter; the properties below hold for it, for
every sentence of the safety engine whatever form an amplitude arrives in, and for the
command line's text and JSON output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from console.cli.output import print_json, print_pairs
from console.programming.program import (
    MAX_MAGNITUDE,
    MAX_PLACES,
    PROGRAM_FIELDS,
    LeadProgram,
    Program,
    plain,
)
from console.programming.program_file import program_text
from console.safety import SafetyEngine
from tests.emulator_harness import ROOT

D = Decimal
EXPONENT = re.compile(r"(?<![\w\\])\d+(\.\d*)?[eE][+-]?\d")
r"""A number in exponent form; not a contact name after a JSON escape (\u2013E2 is "–E2")."""
NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(\.0+)?(?![\d.])")


def decimals(max_exponent: int = 12) -> st.SearchStrategy[Decimal]:
    """Finite decimals in every written form: 1E+5, 100000, 8.050, -0.0, 0E-3 ..."""
    return st.builds(lambda sign, digits, exponent: Decimal((sign, digits, exponent)),
                     st.integers(0, 1), st.lists(st.integers(0, 9), min_size=1, max_size=8),
                     st.integers(-max_exponent, max_exponent))


def bounded_amplitudes() -> st.SearchStrategy[Decimal]:
    """Amplitudes a program may hold, written with exponents and signed zeros."""
    return decimals(MAX_PLACES).filter(
        lambda value: abs(value) <= MAX_MAGNITUDE and value.as_tuple().exponent >= -MAX_PLACES)


def assert_plain(text: str) -> None:
    assert not EXPONENT.search(text), text
    assert not NEGATIVE_ZERO.search(text), text


@given(decimals())
def test_plain_is_the_same_number_without_exponent_or_minus_zero(value):
    text = plain(value)
    assert Decimal(text) == value
    assert "e" not in text.lower()
    assert not (value.is_zero() and text.startswith("-"))
    exponent = value.as_tuple().exponent
    assert len(text.partition(".")[2]) == max(0, -exponent)  # the written places are kept


def test_plain_examples():
    assert [plain(D("1E+5")), plain(D("-0.0")), plain(D("8.050")), plain(D("-0.30")),
            plain(D("0E-3")), plain(7)] == ["100000", "0.0", "8.050", "-0.30", "0.000", "7"]


@settings(max_examples=150, deadline=None)
@given(amplitude=bounded_amplitudes(), width=st.sampled_from([1, 50, 214, 500, 1_000_000]),
       ohms=st.sampled_from([None, 0, 650, 5000, MAX_MAGNITUDE]))
def test_every_engine_sentence_writes_numbers_plainly(amplitude, width, ohms):
    left = LeadProgram(True, 1, 2, amplitude, width)
    right = LeadProgram(False, 1, 2, -amplitude, width)  # parked: its settings are quoted
    program = Program((left, right), 20, D("-0.0"), D("0E-1"), D("1E+1"), D("2E+1"), 30)
    assessment = SafetyEngine().check_program(program, None if ohms is None else {0: ohms})
    for finding in assessment.findings:
        assert_plain(finding.message)
    assert_plain(json.dumps(assessment.to_dict()))


@given(decimals(MAX_PLACES).filter(lambda value: abs(value) <= MAX_MAGNITUDE))
def test_field_format_is_plain(value):
    for name, info in PROGRAM_FIELDS.items():
        if not name.endswith("enabled"):
            assert info.format(value) == f"{plain(value)} {info.unit}".rstrip()
            assert_plain(info.format(value))


def test_program_files_are_written_plainly():
    lead = LeadProgram(True, 1, 2, D("-0.0"), 214)
    program = Program((lead, LeadProgram.off()), 20, D("1E+1"), D("1.0"), D("2E+1"), D("20"),
                      30)
    text = program_text(program, ".json")
    assert '"amplitude_ma": 0.0' in text and '"ramp_up_s": 10.0' in text
    assert_plain(text)


def test_command_output_tables_and_json_are_plain(capsys):
    print_pairs("limits", [("amplitude", D("1E+5")), ("offset", D("-0.0"))])
    print_json({"amplitude": D("1E+5"), "offset": D("-0.0")})
    out = capsys.readouterr().out
    assert "amplitude  100000" in out and "offset     0.0" in out
    assert '"amplitude": "100000"' in out and '"offset": "0.0"' in out


def test_program_check_prints_the_testers_values_plainly(tmp_path: Path):
    path = tmp_path / "program.json"
    path.write_text(
        '{"leads": [{"enabled": true, "anode": 1, "cathode": 2, "amplitude_ma": 1E+5, '
        '"pulse_width_us": 214}, {"enabled": true, "anode": 1, "cathode": 2, '
        '"amplitude_ma": -0.0, "pulse_width_us": 214}], "frequency_hz": 20, "ramp_up_s": 1.0, '
        '"ramp_down_s": 1.0, "on_s": 10.0, "off_s": 20.0, "session_min": 30}\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    texts = [subprocess.run([sys.executable, "-m", "console.cli.main", "program", "check",
                             str(path), *options], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=60, check=False)
             for options in ([], ["--json"])]
    assert [result.returncode for result in texts] == [4, 4]
    text = texts[0].stdout
    assert "Left amplitude 100000 mA is above the device maximum 25.0 mA." in text
    assert "Right lead is on at 0.0 mA: it will not stimulate." in text
    for result in texts:
        assert_plain(result.stdout)
