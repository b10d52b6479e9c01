"""What the device is doing between requests: test stimulation, therapy, measurement.

Plain state plus the rules that need no I/O: checking TEST_STIM requests against
the limits, and where a therapy session is in its ramp/on/off cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from device_link.messages import Limits, TestStimStart
from device_link.program_record import (
    ProgramRecord,
    check_amplitude,
    check_charge,
    check_contacts,
    check_frequency,
    check_pulse_width,
    check_range,
)
from device_link.protocol import BIPOLAR_PAIRS, ErrorCode, ImpedanceMode, StimPhase

# Field ids for request fields that are not part of a program record (the spec
# names ids only for program fields; see docs/emulator.md).
FIELD_LEAD = 21
FIELD_DURATION = 22
FIELD_LEAD_MASK = 23
FIELD_MODE = 24
FIELD_LOG_COUNT = 25
FIELD_SLOT = 20


class Refusal(Exception):
    """A request the device answers with ERROR ``code``/``detail``/``extra``."""

    def __init__(self, code: ErrorCode, detail: int = 0, extra: int = 0) -> None:
        super().__init__(f"{code.name} detail {detail} extra {extra}")
        self.code = code
        self.detail = detail
        self.extra = extra


def lead_field(lead: int, offset: int) -> int:
    """Program field id of a lead's anode (1), cathode (2), amplitude (3), pulse width (4)."""
    return (1 if lead == 0 else 6) + offset


def charge_field(lead: int) -> int:
    return 17 if lead == 0 else 18


def check_stim_amplitude(lead: int, amp_ua: int, pw_us: int, limits: Limits) -> None:
    """An amplitude the lead may be given at ``pw_us``: a program's rules, charge included."""
    check_amplitude(amp_ua, lead_field(lead, 3), limits)
    check_charge(amp_ua, pw_us, charge_field(lead), limits)


def validate_test_start(req: TestStimStart, limits: Limits, leads: int, electrodes: int) -> None:
    """TEST_STIM_START's rules, reported with the program field ids of the chosen lead.

    A broken rule raises ``ProgramRejected``, which the device answers as any refusal.
    """
    check_range(req.lead < leads, FIELD_LEAD, leads - 1)
    check_contacts(req.anode, req.cathode, lead_field(req.lead, 0), electrodes)
    check_range(req.amp_ua <= limits.test_start_max_ua, lead_field(req.lead, 3),
                limits.test_start_max_ua)
    check_pulse_width(req.pw_us, lead_field(req.lead, 4), limits)
    check_stim_amplitude(req.lead, req.amp_ua, req.pw_us, limits)
    check_frequency(req.freq_hz, limits)
    check_range(req.duration_s >= 1, FIELD_DURATION, 1)
    check_range(req.duration_s <= limits.test_duration_max_s, FIELD_DURATION,
                limits.test_duration_max_s)


@dataclass
class TestStim:
    """Continuous pulses on one lead until duration, watchdog or STOP."""

    lead: int
    anode: int
    cathode: int
    freq_hz: int
    pw_us: int
    amp_ua: int
    started: float
    ends_at: float

    def adjust(self, amp_ua: int, limits: Limits) -> None:
        """TEST_STIM_ADJUST: absolute amplitude; increases bounded by the titration step."""
        check_stim_amplitude(self.lead, amp_ua, self.pw_us, limits)
        highest = self.amp_ua + limits.titration_step_max_ua
        if amp_ua > highest:
            raise Refusal(ErrorCode.STEP_TOO_LARGE, 0, min(highest, 0xFFFF))
        self.amp_ua = amp_ua


@dataclass
class Therapy:
    """One session of a stored program: ramp up, hold, ramp down, rest, repeated."""

    slot: int
    program: ProgramRecord
    started: float
    time_scale: float

    @property
    def session_s(self) -> int:
        return self.program.session_min * 60

    def elapsed_s(self, now: float) -> float:
        """Device seconds of the session so far (faster than real time when scaled)."""
        return min(self.session_s, max(0.0, (now - self.started) * self.time_scale))

    @property
    def ends_at(self) -> float:
        return self.started + self.session_s / self.time_scale

    def remaining_s(self, now: float) -> int:
        return max(0, round(self.session_s - self.elapsed_s(now)))

    def phase(self, now: float) -> tuple[StimPhase, float]:
        """The cycle phase now and the fraction (0–1) of the programmed amplitude."""
        p = self.program
        t = self.elapsed_s(now) % ((p.on_ds + p.off_ds) / 10)
        up, down, on = p.ramp_up_ds / 10, p.ramp_down_ds / 10, p.on_ds / 10
        if t < up:
            return StimPhase.RAMP_UP, t / up
        if t < on - down:
            return StimPhase.ON, 1.0
        if t < on:
            return StimPhase.RAMP_DOWN, (on - t) / down
        return StimPhase.OFF, 0.0

    @property
    def duty(self) -> float:
        """Mean fraction of the programmed amplitude over a cycle (ramps count half)."""
        p = self.program
        hold = p.on_ds - p.ramp_up_ds - p.ramp_down_ds
        return (hold + (p.ramp_up_ds + p.ramp_down_ds) / 2) / (p.on_ds + p.off_ds)

    def lead_amp_ua(self, lead: int, fraction: float, amp_step_ua: int) -> int:
        """The ramped amplitude, on the device's amplitude resolution."""
        target = self.program.leads[lead].amp_ua
        return int(target * fraction) // amp_step_ua * amp_step_ua


def measurement_plan(lead_mask: int, mode: int) -> list[tuple[int, int, int | None]]:
    """(lead, electrode_a, electrode_b or None for the case) in the spec's order."""
    plan: list[tuple[int, int, int | None]] = []
    for lead in (0, 1):
        if not lead_mask & (1 << lead):
            continue
        if mode == ImpedanceMode.MONOPOLAR:
            plan += [(lead, e, None) for e in range(4)]
        else:
            plan += [(lead, a, b) for a, b in BIPOLAR_PAIRS]
    return plan


@dataclass
class Measurement:
    """An impedance measurement in progress; the reply goes out when the plan is done."""

    seq: int
    plan: list[tuple[int, int, int | None]]
    next_at: float
    results: list[tuple[int, int, int | None, int]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return len(self.results) == len(self.plan)
