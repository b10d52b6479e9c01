"""How electrodes, pairs and leads are named: one way, on every screen, page and log line.

A clinician reading "E1+ E2−" in the window, "E1+ E2−" in the placement report, and
"E1–E2" in an impedance table must never wonder whether these are the same electrodes.
So: a contact is ``E2``; a pair measured without polarity is ``E1–E2``; a pair that
carries current is ``E1+ E2−`` (anode marked ``+``, cathode ``−``); electrodes always in
ascending order, so the same two contacts read the same whichever is the anode. A lead
is named by side ("left", "right"); the spec's lead 0 is the left lead. Contacts are
numbered as on the wire, E0 (the tip) to E3, so a trace and the screen agree.
"""

from __future__ import annotations

from console.programming.program import LEAD_NAMES

MINUS = "−"  # U+2212: a minus sign, not a hyphen, as printed on the lead's labels


def contact_name(electrode: int) -> str:
    """``E2``."""
    return f"E{electrode}"


def pair_name(electrode_a: int, electrode_b: int) -> str:
    """``E1–E2``: two contacts without polarity (an impedance pair), lower first."""
    low, high = sorted((electrode_a, electrode_b))
    return f"{contact_name(low)}–{contact_name(high)}"


def polarised_pair_name(anode: int, cathode: int) -> str:
    """``E1+ E2−``: a stimulating pair, in electrode order, each marked with its role."""
    marked = {anode: f"{contact_name(anode)}+", cathode: f"{contact_name(cathode)}{MINUS}"}
    return " ".join(marked[electrode] for electrode in sorted(marked))


def lead_name(lead: int) -> str:
    """``left``: the side, as clinicians say it."""
    return LEAD_NAMES[lead]


def on_lead(lead: int, what: str) -> str:
    """``left E1+ E2−``: anything named on one lead."""
    return f"{lead_name(lead)} {what}"
