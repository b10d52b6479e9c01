"""The visit report (A4 PDF): what the patient arrived with and left with, and why.

In this order: who, which device, which visit; impedance with its flags; usage and its
chart; the titration marks; the programs the device arrived with and left with, side by
side per slot; what was written and the safety findings confirmed with their reasons;
the sign-off lines. A visit still open is printed as provisional: a closed visit takes no
new entries, so only its report is the one to sign. A report of the demo or of the
emulator is marked so on every page (``console.report.marking``).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer

from console.report.marking import DEMO_MARK
from console.report.visit_data import VisitReport
from console.report.visit_outcomes import outcomes_section
from console.report.visit_sections import (
    impedance_section,
    programs_section,
    sign_off_section,
    titration_section,
    written_section,
)
from console.report.visit_style import (
    AMBER,
    Styles,
    banner,
    grid_table,
    on_every_page,
    register_fonts,
    text,
)
from console.report.visit_usage import usage_section

PROVISIONAL = "VISIT STILL OPEN — provisional report: end the visit before signing"
_MARGIN = 14 * mm


def title_of(report: VisitReport) -> str:
    return f"Visit report — {report.visit.kind.value} visit {report.visit.id}"


def visit_report_pdf(report: VisitReport, *, compress: bool = True) -> bytes:
    """The report as PDF bytes (``compress`` False: text readable in the file itself)."""
    register_fonts()
    styles = Styles.make()
    buffer = BytesIO()
    title = title_of(report)
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN,
        topMargin=(14 if report.marked else 12) * mm,
        bottomMargin=(18 if report.marked else 13) * mm,
        title=f"{title} ({DEMO_MARK})" if report.marked else title,
        author=report.made_by.username, subject=f"Patient {report.patient.clinic_id}",
        pageCompression=1 if compress else 0)
    footer = (f"{report.clinic.clinic_name} — patient {report.patient.clinic_id}, visit "
              f"{report.visit.id} — made {report.made_at:%Y-%m-%d %H:%M} UTC by "
              f"{report.made_by.username}")
    decorate = on_every_page(report.marked, footer)
    document.build(_story(report, styles, document.width), onFirstPage=decorate,
                   onLaterPages=decorate)
    return buffer.getvalue()


def write_visit_report(report: VisitReport, path: str | Path) -> Path:
    """Write the report to ``path`` (complete or not at all) and return the path."""
    return write_whole(Path(path), visit_report_pdf(report))


def write_whole(target: Path, data: bytes) -> Path:
    """``data`` into ``target`` by way of a file beside it: never a half-written PDF."""
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _story(report: VisitReport, styles: Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [text(title_of(report), styles.title),
                             text(report.clinic.clinic_name, styles.body)]
    if report.visit.ended_at is None:
        story += [Spacer(1, 4), banner(PROVISIONAL, AMBER, styles)]
    story += [Spacer(1, 5), _facts(report, styles)]
    story += impedance_section(report.impedance, styles)
    story += usage_section(report.usage, report.clinic, styles, width)
    story += titration_section(report.titration, styles)
    story += outcomes_section(report, styles)
    story += programs_section(report, styles)
    story += written_section(report, styles)
    story += sign_off_section(report, styles)
    story.append(Spacer(1, 4))
    story.append(text("Times are UTC. Every version, reading and confirmation above is kept "
                      "in the clinical record with its audit trail.", styles.small))
    return story


def _facts(report: VisitReport, styles: Styles) -> Flowable:
    visit, device = report.visit, report.device
    ended = f"ended {visit.ended_at:%Y-%m-%d %H:%M}" if visit.ended_at else "still open"
    rows = [
        ("Patient", report.patient_text),
        ("Device", f"{device.model or 'model not recorded'}, serial {device.serial}, firmware "
                   f"{device.firmware or 'not reported yet'}" if device is not None
         else "not named in this visit"),
        ("Implanted", f"{device.implant_date:%d %B %Y}" if device is not None
         and device.implant_date else "date not recorded"),
        ("Visit", f"{visit.kind.value}, started {visit.started_at:%Y-%m-%d %H:%M} UTC, "
                  f"{ended}" + (" UTC" if visit.ended_at else "")),
        ("Operator", visit.operator),
    ]
    table = [[text(k, styles.cell_bold), text(v, styles.cell)] for k, v in rows]
    return grid_table(table, [26 * mm, None], header=False)
