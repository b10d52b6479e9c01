"""The visit report's sections: impedance, titration, programs, confirmations, sign-off.

Each takes the gathered ``VisitReport`` (``console.report.visit_data``) and returns
flowables; the words a section prints when it has nothing to show are constants, so a
reader of the PDF and a test agree on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from console.leads.impedance import ContactState
from console.leads.naming import contact_name, lead_name, pair_name, polarised_pair_name
from console.programming.program import LEAD_NAMES, Program, plain
from console.report.visit_data import (
    ImpedanceSection,
    SlotPrograms,
    TitrationRow,
    VisitReport,
)
from console.report.visit_style import (
    AMBER,
    CHANGED_BG,
    FAIL_RED,
    Styles,
    grid_table,
    text,
)
from console.storage import ProgramVersion, VersionStatus
from device_link.protocol import BIPOLAR_PAIRS

NO_MARKS = "No titration marks recorded."
NO_PROGRAM = "No program is recorded for this device."
NOTHING_WRITTEN = "No program was written in this visit."
NO_IMPEDANCE = "Impedance: never measured on this device."
_FLAG_COLOUR = {ContactState.OPEN: FAIL_RED, ContactState.SHORTED: FAIL_RED,
                ContactState.HIGH: AMBER, ContactState.LOW: AMBER}


# -- impedance ------------------------------------------------------------------------------


def impedance_section(section: ImpedanceSection, styles: Styles) -> list[Flowable]:
    parts: list[Flowable] = [text("Impedance", styles.heading)]
    if not section.readings:
        return [*parts, text(NO_IMPEDANCE, styles.body)]
    assert section.measured_at is not None
    when = f"{section.measured_at:%Y-%m-%d %H:%M} UTC"
    parts.append(text(f"Measured in this visit, {when}." if section.in_visit else
                      f"Not measured in this visit: the latest readings, {when}.",
                      styles.body))
    parts += [Spacer(1, 2), _impedance_table(section, styles), Spacer(1, 2)]
    flagged = section.flagged
    parts.append(text(
        "Flagged: " + "; ".join(r.flag_text() for r in flagged) + "." if flagged else
        f"None flagged: every reading within {section.normal_min_ohm}–"
        f"{section.normal_max_ohm} Ω.", styles.body))
    return parts


def _impedance_table(section: ImpedanceSection, styles: Styles) -> Flowable:
    """One row per lead: each contact against the case, then each pair; flags in colour."""
    columns: list[tuple[int, int | None]] = [(e, None) for e in range(4)]
    columns += [(a, b) for a, b in BIPOLAR_PAIRS]
    header = ["Lead", *(f"{contact_name(a)} to case" if b is None else pair_name(a, b)
                        for a, b in columns)]
    readings = {(r.lead, r.electrode_a, r.electrode_b): r for r in section.readings}
    rows: list[list[object]] = [[text(h, styles.cell_bold) for h in header]]
    for lead in range(len(LEAD_NAMES)):
        row: list[object] = [text(lead_name(lead), styles.cell_bold)]
        for a, b in columns:
            reading = readings.get((lead, a, b))
            if reading is None:
                row.append(text("—", styles.cell))
                continue
            value = "open" if reading.ohms is None else f"{reading.ohms} Ω"
            if not reading.flagged:
                row.append(text(value, styles.cell))
                continue
            colour = _FLAG_COLOUR.get(reading.state, AMBER).hexval()[2:]
            words = value if reading.state is ContactState.OPEN else \
                f"{value}<br/>{escape(reading.state.value)}"
            row.append(Paragraph(f"<font color='#{colour}'><b>{words}</b></font>",
                                 styles.cell))
        rows.append(row)
    return grid_table(rows, [12 * mm] + [None] * len(columns))


# -- titration ------------------------------------------------------------------------------


def _ma(value: Decimal | None) -> str:
    return "—" if value is None else f"{plain(value)} mA"


def titration_section(rows: Sequence[TitrationRow], styles: Styles) -> list[Flowable]:
    parts: list[Flowable] = [text("Titration", styles.heading)]
    if not rows:
        return [*parts, text(NO_MARKS, styles.body)]
    header = ["Lead", "Pair", "First contraction", "Strong, comfortable", "Maximum tolerated",
              "Stimulus", "Note"]
    table = [[text(h, styles.cell_bold) for h in header]]
    table += [[text(lead_name(r.lead), styles.cell), text(r.pair, styles.cell),
               text(_ma(r.threshold_ma), styles.cell), text(_ma(r.target_ma), styles.cell),
               text(_ma(r.maximum_ma), styles.cell),
               text(f"{r.pulse_width_us} µs, {r.frequency_hz} Hz", styles.cell),
               text(r.note or "—", styles.cell)] for r in rows]
    return [*parts, grid_table(table, [12 * mm, 20 * mm, 22 * mm, 24 * mm, 22 * mm, 26 * mm,
                                       None])]


# -- programs -------------------------------------------------------------------------------


def _lead_words(program: Program, lead: int) -> str:
    part = program.leads[lead]
    if not part.enabled:
        return "off"
    return (f"{polarised_pair_name(part.anode, part.cathode)}, {plain(part.amplitude_ma)} mA, "
            f"{part.pulse_width_us} µs")


def program_rows(program: Program | None) -> list[tuple[str, str]]:
    """A program as a clinician reads it: one line per lead, then the shared timing."""
    labels = [f"{lead_name(0).capitalize()} lead", f"{lead_name(1).capitalize()} lead",
              "Frequency", "Ramp up / down", "On / off", "Session"]
    if program is None:
        return [(label, "—") for label in labels]
    values = [_lead_words(program, 0), _lead_words(program, 1), f"{program.frequency_hz} Hz",
              f"{plain(program.ramp_up_s)} s / {plain(program.ramp_down_s)} s",
              f"{plain(program.on_s)} s / {plain(program.off_s)} s",
              f"{program.session_min} min"]
    return list(zip(labels, values, strict=True))


def _version_words(version: ProgramVersion | None, found: bool, *, arrived: bool) -> str:
    if version is None:
        return "empty (nothing recorded)"
    if found:
        return f"version {version.id}, read from the device on arrival"
    if arrived:
        return f"version {version.id}, as the record last verified it"
    return f"version {version.id}, verified by {version.history[-1].actor}"


def _slot_table(slot: SlotPrograms, styles: Styles) -> Flowable:
    arrived = slot.arrived.program if slot.arrived is not None else None
    left = slot.left.program if slot.left is not None else None
    rows: list[list[object]] = [[
        text(f"Slot {slot.slot}", styles.cell_bold),
        text("Arrived with — " + _version_words(slot.arrived, slot.arrived_found,
                                                arrived=True), styles.cell_bold),
        text("Left with — " + _version_words(slot.left, False, arrived=False) +
             ("" if slot.changed else " (unchanged)"), styles.cell_bold)]]
    extra: list[tuple] = []
    for index, ((label, before), (_, after)) in enumerate(
            zip(program_rows(arrived), program_rows(left), strict=True), start=1):
        changed = before != after
        style = styles.cell_bold if changed else styles.cell
        rows.append([text(label, styles.cell), text(before, style), text(after, style)])
        if changed:
            extra.append(("BACKGROUND", (2, index), (2, index), CHANGED_BG))
    for version in slot.not_verified:
        rows.append([text("Also written", styles.cell), text("", styles.cell),
                     text(_pending_words(version), styles.cell)])
        extra.append(("TEXTCOLOR", (2, len(rows) - 1), (2, len(rows) - 1), AMBER))
    return grid_table(rows, [27 * mm, None, None], extra=extra)


def _pending_words(version: ProgramVersion) -> str:
    status = version.status
    if status is VersionStatus.UNCONFIRMED:
        return (f"version {version.id}: outcome unknown (the link dropped while writing): the "
                "device may hold it")
    if status is VersionStatus.FAILED:
        return f"version {version.id}: the write failed; the device kept its program"
    return f"version {version.id}: {status.value}, never written to the device"


def programs_section(report: VisitReport, styles: Styles) -> list[Flowable]:
    parts: list[Flowable] = [text("Programs: arrived with, left with", styles.heading)]
    if not report.slots:
        return [*parts, text(NO_PROGRAM, styles.body)]
    for slot in report.slots:
        parts += [_slot_table(slot, styles), Spacer(1, 3)]
    return parts


def written_section(report: VisitReport, styles: Styles) -> list[Flowable]:
    """Each version written in the visit: by whom, why, how it ended; confirmed findings."""
    parts: list[Flowable] = [text("Written in this visit", styles.heading)]
    if not report.written:
        return [*parts, text(NOTHING_WRITTEN, styles.body)]
    rows: list[list[object]] = [[text(h, styles.cell_bold) for h in (
        "Version", "Slot", "By", "At (UTC)", "Outcome", "Reason")]]
    rows += [[text(str(v.id), styles.cell), text(str(v.slot), styles.cell),
              text(v.author, styles.cell), text(f"{v.created_at:%H:%M}", styles.cell),
              text(v.status.value, styles.cell), text(v.reason, styles.cell)]
             for v in report.written]
    parts.append(grid_table(rows, [16 * mm, 11 * mm, 24 * mm, 17 * mm, 22 * mm, None]))
    confirmations = report.confirmations
    parts.append(Spacer(1, 3))
    if not confirmations:
        parts.append(text("No safety finding needed confirming.", styles.body))
        return parts
    rows = [[text(h, styles.cell_bold) for h in ("Version", "Safety finding confirmed",
                                                  "Reason given", "By")]]
    rows += [[text(str(v.id), styles.cell), text(message, styles.cell),
              text(reason, styles.cell), text(v.author, styles.cell)]
             for v, message, reason in confirmations]
    parts.append(grid_table(rows, [16 * mm, None, None, 24 * mm]))
    return parts


# -- sign-off -------------------------------------------------------------------------------


def sign_off_section(report: VisitReport, styles: Styles) -> list[Flowable]:
    """Lines to sign by hand: the operator's first, then one for a second signature."""
    operator = report.visit.operator
    role = report.made_by.role.value if report.made_by.username == operator else ""
    name = (report.made_by.full_name or operator) if report.made_by.username == operator \
        else operator
    rows: list[list[object]] = [[text(h, styles.cell_bold) for h in (
        "", "Name", "Role", "Date", "Signature")]]
    rows.append([text("Operator", styles.cell_bold), text(name, styles.cell),
                 text(role, styles.cell), text("", styles.cell), text("", styles.cell)])
    rows.append([text("Reviewed by", styles.cell_bold)] + [text("", styles.cell)] * 4)
    table = grid_table(rows, [22 * mm, 46 * mm, 26 * mm, 26 * mm, None],
                       extra=[("TOPPADDING", (0, 1), (-1, -1), 7),
                              ("BOTTOMPADDING", (0, 1), (-1, -1), 7)])
    return [KeepTogether([text("Sign-off", styles.heading), table])]
