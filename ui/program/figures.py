"""What the Program tab says about the draft in words: each lead's figures and the summary.

Worked out from the session alone (no widgets), so the panel only decides where to show it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from console.programming.screen_state import ProgrammingSession
from console.safety import Assessment
from console.safety.quantities import (
    charge_uc,
    contact_area_cm2,
    density_uc_cm2,
    rounded,
    shannon_k,
)
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, OK_GREEN


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
    """The verdict on the draft, its colour, and how the screen relates to the device."""
    blocks = len(assessment.blocks) + len(errors)
    if blocks:
        text, colour = (f"✖ Blocked ({blocks}): nothing can be written until the "
                        f"findings marked BLOCKED are resolved."), BLOCK_RED
    elif assessment.needs_confirmation:
        count = len(assessment.confirmations)
        text, colour = (f"⚠ Needs your confirmation ({count}): writing asks you to "
                        f"confirm each finding with a reason."), CONFIRM_AMBER
    else:
        text, colour = "✔ Writable: no finding blocks or needs confirmation.", OK_GREEN
    slot = session.slot
    if not session.connected:
        held = "No device connected: nothing on screen is confirmed on a device."
    elif session.device_program is None:
        held = f"Slot {slot}: what the device holds is not known (empty, or not read)."
    elif differing:
        held = (f"Slot {slot}: {len(differing)} field(s) differ from what the device "
                f"holds (marked • not on device).")
    else:
        held = f"Slot {slot}: the screen shows exactly what the device holds."
    return text, colour, held
