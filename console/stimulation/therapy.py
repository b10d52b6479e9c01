"""One therapy session of a stored program, started from the console so the clinician can
watch the ramps and the on/off cycle with the patient: the same sequence whether the window
or the command line drives it.

Who may: ``Action.PROGRAM_DEVICE`` (clinicians). A therapy session delivers the written
program at its full amplitudes, on both leads, for up to an hour: what writing a program
decides, not the low, hand-titrated current of test stimulation. Theatre staff, who may
test-stimulate, may not start one; the record refuses the start for them before anything
is sent.

The order is kept here once, because each step guards the next (as
``console.stimulation.session`` keeps it for test stimulation):

1. the slot is read from the device (READ_PROGRAM) right before the start, so what is
   judged is what will run: an empty slot is refused in the device's words, a record no
   device would store in the console's (``read_slot``);
2. the safety engine of this connection judges it; a block refuses the start and names
   the finding. Findings that only ask for a confirmation were confirmed when the program
   was written: they are shown, not asked again;
3. the pairs in use are measured unless this connection has measured them, the
   measurement kept in the record, and the program judged again with that impedance: a
   pair open or shorted, or a lead the device flags, blocks;
4. the start goes into the clinical record before any current;
5. THERAPY_START. A STOP noted meanwhile (``note_stop``, from any thread) wins: nothing is
   sent, or the device is stopped again at once;
6. the device's telemetry tells the phase (``PhaseTracker``) until STIM_STOPPED; the end is
   noted once, with its reason (``record_end``; STOP itself is
   ``console.stimulation.stopping``).

Each device step is one synchronous call on the thread that talks to the device.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity, program_pairs, with_integrity
from console.leads.measure_first import MeasureProgress
from console.leads.naming import lead_name, on_lead, polarised_pair_name
from console.programming.program import (
    LEAD_NAMES,
    UA_PER_MA,
    NotRepresentable,
    Program,
    from_device_units,
    plain,
)
from console.safety import Assessment, SafetyEngine
from console.stimulation.recorded_start import RecordedStart
from console.stimulation.start import NOTHING_SENT, Start, StartResult
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError, DeviceRefused
from device_link.messages import StimTelemetry
from device_link.program_record import ProgramRecord
from device_link.protocol import StimPhase

PHASE_TEXT = {
    StimPhase.RAMP_UP: "ramp up",
    StimPhase.ON: "ON",
    StimPhase.RAMP_DOWN: "ramp down",
    StimPhase.OFF: "off",
}


def phase_text(phase: int) -> str:
    """The phase in words; one this console does not know is quoted."""
    try:
        return PHASE_TEXT[StimPhase(phase)]
    except ValueError:
        return f"phase {phase}"


def _seconds(value: Decimal) -> str:
    return f"{plain(value)} s"


def program_lines(program: Program) -> list[str]:
    """The program in words, one line each: the leads, the frequency, the cycle, the session."""
    lines = []
    for index, lead in enumerate(program.leads):
        if lead.enabled:
            pair = polarised_pair_name(lead.anode, lead.cathode)
            lines.append(f"{on_lead(index, pair)}: {plain(lead.amplitude_ma)} mA, "
                         f"{lead.pulse_width_us} µs")
        else:
            lines.append(f"{lead_name(index)} lead: off")
    hold = program.on_s - program.ramp_up_s - program.ramp_down_s
    lines.append(f"{program.frequency_hz} Hz")
    lines.append(f"ramp up {_seconds(program.ramp_up_s)}, ON {_seconds(hold)}, ramp down "
                 f"{_seconds(program.ramp_down_s)}, off {_seconds(program.off_s)}")
    lines.append(f"one cycle every {_seconds(program.on_s + program.off_s)}")
    lines.append(f"session {program.session_min} min, about {cycle_count(program)} cycles")
    return lines


def cycle_count(program: Program) -> int:
    """Whole on/off cycles in one session (the last may be cut short by its end)."""
    cycle = program.on_s + program.off_s
    return int(program.session_min * 60 / cycle) if cycle else 0


@dataclass(frozen=True, slots=True)
class SlotProgram:
    """A slot's program as the device holds it now, and what this connection's safety
    engine says about it (with what is known of the pairs' impedance)."""

    slot: int
    program: Program
    assessment: Assessment

    @property
    def blocked(self) -> bool:
        return self.assessment.blocked

    def refusal(self) -> str:
        """Why it may not start, naming every finding that blocks it."""
        return " ".join(finding.message for finding in self.assessment.blocks)


class SlotUnusable(Exception):
    """The slot holds nothing the console can start; the message says why, in words."""


def judge(engine: SafetyEngine, integrity: LeadIntegrity, program: Program) -> Assessment:
    """The engine's word on ``program`` with this connection's readings, and what is known
    of a pair not measured now (a pair last seen open or shorted blocks)."""
    pairs = program_pairs(program)
    assessment = engine.check_program(program, integrity.engine_impedances(pairs))
    return with_integrity(assessment, integrity, pairs, engine.profile,
                          lambda lead: f"{LEAD_NAMES[lead]}.cathode")


def read_slot(client: DeviceClient, engine: SafetyEngine, integrity: LeadIntegrity,
              slot: int) -> SlotProgram:
    """READ_PROGRAM, then judged. SlotUnusable for an empty or invalid slot; a link failure
    raises DeviceLinkError."""
    try:
        stored = client.read_program(slot)
    except DeviceRefused as exc:  # NOT_FOUND for a slot never written, OUT_OF_RANGE: no slot
        raise SlotUnusable(f"slot {slot}: {exc}") from None
    try:
        program = Program.from_record(ProgramRecord.decode(stored.program))
    except (NotRepresentable, ValueError) as exc:
        raise SlotUnusable(f"slot {slot} holds a program no device would store ({exc})") \
            from None
    return SlotProgram(slot, program, judge(engine, integrity, program))


@dataclass(frozen=True, slots=True)
class LeadSample:
    """One lead's telemetry in clinical units."""

    lead: int
    set_ma: Decimal
    delivered_ma: Decimal
    load_mv: int

    @classmethod
    def of(cls, sample: StimTelemetry) -> LeadSample:
        return cls(sample.lead, from_device_units(sample.amp_set_ua, UA_PER_MA),
                   from_device_units(sample.amp_delivered_ua, UA_PER_MA), sample.load_mv)

    def text(self) -> str:
        return (f"{lead_name(self.lead)} set {plain(self.set_ma)} mA, delivered "
                f"{plain(self.delivered_ma)} mA")

    def as_dict(self) -> dict[str, Any]:
        return {"lead": lead_name(self.lead), "set_ma": plain(self.set_ma),
                "delivered_ma": plain(self.delivered_ma), "load_mv": self.load_mv}


@dataclass(frozen=True, slots=True)
class PhaseChange:
    """The device entered ``phase``: ``at_s`` seconds after the first telemetry, in
    ``cycle`` (1 = the first on/off cycle), with each stimulating lead's first sample."""

    phase: int
    cycle: int
    at_s: float
    leads: tuple[LeadSample, ...]

    def text(self) -> str:
        return (f"{self.at_s:6.1f} s  cycle {self.cycle}  {phase_text(self.phase)}: "
                + "; ".join(sample.text() for sample in self.leads))

    def as_dict(self) -> dict[str, Any]:
        return {"event": "phase", "phase": phase_text(self.phase), "cycle": self.cycle,
                "t_s": round(self.at_s, 1), "leads": [s.as_dict() for s in self.leads]}


class PhaseTracker:
    """Turns the device's telemetry into phase changes.

    The device sends one sample per stimulating lead each tick, lead 0 first; a tick is
    complete with the last of ``leads``, and only then is a change reported, so it carries
    every lead's sample. A cycle begins where current starts to rise after the rest.
    """

    def __init__(self, leads: tuple[int, ...], clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._last_lead = max(leads)
        self._clock = clock
        self._t0: float | None = None
        self._tick: dict[int, StimTelemetry] = {}
        self.phase: int | None = None
        self.cycle = 0

    def add(self, sample: StimTelemetry) -> PhaseChange | None:
        """The change this sample completes, or None."""
        now = self._clock()
        if self._t0 is None:
            self._t0 = now
        self._tick[sample.lead] = sample
        if sample.lead != self._last_lead:
            return None
        tick, self._tick = self._tick, {}
        phase = sample.phase
        if phase == self.phase:
            return None
        if phase != StimPhase.OFF and self.phase in (None, StimPhase.OFF):
            self.cycle += 1
        self.phase = phase
        leads = tuple(LeadSample.of(tick[lead]) for lead in sorted(tick))
        return PhaseChange(phase, max(1, self.cycle), now - self._t0, leads)


class TherapyTrial(RecordedStart):
    """One therapy session of one slot, started from the console, from the first check to
    the noted end. ``judged`` is the slot as read and judged just before the start;
    ``session_s`` the length the device confirmed (None before it did)."""

    def __init__(self, engine: SafetyEngine, slot: int, keeper: RecordKeeper | None) -> None:
        super().__init__(keeper, f"therapy session of slot {slot}")
        self.engine = engine
        self.slot = slot
        self.judged: SlotProgram | None = None
        self.session_s: int | None = None

    def tracker(self) -> PhaseTracker:
        """Follows the started program's telemetry."""
        assert self.judged is not None, "start first"
        return PhaseTracker(tuple(program_pairs(self.judged.program)))

    def start(self, client: DeviceClient, integrity: LeadIntegrity,
              progress: MeasureProgress | None = None) -> StartResult:
        """Read and judge the slot, measure, judge again, then ``begin``: the whole start."""
        if self._stop.is_set():
            return StartResult(Start.STOPPED, NOTHING_SENT)
        refused = self.prepare(client, integrity, progress)
        return refused if refused is not None else self.begin(client)

    def prepare(self, client: DeviceClient, integrity: LeadIntegrity,
                progress: MeasureProgress | None = None) -> StartResult | None:
        """Read, judge, measure, judge again (steps 1 to 3): why not to start, or None."""
        try:
            judged = self.judged = read_slot(client, self.engine, integrity, self.slot)
        except SlotUnusable as exc:
            return self._result(Start.DEVICE_FAILED, f"{exc}; nothing was started", str(exc))
        except DeviceLinkError as exc:
            return self._result(Start.DEVICE_FAILED, f"slot {self.slot} could not be read "
                                                     f"({exc}); nothing was started", str(exc))
        if judged.blocked:
            return self._refused(judged.refusal())
        check = self._measured(client, integrity, program_pairs(judged.program),
                               self.engine.profile, progress)
        if isinstance(check, StartResult):
            return check
        judged = self.judged = SlotProgram(self.slot, judged.program,
                                           judge(self.engine, check.integrity, judged.program))
        if judged.blocked:
            return self._refused(judged.refusal(), f"{check.summary()}; ")
        return None

    def _refused(self, why: str, before: str = "") -> StartResult:
        return self._result(Start.REFUSED, f"{before}slot {self.slot} refused by the safety "
                                           f"engine: {why}", why)

    def begin(self, client: DeviceClient) -> StartResult:
        """Record the start, then THERAPY_START, unless STOP came first."""
        judged = self.judged
        assert judged is not None, "prepare first"

        def record_start(serial: str) -> None:
            assert self.keeper is not None
            self.keeper.record_therapy_start(serial, self.slot, judged.program)

        def send() -> None:
            self.session_s = client.start_therapy(self.slot)

        return self._launch(client, record_start, send)
