"""Rules that mirror the device's own validation (MFL/1 sections 5 and 7): all blocking.

Written independently of ``device_link.program_record.validate_program``: the console
must refuse everything the device would refuse, before anything is sent, and say why in
clinical units. Off-step values are refused with the nearest allowed values, never rounded.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from console.programming.program import Program, TestStimulus, from_device_units, plain
from console.safety.assessment import Finding, Severity
from console.safety.context import LEADS, LeadSetting, RuleContext
from console.safety.quantities import charge_uc, clinical, neighbours, rounded

BLOCK = Severity.BLOCK


def _either(values: list[str], unit: str) -> str:
    return f"use {' or '.join(values)} {unit}" if values else "choose another value"


def _ranged(rule: str, field: str, title: str, value: Decimal | int, raw: Fraction,
            low: int, high: int, step: int, power: int, unit: str) -> list[Finding]:
    """Range then step of one value; ``raw`` is it in device units (10**power per unit)."""

    def shown(units: int) -> Decimal | int:
        return from_device_units(units, power) if power else units

    said = f"{title} {plain(value)} {unit}"
    if raw < low:
        what = "negative" if low == 0 else f"below the device minimum {plain(shown(low))} {unit}"
        return [Finding(BLOCK, f"{rule}_range", field, value, shown(low), unit,
                        f"{said} is {what}: the device allows "
                        f"{plain(shown(low))} to {plain(shown(high))} {unit}.")]
    if raw > high:
        return [Finding(BLOCK, f"{rule}_range", field, value, shown(high), unit,
                        f"{said} is above the device maximum {plain(shown(high))} {unit}.")]
    if raw % step:
        options = [plain(shown(option)) for option in neighbours(raw, step, low, high)]
        return [Finding(BLOCK, f"{rule}_step", field, value, shown(step), unit,
                        f"{said} is not a multiple of the device step "
                        f"{plain(shown(step))} {unit}: {_either(options, unit)}.")]
    return []


def _electrodes(ctx: RuleContext, lead: LeadSetting) -> list[Finding]:
    last = ctx.electrodes_per_lead - 1
    found = [
        Finding(BLOCK, "electrode_range", lead.field(name), number, last, "",
                f"{lead.title} {name} electrode {number} does not exist: electrodes are "
                f"numbered 0 (tip) to {last}.")
        for name, number in (("anode", lead.anode), ("cathode", lead.cathode))
        if not 0 <= number <= last]
    if lead.anode == lead.cathode:
        found.append(Finding(BLOCK, "electrodes_distinct", lead.field("cathode"), lead.cathode,
                             None, "", f"{lead.title} anode and cathode are both electrode "
                             f"{lead.cathode}: choose two different electrodes."))
    return found


def _charge_per_phase(ctx: RuleContext, lead: LeadSetting) -> list[Finding]:
    amplitude, width = lead.amplitude_ua, lead.pulse_width_us
    if amplitude < 0 or width <= 0 or amplitude * width <= ctx.limits.max_charge_nc * 1000:
        return []
    step = ctx.limits.amp_step_ua
    highest = min(ctx.limits.max_charge_nc * 1000 // width // step * step, ctx.limits.amp_max_ua)
    limit = from_device_units(ctx.limits.max_charge_nc, 3)
    charge = charge_uc(amplitude, width)
    return [Finding(BLOCK, "charge_per_phase", lead.field("amplitude_ma"),
                    Decimal(rounded(charge, 3)), limit, "µC",
                    f"{lead.title} charge per phase {rounded(charge, 2)} µC "
                    f"({plain(lead.amplitude_ma)} mA × {width} µs) is above the device "
                    f"maximum {plain(limit)} µC: at {width} µs the amplitude may be at most "
                    f"{clinical(highest, 3)} mA.")]


def lead_rules(ctx: RuleContext, lead: LeadSetting) -> list[Finding]:
    """Electrodes, amplitude, pulse width and charge per phase of one enabled lead."""
    limits = ctx.limits
    return [
        *_electrodes(ctx, lead),
        *_ranged("amplitude", lead.field("amplitude_ma"), f"{lead.title} amplitude",
                 lead.amplitude_ma, lead.amplitude_ua, 0, limits.amp_max_ua,
                 limits.amp_step_ua, 3, "mA"),
        *_ranged("pulse_width", lead.field("pulse_width_us"), f"{lead.title} pulse width",
                 lead.pulse_width_us, Fraction(lead.pulse_width_us), limits.pw_min_us,
                 limits.pw_max_us, limits.pw_step_us, 0, "µs"),
        *_charge_per_phase(ctx, lead),
    ]


def frequency_rules(ctx: RuleContext, frequency_hz: int, title: str) -> list[Finding]:
    return _ranged("frequency", "frequency_hz", title, frequency_hz, Fraction(frequency_hz),
                   ctx.limits.freq_min_hz, ctx.limits.freq_max_hz, 1, 0, "Hz")


def _time(name: str, title: str, seconds: Decimal, low: int, high: int) -> list[Finding]:
    return _ranged(name.removesuffix("_s"), name, title, seconds, Fraction(seconds) * 10,
                   low, high, 1, 1, "s")


def program_rules(ctx: RuleContext, program: Program) -> list[Finding]:
    """Frequency, cycle timing, session length and the enabled leads of a program."""
    limits = ctx.limits
    found = [
        *frequency_rules(ctx, program.frequency_hz, "Frequency"),
        *_time("ramp_up_s", "Ramp up", program.ramp_up_s, 0, limits.ramp_max_ds),
        *_time("ramp_down_s", "Ramp down", program.ramp_down_s, 0, limits.ramp_max_ds),
        *_time("on_s", "On time", program.on_s, limits.on_min_ds, limits.on_max_ds),
    ]
    ramps = program.ramp_up_s + program.ramp_down_s
    if Fraction(program.on_s) < Fraction(ramps):
        found.append(Finding(BLOCK, "on_includes_ramps", "on_s", program.on_s, ramps, "s",
                             f"On time {plain(program.on_s)} s is shorter than its ramps "
                             f"({plain(program.ramp_up_s)} s up + {plain(program.ramp_down_s)} "
                             f"s down = {plain(ramps)} s): the on time includes both ramps."))
    found += _time("off_s", "Off time", program.off_s, limits.off_min_ds, limits.off_max_ds)
    found += _ranged("session", "session_min", "Session length", program.session_min,
                     Fraction(program.session_min), limits.session_min_min,
                     limits.session_max_min, 1, 0, "min")
    if not any(lead.enabled for lead in program.leads):
        found.append(Finding(BLOCK, "no_lead_enabled", "left.enabled", False, None, "",
                             "Both leads are off: enable at least one lead."))
    return found


def stimulus_rules(ctx: RuleContext, stimulus: TestStimulus) -> list[Finding]:
    """Lead number, frequency and duration of a test stimulus (TEST_STIM_START)."""
    found = []
    if not 0 <= stimulus.lead < LEADS:
        found.append(Finding(BLOCK, "lead_range", "lead", stimulus.lead, LEADS - 1, "",
                             f"Test lead {stimulus.lead} does not exist: leads are 0 (left) "
                             f"and 1 (right)."))
    found += frequency_rules(ctx, stimulus.frequency_hz, "Test frequency")
    found += _ranged("duration", "duration_s", "Test duration", stimulus.duration_s,
                     Fraction(stimulus.duration_s), 1, ctx.limits.test_duration_max_s, 1, 0,
                     "s")
    return found

