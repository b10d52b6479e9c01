"""The patient handout (one A4 page): the program in plain words, the next visit, whom to call.

Written for the patient, not the clinician: how often and how long to use the
stimulator (sessions a day from the clinic profile, session length from the program),
what the contraction should feel like in the clinic's own words, when the next visit is,
and the clinic's name and contact. No amplitudes, no electrode names. A handout of the
demo or of the emulator is marked so, as every report is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer

from console.programming.program import Program, plain
from console.report.marking import DEMO_MARK
from console.report.visit_data import VisitReport
from console.report.visit_pdf import write_whole
from console.report.visit_style import Styles, grid_table, on_every_page, register_fonts, text

CONTACT_YOU = "Your clinic will contact you to arrange your next visit."
NO_PROGRAM = ("No program was recorded for your stimulator at this visit: please ask the "
              "clinic how to use it before you start.")
_MARGIN = 20 * mm


def program_words(program: Program, sessions_per_day: int) -> list[str]:
    """The program as sentences a patient reads at home."""
    sides = [lead.enabled for lead in program.leads]
    where = ("on both sides of your lower back" if all(sides) else
             "on the left side of your lower back" if sides[0] else
             "on the right side of your lower back" if sides[1] else
             "nowhere: the program delivers no stimulation")
    times = "once" if sessions_per_day == 1 else "twice" if sessions_per_day == 2 else \
        f"{sessions_per_day} times"
    return [
        f"Use your stimulator {times} a day.",
        f"Each session lasts {program.session_min} minutes; the stimulator stops by itself "
        "at the end of the session.",
        f"During a session the muscles work and rest in turn: about {_seconds(program.on_s)} "
        f"seconds of contraction, then {_seconds(program.off_s)} seconds of rest.",
        f"You should feel it {where}.",
    ]


def _seconds(value: Decimal) -> str:
    """10.0 → "10", 2.5 → "2.5": how a patient reads a duration."""
    return plain(value.normalize())


def next_visit_words(next_visit: date | None) -> str:
    if next_visit is None:
        return CONTACT_YOU
    return f"Your next visit is on {next_visit:%A} {next_visit.day} {next_visit:%B %Y}."


def handout_pdf(report: VisitReport, *, next_visit: date | None = None,
                compress: bool = True) -> bytes:
    register_fonts()
    styles = Styles.make(11)
    buffer = BytesIO()
    title = "Your stimulator: how to use it"
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN,
        topMargin=(18 if report.marked else 16) * mm,
        bottomMargin=(20 if report.marked else 16) * mm,
        title=f"{title} ({DEMO_MARK})" if report.marked else title,
        author=report.clinic.clinic_name, pageCompression=1 if compress else 0)
    footer = (f"{report.clinic.clinic_name} — given at visit {report.visit.id} on "
              f"{report.made_at.day} {report.made_at:%B %Y}")
    decorate = on_every_page(report.marked, footer)
    document.build(_story(report, styles, next_visit), onFirstPage=decorate,
                   onLaterPages=decorate)
    return buffer.getvalue()


def write_handout(report: VisitReport, path: str | Path, *,
                  next_visit: date | None = None) -> Path:
    """Write the handout to ``path`` (complete or not at all) and return the path."""
    return write_whole(Path(path), handout_pdf(report, next_visit=next_visit))


def _story(report: VisitReport, styles: Styles, next_visit: date | None) -> list[Flowable]:
    clinic = report.clinic
    story: list[Flowable] = [text(clinic.clinic_name, styles.heading),
                             text("Your stimulator: how to use it", styles.title),
                             text(f"For: {report.patient_text}", styles.body),
                             Spacer(1, 6), text("Your program", styles.heading)]
    program = report.handout_program()
    if program is None:
        story.append(text(NO_PROGRAM, styles.body))
    else:
        for sentence in program_words(program, clinic.prescribed_sessions_per_day):
            story += [text(f"• {sentence}", styles.body), Spacer(1, 2)]
    story += [text("What it should feel like", styles.heading),
              text(clinic.contraction_feel, styles.body),
              text("Your next visit", styles.heading),
              text(next_visit_words(next_visit), styles.body),
              text("Questions or problems", styles.heading)]
    contact = grid_table([[text(clinic.clinic_name, styles.cell_bold)],
                          [text(clinic.clinic_contact, styles.body)]],
                         [None], header=False,
                         extra=[("TOPPADDING", (0, 0), (-1, -1), 5),
                                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                                ("LEFTPADDING", (0, 0), (-1, -1), 8)])
    story += [contact, Spacer(1, 8)]
    if report.device is not None:
        story.append(text(f"Your stimulator's serial number: {report.device.serial}. Bring "
                          "this sheet and your activator to every visit.", styles.small))
    return story
