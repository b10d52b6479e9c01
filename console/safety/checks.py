"""The static checks: a whole program, or a test stimulus, against device and clinic limits."""

from __future__ import annotations

from console.leads.naming import polarised_pair_name
from console.programming.program import LeadProgram, Program, TestStimulus, plain
from console.safety.assessment import Assessment, Finding, Severity
from console.safety.context import LeadSetting, RuleContext
from console.safety.rules_clinical import (
    Impedances,
    charge_density_rules,
    impedance_rules,
    soft_maximum_rules,
)
from console.safety.rules_device import lead_rules, program_rules, stimulus_rules


def _active_lead(ctx: RuleContext, lead: LeadSetting,
                 impedances: Impedances | None) -> list[Finding]:
    return [*lead_rules(ctx, lead), *charge_density_rules(ctx, lead),
            *impedance_rules(ctx, lead, impedances), *soft_maximum_rules(ctx, lead)]


def _parked(lead: LeadProgram, setting: LeadSetting) -> list[Finding]:
    if lead == LeadProgram.off():
        return []
    return [Finding(Severity.INFO, "lead_off", setting.field("enabled"), False, None, "",
                    f"{setting.title} lead is off: its settings ("
                    f"{polarised_pair_name(lead.anode, lead.cathode)}, "
                    f"{plain(lead.amplitude_ma)} mA, {lead.pulse_width_us} µs) are not stored "
                    f"on the device.")]


def _zero_amplitude(setting: LeadSetting) -> list[Finding]:
    if setting.amplitude_ua != 0:
        return []
    return [Finding(Severity.INFO, "zero_amplitude", setting.field("amplitude_ma"),
                    setting.amplitude_ma, None, "mA",
                    f"{setting.title} lead is on at {plain(setting.amplitude_ma)} mA: it will not "
                    f"stimulate.")]


def check_program(ctx: RuleContext, program: Program,
                  impedances: Impedances | None = None) -> Assessment:
    findings: list[Finding] = []
    for index, lead in enumerate(program.leads):
        setting = LeadSetting.of_program(index, lead)
        if lead.enabled:
            findings += _active_lead(ctx, setting, impedances) + _zero_amplitude(setting)
        else:
            findings += _parked(lead, setting)
    return Assessment(tuple(findings + program_rules(ctx, program)))


def check_stimulus(ctx: RuleContext, stimulus: TestStimulus,
                   impedances: Impedances | None = None) -> Assessment:
    """A test stimulus's own values, without the start and titration rules."""
    setting = LeadSetting.of_test(stimulus)
    return Assessment(tuple(stimulus_rules(ctx, stimulus) + _active_lead(ctx, setting, impedances)))
