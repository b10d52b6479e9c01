"""The clinic's audit report (A4 PDF): what NICE asks a clinic to audit, on one date.

In this order: the date, the clinic and its responder rules; follow-up completeness;
responders with their 95 % intervals; adverse events by category and how many were
serious; explants by reason; mean adherence. Only pseudonymous counts: no patient is
named. A clinic whose record holds the emulator is marked as a demonstration on every
page (``console.report.marking``). Definitions: docs/outcomes-audit.md.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer

from console.outcomes.cohort import CohortReport, Proportion
from console.outcomes.timepoints import Timepoint
from console.report.marking import DEMO_MARK
from console.report.visit_style import (
    FAIL_RED,
    Styles,
    banner,
    grid_table,
    on_every_page,
    register_fonts,
    text,
)

TITLE = "Clinic audit — outcomes and safety"
DEMO_BANNER = "DEMONSTRATION — the record holds the emulator: these are not a clinic's figures"
TIMEPOINT_WORDS = {Timepoint.BASELINE: "Baseline", Timepoint.WEEK_6: "6 weeks",
                   Timepoint.MONTH_3: "3 months", Timepoint.MONTH_6: "6 months",
                   Timepoint.MONTH_12: "12 months", Timepoint.MONTH_24: "24 months"}
NO_USAGE = ("Adherence: no patient's usage over the 28 days before this date is known (no "
            "device log downloaded since).")
_MARGIN = 14 * mm


def cohort_report_pdf(report: CohortReport, *, clinic_name: str, made_by: str,
                      made_at: datetime, compress: bool = True) -> bytes:
    """The report as PDF bytes (``compress`` False: text readable in the file itself)."""
    register_fonts()
    styles = Styles.make()
    buffer = BytesIO()
    title = f"{TITLE}, {report.as_of.isoformat()}"
    marked = report.emulated
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN,
        topMargin=(14 if marked else 12) * mm, bottomMargin=(18 if marked else 13) * mm,
        title=f"{title} ({DEMO_MARK})" if marked else title, author=made_by,
        subject=f"{clinic_name}: the clinic's audit", pageCompression=1 if compress else 0)
    footer = (f"{clinic_name} — audit as of {report.as_of.isoformat()} — made "
              f"{made_at:%Y-%m-%d %H:%M} UTC by {made_by}")
    decorate = on_every_page(marked, footer)
    document.build(_story(report, clinic_name, styles), onFirstPage=decorate,
                   onLaterPages=decorate)
    return buffer.getvalue()


def _story(report: CohortReport, clinic_name: str, styles: Styles) -> list[Flowable]:
    rules = report.rules
    story: list[Flowable] = [
        text(TITLE, styles.title),
        text(f"{clinic_name}. As of {report.as_of:%d %B %Y}: {report.patients} patients in "
             "the record.", styles.body)]
    if report.emulated:
        story += [Spacer(1, 4), banner(DEMO_BANNER, FAIL_RED, styles)]
    story += [Spacer(1, 3), text(
        f"Responder rules (the clinic profile): pain — NRS down by at least "
        f"{rules.pain_nrs_drop} points from baseline; function — ODI down by at least "
        f"{rules.function_odi_drop} points from baseline.", styles.body)]
    story += _followup(report, styles)
    story += _responders(report, styles)
    story += _adverse_events(report, styles)
    story += _explants(report, styles)
    story += _adherence(report, styles)
    story += [Spacer(1, 6), text(
        "Due: implant date plus the timepoint on or before the audit date (baseline: "
        "implanted by then). Collected: of those due, an assessment dated by then. Of: "
        "patients with the measure at baseline and at the timepoint. Counts are of the "
        "current entries (corrections replace what they amend).", styles.small)]
    return story


def _section(title: str, rows: list[list[object]], styles: Styles,
             widths: list[float | None]) -> list[Flowable]:
    table = [[text(str(cell), styles.cell_bold if n == 0 else styles.cell) for cell in row]
             for n, row in enumerate(rows)]
    return [KeepTogether([text(title, styles.heading), grid_table(table, widths)])]


def _followup(report: CohortReport, styles: Styles) -> list[Flowable]:
    rows: list[list[object]] = [["Timepoint", "Due", "Collected", "Collected of due"]]
    for point, done in report.followup:
        share = "—" if done.due == 0 else f"{Proportion(done.collected, done.due).pct} %"
        rows.append([TIMEPOINT_WORDS[point], done.due, done.collected, share])
    return _section("Follow-up completeness", rows, styles, [40 * mm, 25 * mm, 25 * mm, None])


def _responders(report: CohortReport, styles: Styles) -> list[Flowable]:
    rows: list[list[object]] = [["Timepoint", "Pain responders", "Pain 95 % CI",
                                 "Function responders", "Function 95 % CI"]]
    for point, found in report.responders:
        rows.append([TIMEPOINT_WORDS[point], *_proportion(found.pain),
                     *_proportion(found.function)])
    return _section("Responders (Wilson 95 % interval)", rows, styles,
                    [30 * mm, 40 * mm, 30 * mm, 40 * mm, None])


def _proportion(proportion: Proportion) -> tuple[str, str]:
    if proportion.of == 0:
        return "none to judge (0)", "—"
    interval = proportion.ci95
    assert interval is not None
    return (f"{proportion.n} of {proportion.of} = {proportion.pct} %",
            f"{interval[0]}–{interval[1]} %")


def _adverse_events(report: CohortReport, styles: Styles) -> list[Flowable]:
    counts = report.adverse_events
    rows: list[list[object]] = [["Category", "Events"]]
    rows += [[category.value, count] for category, count in counts.by_category]
    rows += [["All categories", counts.total], ["of which serious", counts.serious]]
    return _section("Adverse events by category", rows, styles, [70 * mm, None])


def _explants(report: CohortReport, styles: Styles) -> list[Flowable]:
    rows: list[list[object]] = [["Reason", "Explants"]]
    rows += [[reason.value, count] for reason, count in report.explants.by_reason]
    rows.append(["All reasons", report.explants.total])
    return _section("Explants by reason", rows, styles, [70 * mm, None])


def _adherence(report: CohortReport, styles: Styles) -> list[Flowable]:
    summary = report.adherence
    words = NO_USAGE if summary.mean_pct is None else (
        f"Mean adherence over the 28 days before this date: {summary.mean_pct} %, over "
        f"{summary.patients} patients whose usage is known (a device log downloaded since; "
        "implanted before the 28 days began).")
    return [text("Adherence", styles.heading), text(words, styles.body)]
