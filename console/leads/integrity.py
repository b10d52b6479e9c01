"""Before current goes onto a pair: its impedance, measured on this connection.

The safety engine judges a pair by the impedance it is given. What counts is a
measurement taken on the present connection: a reading from an earlier connection or
from the clinical record is shown with its date and age but never stands in for one,
because a lead can fracture or migrate between two connections. A pair in use that has
no such measurement is measured (bipolar, only the leads in use) before a program is
written or test stimulation starts, on every path: window and command line alike.

The device's own fault flags (GET_STATUS ``fault_flags``, lead impedance out of range)
make a lead suspect from the moment they are seen until a fresh measurement of it:
until then the lead counts as unmeasured, and an earlier bad reading blocks, so
nothing on screen turns from "blocked" to "writable" because knowledge was lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from console.leads.impedance import ContactState, ImpedanceMap, classify
from console.leads.naming import lead_name, on_lead, pair_name
from console.programming.program import Program, TestStimulus
from console.safety import SafetyProfile
from console.safety.assessment import Assessment, Finding, Severity
from console.storage import ImpedanceMeasurement
from device_link.client import DeviceClient
from device_link.messages import ImpedanceRecord, Status
from device_link.protocol import FaultFlag, ImpedanceMode

Pairs = Mapping[int, tuple[int, int]]
"""Lead index → (anode, cathode) of the pair in use."""

LEAD_FLAGS = (FaultFlag.LEAD0_IMPEDANCE, FaultFlag.LEAD1_IMPEDANCE)
BAD_STATES = (ContactState.OPEN, ContactState.SHORTED)


def pair_key(lead: int, anode: int, cathode: int) -> tuple[int, int, int]:
    low, high = sorted((anode, cathode))
    return lead, low, high


def pair_on_lead(lead: int, anode: int, cathode: int) -> str:
    """"left E1–E2": an impedance is a pair's, whichever contact is the anode."""
    return on_lead(lead, pair_name(anode, cathode))


@dataclass(frozen=True, slots=True)
class EarlierReading:
    """A pair's reading from before this connection: shown, never counted as measured now."""

    ohms: int | None
    measured_at: datetime
    source: str  # "an earlier connection" or "the clinical record"

    def describe(self, now: datetime) -> str:
        """"640 Ω on 2026-12-01 14:03, 1 day ago, from the clinical record"."""
        local = self.measured_at.astimezone()
        return (f"{reading_text(self.ohms)} on {local:%Y-%m-%d %H:%M}, "
                f"{age_text(self.measured_at, now)}, from {self.source}")


def _flagged_leads(fault_flags: int) -> frozenset[int]:
    return frozenset(lead for lead, flag in enumerate(LEAD_FLAGS) if fault_flags & flag)


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def latest_recorded(history: Iterable[ImpedanceMeasurement]
                    ) -> dict[tuple[int, int, int], EarlierReading]:
    """The newest stored bipolar reading of each pair, from the record (oldest first)."""
    latest: dict[tuple[int, int, int], EarlierReading] = {}
    for reading in history:
        if reading.electrode_b is not None:
            key = pair_key(reading.lead, reading.electrode_a, reading.electrode_b)
            latest[key] = EarlierReading(reading.ohms, reading.measured_at,
                                         "the clinical record")
    return latest


def age_text(then: datetime, now: datetime) -> str:
    """"3 min ago", "2 h ago", "5 days ago": how old a reading is, in the largest unit."""
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "days"), (3600, "h"), (60, "min")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {'day' if unit == 'days' and count == 1 else unit} ago"
    return f"{seconds} s ago"


def reading_text(ohms: int | None) -> str:
    return "open circuit" if ohms is None else f"{ohms} Ω"


@dataclass(frozen=True, slots=True)
class LeadIntegrity:
    """What the console knows of the pairs' impedance, and how sure it is.

    ``now``: measured on this connection. ``earlier``: the latest reading of each pair
    from before it. ``suspect``: leads the device flagged and that were not measured
    since. A new connection starts from ``reconnected()``, which keeps what was measured
    as ``earlier`` and forgets nothing.
    """

    now: ImpedanceMap = field(default_factory=ImpedanceMap.empty)
    earlier: Mapping[tuple[int, int, int], EarlierReading] = field(default_factory=dict)
    suspect: frozenset[int] = frozenset()
    flagged: frozenset[int] = frozenset()  # leads whose device flag was set at the last status
    measured_at: Mapping[tuple[int, int, int], datetime] = field(default_factory=dict)

    # -- learning ------------------------------------------------------------------------

    def measured(self, records: tuple[ImpedanceRecord, ...] | list[ImpedanceRecord],
                 at: datetime, fault_flags: int | None = None) -> LeadIntegrity:
        """A measurement run of this connection: its leads are no longer suspect.

        ``fault_flags``, read from the device right after the run, are the measured leads'
        new baseline: the device sets or clears their flag from that very measurement, so
        a flag it raised for what was just measured is not news.
        """
        stamps = dict(self.measured_at)
        for record in records:
            if record.electrode_b is not None:
                stamps[pair_key(record.lead, record.electrode_a, record.electrode_b)] = at
        leads = frozenset(record.lead for record in records)
        flagged = self.flagged
        if fault_flags is not None:
            flagged = (flagged - leads) | (_flagged_leads(fault_flags) & leads)
        return replace(self, now=self.now.updated(records), measured_at=stamps,
                       suspect=self.suspect - leads, flagged=flagged)

    def device_status(self, status: Status) -> LeadIntegrity:
        """A status from the device: a lead flag newly seen makes that lead suspect."""
        flagged = _flagged_leads(status.fault_flags)
        if flagged == self.flagged:
            return self
        return replace(self, flagged=flagged, suspect=self.suspect | (flagged - self.flagged))

    def remembered(self, readings: Mapping[tuple[int, int, int], EarlierReading]
                   ) -> LeadIntegrity:
        """Readings from the record, kept where nothing newer is known."""
        merged = dict(readings)
        for key, reading in self.earlier.items():
            if key not in merged or merged[key].measured_at <= reading.measured_at:
                merged[key] = reading
        return replace(self, earlier=merged)

    def reconnected(self) -> LeadIntegrity:
        """The link ended: this connection's readings become earlier ones, flags unknown."""
        earlier = dict(self.earlier)
        for key, ohms in self.now.bipolar.items():
            at = self.measured_at.get(key)
            if at is not None:
                earlier[key] = EarlierReading(ohms, at, "an earlier connection")
        return LeadIntegrity(earlier=earlier)

    # -- judging -------------------------------------------------------------------------

    def measured_now(self, lead: int, anode: int, cathode: int) -> bool:
        return lead not in self.suspect and self.now.pair_ohms(lead, anode, cathode)[0]

    def to_measure(self, pairs: Pairs) -> frozenset[int]:
        """Leads in use whose pair has no trustworthy measurement on this connection."""
        return frozenset(lead for lead, (anode, cathode) in pairs.items()
                         if not self.measured_now(lead, anode, cathode))

    def engine_impedances(self, pairs: Pairs) -> dict[int, int | None]:
        """``{lead: ohms}`` for the engine: only this connection's, trustworthy readings."""
        return {lead: self.now.pair_ohms(lead, anode, cathode)[1]
                for lead, (anode, cathode) in pairs.items()
                if self.measured_now(lead, anode, cathode)}

    def earlier_reading(self, lead: int, anode: int, cathode: int) -> EarlierReading | None:
        return self.earlier.get(pair_key(lead, anode, cathode))

    def findings(self, pairs: Pairs, profile: SafetyProfile, field_of: Callable[[int], str],
                 now: datetime) -> list[Finding]:
        """What the engine cannot say about pairs not measured now: blocks and notes.

        A pair last seen open or shorted, or on a lead the device flags, stays blocked
        until it is measured again; any other unmeasured pair is measured on the way.
        """
        found = []
        for lead in sorted(self.to_measure(pairs)):
            anode, cathode = pairs[lead]
            name = _sentence_start(pair_on_lead(lead, anode, cathode))
            earlier = self.earlier_reading(lead, anode, cathode)
            last = f" It was last measured {earlier.describe(now)}." if earlier else ""
            if lead in self.suspect:
                found.append(Finding(
                    Severity.BLOCK, "impedance_flagged", field_of(lead), None, None, "Ω",
                    f"{name}: the device reports the {lead_name(lead)} lead's impedance out "
                    f"of range.{last} Measure impedance: the lead stays blocked until a new "
                    f"measurement shows the pair is sound."))
            elif earlier is not None and classify(earlier.ohms, profile) in BAD_STATES:
                state = classify(earlier.ohms, profile).value
                found.append(Finding(
                    Severity.BLOCK, "impedance_last_bad", field_of(lead), earlier.ohms, None,
                    "Ω", f"{name}: last measured {state} ({earlier.describe(now)}). Measure "
                         f"impedance: the pair stays blocked until a new measurement shows "
                         f"it is sound."))
            else:
                found.append(Finding(
                    Severity.INFO, "impedance_to_measure", field_of(lead), None, None, "Ω",
                    f"{name}: not measured on this connection; it is measured before "
                    f"anything is written or stimulated."))
        return found


@dataclass(frozen=True, slots=True)
class PairReading:
    lead: int
    anode: int
    cathode: int
    ohms: int | None
    state: ContactState

    def text(self) -> str:
        return (f"{pair_on_lead(self.lead, self.anode, self.cathode)}: "
                f"{reading_text(self.ohms)} ({self.state.value})")


@dataclass(frozen=True, slots=True)
class PreCheck:
    """The measurement taken before a write or a start: what was measured and found."""

    integrity: LeadIntegrity
    records: tuple[ImpedanceRecord, ...]
    readings: tuple[PairReading, ...]
    fault_flags: int | None = None  # the device's flags right after the measurement

    @property
    def measured(self) -> bool:
        return bool(self.records)

    def summary(self) -> str:
        if not self.readings:
            return "every pair in use was already measured on this connection"
        return "measured impedance first: " + "; ".join(r.text() for r in self.readings)

    def sentence(self) -> str:
        """The summary as the start of a sentence, for the window's result line."""
        return _sentence_start(self.summary())


def program_pairs(program: Program) -> dict[int, tuple[int, int]]:
    """The pairs a program stimulates: enabled leads only."""
    return {index: (lead.anode, lead.cathode)
            for index, lead in enumerate(program.leads) if lead.enabled}


def stimulus_pairs(stimulus: TestStimulus) -> dict[int, tuple[int, int]]:
    return {stimulus.lead: (stimulus.anode, stimulus.cathode)}


def measure_pairs_in_use(client: DeviceClient, integrity: LeadIntegrity, pairs: Pairs,
                         profile: SafetyProfile, at: datetime | None = None) -> PreCheck:
    """Measure the leads in use that lack a trustworthy reading (bipolar); nothing else.

    A STOP during the measurement ends it with the device's ABORTED, which propagates as
    DeviceRefused: nothing is written or started after an aborted check.
    """
    leads = integrity.to_measure(pairs)
    if not leads:
        return PreCheck(integrity, (), ())
    mask = sum(1 << lead for lead in leads)
    records = client.measure_impedance(mask, ImpedanceMode.BIPOLAR).records
    fault_flags = client.get_status().fault_flags
    at = at or datetime.now(UTC)
    updated = integrity.measured(records, at, fault_flags)
    readings = []
    for lead in sorted(leads):
        anode, cathode = pairs[lead]
        measured, ohms = updated.now.pair_ohms(lead, anode, cathode)
        state = classify(ohms, profile) if measured else ContactState.UNKNOWN
        readings.append(PairReading(lead, anode, cathode, ohms, state))
    return PreCheck(updated, records, tuple(readings), fault_flags)


def with_integrity(assessment: Assessment, integrity: LeadIntegrity, pairs: Pairs,
                   profile: SafetyProfile, field_of: Callable[[int], str],
                   now: datetime | None = None) -> Assessment:
    """The engine's assessment, its "no measurement given" notes replaced by what is known."""
    kept = tuple(f for f in assessment.findings if f.rule != "impedance_unknown")
    extra = integrity.findings(pairs, profile, field_of, now or datetime.now(UTC))
    return Assessment(kept + tuple(extra))


def unmeasured_refusal(integrity: LeadIntegrity, pairs: Pairs) -> str | None:
    """Why current may not go on after a pre-check, or None: a pair still unmeasured."""
    missing = sorted(integrity.to_measure(pairs))
    if not missing:
        return None
    names = ", ".join(pair_on_lead(lead, *pairs[lead]) for lead in missing)
    return f"{names}: no impedance reading from the device, so nothing was sent"
