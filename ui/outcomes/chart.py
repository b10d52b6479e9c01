"""Pain and function over time, with the baseline, the responder thresholds, therapy use
and adverse events on one time axis.

Three plots share the dates: the pain NRS (0–10), the ODI (0–100 %) and the therapy
minutes per week, each on its own axis. Each measure has its baseline drawn solid and
its responder threshold (baseline − the clinic's rule) dashed. Adverse events are
markers above the NRS with their category, a line through every plot at their onset;
serious ones are red triangles with a solid line, others amber circles with a dashed one.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.outcomes.entries import AdverseEvent
from ui.common.theme import BLOCK_RED, CATHODE_BLUE, CONFIRM_AMBER, INFO_GREY
from ui.outcomes.view_data import OutcomesView
from ui.outcomes.words import category_text, day_text

NRS_COLOUR = CATHODE_BLUE
ODI_COLOUR = "#6d4c41"  # brown: unlike every state colour
RULE_GREY = "#37474f"
USAGE_BRUSH = "#a5d6a7"
USAGE_PEN = "#66bb6a"
NRS_TOP = 13.4  # room above the scale for the event markers and their names
EVENT_LANES = (11.1, 12.3)  # alternate heights, so close events keep their names apart
WEEK_S = 7 * 86400
ABOVE = {"color": RULE_GREY, "anchors": [(1, 1), (1, 1)], "position": 0.995}
BELOW = {"color": RULE_GREY, "anchors": [(0, 0), (0, 0)], "position": 0.005}
"""The baseline is named above its line at the right; the threshold below its own at the
left, where the points are still near the baseline, above it."""


def day_x(day: date) -> float:
    """Seconds since the epoch at local noon of ``day``: the date axis's unit."""
    return time.mktime(datetime(day.year, day.month, day.day, 12).timetuple())


def _pen(colour: str, *, dashed: bool = False, width: int = 2) -> object:
    return pg.mkPen(colour, width=width,
                    style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)


class OutcomesChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.legend = pg.LegendItem(colCount=4, labelTextColor="k", labelTextSize="8pt",
                                    verSpacing=-4)
        self.canvas.addItem(self.legend, row=0, col=0)
        self.nrs = self._plot(1, "NRS", (0, NRS_TOP))
        self.odi = self._plot(2, "ODI %", (0, 100))
        self.usage = self._plot(3, "min/week", (0, 1))
        self.nrs.getAxis("left").setTicks([[(v, str(v)) for v in range(0, 11, 2)]])
        self.odi.getAxis("left").setTicks([[(v, str(v)) for v in range(0, 101, 20)]])
        self.usage.showAxis("bottom")
        stretch = self.canvas.ci.layout.setRowStretchFactor
        for row, factor in ((1, 5), (2, 5), (3, 2)):
            stretch(row, factor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.setMinimumHeight(260)
        self.baseline_lines: dict[str, pg.InfiniteLine] = {}
        self.threshold_lines: dict[str, pg.InfiniteLine] = {}
        self.event_markers: pg.ScatterPlotItem | None = None
        self.events: tuple[AdverseEvent, ...] = ()

    def _plot(self, row: int, label: str, y_range: tuple[float, float]) -> pg.PlotItem:
        plot: pg.PlotItem = self.canvas.addPlot(
            row=row, col=0, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.showGrid(y=True, alpha=0.15)
        plot.setLabel("left", label)
        plot.getAxis("left").setWidth(58)
        plot.hideAxis("bottom")
        plot.setYRange(*y_range, padding=0)
        if row > 1:
            plot.setXLink(self.nrs)
        return plot

    def show_view(self, view: OutcomesView) -> None:
        self.clear()
        current = [entry for entry, _ in view.current]
        nrs = [(day_x(e.collected_on), float(e.measures.nrs)) for e in current
               if e.measures.nrs is not None]
        odi = [(day_x(e.collected_on), float(e.odi_pct)) for e in current
               if e.odi_pct is not None]
        self._curve(self.nrs, nrs, NRS_COLOUR, "o", "Pain NRS")
        self._curve(self.odi, odi, ODI_COLOUR, "s", "ODI %")
        self._legend_line(RULE_GREY, "baseline", dashed=False)
        self._legend_line(RULE_GREY, "responder threshold", dashed=True)
        baseline = view.baseline()
        if baseline is not None and baseline.measures.nrs is not None:
            value = baseline.measures.nrs
            self._rule("nrs", self.nrs, value, value - view.rules.pain_nrs_drop)
        if baseline is not None and baseline.odi_pct is not None:
            value = float(baseline.odi_pct)
            self._rule("odi", self.odi, value, value - view.rules.function_odi_drop)
        if view.implant is not None:
            for plot in (self.nrs, self.odi, self.usage):
                plot.addItem(pg.InfiniteLine(
                    pos=day_x(view.implant), angle=90, pen=_pen(INFO_GREY, width=1),
                    label="implant" if plot is self.odi else None,
                    labelOpts={"position": 0.9, "color": INFO_GREY}))
        self._usage(view)
        self._events(view.events)
        self._range(view)

    def clear(self) -> None:
        for plot in (self.nrs, self.odi, self.usage):
            plot.clear()
        self.legend.clear()
        self.usage.setYRange(0, 1, padding=0)
        self.baseline_lines, self.threshold_lines = {}, {}
        self.event_markers, self.events = None, ()

    # -- parts -----------------------------------------------------------------------------

    def _curve(self, plot: pg.PlotItem, points: list[tuple[float, float]], colour: str,
               symbol: str, name: str) -> None:
        item = plot.plot([x for x, _ in points], [y for _, y in points],
                         pen=_pen(colour), symbol=symbol, symbolSize=9, symbolBrush=colour,
                         symbolPen=colour)
        self.legend.addItem(item, name)

    def _legend_line(self, colour: str, name: str, *, dashed: bool) -> None:
        """A legend sample for lines drawn in several plots."""
        self.legend.addItem(pg.PlotDataItem(pen=_pen(colour, dashed=dashed)), name)

    def _rule(self, key: str, plot: pg.PlotItem, baseline: float, threshold: float) -> None:
        base = pg.InfiniteLine(pos=baseline, angle=0, pen=_pen(RULE_GREY, width=1),
                               label=f"baseline {baseline:g}", labelOpts=ABOVE)
        limit = pg.InfiniteLine(pos=threshold, angle=0, pen=_pen(RULE_GREY, dashed=True),
                                label=f"responder ≤ {threshold:g}", labelOpts=BELOW)
        plot.addItem(base)
        plot.addItem(limit)
        self.baseline_lines[key], self.threshold_lines[key] = base, limit

    def _events(self, events: tuple[AdverseEvent, ...]) -> None:
        self.events = events
        if not events:
            return
        spots = []
        for number, event in enumerate(events):
            details = event.details
            colour = BLOCK_RED if details.serious else CONFIRM_AMBER
            x, lane = day_x(details.onset), EVENT_LANES[number % len(EVENT_LANES)]
            spots.append({"pos": (x, lane), "symbol": "t" if details.serious else "o",
                          "size": 14 if details.serious else 11, "brush": colour,
                          "pen": pg.mkPen(colour), "data": number})
            name = pg.TextItem(f" {details.category.value}", color=colour, anchor=(0, 0.5))
            name.setPos(x, lane)
            name.setToolTip(self._event_tip(x, lane, number))
            self.nrs.addItem(name)
            for plot in (self.nrs, self.odi, self.usage):
                plot.addItem(pg.InfiniteLine(pos=x, angle=90, pen=_pen(
                    colour, dashed=not details.serious, width=1)))
        self.event_markers = pg.ScatterPlotItem(spots=spots, hoverable=True,
                                                tip=self._event_tip)
        self.nrs.addItem(self.event_markers)
        for serious, name, symbol, colour in ((True, "serious AE", "t", BLOCK_RED),
                                              (False, "other AE", "o", CONFIRM_AMBER)):
            if any(e.details.serious is serious for e in events):
                sample = pg.ScatterPlotItem(symbol=symbol, brush=colour, pen=colour, size=11)
                self.legend.addItem(sample, name)

    def _event_tip(self, x: float, y: float, data: int) -> str:
        details = self.events[data].details
        serious = "serious" if details.serious else "not serious"
        resolved = (f"resolved {day_text(details.resolved)}" if details.resolved
                    else "not resolved")
        return (f"{day_text(details.onset)}: {category_text(details.category)}\n"
                f"{serious}, related: {details.related.value}, {resolved}")

    def _usage(self, view: OutcomesView) -> None:
        known = any(view.weeks.values())
        self.usage.getAxis("left").setStyle(showValues=known)  # no scale without a figure
        if not known:
            self.usage.setTitle("no therapy use in the record: download the device log on "
                                "the Usage tab", size="8pt", color=INFO_GREY)
            return
        self.usage.setTitle(None)
        xs = [day_x(monday) + WEEK_S / 2 - 43200 for monday in view.weeks]
        bars = pg.BarGraphItem(x=xs, height=list(view.weeks.values()), width=WEEK_S * 0.8,
                               brush=USAGE_BRUSH, pen=pg.mkPen(USAGE_PEN))
        self.usage.addItem(bars)
        self.usage.setYRange(0, max(view.weeks.values()) * 1.15, padding=0)
        self.legend.addItem(bars, "therapy min/week")

    def _range(self, view: OutcomesView) -> None:
        days = [e.collected_on for e, _ in view.current]
        days += [e.details.onset for e in view.events]
        days += [view.today] + ([view.implant] if view.implant else [])
        first, last = min(days), max(days)
        margin = max(timedelta(days=7), (last - first) / 25)
        self.nrs.setXRange(day_x(first - margin), day_x(last + margin), padding=0)
