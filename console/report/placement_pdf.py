"""The one-page PDF of a placement test, for the theatre notes and the patient's file.

It says, in this order: the overall verdict (and, in purple, when the observations
were simulated by the emulator rather than seen in a patient); who, which device, when;
each lead's verdict with its reasons and what to do; each lead's impedance and its
threshold map (every pair tried, the contraction threshold and unwanted responses);
fluoroscopy, notes and sign-off. The text uses the Bitstream Vera fonts that ship with
reportlab, so Ω, µ, ≤ and the minus sign print on any machine. Content is shrunk to fit
when a long test would overflow: the report is always one page. A report of the demo,
or of the emulator, is marked so on every page (``console.report.marking``).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from console.leads.impedance import ContactState
from console.leads.naming import polarised_pair_name
from console.placement.result import (
    LeadIntegrity,
    LeadVerdict,
    Outcome,
    PlacementResult,
    Purpose,
    ResultStatus,
    Trial,
    lead_title,
)
from console.report.marking import DEMO_MARK, draw_demo_mark, is_emulator

_FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONT, FONT_BOLD = "MfVera", "MfVera-Bold"

PASS_GREEN = colors.HexColor("#2e7d32")
FAIL_RED = colors.HexColor("#b71c1c")
AMBER = colors.HexColor("#b26a00")
SIMULATED_PURPLE = colors.HexColor("#6a1b9a")
GRID_GREY = colors.HexColor("#90a4ae")
HEAD_BG = colors.HexColor("#eceff1")

_OUTCOME_COLOUR = {Outcome.PASS: PASS_GREEN, Outcome.FAIL: FAIL_RED,
                   Outcome.PENDING: AMBER, Outcome.INCOMPLETE: AMBER}
_STATE_COLOUR = {ContactState.NORMAL: colors.black, ContactState.HIGH: AMBER,
                 ContactState.LOW: AMBER, ContactState.OPEN: FAIL_RED,
                 ContactState.SHORTED: FAIL_RED, ContactState.UNKNOWN: AMBER}


def register_fonts() -> None:
    """The report fonts (shipped with reportlab), registered once for every report."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(_FONT_DIR / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONT_DIR / "VeraBd.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                      boldItalic=FONT_BOLD)


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    heading: ParagraphStyle
    banner: ParagraphStyle
    notice: ParagraphStyle
    cell: ParagraphStyle

    @classmethod
    def make(cls) -> _Styles:
        body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5)
        return cls(
            body=body,
            small=ParagraphStyle("small", parent=body, fontSize=7, leading=8.5,
                                 textColor=colors.HexColor("#455a64")),
            heading=ParagraphStyle("heading", parent=body, fontName=FONT_BOLD, fontSize=11,
                                   leading=14, spaceBefore=5, spaceAfter=2),
            banner=ParagraphStyle("banner", parent=body, fontName=FONT_BOLD, fontSize=16,
                                  leading=20, alignment=TA_CENTER, textColor=colors.white),
            notice=ParagraphStyle("notice", parent=body, fontName=FONT_BOLD, fontSize=11,
                                  leading=14, alignment=TA_CENTER, textColor=colors.white),
            cell=ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9))


def placement_report_pdf(result: PlacementResult, *, demo: bool = False) -> bytes:
    """The report as PDF bytes; ``demo``: made in the demonstration environment.

    A demo report, or one of the emulator, carries ``DEMO_MARK`` on every page.
    """
    register_fonts()
    styles = _Styles.make()
    buffer = BytesIO()
    marked = demo or is_emulator(result.device)
    subject = _overall_text(result)
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=12 * mm,
        bottomMargin=12 * mm, title="Lead placement test" + (f" ({DEMO_MARK})" if marked
                                                              else ""),
        author=result.operator, subject=f"{DEMO_MARK}: {subject}" if marked else subject)
    story = _story(result, styles)
    on_page = (lambda canvas, doc: draw_demo_mark(canvas, doc.pagesize, FONT_BOLD)) if marked \
        else (lambda _canvas, _doc: None)
    document.build([KeepInFrame(document.width, document.height, story, mode="shrink")],
                   onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def write_placement_report(result: PlacementResult, path: str | Path, *,
                           demo: bool = False) -> Path:
    """Write the report to ``path`` (complete or not at all) and return the path."""
    target = Path(path)
    data = placement_report_pdf(result, demo=demo)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def _overall_text(result: PlacementResult) -> str:
    if result.status == ResultStatus.INCOMPLETE:
        return "INCOMPLETE — test stopped, not a pass"
    if result.overall == Outcome.PASS:
        return "PASS — both leads meet the placement criteria"
    if result.overall == Outcome.FAIL:
        failing = [lead_title(v.lead) for v in result.verdicts if v.outcome == Outcome.FAIL]
        return f"FAIL — {' and '.join(failing)} {'do' if len(failing) > 1 else 'does'} not " \
               "meet the criteria"
    return "NOT YET JUDGED — testing not finished"


def _banner(text: str, colour: colors.Color, style: ParagraphStyle) -> Table:
    table = Table([[Paragraph(escape(text), style)]], colWidths=["100%"])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colour),
                               ("TOPPADDING", (0, 0), (-1, -1), 5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _story(result: PlacementResult, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph("Intraoperative lead placement test", styles.heading),
        _banner(_overall_text(result), _OUTCOME_COLOUR.get(result.overall, AMBER)
                if result.status != ResultStatus.INCOMPLETE else AMBER, styles.banner),
    ]
    if result.simulated:
        story += [Spacer(1, 3), _banner("SIMULATED OBSERVATIONS — device emulator, not a "
                                        "patient", SIMULATED_PURPLE, styles.notice)]
    story += [Spacer(1, 5), _facts(result, styles)]
    for lead in (0, 1):
        story += _lead_section(result, lead, styles)
    story += _closing(result, styles)
    return story


def _facts(result: PlacementResult, styles: _Styles) -> Table:
    profile = result.profile
    device = result.device or {}
    rows = [
        ("Patient", result.patient or "not recorded"),
        ("Device", f"{device.get('model', '?')} serial {device.get('serial', '?')}, firmware "
                   f"{device.get('firmware', '?')}" if device else "not identified"),
        ("Operator", result.operator),
        ("Started / ended (UTC)", f"{result.started_at} / {result.ended_at or 'not ended'}"),
        ("Observations", "simulated by the device emulator" if result.simulated
         else "seen by the team in theatre"),
        ("Test stimulus", f"{profile.pulse_width_us} µs, {profile.frequency_hz} Hz, from "
                          f"{profile.start_ma} mA in steps of {profile.step_ma} mA up to "
                          f"{profile.max_ma} mA ({result.stepping.value} stepping)"),
        ("Criteria", f"every contact conducts, none shorted; multifidus contraction at or "
                     f"below {profile.threshold_max_ma} mA; no unwanted response below "
                     f"{profile.unwanted_margin} × threshold ({profile.name})"),
    ]
    stops = sum(step.event == "test interrupted" for step in result.steps)
    if stops:
        resumed = sum(step.event == "test resumed" for step in result.steps)
        rows.append(("STOP during the test", f"{stops} × STOP, resumed {resumed} ×; a trial "
                     "stopped is listed as ended by STOP"))
    table = Table([[Paragraph(escape(k), styles.cell), Paragraph(escape(v), styles.cell)]
                   for k, v in rows], colWidths=[34 * mm, None])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), FONT_BOLD),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _lead_section(result: PlacementResult, lead: int, styles: _Styles) -> list[Flowable]:
    verdict = result.verdicts[lead]
    colour = _OUTCOME_COLOUR[verdict.outcome].hexval()[2:]
    head = (f"{lead_title(lead)}: <font color='#{colour}'>"
            f"{escape(_lead_outcome_text(verdict))}</font>")
    parts: list[Flowable] = [Paragraph(head, styles.heading)]
    parts += [Paragraph("• " + escape(reason), styles.body) for reason in verdict.reasons]
    parts += [Paragraph("<b>What to do:</b> " + escape(s), styles.body)
              for s in verdict.suggestions]
    parts += [Spacer(1, 3), _impedance_table(result.integrity[lead], styles), Spacer(1, 3),
              _threshold_table(result.trials_of(lead), styles)]
    return parts


def _lead_outcome_text(verdict: LeadVerdict) -> str:
    text = verdict.outcome.value.upper()
    if verdict.outcome == Outcome.FAIL and verdict.failure is not None:
        text += f" on {verdict.failure.value}"
    return text


def _impedance_table(integrity: LeadIntegrity, styles: _Styles) -> Flowable:
    if not integrity.measured:
        return Paragraph("Impedance: not measured.", styles.body)
    header = ["Impedance", *(reading.name for reading in (*integrity.contacts,
                                                          *integrity.pairs))]
    values = ["Ω (to case / pair)", *(_ohms(c.ohms) for c in integrity.contacts),
              *(_ohms(p.ohms) for p in integrity.pairs)]
    states = ["state", *(c.state.value for c in integrity.contacts),
              *(p.state.value for p in integrity.pairs)]
    table = Table([header, values, states], repeatRows=1)
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 7),
             ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD), ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
             ("GRID", (0, 0), (-1, -1), 0.3, GRID_GREY), ("ALIGN", (1, 0), (-1, -1), "CENTER"),
             ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
    for column, reading in enumerate((*integrity.contacts, *integrity.pairs), start=1):
        colour = _STATE_COLOUR[reading.state]
        if colour != colors.black:
            style += [("TEXTCOLOR", (column, 1), (column, 2), colour),
                      ("FONTNAME", (column, 2), (column, 2), FONT_BOLD)]
    table.setStyle(TableStyle(style))
    return table


def _ohms(ohms: int | None) -> str:
    return "open" if ohms is None else str(ohms)


def _threshold_table(trials: tuple[Trial, ...], styles: _Styles) -> Flowable:
    if not trials:
        return Paragraph("Threshold map: no pair stimulated on this lead.", styles.body)
    rows = [["#", "Pair (anode +, cathode −)", "Purpose", "Contraction at",
             "Unwanted response", "Highest / target", "Ended by"]]
    for trial in trials:
        rows.append([
            str(trial.number), polarised_pair_name(trial.anode, trial.cathode), trial.purpose.value,
            f"{trial.contraction_ma} mA" if trial.contraction_ma is not None else
            ("—" if trial.purpose == Purpose.MARGIN else "none"),
            "; ".join(f"{u.kind.value} at {u.amplitude_ma} mA" for u in trial.unwanted)
            or "none",
            f"{trial.amplitude_ma} / {trial.target_ma} mA",
            trial.end.value if trial.end else "running",
        ])
    table = Table([[Paragraph(escape(cell), styles.cell) for cell in row] for row in rows],
                  colWidths=[7 * mm, 30 * mm, 20 * mm, 22 * mm, 38 * mm, 26 * mm, None],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG), ("GRID", (0, 0), (-1, -1), 0.3, GRID_GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _closing(result: PlacementResult, styles: _Styles) -> list[Flowable]:
    fluoroscopy = {True: "confirms the position", False: "not recorded as confirming the "
                   "position", None: "not recorded"}[result.fluoroscopy_confirmed]
    parts: list[Flowable] = [Paragraph("Sign-off", styles.heading),
                             Paragraph(f"<b>Fluoroscopy:</b> {escape(fluoroscopy)}",
                                       styles.body)]
    if result.notes:
        parts.append(Paragraph(f"<b>Notes:</b> {escape(result.notes)}", styles.body))
    if result.status == ResultStatus.COMPLETE:
        signed = f"Signed off by {result.operator} at {result.ended_at} (UTC)."
    elif result.status == ResultStatus.INCOMPLETE:
        signed = (f"NOT SIGNED — the test ended incomplete ({result.stop_reason}) at "
                  f"{result.ended_at}: it is not a pass.")
    else:
        signed = "NOT SIGNED — testing still in progress."
    parts += [Paragraph(escape(signed), styles.body), Spacer(1, 4),
              Paragraph(escape(f"Every step ({len(result.steps)}, with time and amplitude) is "
                               f"kept in the clinical record. Placement profile: "
                               f"{result.profile.name}."), styles.small)]
    return parts
