"""The Clinic tab's two pictures: responders per follow-up with their 95 % intervals, and
how complete the follow-up is.

Every figure drawn is also in the tables beside them, so nothing depends on reading a bar.
A timepoint with no one to count draws no bar (not a bar of zero).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from console.outcomes.timepoints import FOLLOW_UPS, SCHEDULED, Timepoint
from ui.clinic.figures import TIMEPOINT_SHORT, Cohort, completeness
from ui.common.theme import CATHODE_BLUE, INFO_GREY, OK_GREEN

PAIN_COLOUR = CATHODE_BLUE
FUNCTION_COLOUR = OK_GREEN
DUE_BRUSH = (176, 190, 197)
BAR = 0.34  # each of the two bars at a timepoint
LABEL_PT = 7.5  # six labels side by side in a narrow chart


def _plot(left: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.setMinimumSize(200, 130)
    plot.showGrid(y=True, alpha=0.25)
    plot.setLabel("left", left)
    return plot


def _ticks(plot: pg.PlotWidget, points: Sequence[Timepoint]) -> None:
    plot.getAxis("bottom").setTicks([[(x, TIMEPOINT_SHORT[p]) for x, p in enumerate(points)]])
    plot.setXRange(-0.6, len(points) - 0.4, padding=0)


def _empty(plot: pg.PlotWidget, text: str, x: float, y: float) -> None:
    item = pg.TextItem(text, color=INFO_GREY, anchor=(0.5, 0.5))
    item.setPos(x, y)
    plot.addItem(item)


class _Chart(QWidget):
    def __init__(self, left: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = _plot(left)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)  # the box's title says what each colour is
        # the tables beside set the widths; the charts take what is left
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)


class ResponderChart(_Chart):
    """Responder % per follow-up, pain and function side by side, the CI as error bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("responders %", parent)
        self.setToolTip("Responders as a percentage of the patients with a baseline and that "
                        "follow-up: pain in blue, function in green; the whiskers are the "
                        "Wilson 95 % confidence interval")
        self.drawn: dict[str, dict[str, float]] = {}  # kind → timepoint → % (what is drawn)

    def show_cohort(self, cohort: Cohort) -> None:
        self.plot.clear()
        self.drawn = {}
        for kind, colour, shift in (("pain", PAIN_COLOUR, -BAR / 2),
                                    ("function", FUNCTION_COLOUR, BAR / 2)):
            self._draw(cohort, kind, colour, shift)
        _ticks(self.plot, FOLLOW_UPS)
        self.plot.setYRange(0, 105, padding=0)
        self.plot.getAxis("left").setTicks([[(y, str(y)) for y in range(0, 101, 20)]])
        if not any(self.drawn.values()):
            _empty(self.plot, "No follow-up with a baseline yet", (len(FOLLOW_UPS) - 1) / 2, 50)

    def _draw(self, cohort: Cohort, kind: str, colour: str, shift: float) -> None:
        xs, heights, lows, highs = [], [], [], []
        for x, point in enumerate(FOLLOW_UPS):
            cell = cohort["responders"].get(point.value, {}).get(kind)
            if not cell or cell["pct"] is None:
                continue
            pct = cell["pct"]
            low, high = cell["ci95"] or (pct, pct)
            xs.append(x + shift)
            heights.append(pct)
            lows.append(pct - low)
            highs.append(high - pct)
            self.drawn.setdefault(kind, {})[point.value] = pct
        if not xs:
            return
        self.plot.addItem(pg.BarGraphItem(x=xs, height=heights, width=BAR * 0.92, brush=colour,
                                          pen=pg.mkPen(colour)))
        self.plot.addItem(pg.ErrorBarItem(x=np.array(xs), y=np.array(heights),
                                          top=np.array(highs), bottom=np.array(lows),
                                          beam=BAR * 0.4, pen=pg.mkPen("#212121", width=1.5)))


class FollowUpChart(_Chart):
    """Patients due at each timepoint (grey) and those collected (blue), with the %."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("patients", parent)
        self.setToolTip("Patients due at each timepoint (grey) and those with it collected "
                        "(blue); the percentage collected above")
        self.due: list[int] = []
        self.collected: list[int] = []

    def show_cohort(self, cohort: Cohort) -> None:
        self.plot.clear()
        cells = [cohort["followup"].get(p.value, {"due": 0, "collected": 0}) for p in SCHEDULED]
        self.due = [cell["due"] for cell in cells]
        self.collected = [cell["collected"] for cell in cells]
        xs = list(range(len(SCHEDULED)))
        top = max([*self.due, *self.collected, 5])  # whole patients on the axis
        self.plot.addItem(pg.BarGraphItem(x=xs, height=self.due, width=0.7, brush=DUE_BRUSH,
                                          pen=pg.mkPen(None)))
        self.plot.addItem(pg.BarGraphItem(x=xs, height=self.collected, width=0.42,
                                          brush=CATHODE_BLUE, pen=pg.mkPen(None)))
        for x, due, collected in zip(xs, self.due, self.collected, strict=True):
            share = completeness(due, collected)
            if share is not None:
                label = pg.TextItem(f"{share:.0f}%", color="#212121", anchor=(0.5, 1))
                font = QFont(label.textItem.font())
                font.setPointSizeF(LABEL_PT)
                label.setFont(font)
                label.setPos(x, max(due, collected) + top * 0.02)
                self.plot.addItem(label)
        _ticks(self.plot, SCHEDULED)
        self.plot.setYRange(0, top * 1.2, padding=0)  # room for the %
        if not any(self.due):
            _empty(self.plot, "No follow-up due yet", (len(SCHEDULED) - 1) / 2, top * 0.6)
