"""The device's fault flags as warnings with a priority and, where there is one, an action.

Priorities follow IEC 60601-1-8 (alarm systems): the priority comes from what can happen
to the patient if nobody responds, and how soon. The window draws high priority in red
and medium in yellow, low in cyan, each with the standard's marker ("!!!", "!!", "!")
so that colour is never the only cue; the command line can print the same markers.

- **High** — a lead's impedance is out of range (bits 1 and 2). A fractured conductor
  or a short can deliver no current, or all of it through a small area, and the console
  already blocks that lead: the clinician must check the lead before any stimulation.
- **Medium** — the compliance limit was reached (bit 3): the patient received less
  current than set, so the stimulation seen is not the one programmed; prompt review,
  usually a new impedance measurement. Battery low (bit 0): therapy stops when the
  battery is empty; the patient must recharge soon, not this minute.
- **Low** — the device clock is not set (bit 4): the device log is undated; no harm to
  the patient, fixed in one step.

Highest priority first; within one priority, in the order of the bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from console.device.facts import FAULT_TEXT
from device_link.protocol import FaultFlag


class Priority(IntEnum):
    """IEC 60601-1-8 alarm priorities; a larger value is more urgent."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def marker(self) -> str:
        """The standard's visual marker: "!!!" high, "!!" medium, "!" low."""
        return "!" * int(self)

    @property
    def word(self) -> str:
        return self.name.lower()


class WarningAction(StrEnum):
    """What the console itself can do about a warning; the value is the button's text."""

    SET_CLOCK = "Set clock"
    MEASURE_IMPEDANCE = "Measure impedance"


@dataclass(frozen=True, slots=True)
class DeviceWarning:
    flag: FaultFlag
    priority: Priority
    text: str
    action: WarningAction | None = None

    def line(self) -> str:
        """One line for the command line: marker, priority, what."""
        return f"{self.priority.marker} {self.priority.word} priority: {self.text}"


PRIORITIES: dict[FaultFlag, Priority] = {
    FaultFlag.BATTERY_LOW: Priority.MEDIUM,
    FaultFlag.LEAD0_IMPEDANCE: Priority.HIGH,
    FaultFlag.LEAD1_IMPEDANCE: Priority.HIGH,
    FaultFlag.COMPLIANCE_LIMIT: Priority.MEDIUM,
    FaultFlag.CLOCK_NOT_SET: Priority.LOW,
}

ACTIONS: dict[FaultFlag, WarningAction] = {
    FaultFlag.LEAD0_IMPEDANCE: WarningAction.MEASURE_IMPEDANCE,
    FaultFlag.LEAD1_IMPEDANCE: WarningAction.MEASURE_IMPEDANCE,
    FaultFlag.COMPLIANCE_LIMIT: WarningAction.MEASURE_IMPEDANCE,  # usually a high impedance
    FaultFlag.CLOCK_NOT_SET: WarningAction.SET_CLOCK,
}


def device_warnings(fault_flags: int) -> list[DeviceWarning]:
    """The warnings ``fault_flags`` raise, highest priority first."""
    raised = [DeviceWarning(flag, PRIORITIES[flag], FAULT_TEXT[flag], ACTIONS.get(flag))
              for flag in FaultFlag if fault_flags & flag]
    return sorted(raised, key=lambda warning: -warning.priority)
