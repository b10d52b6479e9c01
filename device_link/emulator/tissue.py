"""Electrode–tissue model: contact impedances, injected contact faults, compliance limiting.

Each contact has a spreading resistance of a few hundred ohms. A bipolar pair
measures about the sum of its two contacts, a monopolar measurement the contact
plus a small case term. Faults change what the device would measure: a fractured
conductor is open, two shorted contacts form one node, a contact can drift upward.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from device_link.protocol import OHMS_OPEN

LEADS = 2
ELECTRODES = 4
CASE_OHMS = 80.0
SHORT_OHMS = 25.0
CONTACT_OHMS_RANGE = (300.0, 450.0)
OPEN_LIMIT_OHMS = 65_000  # above this the device reports open circuit (0xFFFF)
NORMAL_OHMS = (100, 3000)  # outside this window a lead's impedance fault flag is raised

Contact = tuple[int, int]  # (lead, electrode)


@dataclass
class ContactState:
    base_ohms: float
    extra_ohms: float = 0.0
    rise_ohm_per_s: float = 0.0
    rise_since: float = 0.0
    open: bool = False

    def ohms(self, now: float) -> float:
        rising = self.rise_ohm_per_s * max(0.0, now - self.rise_since)
        return self.base_ohms + self.extra_ohms + rising


@dataclass
class Tissue:
    """All contacts of both leads, with the faults injected on them."""

    contacts: dict[Contact, ContactState]
    shorts: set[tuple[int, int, int]] = field(default_factory=set)  # (lead, a, b), a < b

    @classmethod
    def seeded(cls, seed: int) -> Tissue:
        rng = random.Random(f"tissue-{seed}")
        low, high = CONTACT_OHMS_RANGE
        contacts = {(lead, e): ContactState(round(rng.uniform(low, high)))
                    for lead in range(LEADS) for e in range(ELECTRODES)}
        return cls(contacts)

    # -- faults ----------------------------------------------------------------------------

    def set_open(self, lead: int, electrode: int, is_open: bool = True) -> None:
        self._contact(lead, electrode).open = is_open

    def short(self, lead: int, a: int, b: int) -> None:
        self._contact(lead, a)
        self._contact(lead, b)
        if a == b:
            raise ValueError("a contact cannot be shorted to itself")
        self.shorts.add((lead, min(a, b), max(a, b)))

    def set_rising(self, lead: int, electrode: int, ohm_per_s: float, now: float) -> None:
        contact = self._contact(lead, electrode)
        contact.extra_ohms += contact.rise_ohm_per_s * max(0.0, now - contact.rise_since)
        contact.rise_ohm_per_s = ohm_per_s
        contact.rise_since = now

    def set_contact_ohms(self, lead: int, electrode: int, ohms: float) -> None:
        if ohms <= 0:
            raise ValueError(f"contact impedance must be positive, got {ohms}")
        contact = self._contact(lead, electrode)
        contact.extra_ohms = ohms - contact.base_ohms
        contact.rise_ohm_per_s = 0.0

    def clear_faults(self) -> None:
        self.shorts.clear()
        for contact in self.contacts.values():
            contact.open = False
            contact.extra_ohms = 0.0
            contact.rise_ohm_per_s = 0.0

    def _contact(self, lead: int, electrode: int) -> ContactState:
        try:
            return self.contacts[(lead, electrode)]
        except KeyError:
            raise ValueError(f"no electrode {electrode} on lead {lead}") from None

    # -- measurement -----------------------------------------------------------------------

    def _node(self, lead: int, electrode: int) -> frozenset[int]:
        """The electrodes electrically joined to ``electrode`` by shorts."""
        node = {electrode}
        changed = True
        while changed:
            changed = False
            for short_lead, a, b in self.shorts:
                if short_lead == lead and (a in node) != (b in node):
                    node |= {a, b}
                    changed = True
        return frozenset(node)

    def _node_ohms(self, lead: int, node: frozenset[int], now: float) -> float | None:
        conductances = [1.0 / self.contacts[(lead, e)].ohms(now) for e in node
                        if not self.contacts[(lead, e)].open]
        return 1.0 / sum(conductances) if conductances else None

    def pair_ohms(self, lead: int, a: int, b: int | None, now: float) -> float | None:
        """Impedance between electrode ``a`` and ``b`` (None = the case); None if open."""
        if self._contact(lead, a).open or (b is not None and self._contact(lead, b).open):
            return None
        node_a = self._node(lead, a)
        if b is None:
            ohms = self._node_ohms(lead, node_a, now)
            return None if ohms is None else ohms + CASE_OHMS
        if b in node_a:
            return SHORT_OHMS
        ohms_a = self._node_ohms(lead, node_a, now)
        ohms_b = self._node_ohms(lead, self._node(lead, b), now)
        if ohms_a is None or ohms_b is None:
            return None
        return ohms_a + ohms_b

    def measure(self, lead: int, a: int, b: int | None, now: float) -> int:
        """What the device reports: whole ohms, or 0xFFFF for open circuit."""
        ohms = self.pair_ohms(lead, a, b, now)
        if ohms is None or ohms > OPEN_LIMIT_OHMS:
            return OHMS_OPEN
        return max(1, round(ohms))

    def summary(self, now: float) -> dict[str, object]:
        """Every contact and fault, for the control channel."""
        return {
            "contacts": [{"lead": lead, "electrode": e, "ohms": round(c.ohms(now), 1),
                          "open": c.open, "rise_ohm_per_s": c.rise_ohm_per_s}
                         for (lead, e), c in sorted(self.contacts.items())],
            "shorts": [{"lead": lead, "electrodes": [a, b]}
                       for lead, a, b in sorted(self.shorts)],
        }


def in_normal_range(ohms: int) -> bool:
    return NORMAL_OHMS[0] <= ohms <= NORMAL_OHMS[1]


@dataclass(frozen=True, slots=True)
class Delivery:
    """Current actually delivered into a load, and the voltage it takes."""

    set_ua: int
    delivered_ua: int
    load_mv: int

    @property
    def limited(self) -> bool:
        return self.delivered_ua < self.set_ua


def deliver(set_ua: int, ohms: int, compliance_mv: int) -> Delivery:
    """``min(set, compliance_mv × 1000 / ohms)`` for the pair's measured impedance.

    ``ohms`` is what the device measures (0xFFFF for open): an open circuit takes
    no current and drives the output to its compliance voltage.
    """
    if set_ua <= 0:
        return Delivery(0, 0, 0)
    if ohms == OHMS_OPEN:
        return Delivery(set_ua, 0, compliance_mv)
    delivered = min(set_ua, compliance_mv * 1000 // ohms)
    return Delivery(set_ua, delivered, min(compliance_mv, delivered * ohms // 1000))
