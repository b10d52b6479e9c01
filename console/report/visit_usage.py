"""The usage section of the visit report: the figures and a chart of sessions day by day.

The chart shows, per calendar day, the sessions completed (dark) and those started but
not completed (light) against a dashed line at the prescription; adherence below the
clinic profile's flag is printed in red, so a short-fall is seen before it is read.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph

from console.clinic.profile import ClinicProfile
from console.programming.program import plain
from console.report.visit_style import FAIL_RED, FONT, FONT_BOLD, Styles, grid_table, text
from console.usage.report import UsageReport

NOT_DOWNLOADED = "Usage: not downloaded in this visit."
COMPLETED_BLUE = colors.HexColor("#1565c0")
STARTED_BLUE = colors.HexColor("#90caf9")
AXIS_GREY = colors.HexColor("#607d8b")
CHART_HEIGHT = 34 * mm
_LABEL_ROOM = 9 * mm  # left of the plot: the axis numbers
_DATE_ROOM = 5 * mm  # under the plot: the dates


def adherence_flagged(usage: UsageReport, clinic: ClinicProfile) -> bool:
    return usage.adherence_pct < clinic.adherence_flag_below_pct


def usage_section(usage: UsageReport | None, clinic: ClinicProfile, styles: Styles,
                  width: float) -> list[Flowable]:
    """The heading, the figures and the chart; one sentence when nothing was downloaded."""
    heading = text("Usage", styles.heading)
    if usage is None:
        return [heading, text(NOT_DOWNLOADED, styles.body)]
    return [heading, usage_figures(usage, clinic, styles), usage_chart(usage, width)]


def _number(value: float) -> str:
    return plain(round(value)) if float(value).is_integer() else f"{value:.1f}"


def usage_figures(usage: UsageReport, clinic: ClinicProfile, styles: Styles) -> Flowable:
    flagged = adherence_flagged(usage, clinic)
    adherence = (f"{_number(usage.adherence_pct)} % — below the clinic's "
                 f"{plain(clinic.adherence_flag_below_pct)} %" if flagged
                 else f"{_number(usage.adherence_pct)} %")
    cells = [
        ("Period", f"{usage.start:%d %b %Y} to {usage.end:%d %b %Y} ({usage.days} days)"),
        ("Prescribed", f"{usage.prescribed_per_day} sessions a day"),
        ("Sessions", f"{usage.sessions_started} started, {usage.sessions_completed} completed"),
        ("Stimulation", f"{_number(usage.minutes_delivered)} minutes delivered"),
        ("Adherence", adherence),
    ]
    if usage.undated:
        cells.append(("Not dated", f"{usage.undated} log entries made while the device clock "
                                   "was not set: not placed on any day"))
    rows = [[text(k, styles.cell_bold), text(v, styles.cell)] for k, v in cells]
    if flagged:
        row = next(i for i, (k, _) in enumerate(cells) if k == "Adherence")
        rows[row][1] = Paragraph(f"<font color='#{FAIL_RED.hexval()[2:]}'><b>"
                                 f"{escape(adherence)}</b></font>", styles.cell)
    return grid_table(rows, [28 * mm, None], header=False)


def usage_chart(usage: UsageReport, width: float) -> Drawing:
    """Bars per day: completed, and started but not completed, on a dashed prescription."""
    drawing = Drawing(width, CHART_HEIGHT + _DATE_ROOM + 6 * mm)
    plot_w = width - _LABEL_ROOM
    bottom = _DATE_ROOM + 1 * mm
    days = usage.daily or ()
    top = max([usage.prescribed_per_day, *(d.started for d in days), 1])
    scale = CHART_HEIGHT / top
    drawing.add(Line(_LABEL_ROOM, bottom, width, bottom, strokeColor=AXIS_GREY,
                     strokeWidth=0.5))
    for value in sorted({0, usage.prescribed_per_day, top}):
        drawing.add(String(_LABEL_ROOM - 1.5 * mm, bottom + value * scale - 1, str(value),
                           fontName=FONT, fontSize=6, fillColor=AXIS_GREY, textAnchor="end"))
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.7, 0.6)
    for index, day in enumerate(days):
        x = _LABEL_ROOM + index * slot + (slot - bar) / 2
        if day.completed:
            drawing.add(Rect(x, bottom, bar, day.completed * scale, fillColor=COMPLETED_BLUE,
                             strokeColor=None))
        unfinished = max(day.started - day.completed, 0)
        if unfinished:
            drawing.add(Rect(x, bottom + day.completed * scale, bar, unfinished * scale,
                             fillColor=STARTED_BLUE, strokeColor=None))
        if _labelled(index, len(days)):
            drawing.add(String(x + bar / 2, 1 * mm, f"{day.day:%d %b}", fontName=FONT,
                               fontSize=6, fillColor=AXIS_GREY, textAnchor="middle"))
    line_y = bottom + usage.prescribed_per_day * scale
    drawing.add(Line(_LABEL_ROOM, line_y, width, line_y, strokeColor=FAIL_RED,
                     strokeWidth=0.7, strokeDashArray=[3, 2]))
    legend_y = CHART_HEIGHT + _DATE_ROOM + 3.5 * mm
    x = _LABEL_ROOM
    for colour, label in ((COMPLETED_BLUE, "completed"), (STARTED_BLUE, "started, not completed"),
                          (FAIL_RED, f"prescribed: {usage.prescribed_per_day} a day")):
        drawing.add(Rect(x, legend_y, 3 * mm, 2 * mm, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 4 * mm, legend_y + 0.2 * mm, label, fontName=FONT_BOLD
                           if colour is FAIL_RED else FONT, fontSize=6.5))
        x += (len(label) * 1.35 + 9) * mm
    if not days:
        drawing.add(String(_LABEL_ROOM + plot_w / 2, bottom + CHART_HEIGHT / 2,
                           "no day in the period", fontName=FONT, fontSize=7,
                           textAnchor="middle", fillColor=AXIS_GREY))
    return drawing


def _labelled(index: int, count: int) -> bool:
    """First, last and about every seventh day get a date under the bar."""
    step = max(1, round(count / 8)) if count > 14 else 7 if count > 7 else 1
    return index in (0, count - 1) or (index % step == 0 and count - 1 - index >= step / 2)
