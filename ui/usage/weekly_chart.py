"""Minutes delivered per week, with the prescribed minutes drawn across."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.usage.report import DayUsage
from ui.common.theme import CATHODE_BLUE, OK_GREEN


def weekly_minutes(days: tuple[DayUsage, ...]) -> OrderedDict[date, float]:
    """Minutes per week, keyed by the week's Monday, oldest first."""
    weeks: OrderedDict[date, float] = OrderedDict()
    for day in days:
        monday = day.day - timedelta(days=day.day.weekday())
        weeks[monday] = weeks.get(monday, 0.0) + day.minutes
    return weeks


class WeeklyChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("left", "minutes per week")
        self.plot.showGrid(y=True, alpha=0.2)
        self.plot.setMinimumHeight(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.weeks: OrderedDict[date, float] = OrderedDict()
        self.prescribed_minutes = 0.0

    def show_days(self, days: tuple[DayUsage, ...], prescribed_per_week_min: float) -> None:
        self.weeks = weekly_minutes(days)
        self.prescribed_minutes = prescribed_per_week_min
        plot = self.plot
        plot.clear()
        if not self.weeks:
            return
        xs = list(range(len(self.weeks)))
        plot.addItem(pg.BarGraphItem(x=xs, height=list(self.weeks.values()), width=0.7,
                                     brush=CATHODE_BLUE))
        line = pg.InfiniteLine(pos=prescribed_per_week_min, angle=0,
                               pen=pg.mkPen(OK_GREEN, width=2, style=Qt.PenStyle.DashLine),
                               label=f"prescribed {prescribed_per_week_min:g} min",
                               labelOpts={"position": 0.1, "color": OK_GREEN})
        plot.addItem(line)
        step = max(1, len(xs) // 8)
        plot.getAxis("bottom").setTicks([[(x, f"{monday:%d %b}")
                                          for x, monday in zip(xs, self.weeks, strict=True)
                                          if x % step == 0]])
        top = max([*self.weeks.values(), prescribed_per_week_min])
        plot.setYRange(0, top * 1.15 or 1)
