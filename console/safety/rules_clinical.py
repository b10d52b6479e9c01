"""Clinical rules beyond the device's limits: tissue safety, compliance, lead integrity.

* Shannon (1992): k = log10(Q) + log10(D), Q the charge per phase in µC and D the charge
  density in µC/cm² on the contact's geometric area; k ≥ the profile's threshold (1.85 at
  most) is refused. A density above the profile's threshold (30 µC/cm² at most) needs
  confirmation. Both sentences show Q, D and k, whichever rule binds first.
* Compliance: the device cannot push more current than its compliance voltage allows
  through the pair's impedance (MFL/1 section 6); the clinician confirms knowing how much
  current the patient would really receive.
* Lead integrity from the latest bipolar impedance of the pair in use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from console.programming.program import from_device_units, plain
from console.safety.assessment import Finding, Severity
from console.safety.context import LeadSetting, RuleContext
from console.safety.quantities import (
    charge_for_k,
    charge_uc,
    clinical,
    contact_area_cm2,
    density_uc_cm2,
    quantized,
    rounded,
    shannon_k,
    to_decimal,
)

Impedances = Mapping[int, int | None]
"""Lead index → latest impedance of the pair in use, ohms; None means open circuit."""


def _k_of(ctx: RuleContext, amplitude_ua: Fraction, width_us: int) -> Decimal:
    charge = charge_uc(amplitude_ua, width_us)
    return shannon_k(charge, density_uc_cm2(charge, contact_area_cm2(
        ctx.limits.electrode_area_mm2_x100)))


def highest_amplitude_below_k(ctx: RuleContext, width_us: int) -> int:
    """The largest on-step amplitude (µA) within the device's range whose k stays below the
    profile's threshold."""
    threshold = ctx.profile.shannon_k_block
    area = contact_area_cm2(ctx.limits.electrode_area_mm2_x100)
    step = ctx.limits.amp_step_ua
    estimate = Fraction(charge_for_k(threshold, area)) * 1_000_000 / width_us
    highest = math.floor(estimate / step) * step
    while highest > 0 and _k_of(ctx, Fraction(highest), width_us) >= threshold:
        highest -= step
    return min(max(highest, 0), ctx.limits.amp_max_ua - ctx.limits.amp_max_ua % step)


def charge_density_rules(ctx: RuleContext, lead: LeadSetting) -> list[Finding]:
    amplitude, width = lead.amplitude_ua, lead.pulse_width_us
    if amplitude <= 0 or width <= 0:
        return []
    profile = ctx.profile
    area_mm2 = from_device_units(ctx.limits.electrode_area_mm2_x100, 2)
    area = contact_area_cm2(ctx.limits.electrode_area_mm2_x100)
    charge = charge_uc(amplitude, width)
    density = density_uc_cm2(charge, area)
    k = shannon_k(charge, density)
    figures = (f"Q = {rounded(charge, 2)} µC per phase, D = {rounded(density, 1)} µC/cm² "
               f"on a {plain(area_mm2)} mm² contact, k = {rounded(k, 3)}")
    setting = f"{lead.title} {plain(lead.amplitude_ma)} mA at {width} µs"
    if k >= profile.shannon_k_block:
        highest = highest_amplitude_below_k(ctx, width)
        return [Finding(Severity.BLOCK, "shannon_k", lead.field("amplitude_ma"),
                        quantized(k, 3), profile.shannon_k_block, "",
                        f"{setting} reaches Shannon's k = {rounded(k, 3)}, at or above the "
                        f"limit {plain(profile.shannon_k_block)} for tissue safety "
                        f"({figures}): at {width} µs use at most {clinical(highest, 3)} mA.")]
    if density > Fraction(profile.density_confirm_uc_cm2):
        return [Finding(Severity.CONFIRM, "charge_density", lead.field("amplitude_ma"),
                        quantized(to_decimal(density), 2), profile.density_confirm_uc_cm2,
                        "µC/cm²",
                        f"{setting} gives a charge density of {rounded(density, 1)} µC/cm², "
                        f"above {plain(profile.density_confirm_uc_cm2)} µC/cm² ({figures}): "
                        f"confirm that this is intended.")]
    return []



def soft_maximum_rules(ctx: RuleContext, lead: LeadSetting) -> list[Finding]:
    soft_max = ctx.profile.soft_max_amplitude_ma
    if Fraction(lead.amplitude_ma) <= Fraction(soft_max):
        return []
    return [Finding(Severity.CONFIRM, "soft_maximum", lead.field("amplitude_ma"),
                    lead.amplitude_ma, soft_max, "mA",
                    f"{lead.title} amplitude {plain(lead.amplitude_ma)} mA is above the "
                    f"clinic's soft maximum {plain(soft_max)} mA: confirm that this is "
                    f"intended.")]


def impedance_rules(ctx: RuleContext, lead: LeadSetting,
                    impedances: Impedances | None) -> list[Finding]:
    """Integrity of the pair in use and the current it can really carry."""
    profile = ctx.profile
    field = lead.field("cathode")
    if impedances is None or lead.lead_index not in impedances:
        return [Finding(Severity.INFO, "impedance_unknown", field, None, None, "Ω",
                        f"{lead.pair}: no impedance measurement given, so lead integrity "
                        f"and output compliance were not checked.")]
    ohms = impedances[lead.lead_index]
    if ohms is None or ohms > profile.impedance_open_above_ohm:
        reading = "no impedance reading" if ohms is None else f"impedance {ohms} Ω"
        return [Finding(Severity.BLOCK, "impedance_open", field, ohms,
                        profile.impedance_open_above_ohm, "Ω",
                        f"{lead.pair}: {reading}, open circuit (above "
                        f"{profile.impedance_open_above_ohm} Ω): the lead may be fractured or "
                        f"disconnected; choose another pair or check the lead.")]
    if ohms < profile.impedance_shorted_below_ohm:
        return [Finding(Severity.BLOCK, "impedance_shorted", field, ohms,
                        profile.impedance_shorted_below_ohm, "Ω",
                        f"{lead.pair}: impedance {ohms} Ω is below "
                        f"{profile.impedance_shorted_below_ohm} Ω, the contacts look shorted; "
                        f"choose another pair or check the lead.")]
    found = []
    if not profile.impedance_normal_min_ohm <= ohms <= profile.impedance_normal_max_ohm:
        found.append(Finding(Severity.CONFIRM, "impedance_range", field, ohms,
                             profile.impedance_normal_min_ohm
                             if ohms < profile.impedance_normal_min_ohm
                             else profile.impedance_normal_max_ohm, "Ω",
                             f"{lead.pair}: impedance {ohms} Ω is outside the usual range "
                             f"{profile.impedance_normal_min_ohm}–"
                             f"{profile.impedance_normal_max_ohm} Ω: confirm the lead is "
                             f"sound before stimulating."))
    return found + _compliance(ctx, lead, ohms)


def _compliance(ctx: RuleContext, lead: LeadSetting, ohms: int) -> list[Finding]:
    amplitude = lead.amplitude_ua
    compliance_mv = ctx.limits.compliance_mv
    needed_mv = amplitude * ohms / 1000
    if amplitude <= 0 or needed_mv <= compliance_mv:
        return []
    delivered_ua = Fraction(compliance_mv * 1000, ohms)
    shortfall_ua = amplitude - delivered_ua
    return [Finding(Severity.CONFIRM, "compliance", lead.field("amplitude_ma"),
                    quantized(to_decimal(needed_mv / 1000), 2),
                    from_device_units(compliance_mv, 3), "V",
                    f"{lead.title} amplitude {plain(lead.amplitude_ma)} mA through {ohms} Ω needs "
                    f"{rounded(needed_mv / 1000, 1)} V, above the device's compliance "
                    f"{clinical(compliance_mv, 3)} V: the patient would receive only about "
                    f"{rounded(delivered_ua / 1000, 2)} mA, {rounded(shortfall_ua / 1000, 2)} "
                    f"mA less than set.")]
