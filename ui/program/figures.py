"""What the Program tab says about the draft in words: each lead's figures and the summary.

Worked out from the session alone (no widgets), so the panel only decides where to show it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from console.programming.link_state import ScreenState, device_sentence
from console.programming.screen_state import ProgrammingSession
from console.safety import Assessment
from console.safety.quantities import (
    charge_uc,
    contact_area_cm2,
    density_uc_cm2,
    rounded,
    shannon_k,
)
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, INFO_GREY, OK_GREEN


def strong(colour: str) -> str:
    """The style of a statement the clinician must not miss."""
    return f"color: {colour}; font-weight: bold;"


def lead_figures(session: ProgrammingSession, lead: int) -> str:
    """Charge per phase, density, Shannon's k and compliance of one lead, in words."""
    program = session.draft.leads[lead]
    if not program.enabled:
        return "Lead off: it does not stimulate."
    limits, profile = session.engine.limits, session.profile
    amplitude_ua = Fraction(program.amplitude_ma) * 1000
    if amplitude_ua <= 0 or program.pulse_width_us <= 0:
        return "No charge delivered at this setting."
    charge = charge_uc(amplitude_ua, program.pulse_width_us)
    density = density_uc_cm2(charge, contact_area_cm2(limits.electrode_area_mm2_x100))
    k = shannon_k(charge, density)
    lines = [f"Charge {rounded(charge, 2)} µC per phase",
             f"Density {rounded(density, 1)} µC/cm² (confirm > "
             f"{profile.density_confirm_uc_cm2})",
             f"Shannon k {rounded(k, 3)} (block ≥ {profile.shannon_k_block})"]
    measured, ohms = session.impedances.pair_ohms(lead, program.anode, program.cathode)
    compliance = Decimal(limits.compliance_mv) / 1000
    if not measured:
        lines.append("Compliance: not checked (pair not measured on this connection)")
        earlier = session.integrity.earlier_reading(lead, program.anode, program.cathode)
        if earlier is not None:
            lines.append(f"Last reading: {earlier.describe(datetime.now(UTC))}")
    elif ohms is None:
        lines.append("Compliance: the pair reads open circuit")
    else:
        needed = amplitude_ua * ohms / 1_000_000
        lines.append(f"Compliance: {rounded(needed, 1)} V of {compliance} V at {ohms} Ω")
    return "\n".join(lines)


def summary(session: ProgrammingSession, assessment: Assessment, errors: dict[str, str],
            differing: set[str]) -> tuple[str, str, str]:
    """The headline, its colour, and how the screen relates to the device: all from the
    session's one state, so no line can claim what another has stopped knowing."""
    state = session.state
    blocks = len(assessment.blocks) + len(errors)
    count = len(assessment.confirmations)
    if blocks:
        text, colour = (f"✖ Blocked ({blocks}): nothing can be written until the "
                        f"findings marked BLOCKED are resolved."), BLOCK_RED
    elif state is ScreenState.IN_SYNC and count:  # agreed to when written, or before
        text, colour = f"✔ On the device: slot {session.slot} holds this program.", OK_GREEN
    elif not session.connected:
        to_confirm = f" ({count} to confirm)" if count else ""
        text, colour = (f"Checked against the limits{to_confirm}: writable only once a "
                        f"device is connected."), INFO_GREY
    elif assessment.needs_confirmation:
        text, colour = (f"⚠ Needs your confirmation ({count}): writing asks you to "
                        f"confirm each finding with a reason."), CONFIRM_AMBER
    else:
        text, colour = "✔ Writable: no finding blocks or needs confirmation.", OK_GREEN
    return text, colour, _held(session, assessment, differing)


def headline_state(text: str) -> str:
    """The headline's first words: "Writable", "On the device", "Blocked (n)" …"""
    return text.split(":")[0].lstrip("✖⚠✔ ")


def _held(session: ProgrammingSession, assessment: Assessment, differing: set[str]) -> str:
    state, slot = session.state, session.slot
    if state is ScreenState.IN_SYNC:
        held = f"Slot {slot}: the screen shows exactly what the device holds (read back)."
        count = len(assessment.confirmations)
        if count and all(f in session.confirmed for f in assessment.confirmations):
            held += f" {count} finding(s) were confirmed when it was written."
        elif count:
            held += f" Writing a change asks you to confirm {count} finding(s)."
        return held
    if state is ScreenState.EDITED:
        if session.device_program is None:
            return f"Slot {slot}: what the device holds is not known (empty, or not read)."
        return (f"Slot {slot}: {len(differing)} field(s) differ from what the device holds "
                f"(marked • not on device).")
    return device_sentence(state, session.unconfirmed)
