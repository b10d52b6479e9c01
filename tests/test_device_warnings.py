"""Device fault flags as prioritised warnings (console/device/warnings.py): no Qt."""

from __future__ import annotations

from console.device.warnings import Priority, WarningAction, device_warnings
from device_link.protocol import FaultFlag


def test_no_flags_no_warnings():
    assert device_warnings(0) == []


def test_every_flag_highest_priority_first_then_in_bit_order():
    warnings = device_warnings(0x1F)
    assert [w.flag for w in warnings] == [
        FaultFlag.LEAD0_IMPEDANCE, FaultFlag.LEAD1_IMPEDANCE,  # high
        FaultFlag.BATTERY_LOW, FaultFlag.COMPLIANCE_LIMIT,  # medium
        FaultFlag.CLOCK_NOT_SET]  # low
    assert [w.priority for w in warnings] == [Priority.HIGH, Priority.HIGH, Priority.MEDIUM,
                                              Priority.MEDIUM, Priority.LOW]


def test_each_warning_offers_the_action_that_answers_it():
    actions = {w.flag: w.action for w in device_warnings(0x1F)}
    assert actions == {
        FaultFlag.LEAD0_IMPEDANCE: WarningAction.MEASURE_IMPEDANCE,
        FaultFlag.LEAD1_IMPEDANCE: WarningAction.MEASURE_IMPEDANCE,
        FaultFlag.BATTERY_LOW: None,
        FaultFlag.COMPLIANCE_LIMIT: WarningAction.MEASURE_IMPEDANCE,
        FaultFlag.CLOCK_NOT_SET: WarningAction.SET_CLOCK,
    }


def test_markers_follow_iec_60601_1_8_and_the_line_names_the_priority():
    assert (Priority.HIGH.marker, Priority.MEDIUM.marker, Priority.LOW.marker) == (
        "!!!", "!!", "!")
    [battery, clock] = device_warnings(FaultFlag.CLOCK_NOT_SET | FaultFlag.BATTERY_LOW)
    assert battery.line() == "!! medium priority: battery low"
    assert clock.line() == "! low priority: device clock not set"
