"""How each field and lead says where its value stands, from the session's one state.

Connected, a value that differs from what the device holds is marked "not on device";
with no device, every field says that no device is connected (or that an outcome is
unknown), never that it differs from a device nobody can see.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSizePolicy

from console.leads.naming import polarised_pair_name
from console.programming.link_state import OFFLINE_MARK, ScreenState
from console.programming.program import LeadProgram
from ui.common.parameter_field import NOT_ON_DEVICE, ParameterField, restyle
from ui.common.theme import BLOCK_RED, INFO_GREY, OK_GREEN

ON_SCREEN_ONLY = ("This value is only on screen: the device does not hold it until the "
                  "program is written and verified.")


def mark_field(field: ParameterField, state: ScreenState, differs: bool) -> None:
    """Mark one field; the mark keeps its room when hidden, so nothing below it moves."""
    marker = field.marker
    policy = marker.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    marker.setSizePolicy(policy)
    if state in OFFLINE_MARK:
        field.set_changed(False)  # amber claims a difference: none can be known
        (text, tooltip), name, shown = OFFLINE_MARK[state], "findingInfo", True
    else:
        field.set_changed(differs)
        text, tooltip, name, shown = NOT_ON_DEVICE, ON_SCREEN_ONLY, "findingConfirm", differs
    marker.setText(text)
    marker.setToolTip(tooltip)
    if marker.objectName() != name:
        marker.setObjectName(name)
        restyle(marker)
    marker.setVisible(shown)


def electrodes_text(lead: LeadProgram, state: ScreenState, changed: bool) -> tuple[str, bool]:
    """The lead's electrodes in words, with its mark; True when the mark is "not on device"."""
    if lead.enabled:
        text = polarised_pair_name(lead.anode, lead.cathode)
    else:
        text = "Off: choose a cathode and an anode on the drawing"
    if state in OFFLINE_MARK:
        return f"{text}  {OFFLINE_MARK[state][0]}", False
    if changed:
        return f"{text}  {NOT_ON_DEVICE}", True
    return text, False


def fixed_lines(label: QLabel, lines: int) -> None:
    """Give ``label`` the height of ``lines`` lines, whatever it says: no row jumps."""
    metrics = label.fontMetrics()
    label.setFixedHeight(metrics.lineSpacing() * lines + 4)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)


def show_message(label: QLabel, ok: bool | None, message: str) -> None:
    """A result in words and a framed colour: green done, red not done, grey news."""
    colour = INFO_GREY if ok is None else OK_GREEN if ok else BLOCK_RED
    label.setText(message)
    label.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 12pt; "
                        f"border: 2px solid {colour}; padding: 4px;")
    label.show()
