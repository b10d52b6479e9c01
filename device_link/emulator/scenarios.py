"""Named patient/device situations the emulator can start in (see docs/emulator.md)."""

from __future__ import annotations

from dataclasses import dataclass

from device_link.emulator.patient import LeadPatient, Structure

# A leg-muscle nerve far from the lead: reached only at several times the threshold.
_DISTANT_LEG = Structure("leg", z_mm=22.0, h_mm=12.0, i0_ua=700.0, chronaxie_us=200.0)
_GOOD_LEFT = LeadPatient(Structure("multifidus", z_mm=8.0, h_mm=2.0), (_DISTANT_LEG,))
_GOOD_RIGHT = LeadPatient(Structure("multifidus", z_mm=10.0, h_mm=2.5), (_DISTANT_LEG,))


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    patients: tuple[LeadPatient, LeadPatient] = (_GOOD_LEFT, _GOOD_RIGHT)
    open_contacts: tuple[tuple[int, int], ...] = ()  # (lead, electrode)
    shorts: tuple[tuple[int, int, int], ...] = ()  # (lead, a, b)
    battery_percent: float = 82.0


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("good", "Both leads well placed: the best pair of each lead contracts the "
             "multifidus at about 3 mA (214 µs); a leg response only above 3× threshold."),
    Scenario("migrated-lead", "Lead 1 has migrated 14 mm from the medial branch: every pair "
             "needs far more than 8 mA at 214 µs.",
             patients=(_GOOD_LEFT, LeadPatient(Structure("multifidus", z_mm=9.0, h_mm=14.0),
                                               (_DISTANT_LEG,)))),
    Scenario("fractured-lead", "The conductor to lead 1 electrode 2 is fractured: every "
             "measurement using it reads open (0xFFFF) and it delivers no current.",
             open_contacts=((1, 2),)),
    Scenario("shorted-pair", "Electrodes 1 and 2 of lead 0 are shorted: that pair measures "
             "about 25 Ω and both behave as one node.", shorts=((0, 1, 2),)),
    Scenario("unwanted-response", "A leg-muscle nerve lies close to lead 0: a leg response "
             "starts at about 1.3× the contraction threshold of its best pair.",
             patients=(LeadPatient(_GOOD_LEFT.target,
                                   (Structure("leg", z_mm=8.0, h_mm=2.8, i0_ua=550.0),)),
                       _GOOD_RIGHT)),
    Scenario("low-battery", "Good placement, battery at 9 % (battery-low flag set).",
             battery_percent=9.0),
)}


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose from "
                         f"{', '.join(SCENARIOS)}") from None
