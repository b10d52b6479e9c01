"""Set and delivered current of each stimulating lead during a therapy session, over the
cycle's phases drawn as coloured bands behind the curves (ramp up, ON, ramp down, off).

Like the test stimulation plot (``telemetry_plot``), samples go into preallocated rings
and the curves are redrawn by a timer, at most ``REDRAW_HZ`` times a second and only when
something new arrived, so plotting never crowds the event loop that carries STOP.
"""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.leads.naming import lead_name
from device_link.messages import StimTelemetry
from device_link.protocol import StimPhase
from ui.common.theme import CATHODE_BLUE, CONFIRM_AMBER, OFF_GREY, STOP_RED
from ui.stimulation.telemetry_plot import CAPACITY, REDRAW_HZ, WINDOW_S, SampleRing

RIGHT_TEAL = "#00796b"
LEAD_COLOURS = (CATHODE_BLUE, RIGHT_TEAL)
RAMP_DOWN_ORANGE = "#e65100"
PHASE_COLOURS = {
    StimPhase.RAMP_UP: CONFIRM_AMBER,
    StimPhase.ON: STOP_RED,
    StimPhase.RAMP_DOWN: RAMP_DOWN_ORANGE,
    StimPhase.OFF: OFF_GREY,
}
"""The phase's colour, in the plot's bands and in the words beside it."""
_BAND_ALPHA = 70


def phase_colour(phase: int) -> str:
    return PHASE_COLOURS.get(phase, OFF_GREY)  # type: ignore[call-overload]


class _Band:
    """One phase's stretch of time behind the curves."""

    def __init__(self, plot: pg.PlotWidget, phase: int, start: float) -> None:
        colour = QColor(phase_colour(phase))
        colour.setAlpha(_BAND_ALPHA)
        self.item = pg.LinearRegionItem((start, start), movable=False, brush=colour,
                                        pen=pg.mkPen(None))
        self.item.setZValue(-10)
        self.phase = phase
        self.start = start
        self.end = start
        plot.addItem(self.item)

    def reach(self, t: float) -> None:
        self.end = t
        self.item.setRegion((self.start, t))


class TherapyPlot(QWidget):
    """Rolling plot of both leads' set (dashed) and delivered (solid) current."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rings = (SampleRing(CAPACITY), SampleRing(CAPACITY))
        self._t0 = time.monotonic()
        self._dirty = False
        self._bands: list[_Band] = []
        self.phase: int | None = None
        self.received = 0  # telemetry samples taken since the last start

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("left", "current", units="mA")
        self.plot.setLabel("bottom", "time", units="s")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.addLegend(offset=(-8, 8))
        self._curves = []
        for lead, colour in enumerate(LEAD_COLOURS):
            set_curve = self.plot.plot(pen=pg.mkPen(colour, width=1.5,
                                                    style=Qt.PenStyle.DashLine),
                                       name=f"{lead_name(lead)} set")
            delivered = self.plot.plot(pen=pg.mkPen(colour, width=3),
                                       name=f"{lead_name(lead)} delivered")
            self._curves.append((set_curve, delivered))
        self.plot.setXRange(0, WINDOW_S, padding=0)
        self.plot.setYRange(0, 1, padding=0.05)
        self.plot.setToolTip(
            "Dashed: the current the device is set to on each lead. Solid: the current it "
            "delivers. Bands behind: amber ramp up, red ON, orange ramp down, grey off.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

        self._timer = QTimer(self)
        self._timer.setInterval(1000 // REDRAW_HZ)
        self._timer.timeout.connect(self._redraw)

    def start(self) -> None:
        """A new session: an empty window."""
        for ring in self._rings:
            ring.clear()
        for band in self._bands:
            self.plot.removeItem(band.item)
        self._bands = []
        self.phase = None
        self.received = 0
        self._t0 = time.monotonic()
        self._dirty = True
        self._timer.start()

    def stop(self) -> None:
        """The session ended: keep the last picture, stop redrawing."""
        self._redraw()
        self._timer.stop()

    def add(self, sample: StimTelemetry) -> None:
        if sample.lead not in (0, 1):
            return
        t = time.monotonic() - self._t0
        self._rings[sample.lead].append(t, sample.amp_set_ua / 1000,
                                        sample.amp_delivered_ua / 1000)
        if sample.phase != self.phase:
            self.phase = sample.phase
            if self._bands:
                self._bands[-1].reach(t)
            self._bands.append(_Band(self.plot, sample.phase, t))
        self.received += 1
        self._dirty = True

    def band_phases(self) -> list[int]:
        """The phases drawn behind the curves now, oldest first."""
        return [band.phase for band in self._bands]

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        now = time.monotonic() - self._t0
        top = 1.0
        for ring, (set_curve, delivered) in zip(self._rings, self._curves, strict=True):
            ring.drop_before(now - WINDOW_S)
            t, set_ma, delivered_ma = ring.view()
            set_curve.setData(t, set_ma)
            delivered.setData(t, delivered_ma)
            if len(set_ma):
                top = max(top, float(set_ma.max()), float(delivered_ma.max()))
        if self._bands:
            self._bands[-1].reach(now)
        while len(self._bands) > 1 and self._bands[0].end < now - WINDOW_S:
            self.plot.removeItem(self._bands.pop(0).item)
        self.plot.setXRange(max(0.0, now - WINDOW_S), max(WINDOW_S, now), padding=0)
        self.plot.setYRange(0, top * 1.15, padding=0)
