"""The words and cells of the History tab: status, slot, title, a version's details.

Kept apart from the panel so each text is written once, and a found program ("as found
on arrival") always reads the same in the table and in its details.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidgetItem

from console.storage import ProgramVersion, VersionStatus
from console.storage.programs import found_on_arrival
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, INFO_GREY, OK_GREEN

STATUS_TEXT = {
    VersionStatus.DRAFT: ("○ draft — never written", INFO_GREY),
    VersionStatus.WRITTEN: ("◐ written, not verified", CONFIRM_AMBER),
    VersionStatus.VERIFIED: ("✔ verified when written", OK_GREEN),
    VersionStatus.FAILED: ("✖ failed — not applied", BLOCK_RED),
    VersionStatus.UNCONFIRMED: ("? unconfirmed — reconnect to read the slot", CONFIRM_AMBER),
}
FOUND_TEXT = "⬇ as found on arrival"
ON_DEVICE_TEXT = "✔ ON THE DEVICE NOW"
DIFFERS = "≠ "
DIFFER_BACKGROUND = "#fff3cd"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose versions are listed: one device (connected) or a patient's devices."""

    serial: str | None
    patient: str | None


def status_cell(version: ProgramVersion, on_device: bool) -> tuple[str, str]:
    """(text, colour) of a version's status; what the device holds now says so first."""
    if found_on_arrival(version):
        text = f"{ON_DEVICE_TEXT} · as found" if on_device else FOUND_TEXT
        return text, OK_GREEN if on_device else INFO_GREY
    text, colour = STATUS_TEXT[version.status]
    return (ON_DEVICE_TEXT, colour) if on_device else (text, colour)


def slot_cell(version: ProgramVersion, several_devices: bool) -> str:
    """The slot; with more than one device listed, whose slot too."""
    return f"{version.device_serial} · {version.slot}" if several_devices else str(version.slot)


def title_text(scope: Scope | None, known: bool, versions: list[ProgramVersion]) -> str:
    if scope is None:
        return "Connect a device to see the program versions the record holds for it."
    count = (f"{len(versions)} program version(s) in the record, newest first. Versions are "
             "never changed or deleted.")
    if scope.serial is not None:
        if not known:
            return (f"Device {scope.serial} is not in the clinical record: it has no program "
                    "history yet.")
        return f"<b>Device {scope.serial}</b>: {count}"
    serials = sorted({v.device_serial for v in versions})
    devices = f"device {', '.join(serials)}" if serials else "no device with a program yet"
    return (f"<b>No device connected</b> — patient {html.escape(scope.patient or '')}'s "
            f"{devices}: {count}")


def details_text(version: ProgramVersion) -> str:
    """Who made a version, why, and every safety finding confirmed with it, with its reason."""
    if found_on_arrival(version):
        text = (f"<b>Version {version.id}</b> (slot {version.slot}): the program the device "
                f"held when it arrived, read by {version.author}, CRC {version.record_crc:#06x}."
                " Not written by this console.")
    else:
        text = (f"<b>Version {version.id}</b> (slot {version.slot}, {version.status.value}, by "
                f"{version.author}): “{html.escape(version.reason)}”.")
    if version.confirmations:
        confirmed = "; ".join(f"{html.escape(c.message)} — reason: "
                              f"“{html.escape(c.reason)}”" for c in version.confirmations)
        text += f"<br>Confirmed when written: {confirmed}."
    return text


def cell(text: str, version_id: int | None = None) -> QTableWidgetItem:
    made = QTableWidgetItem(text)
    if version_id is not None:
        made.setData(Qt.ItemDataRole.UserRole, version_id)
    return made


def differing(text: str, tooltip: str) -> QTableWidgetItem:
    """A value that differs: a sign, bold, a tooltip and a background, not colour alone."""
    made = cell(DIFFERS + text)
    font = made.font()
    font.setBold(True)
    made.setFont(font)
    made.setToolTip(tooltip)
    made.setData(Qt.ItemDataRole.BackgroundRole, QColor(DIFFER_BACKGROUND))
    return made


def steps_text(version: ProgramVersion) -> str:
    """Every status step of a version, for its tooltip."""
    lines = []
    for step in version.history:
        line = (f"{step.revision}. {step.status.value} {step.at.astimezone():%Y-%m-%d %H:%M:%S}"
                f" by {step.actor}")
        if step.device_crc is not None:
            line += f", device CRC {step.device_crc:#06x}"
        if step.detail:
            line += f" — {step.detail}"
        lines.append(line)
    return "\n".join(lines)
