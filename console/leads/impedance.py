"""Impedance results by contact and by pair, classified by the clinic profile.

A bipolar pair reads about the sum of its two contacts; a monopolar contact reads
against the case. Shorted contacts only show between two contacts, so a contact is
marked shorted when a pair it belongs to is; open and high show on either reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.safety import SafetyProfile
from device_link.messages import ImpedanceRecord

ELECTRODES_PER_LEAD = 4


class ContactState(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    LOW = "low"
    OPEN = "open"
    SHORTED = "shorted"
    UNKNOWN = "not measured"


def classify(ohms: int | None, profile: SafetyProfile) -> ContactState:
    """One reading against the profile's ranges (None = open circuit)."""
    if ohms is None or ohms > profile.impedance_open_above_ohm:
        return ContactState.OPEN
    if ohms < profile.impedance_shorted_below_ohm:
        return ContactState.SHORTED
    if ohms > profile.impedance_normal_max_ohm:
        return ContactState.HIGH
    if ohms < profile.impedance_normal_min_ohm:
        return ContactState.LOW
    return ContactState.NORMAL


_SEVERITY = [ContactState.UNKNOWN, ContactState.NORMAL, ContactState.LOW, ContactState.HIGH,
             ContactState.SHORTED, ContactState.OPEN]


@dataclass(frozen=True, slots=True)
class ImpedanceMap:
    """The latest readings of one device: monopolar per contact, bipolar per pair."""

    monopolar: dict[tuple[int, int], int | None]
    bipolar: dict[tuple[int, int, int], int | None]

    @classmethod
    def empty(cls) -> ImpedanceMap:
        return cls({}, {})

    def updated(self, records: list[ImpedanceRecord] | tuple[ImpedanceRecord, ...]
                ) -> ImpedanceMap:
        monopolar, bipolar = dict(self.monopolar), dict(self.bipolar)
        for record in records:
            if record.electrode_b is None:
                monopolar[(record.lead, record.electrode_a)] = record.ohms
            else:
                a, b = sorted((record.electrode_a, record.electrode_b))
                bipolar[(record.lead, a, b)] = record.ohms
        return ImpedanceMap(monopolar, bipolar)

    def pair_ohms(self, lead: int, anode: int, cathode: int) -> tuple[bool, int | None]:
        """(measured?, ohms) of a bipolar pair; ohms None means open."""
        key = (lead, *sorted((anode, cathode)))
        if key not in self.bipolar:
            return False, None
        return True, self.bipolar[key]  # type: ignore[index]

    def contact_state(self, lead: int, electrode: int, profile: SafetyProfile) -> ContactState:
        """The worst thing known of a contact from every reading that involves it."""
        states = []
        if (lead, electrode) in self.monopolar:
            states.append(classify(self.monopolar[(lead, electrode)], profile))
        for (pair_lead, a, b), ohms in self.bipolar.items():
            if pair_lead == lead and electrode in (a, b):
                state = classify(ohms, profile)
                # an open pair says one of its two contacts is open, not which one
                if state == ContactState.SHORTED:
                    states.append(state)
        if not states:
            return ContactState.UNKNOWN
        return max(states, key=_SEVERITY.index)

    def engine_impedances(self, pairs: dict[int, tuple[int, int]]) -> dict[int, int | None]:
        """``{lead: ohms}`` of the pairs in use, as the safety engine takes them."""
        result: dict[int, int | None] = {}
        for lead, (anode, cathode) in pairs.items():
            measured, ohms = self.pair_ohms(lead, anode, cathode)
            if measured:
                result[lead] = ohms
        return result
