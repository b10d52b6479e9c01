"""Set versus delivered current during test stimulation, from the device's telemetry.

Telemetry arrives ten times a second. Samples go into preallocated arrays and the
curves are redrawn by a timer at most ``REDRAW_HZ`` times a second, and only when
something new arrived, so plotting never crowds the event loop that carries the STOP
key to the controller.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from device_link.messages import StimTelemetry
from ui.common.theme import CATHODE_BLUE, INFO_GREY, STOP_RED

WINDOW_S = 30.0
REDRAW_HZ = 10
CAPACITY = 512  # > WINDOW_S × 10 telemetry samples per second, with room to spare


class SampleRing:
    """Fixed arrays for a rolling window: appends write in place; the kept half is moved
    to the front only when the arrays fill, so a redraw takes views, never copies."""

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros((3, 2 * capacity))  # time s, set mA, delivered mA
        self._capacity = capacity
        self._start = 0
        self._end = 0

    def append(self, t: float, set_ma: float, delivered_ma: float) -> None:
        if self._end == self._data.shape[1]:
            kept = self._end - self._capacity
            self._data[:, :self._capacity] = self._data[:, kept:self._end]
            self._start = max(0, self._start - kept)
            self._end = self._capacity
        self._data[:, self._end] = (t, set_ma, delivered_ma)
        self._end += 1

    def drop_before(self, t: float) -> None:
        times = self._data[0, self._start:self._end]
        self._start += int(np.searchsorted(times, t))

    def clear(self) -> None:
        self._start = self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def view(self) -> np.ndarray:
        return self._data[:, self._start:self._end]


class TelemetryPlot(QWidget):
    """Rolling plot of the set and the delivered current, with the compliance limit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ring = SampleRing(CAPACITY)
        self._t0 = time.monotonic()
        self._dirty = False
        self.received = 0  # telemetry samples taken since the last clear

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("left", "current", units="mA")
        self.plot.setLabel("bottom", "time", units="s")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        legend = self.plot.addLegend(offset=(-8, 8))  # top right, clear of the rise
        self._set_curve = self.plot.plot(pen=pg.mkPen(INFO_GREY, width=2,
                                                      style=Qt.PenStyle.DashLine),
                                         name="set")
        self._delivered_curve = self.plot.plot(pen=pg.mkPen(CATHODE_BLUE, width=3),
                                               name="delivered")
        self._compliance = pg.InfiniteLine(angle=0, movable=False,
                                           pen=pg.mkPen(STOP_RED, width=1.5,
                                                        style=Qt.PenStyle.DotLine),
                                           label="compliance limit {value:.1f} mA",
                                           labelOpts={"color": STOP_RED, "position": 0.2})
        self._compliance.hide()
        self.plot.addItem(self._compliance)
        legend.addItem(pg.PlotDataItem(pen=pg.mkPen(STOP_RED, style=Qt.PenStyle.DotLine)),
                       "compliance limit")
        self.plot.setXRange(-WINDOW_S, 0, padding=0)
        self.plot.setYRange(0, 1, padding=0.05)
        self.plot.setToolTip(
            "Grey dashed: the current the device is set to. Blue: the current it actually "
            "delivers. Red dotted: the most the device can push through this pair's "
            "impedance at its compliance voltage; above it, delivered stays below set.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

        self._timer = QTimer(self)
        self._timer.setInterval(1000 // REDRAW_HZ)
        self._timer.timeout.connect(self._redraw)

    # -- data ------------------------------------------------------------------------------

    def start(self, compliance_ma: float | None) -> None:
        """A new test: empty window, the pair's compliance limit (None: not known)."""
        self._ring.clear()
        self.received = 0
        self._t0 = time.monotonic()
        if compliance_ma is None:
            self._compliance.hide()
        else:
            self._compliance.show()  # first: a hidden line does not update its label
            self._compliance.setValue(compliance_ma)
        self._dirty = True
        self._timer.start()

    def stop(self) -> None:
        """The test ended: keep the last picture, stop redrawing."""
        self._redraw()
        self._timer.stop()

    def add(self, sample: StimTelemetry) -> None:
        self._ring.append(time.monotonic() - self._t0, sample.amp_set_ua / 1000,
                          sample.amp_delivered_ua / 1000)
        self.received += 1
        self._dirty = True

    def latest(self) -> tuple[float, float] | None:
        """(set mA, delivered mA) of the newest sample, if any."""
        if not len(self._ring):
            return None
        view = self._ring.view()
        return float(view[1, -1]), float(view[2, -1])

    def shown_samples(self) -> int:
        """Samples the curves show now."""
        x, _ = self._delivered_curve.getData()
        return 0 if x is None else len(x)

    # -- drawing ---------------------------------------------------------------------------

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        now = time.monotonic() - self._t0
        self._ring.drop_before(now - WINDOW_S)
        t, set_ma, delivered_ma = self._ring.view()
        self._set_curve.setData(t, set_ma)
        self._delivered_curve.setData(t, delivered_ma)
        self.plot.setXRange(max(0.0, now - WINDOW_S), max(WINDOW_S, now), padding=0)
        top = max(1.0, float(set_ma.max()) if len(set_ma) else 0.0)
        limit = self._compliance.value()
        if self._compliance.isVisible() and limit <= top * 2:
            top = max(top, limit)  # near enough to matter: keep the limit in view
        self.plot.setYRange(0, top * 1.15, padding=0)
