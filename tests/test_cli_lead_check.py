"""``mfconsole device … program write`` measures the pairs in use before anything is written,
as a clinician runs it: the emulator and the command as their own processes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.emulator_harness import EmulatorProcess
from tests.test_cli_device import Device, cli_process, one_line, write_program_file


def _write(device: Device, path: Path, *extra: str):
    return cli_process("device", *device.options(), *extra, "program", "write", "0", str(path))


def test_an_open_contact_in_use_blocks_the_write_after_measuring_it(key_file, tmp_path):
    with EmulatorProcess("--open", "0:1", key_file=key_file) as process:
        device = Device(process, key_file)
        before = device.slots()
        device.fresh_trace()
        result = _write(device, write_program_file(tmp_path, "p", left_ma="5.0"))
        assert result.returncode == 4
        assert "measured impedance first: left E1–E2: open circuit (open)" in result.stdout
        line = one_line(result.stderr)
        assert "blocked, nothing written" in line and "open circuit" in line
        received = device.received_opcodes()
        assert "MEASURE_IMPEDANCE" in received and "WRITE_PROGRAM" not in received
        assert device.slots() == before


def test_only_the_leads_in_use_are_measured_bipolar_before_the_write(key_file, tmp_path):
    program = json.loads(write_program_file(tmp_path, "p").read_text(encoding="utf-8"))
    program["leads"][1]["enabled"] = False
    path = tmp_path / "left-only.json"
    path.write_text(json.dumps(program), encoding="utf-8")
    with EmulatorProcess(key_file=key_file) as process:
        device = Device(process, key_file)
        device.fresh_trace()
        result = _write(device, path, "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["verified"] is True
        assert "measured impedance first: left E1–E2:" in result.stderr  # stdout is JSON
        assert "right E" not in result.stderr
        received = device.received()
        measure = next(e for e in received if e["opcode"] == "MEASURE_IMPEDANCE")
        assert [e["opcode"] for e in received].index("MEASURE_IMPEDANCE") < \
            [e["opcode"] for e in received].index("WRITE_PROGRAM")
        assert measure["payload"] == "0101"  # lead mask: left only; mode: bipolar
