"""Lead integrity from impedance: which contacts conduct, which are shorted, which pairs may
be stimulated.

The classification is the safety profile's (``console.leads.impedance.classify``). A contact
is open when its reading against the case is open; two contacts are shorted when their
pair reads below the shorted threshold. A pair is usable only when both its contacts
and the pair itself read normal, high or low — never open, shorted or unmeasured — and
its lead has no fault at all.
"""

from __future__ import annotations

from console.leads.impedance import ContactState, ImpedanceMap, classify
from console.leads.naming import contact_name, pair_name
from console.placement.profile import ELECTRODES_PER_LEAD
from console.placement.result import LeadIntegrity, Reading
from console.safety import SafetyProfile
from device_link.protocol import BIPOLAR_PAIRS

_UNUSABLE = (ContactState.OPEN, ContactState.SHORTED, ContactState.UNKNOWN)


def _ohms_text(ohms: int | None) -> str:
    return "no reading" if ohms is None else f"{ohms} Ω"


def lead_integrity(impedances: ImpedanceMap, lead: int, profile: SafetyProfile) -> LeadIntegrity:
    """Every contact and pair of ``lead`` classified, and its faults as sentences."""
    if not any(key[0] == lead for key in impedances.monopolar):
        return LeadIntegrity(lead, (), (), ())
    contacts = tuple(
        Reading(e, None, impedances.monopolar.get((lead, e)),
                impedances.contact_state(lead, e, profile))
        for e in range(ELECTRODES_PER_LEAD))
    pairs = []
    for a, b in BIPOLAR_PAIRS:
        measured, ohms = impedances.pair_ohms(lead, a, b)
        pairs.append(Reading(a, b, ohms, classify(ohms, profile) if measured
                             else ContactState.UNKNOWN))
    faults: list[str] = []
    for contact in contacts:
        if contact.state == ContactState.OPEN:
            faults.append(f"{contact_name(contact.electrode_a)} open ({_ohms_text(contact.ohms)} "
                          f"against the case; open above {profile.impedance_open_above_ohm} Ω)")
        elif contact.state == ContactState.UNKNOWN:
            faults.append(f"{contact_name(contact.electrode_a)} not measured")
    open_contacts = {c.electrode_a for c in contacts if c.state == ContactState.OPEN}
    for pair in pairs:
        a, b = pair.electrode_a, pair.electrode_b
        assert b is not None
        if pair.state == ContactState.SHORTED:
            faults.append(f"{contact_name(a)} and {contact_name(b)} shorted ({pair_name(a, b)} "
                          f"reads {pair.ohms} Ω, below {profile.impedance_shorted_below_ohm} Ω)")
        elif pair.state == ContactState.OPEN and not open_contacts & {a, b}:
            faults.append(f"{pair_name(a, b)} open ({_ohms_text(pair.ohms)}) although both "
                          f"contacts read closed")
        elif pair.state == ContactState.UNKNOWN:
            faults.append(f"{pair_name(a, b)} not measured")
    return LeadIntegrity(lead, contacts, tuple(pairs), tuple(faults))


def candidate_pairs(integrity: LeadIntegrity, preferred: tuple[tuple[int, int], ...]
                    ) -> list[tuple[int, int]]:
    """Pairs that may be stimulated on the lead: ``preferred`` first, then the rest."""
    every = list(preferred) + [(a, c) for a in range(ELECTRODES_PER_LEAD)
                               for c in range(ELECTRODES_PER_LEAD)
                               if a != c and (a, c) not in preferred]
    return [pair for pair in every if pair_refusal(integrity, *pair) is None]


def pair_refusal(integrity: LeadIntegrity, anode: int, cathode: int) -> str | None:
    """Why the pair must not be stimulated, or None when it may be.

    A lead with any open or shorted contact is not stimulated at all, even on its sound
    pairs: it fails on impedance first, and is tested again only after a measurement
    shows it sound.
    """
    if not integrity.measured:
        return "impedance has not been measured on this lead"
    for electrode in (anode, cathode):
        state = integrity.contacts[electrode].state
        if state in _UNUSABLE:
            return f"{contact_name(electrode)} is {state.value}"
    low, high = sorted((anode, cathode))
    pair = next(p for p in integrity.pairs if (p.electrode_a, p.electrode_b) == (low, high))
    if pair.state in _UNUSABLE:
        return f"{pair_name(low, high)} reads {_ohms_text(pair.ohms)} ({pair.state.value})"
    if integrity.faults:
        return (f"the lead fails on impedance ({'; '.join(integrity.faults)}): check its "
                f"connection and measure again before stimulating it")
    return None
